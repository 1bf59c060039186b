"""Cross-cutting protections: CSRF, cookies, sessions, rate limits, bad requests, headers."""

from http.cookies import SimpleCookie

import pytest
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from portal.settings import Settings
from portal.web import linkify
from tests.conftest import PASSWORD, csrf_from, log_in, post_form, sign_up


def test_post_without_or_with_a_wrong_csrf_token_is_refused_with_an_explanation(client):
    missing = client.post("/account/login", data={"email": "a@example.com", "password": "x"})
    assert missing.status_code == 403
    assert "This form has expired" in missing.text and "reload the page" in missing.text
    client.get("/account/login")
    wrong = client.post("/account/login", data={"csrf_token": "forged", "email": "a@example.com", "password": "x"})
    assert wrong.status_code == 403


def test_csrf_token_may_come_in_a_header_for_scripts(client):
    token = csrf_from(client.get("/account/login").text)
    response = client.post("/account/login", data={"email": "a@example.com", "password": "x"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 400  # reached the handler: bad credentials, not a CSRF refusal


def test_a_token_from_another_browser_session_does_not_work(client, app):
    one, two = client, TestClient(app)  # a second browser: its own cookie jar
    token = csrf_from(one.get("/account/login").text)
    two.get("/account/login")
    assert two.post("/account/login", data={"csrf_token": token, "email": "a@b.co", "password": "x"}).status_code == 403


def _cookie_attributes(response) -> dict:
    header = [value for name, value in response.headers.multi_items() if name == "set-cookie" and value.startswith("portal_session=")][-1]
    morsel = SimpleCookie(header)["portal_session"]
    return {"httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"], "secure": bool(morsel["secure"]), "raw": header}


def test_session_cookie_flags_in_development(client):
    attributes = _cookie_attributes(client.get("/account/login"))
    assert attributes["httponly"] and attributes["samesite"].lower() == "lax"
    assert not attributes["secure"]


def test_session_cookie_is_secure_in_production(tmp_path, smtp_server):
    settings = Settings(PORTAL_VAR_DIR=tmp_path, PORTAL_ENV="production", secret_key="k" * 40, public_url="https://portal.example",
                        stripe_secret_key="sk_live_x", stripe_publishable_key="pk_live_x", stripe_webhook_secret="whsec_x")
    Database(settings.database_url).migrate()
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = client.get("/account/login")
        attributes = _cookie_attributes(response)
        assert attributes["secure"] and attributes["httponly"] and attributes["samesite"].lower() == "lax"
        assert "max-age=63072000" in response.headers["strict-transport-security"]


def test_session_is_rotated_at_login(client, inbox):
    sign_up(client, "rotate@example.com")
    before = client.cookies.get("portal_session")
    token_before = csrf_from(client.get("/account/login").text)
    log_in(client, "rotate@example.com")
    after = client.cookies.get("portal_session")
    assert before != after
    # The anonymous session's CSRF token does not survive sign-in.
    assert csrf_from(client.get("/dashboard").text) != token_before
    # A cookie captured before sign-in does not become a signed-in cookie.
    client.cookies.clear()
    client.cookies.set("portal_session", before)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_logging_out_ends_the_session_on_the_server(client, inbox):
    sign_up(client, "out@example.com")
    log_in(client, "out@example.com")
    signed_in = client.cookies.get("portal_session")
    post_form(client, "/account/logout", {}, page="/dashboard")
    client.cookies.set("portal_session", signed_in)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_failed_logins_are_limited_per_account(client, inbox):
    sign_up(client, "target@example.com")
    for _ in range(5):
        assert log_in(client, "target@example.com", "wrong password here").status_code == 400
    blocked = log_in(client, "target@example.com")  # even the right password waits
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text
    assert log_in(client, "someone-else@example.com", "wrong password here").status_code == 400


def test_failed_logins_are_limited_per_address(client):
    for number in range(20):
        assert log_in(client, f"spray{number}@example.com", "wrong password here").status_code == 400
    assert log_in(client, "spray-last@example.com", "wrong password here").status_code == 429


def test_a_good_login_clears_the_account_counter(client, inbox):
    sign_up(client, "typo@example.com")
    for _ in range(4):
        log_in(client, "typo@example.com", "wrong password here")
    assert log_in(client, "typo@example.com").status_code == 303
    post_form(client, "/account/logout", {}, page="/dashboard")
    for _ in range(4):
        assert log_in(client, "typo@example.com", "wrong password here").status_code == 400
    assert log_in(client, "typo@example.com").status_code == 303


def test_oversized_requests_get_413_not_a_traceback(client):
    token = csrf_from(client.get("/account/login").text)
    response = client.post("/account/login", data={"csrf_token": token, "email": "a" * 1_100_000, "password": "x"})
    assert response.status_code == 413 and "Too much data" in response.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
        ("application/x-www-form-urlencoded", b"\xff\xfe%%%=&&="),
        ("application/json", b"{not json"),
    ],
)
def test_malformed_bodies_get_a_4xx_page(client, content_type, body):
    client.get("/account/login")
    response = client.post("/account/login", content=body, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text


def test_a_malformed_form_with_a_valid_token_is_a_clean_400(client):
    token = csrf_from(client.get("/account/login").text)
    body = f"csrf_token={token}&email=%ZZ&password=%".encode()
    response = client.post("/account/login", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code in (400, 200)
    assert "Traceback" not in response.text


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Page not found" in response.text


def test_pages_carry_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_next_parameter_only_redirects_within_the_site(client, inbox):
    sign_up(client, "next@example.com")
    token = csrf_from(client.get("/account/login").text)
    response = client.post(
        "/account/login?next=//evil.example/x",
        data={"csrf_token": token, "email": "next@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/dashboard"
    post_form(client, "/account/logout", {}, page="/dashboard")
    token = csrf_from(client.get("/account/login").text)
    response = client.post(
        "/account/login",
        data={"csrf_token": token, "email": "next@example.com", "password": PASSWORD, "next": "/dashboard?tab=1"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/dashboard?tab=1"


def test_dev_outbox_exists_only_in_sandbox_mode(client, tmp_path):
    assert client.get("/dev/outbox").status_code == 200
    stripe_mode = Settings(
        PORTAL_VAR_DIR=tmp_path / "stripe", stripe_secret_key="sk_test_x", stripe_publishable_key="pk_test_x",
        stripe_webhook_secret="whsec_x", secret_key="s" * 40, public_url="https://p.example",
    )
    Database(stripe_mode.database_url).migrate()
    with TestClient(create_app(stripe_mode)) as other:
        assert other.get("/dev/outbox").status_code == 404


def test_health_check_reports_mode(client):
    assert client.get("/healthz").json() == {"status": "ok", "mode": "sandbox"}


def test_flash_messages_from_two_requests_without_a_page_between_both_show():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    from portal.web import flash, pop_flashes

    def add(request):
        flash(request, request.query_params["text"])
        return PlainTextResponse("added")

    def show(request):
        return JSONResponse([message for _category, message in pop_flashes(request)])

    app = Starlette(routes=[Route("/add", add), Route("/show", show)],
                    middleware=[Middleware(SessionMiddleware, secret_key="test")])
    with TestClient(app) as browser:
        browser.get("/add", params={"text": "first"})
        browser.get("/add", params={"text": "second"})
        assert browser.get("/show").json() == ["first", "second"]
        assert browser.get("/show").json() == []


def test_the_favicon_is_served_where_browsers_ask_and_linked_from_pages(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml") and b"<svg" in icon.content
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/account/login").text


def test_links_in_mail_leave_the_sentence_punctuation_out():
    html = str(linkify("Our site is https://annsbakery.com, and (https://x.io/a?b=1). Done"))
    assert 'href="https://annsbakery.com"' in html and 'href="https://x.io/a?b=1"' in html
