"""Two-step sign-in is asked the moment it becomes required (the profile step that makes the Stripe
account), not at the next sign-in, and the seller then goes on where they were going (issue 16,
item 7): with an app or a passkey, after leaving and coming back, in another session, and never
of staff viewing as the seller."""

import time

from portal.connect.mirror import account_for_seller
from tests.conftest import csrf_from, log_in, post_form
from tests.onboarding.flows import PROFILE, asked_for_two_step, signed_in_seller, submit
from tests.security.authenticator import SoftAuthenticator
from tests.security.helpers import SETUP, enrol_with_page, sign_in_with_code
from tests.security.test_passkeys import add_passkey
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import seller_id, staff_browser
from tests.staff.test_view_as import start_viewing

EMAIL = "ann@annsbakery.com"
NEXT_STEP = "/onboarding/business-email"


def _saved_codes_link(page: str) -> str:
    return page.split(">I have saved my codes", 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]


def test_asked_the_moment_the_account_exists_then_on_to_the_next_step_not_security(sandboxed_client, inbox):
    client = sandboxed_client
    asked = asked_for_two_step(client, inbox, EMAIL)
    assert asked.headers["location"] == SETUP
    assert account_for_seller(client.app.state.db, seller_id(client, EMAIL)) is not None

    setup = client.get(SETUP).text
    assert "your Stripe account is made" in setup and "go on where you were" in setup
    # Until it is set up, every seller page leads there; a script's call is refused.
    assert client.get(NEXT_STEP, follow_redirects=False).headers["location"] == SETUP
    token = csrf_from(setup)
    assert client.post("/account-session", headers={"x-csrf-token": token, "accept": "application/json"}).status_code == 403

    _, codes_page = enrol_with_page(client)
    assert "Two-step sign-in is on" in codes_page
    assert _saved_codes_link(codes_page) == NEXT_STEP  # on with the form, not to Security
    assert client.get(NEXT_STEP).status_code == 200
    # Set up mid-session (the password long past), it is not a confirmation that it's the seller.
    assert client.get("/account/security/password", follow_redirects=False).headers["location"].startswith(
        "/account/security/confirm")


def test_the_seller_who_leaves_the_ask_is_asked_again_and_still_goes_on_to_the_next_step(sandboxed_client, inbox):
    client = sandboxed_client
    asked_for_two_step(client, inbox, EMAIL)
    for elsewhere in ("/status/", "/payouts", "/dashboard", "/onboarding/identity"):
        assert client.get(elsewhere, follow_redirects=False).headers["location"] == SETUP, elsewhere
    _, codes_page = enrol_with_page(client)
    assert _saved_codes_link(codes_page) == NEXT_STEP  # the step the form was going to, not the last page tried


def test_signed_out_at_the_ask_the_seller_is_asked_at_sign_in_and_lands_home_not_on_security(sandboxed_client, inbox):
    client = sandboxed_client
    asked_for_two_step(client, inbox, EMAIL)
    post_form(client, "/account/logout", {}, page=SETUP)
    assert log_in(client, EMAIL).headers["location"] == SETUP
    key, codes_page = enrol_with_page(client)
    assert _saved_codes_link(codes_page) == "/dashboard"
    assert "Continue setting up payouts" in client.get("/dashboard").text
    # And the next sign-in asks for the code (the shared helper types it).
    post_form(client, "/account/logout", {}, page="/dashboard")
    # enrol_with_page typed the current code: the shared helper types the next one.
    client.two_factor_key, client.two_factor_step = key, int(time.time()) // 30
    assert sign_in_with_code(client, EMAIL).headers["location"] == "/dashboard"


def test_a_passkey_is_the_second_step_at_that_moment_too(sandboxed_client, inbox):
    client = sandboxed_client
    asked_for_two_step(client, inbox, EMAIL)
    added = add_passkey(client, SoftAuthenticator(), page=SETUP)
    assert added.json()["redirect"] == NEXT_STEP
    assert client.get(NEXT_STEP).status_code == 200


def test_a_session_signed_in_before_the_account_existed_is_asked_on_its_next_page(sandboxed_client, inbox):
    client = sandboxed_client
    signed_in_seller(client, inbox, EMAIL)
    other = staff_browser(client)  # the seller's phone, signed in while there was no account yet
    assert log_in(other, EMAIL).headers["location"] == "/dashboard"
    assert other.get("/dashboard", follow_redirects=False).status_code == 200
    submit(client, "business", {"country": "US", "business_type": "individual"}, expect="/onboarding/profile")
    post_form(client, "/onboarding/profile", PROFILE)

    assert other.get("/payouts", follow_redirects=False).headers["location"] == SETUP
    _, codes_page = enrol_with_page(other)
    assert _saved_codes_link(codes_page) == "/payouts"


def test_staff_viewing_as_the_seller_are_never_asked(sandboxed_client, inbox):
    asked_for_two_step(sandboxed_client, inbox, EMAIL)  # the seller has an account and no second step
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    assert start_viewing(staff, seller_id(sandboxed_client, EMAIL)).status_code == 303
    for page in ("/dashboard", "/status/", "/payouts"):
        shown = staff.get(page, follow_redirects=False)
        assert shown.status_code == 200 and 'id="view-as-banner"' in shown.text, page
