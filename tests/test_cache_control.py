"""Pages depend on who is signed in: no browser or proxy keeps them (Cache-Control: no-store), on
every route of the table, error pages included; the files under /static stay cacheable."""

from portal.staff.models import StaffRole
from tests.onboarding.flows import signed_in_seller
from tests.route_table import endpoints
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser


def every_get(app) -> list[tuple[str, str]]:
    # Not the sandbox: it is a Stripe, and sets its own headers as Stripe does.
    return [(endpoint.name, endpoint.fill({name: "1" for name in endpoint.params}))
            for endpoint in endpoints(app) if "GET" in endpoint.methods and endpoint.name.split(":")[0] != "sandbox"]


def is_file(response) -> bool:
    """A file (a stylesheet, a script, an icon) may be kept; a page, a JSON answer, a redirect or an error may not."""
    kind = response.headers.get("content-type", "")
    return response.status_code == 200 and not kind.startswith(("text/html", "application/json", "text/plain"))


def test_every_page_for_every_visitor_says_no_store(client, inbox):
    anonymous = staff_browser(client)
    staff = staff_browser(client)
    dev_sign_in(staff, "ada@platform.test", StaffRole.admin)
    signed_in_seller(client, inbox, "ann@annsbakery.com")
    pages = every_get(client.app)
    assert len(pages) > 30

    for who, browser in {"anonymous": anonymous, "seller": client, "staff": staff}.items():
        for name, path in pages:
            response = browser.get(path, follow_redirects=False)
            if not is_file(response):
                assert "no-store" in response.headers.get("cache-control", ""), (who, name, response.status_code)


def test_error_pages_and_json_answers_say_no_store_too(client):
    assert client.get("/no-such-page").headers["cache-control"] == "no-store"
    assert client.get("/static/no-such-file.css").headers["cache-control"] == "no-store"
    assert client.post("/account/login").headers["cache-control"] == "no-store"  # refused: no CSRF token
    assert client.get("/healthz").headers["cache-control"] == "no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/portal.css")

    assert response.status_code == 200 and "no-store" not in response.headers.get("cache-control", "")
    assert "etag" in response.headers
