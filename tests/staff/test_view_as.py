"""View as seller: a read-only, time-limited, audited look at one seller's portal, with a banner,
bound to the staff member who started it, never of another staff member."""

from datetime import timedelta

import pytest
import time_machine
from sqlmodel import select

from portal.accounts.models import Seller
from portal.audit import AuditEvent
from portal.connect.mirror import account_for_seller
from portal.db import utcnow
from portal.security.models import TwoFactor
from portal.staff.models import StaffRole, ViewAsGrant
from portal.staff.service import create_staff
from portal.staff.view_as import VIEW_AS_COOKIE
from tests.conftest import csrf_from, post_form
from tests.onboarding.flows import BANK, signed_in_seller
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import seller_id, staff_browser, trail

SELLER_WRITES = [
    ("/onboarding/bank", BANK),
    ("/account/security/confirm", {"password": "violet tractor salad 42"}),
    ("/status/refresh", {}),
    ("/status/fix", {}),
    ("/onboarding/review", {"accept_stripe": "on", "accept_platform": "on"}),
    ("/onboarding/business-email/resend", {}),
    ("/account/logout", {}),
]


@pytest.fixture
def new_seller(sandboxed_client, inbox):
    """Signed up and signed in, no Stripe account yet: enough where the account does not matter."""
    signed_in_seller(sandboxed_client, inbox, "ann@annsbakery.com")
    return seller_id(sandboxed_client, "ann@annsbakery.com")


def start_viewing(staff, seller: int, reason: str = "Seller asked why payouts stopped"):
    return post_form(staff, f"/staff/sellers/{seller}/view-as", {"reason": reason}, page=f"/staff/sellers/{seller}",
                     follow_redirects=False)


def test_viewing_shows_the_sellers_pages_under_a_banner_and_audits_every_page(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    started = start_viewing(staff, seller)
    assert started.status_code == 303 and started.headers["location"] == "/dashboard"
    dashboard = staff.get("/dashboard")
    status = staff.get("/status/")

    for page in (dashboard, status):
        assert page.status_code == 200
        assert 'id="view-as-banner"' in page.text
        assert "sam@platform.test is viewing as ann@annsbakery.com, read-only" in page.text
        assert "Exit view as seller" in page.text
    assert 'id="account-status"' in status.text
    actions = trail(sandboxed_client, seller)
    assert actions[0] == ("view_as.start", "sam@platform.test")
    assert actions.count(("view_as.page", "sam@platform.test")) == 2


def test_every_state_changing_seller_request_is_refused_while_viewing(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, seller)
    token = csrf_from(staff.get("/staff/").text)
    db = sandboxed_client.app.state.db
    snapshot_before = account_for_seller(db, seller).snapshot

    for path, data in SELLER_WRITES:
        response = staff.post(path, data={"csrf_token": token, **data}, follow_redirects=False)

        assert response.status_code == 403, path
        assert "You are viewing as the seller: read-only" in response.text, path

    assert account_for_seller(db, seller).snapshot == snapshot_before
    assert 'id="view-as-banner"' in staff.get("/dashboard").text  # the logout was refused too


def test_the_account_session_endpoint_and_the_exit_are_not_refused(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, seller)
    token = csrf_from(staff.get("/staff/").text)

    session = staff.post("/account-session", headers={"x-csrf-token": token}, json={})
    assert "You are viewing as the seller: read-only" not in session.text

    exited = staff.post("/staff/view-as/exit", data={"csrf_token": token}, follow_redirects=False)
    assert exited.status_code == 303 and exited.headers["location"] == f"/staff/sellers/{seller}"


def test_exit_returns_the_staff_member_to_the_console_and_ends_the_grant(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, new_seller)

    post_form(staff, "/staff/view-as/exit", {}, page="/dashboard")

    assert VIEW_AS_COOKIE not in staff.cookies
    assert staff.get("/dashboard", follow_redirects=False).headers["location"].startswith("/account/login")
    assert staff.get("/staff/", follow_redirects=False).status_code == 200  # the staff session is as it was
    assert trail(sandboxed_client, new_seller)[-1] == ("view_as.end", "sam@platform.test")
    with sandboxed_client.app.state.db.transaction() as session:
        assert session.exec(select(ViewAsGrant)).one().ended_at is not None


def test_a_grant_expires_after_the_configured_minutes(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, new_seller)
    minutes = sandboxed_client.app.state.settings.view_as_minutes

    with time_machine.travel(utcnow() + timedelta(minutes=minutes - 5)):
        assert staff.get("/dashboard", follow_redirects=False).status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=minutes + 1)):
        expired = staff.get("/dashboard", follow_redirects=False)

    assert expired.status_code == 303 and expired.headers["location"].startswith("/account/login")


def test_an_ended_grant_is_not_revived_by_an_old_cookie(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, new_seller)
    kept = staff.cookies[VIEW_AS_COOKIE]
    post_form(staff, "/staff/view-as/exit", {}, page="/dashboard")

    staff.cookies.set(VIEW_AS_COOKIE, kept)

    assert staff.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_grant_works_only_with_the_staff_session_it_was_made_for(sandboxed_client, new_seller):
    first = staff_browser(sandboxed_client)
    dev_sign_in(first, "sam@platform.test")
    start_viewing(first, new_seller)
    second = staff_browser(sandboxed_client)
    dev_sign_in(second, "rita@platform.test", StaffRole.risk)

    second.cookies.set(VIEW_AS_COOKIE, first.cookies[VIEW_AS_COOKIE])  # a stolen grant
    assert second.get("/dashboard", follow_redirects=False).status_code == 303
    anonymous = staff_browser(sandboxed_client)
    anonymous.cookies.set(VIEW_AS_COOKIE, first.cookies[VIEW_AS_COOKIE])  # without any staff session
    assert anonymous.get("/status/", follow_redirects=False).status_code == 303


def test_a_staff_session_alone_never_opens_a_sellers_pages(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "ada@platform.test", StaffRole.admin)

    for path in ("/dashboard", "/status/", "/onboarding/bank", "/payouts"):
        response = staff.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/account/login"), path


def test_staff_cannot_view_as_another_staff_member(sandboxed_client, inbox):
    signed_in_seller(sandboxed_client, inbox, "rita@ritasrides.com")  # a staff member with a seller account
    colleague = seller_id(sandboxed_client, "rita@ritasrides.com")
    create_staff(sandboxed_client.app.state.db, "rita@ritasrides.com", StaffRole.risk)
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    refused = start_viewing(staff, colleague)

    assert refused.status_code == 403 and "staff cannot view as other staff" in refused.text
    assert VIEW_AS_COOKIE not in staff.cookies
    assert trail(sandboxed_client, colleague) == []


def test_starting_needs_a_reason(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    response = start_viewing(staff, new_seller, reason="")

    assert response.status_code == 400 and 'id="view_as-error"' in response.text
    assert VIEW_AS_COOKIE not in staff.cookies


def test_exit_still_works_after_the_staff_session_lapsed(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, new_seller)
    token = csrf_from(staff.get("/dashboard").text)
    staff.cookies.delete("portal_staff")

    response = staff.post("/staff/view-as/exit", data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/staff/sign-in"
    assert VIEW_AS_COOKIE not in staff.cookies
    assert trail(sandboxed_client, new_seller)[-1] == ("view_as.end", "sam@platform.test")


def test_one_seller_at_a_time_a_new_grant_ends_the_last(sandboxed_client, new_seller):
    with sandboxed_client.app.state.db.transaction() as session:
        second = Seller(email="bob@bobsbikes.com", password_hash="x")
        session.add(second)
        session.flush()
        second_id = second.id
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    start_viewing(staff, new_seller)
    start_viewing(staff, second_id)

    assert "viewing as bob@bobsbikes.com" in staff.get("/dashboard").text
    with sandboxed_client.app.state.db.transaction() as session:
        grants = session.exec(select(ViewAsGrant).order_by(ViewAsGrant.id)).all()
    assert [grant.ended_at is None for grant in grants] == [False, True]


def refusals(client, seller: int) -> list[dict]:
    with client.app.state.db.transaction() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.seller_id == seller, AuditEvent.action == "view_as.refused")
                              .order_by(AuditEvent.id)).all()
    return [{"by": event.actor_email, **event.details} for event in events]


def test_staff_viewing_as_a_seller_never_see_nor_make_the_sellers_secrets(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, new_seller)  # a seller who has not set up two-step sign-in yet
    token = csrf_from(staff.get("/dashboard").text)

    attempts = [staff.get("/account/security/two-factor"), staff.get("/account/security/confirm"),
                staff.post("/account/security/two-factor/key", data={"csrf_token": token}),
                staff.post("/account/security/recovery-codes", data={"csrf_token": token})]

    for response in attempts:
        assert response.status_code == 403 and "You are viewing as the seller: read-only" in response.text
        assert 'id="totp-key"' not in response.text
    assert "show or make secrets that only the seller may know" in attempts[0].text
    with sandboxed_client.app.state.db.transaction() as session:
        assert session.get(TwoFactor, new_seller) is None  # no key was made for anyone to see
    assert [(r["by"], r["method"], r["route"]) for r in refusals(sandboxed_client, new_seller)] == [
        ("sam@platform.test", "GET", "security:two_factor_setup"), ("sam@platform.test", "GET", "security:reauth"),
        ("sam@platform.test", "POST", "security:two_factor_key"), ("sam@platform.test", "POST", "security:recovery_codes"),
    ]
    assert staff.get("/account/security/").status_code == 200  # sign-in history and devices show no secret


def test_a_refused_attempt_is_on_the_audit_trail_without_the_links_token(sandboxed_client, new_seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    start_viewing(staff, new_seller)
    token = csrf_from(staff.get("/dashboard").text)

    signed_out = staff.post("/account/logout", data={"csrf_token": token})
    link = staff.post("/account/confirm/some-single-use-token", data={"csrf_token": token})

    assert signed_out.status_code == link.status_code == 403
    assert refusals(sandboxed_client, new_seller) == [
        {"by": "sam@platform.test", "method": "POST", "route": "accounts:logout", "path": "/account/logout",
         "grant": 1},
        {"by": "sam@platform.test", "method": "POST", "route": "accounts:confirm", "path": "/account/confirm/[token]",
         "grant": 1},
    ]
    assert "view_as.page" not in [action for action, _ in trail(sandboxed_client, new_seller)[-2:]]


def test_a_seller_s_own_setup_page_makes_a_key_only_when_asked(client, inbox):
    signed_in_seller(client, inbox, "ann@annsbakery.com")
    seller = seller_id(client, "ann@annsbakery.com")

    page = client.get("/account/security/two-factor")

    assert page.status_code == 200 and 'id="totp-key"' not in page.text and "Show the code to scan" in page.text
    with client.app.state.db.transaction() as session:
        assert session.get(TwoFactor, seller) is None
    shown = post_form(client, "/account/security/two-factor/key", {}, page="/account/security/two-factor")
    assert shown.status_code == 200 and 'id="totp-key"' in shown.text
    with client.app.state.db.transaction() as session:
        assert session.get(TwoFactor, seller).confirmed_at is None
