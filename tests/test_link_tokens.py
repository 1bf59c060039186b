"""Single-use link tokens stay out of pages, forms, Referer headers and logs. Every route whose path
carries a token is found in the route table, so a link added later is held to the same rules."""

import logging
import re

from portal.logs import Formatter, Redactor, link_token_paths, route_table
from portal.web import LINK_COOKIE

TOKEN = "eyJzIjoxLCJmIjoiYWJjZGVmIn0.Z3x9aQ.Qm9ndXNTaWduYXR1cmVUaGF0SXNMb25n"


def token_routes(app) -> list[tuple[str, object]]:
    routes = [(path, route) for path, route in route_table(app.routes)
              if "{token}" in path and hasattr(route, "endpoint")]
    assert len(routes) >= 8  # confirmation, reset, business email, remediation, email change/revert, lock, recovery
    return routes


def example(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda found: TOKEN if found.group(1) == "token" else "individual.id_number", path)


def test_a_link_only_files_its_token_and_sends_the_browser_to_a_page_without_it(client):
    for path, route in token_routes(client.app):
        assert route.methods == {"GET", "HEAD"}, path  # no form posts to a URL holding a token
        link = example(path)
        landing = client.get(link, follow_redirects=False)
        page = landing.headers["location"]
        assert landing.status_code == 303 and TOKEN not in page and page == link.rsplit("/", 1)[0], path
        assert landing.headers["referrer-policy"] == "no-referrer"
        cookie = landing.headers["set-cookie"]
        assert cookie.startswith(f"{LINK_COOKIE}={TOKEN};") and f"Path={page};" in cookie and "HttpOnly" in cookie
        shown = client.get(page)  # an invalid token here: the page says so, and never echoes it
        assert TOKEN not in shown.text and TOKEN not in str(shown.url), path
        client.cookies.clear()


def test_a_page_opened_without_its_link_says_the_link_is_not_valid(client):
    opened = client.get("/account/reset-password")
    assert opened.status_code == 400 and "not valid" in opened.text


def _access_line(path: str) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("203.0.113.7:5000", "GET", path, "1.1", 303), None)


def test_the_logs_redact_the_token_of_every_link_route_in_text_and_json(client):
    redactor = Redactor(link_paths=link_token_paths(client.app.routes))
    for json_lines in (False, True):
        formatter = Formatter(redactor, json_lines=json_lines)
        for path, _route in token_routes(client.app):
            link = example(path)
            for logged in (link, link + "?utm_source=mail"):
                line = formatter.format(_access_line(logged))
                assert TOKEN not in line, line
                assert link.replace(TOKEN, "[redacted]") in line
    untouched = Formatter(redactor, json_lines=False).format(_access_line("/onboarding/identity"))
    assert "/onboarding/identity" in untouched


def test_secrets_and_token_queries_are_redacted_whoever_logs_them():
    redact = Redactor(secrets=["a-signing-key-of-some-length"])
    line = redact("key=a-signing-key-of-some-length sk_live_51Habc whsec_Zm9v accs_secret__abc123 /x?reset_token=abc&y=1")
    assert line == "key=[redacted] [redacted] [redacted] [redacted] /x?reset_token=[redacted]&y=1"


def test_no_link_page_lies_under_another_so_a_browser_sends_one_link_cookie(client):
    pages = [path.rsplit("/", 1)[0] for path, _route in token_routes(client.app)]
    assert len(set(pages)) == len(pages)
    for page in pages:
        assert not [other for other in pages if other != page and page.startswith(other + "/")], page
