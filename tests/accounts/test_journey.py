"""Sign-up, confirmation, log-in, log-out and reset through the app's pages."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import select

from portal.accounts.models import Seller
from tests.conftest import PASSWORD, confirm_link_path, link_page, log_in, post_form, press_link_button, sign_up


def test_sign_up_confirm_log_out_and_log_in_again(client, inbox):
    response = sign_up(client, "Maria@Example.com")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/signup/check-email"

    mail = inbox.wait_for("maria@example.com")[0]
    assert mail["Subject"] == "Confirm your email address"
    path = confirm_link_path(inbox, "maria@example.com")

    # Opening the link only shows a button: mail scanners that follow links confirm nothing.
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my email address" in page.text
    assert page.url.path == link_page(path) and path.rsplit("/", 1)[1] not in page.text
    assert _seller(client, "maria@example.com").email_confirmed_at is None

    confirmed = press_link_button(client, path, follow_redirects=False)
    assert confirmed.headers["location"] == "/account/login"
    assert _seller(client, "maria@example.com").email_confirmed_at is not None
    # The sign-in that follows knows the address (from the session, never the URL) and asks for the password.
    sign_in_page = client.get("/account/login").text
    assert 'value="maria@example.com"' in sign_in_page and re.search(r'id="password"[^>]*autofocus', sign_in_page)
    assert 'value="maria@example.com"' not in client.get("/account/login").text  # once

    assert log_in(client, "maria@example.com").headers["location"] == "/dashboard"
    home = client.get("/dashboard")
    assert "is confirmed" in home.text and "maria@example.com" in home.text

    post_form(client, "/account/logout", {}, page="/dashboard")
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/account/login")
    assert log_in(client, "MARIA@example.com ").headers["location"] == "/dashboard"


def test_unconfirmed_seller_can_log_in_and_resend_the_link(client, inbox):
    sign_up(client, "late@example.com")
    inbox.wait_for("late@example.com")
    log_in(client, "late@example.com")
    assert "Confirm your email address" in client.get("/dashboard").text
    post_form(client, "/account/confirm-resend", {}, page="/dashboard")
    inbox.wait_for("late@example.com", count=2)
    # The newer link works like the first one.
    assert press_link_button(client, confirm_link_path(inbox, "late@example.com", 2)).status_code == 200
    assert "is confirmed" in client.get("/dashboard").text


def test_duplicate_sign_up_looks_the_same_and_tells_the_owner(client, inbox):
    first = sign_up(client, "dup@example.com")
    second = sign_up(client, "DUP@example.com", "another fine password 9")
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    mails = inbox.wait_for("dup@example.com", count=2)
    assert mails[1]["Subject"] == "You already have an account"
    with client.app.state.db.transaction() as session:
        assert len(session.exec(select(Seller).where(Seller.email == "dup@example.com")).all()) == 1
    # The original password still works; the second one never became a password.
    assert log_in(client, "dup@example.com", "another fine password 9").status_code == 400
    assert log_in(client, "dup@example.com").status_code == 303


def test_sign_up_errors_sit_beside_their_fields_and_keep_the_email(client, inbox):
    response = post_form(
        client, "/account/signup",
        {"email": "not-an-email", "password": "password123", "password_confirm": "password123"},
    )
    assert response.status_code == 400
    assert 'id="email-error"' in response.text and 'id="password-error"' in response.text
    assert 'value="not-an-email"' in response.text
    assert "password123" not in response.text
    assert 'aria-invalid="true" autofocus' in response.text  # focus lands on the first error

    mismatch = post_form(
        client, "/account/signup",
        {"email": "ok@example.com", "password": PASSWORD, "password_confirm": PASSWORD + "x"},
    )
    assert 'id="password_confirm-error"' in mismatch.text and "don&#39;t match" in mismatch.text
    assert 'value="ok@example.com"' in mismatch.text
    assert inbox.messages == []


def test_common_and_short_passwords_are_refused(client):
    for password, words in [("short", "at least 12"), ("password1234", "common passwords"), ("qwertyuiop12345", "common passwords"), ("correcthorse", "")]:
        response = post_form(
            client, "/account/signup", {"email": "p@example.com", "password": password, "password_confirm": password}
        )
        assert response.status_code == 400, password
        assert 'id="password-error"' in response.text
        assert words in response.text


def test_wrong_password_and_unknown_email_get_the_same_answer(client, inbox):
    sign_up(client, "known@example.com")
    wrong = log_in(client, "known@example.com", "not the password at all")
    unknown = log_in(client, "nobody@example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    message = "That email and password don&#39;t match an account."
    assert message in wrong.text and message in unknown.text
    assert 'value="known@example.com"' in wrong.text
    assert "not the password at all" not in wrong.text


def test_confirmation_link_is_single_use(client, inbox):
    sign_up(client, "once@example.com")
    path = confirm_link_path(inbox, "once@example.com")
    assert press_link_button(client, path, follow_redirects=False).status_code == 303
    again = client.get(path)
    assert again.status_code == 400 and "already been used" in again.text
    replay = post_form(client, link_page(path), {}, page="/account/login")
    assert replay.status_code == 400 and "already been used" in replay.text


def test_expired_and_tampered_links_are_refused(client, inbox):
    sign_up(client, "slow@example.com")
    path = confirm_link_path(inbox, "slow@example.com")
    with _later(hours=49):
        expired = client.get(path)
    assert expired.status_code == 400 and "expired" in expired.text
    tampered = client.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400 and "not valid" in tampered.text


def test_password_reset_changes_password_and_signs_out_everywhere(client, inbox, app):
    sign_up(client, "reset@example.com")
    inbox.wait_for("reset@example.com")
    log_in(client, "reset@example.com")
    old_cookie = client.cookies.get("portal_session")

    response = post_form(client, "/account/forgot-password", {"email": "reset@example.com"})
    assert "If <strong>reset@example.com</strong> belongs to an account" in response.text
    link = confirm_link_path(inbox, "reset@example.com", 2)
    assert client.get(link).status_code == 200

    weak = press_link_button(client, link, {"password": "123", "password_confirm": "123"})
    assert weak.status_code == 400 and 'id="password-error"' in weak.text
    new_password = "new marmalade horizon 7"
    done = press_link_button(client, link, {"password": new_password, "password_confirm": new_password}, follow_redirects=False)
    assert done.headers["location"] == "/account/login"

    assert log_in(client, "reset@example.com", PASSWORD).status_code == 400
    assert log_in(client, "reset@example.com", new_password).status_code == 303
    assert client.get(link).status_code == 400  # used

    # The session that existed before the reset no longer signs anyone in.
    client.cookies.clear()
    client.cookies.set("portal_session", old_cookie)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_forgot_password_for_unknown_email_looks_the_same_and_sends_nothing(client, inbox):
    response = post_form(client, "/account/forgot-password", {"email": "ghost@example.com"})
    assert response.status_code == 200 and "belongs to an account" in response.text
    assert inbox.messages == []
    bad = post_form(client, "/account/forgot-password", {"email": "ghost"})
    assert bad.status_code == 400 and 'id="email-error"' in bad.text


def test_an_older_reset_link_dies_when_the_password_changes(client, inbox):
    sign_up(client, "two@example.com")
    inbox.wait_for("two@example.com")
    post_form(client, "/account/forgot-password", {"email": "two@example.com"})
    first = confirm_link_path(inbox, "two@example.com", 2)
    post_form(client, "/account/forgot-password", {"email": "two@example.com"})
    second = confirm_link_path(inbox, "two@example.com", 3)
    password = "quiet harbour lantern 5"
    press_link_button(client, second, {"password": password, "password_confirm": password})
    assert "already been used" in client.get(first).text


def _later(hours: int):
    return time_machine.travel(datetime.now(UTC) + timedelta(hours=hours))


def _seller(client, email: str) -> Seller:
    with client.app.state.db.transaction() as session:
        return session.exec(select(Seller).where(Seller.email == email)).one()
