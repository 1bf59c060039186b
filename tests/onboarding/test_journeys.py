"""Onboarding end to end through the portal's pages against the offline Stripe sandbox."""

import logging
import re

from sqlmodel import select

from portal.connect.mirror import account_for_seller
from portal.onboarding.models import DraftPerson
from portal.sandbox.config import FaultRule
from tests.conftest import log_in, post_form, sign_up
from tests.onboarding.flows import (
    BANK, COMPANY, COMPANY_PROFILE, IDENTITY, OWNER, PROFILE, field_errors, general_error, onboard_individual,
    signed_in_seller, submit,
)


def _account(client, seller_id: int = 1) -> dict:
    return account_for_seller(client.app.state.db, seller_id).snapshot


def _stripe_account(stripe_sandbox, account_id: str) -> dict:
    sandbox, _ = stripe_sandbox
    with sandbox.store.transaction():
        return sandbox.store.get(account_id)


def _refresh(client):
    return post_form(client, "/status/refresh", {}, page="/status/")


def test_individual_goes_from_sign_up_to_verified(sandboxed_client, inbox, stripe_sandbox):
    onboard_individual(sandboxed_client, inbox)
    status = _refresh(sandboxed_client)
    assert 'id="account-status">Verified<' in status.text
    account = _stripe_account(stripe_sandbox, _account(sandboxed_client)["id"])
    assert account["charges_enabled"] and account["payouts_enabled"]
    assert account["controller"]["requirement_collection"] == "application"
    assert account["controller"]["losses"]["payments"] == "application"
    assert account["controller"]["fees"]["payer"] == "application"
    assert account["controller"]["stripe_dashboard"]["type"] == "none"
    assert set(account["capabilities"]) == {"card_payments", "transfers"}
    assert account["business_profile"]["mcc"] == "5462"
    assert account["individual"]["first_name"] == "Ann"
    assert account["tos_acceptance"]["ip"] == "203.0.113.9"
    assert account["tos_acceptance"]["user_agent"] == "testclient"
    # Only the bank's name and last four are kept and shown.
    review = sandboxed_client.get("/onboarding/review").text
    assert "STRIPE TEST BANK ••••6789" in review and "000123456789" not in review


def test_company_with_an_owner_goes_from_sign_up_to_verified(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    signed_in_seller(client, inbox, "jenny@rocketrides.io")
    submit(client, "business", {"country": "US", "business_type": "company", "structure": "multi_member_llc"}, expect="/onboarding/profile")
    submit(client, "profile", COMPANY_PROFILE, expect="/onboarding/business-email")
    submit(client, "business-email", {"business_email": "jenny@rocketrides.io"}, expect="/onboarding/company")
    submit(client, "company", COMPANY, expect="/onboarding/people")
    # Continuing without a representative is refused.
    refused = submit(client, "people", {"owners_provided": "on", "directors_provided": "on", "executives_provided": "on"})
    assert "representative" in field_errors(refused.text)["people"]
    added = post_form(client, "/onboarding/people/new", OWNER, follow_redirects=False)
    assert added.status_code == 303, field_errors(added.text)
    submit(client, "people", {"owners_provided": "on", "directors_provided": "on", "executives_provided": "on"}, expect="/onboarding/bank")
    submit(client, "bank", {**BANK, "account_holder_name": "Rocket Rides LLC"}, expect="/onboarding/review")
    submit(client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
    assert 'id="account-status">Verified<' in _refresh(client).text
    account = _stripe_account(stripe_sandbox, _account(client)["id"])
    assert account["business_type"] == "company" and account["company"]["owners_provided"]
    sandbox, _ = stripe_sandbox
    with sandbox.store.transaction():
        people = sandbox.store.list("person", owner=account["id"])
    assert [(p["first_name"], p["relationship"]["representative"], p["relationship"]["owner"]) for p in people] == [("Jenny", True, True)]
    with client.app.state.db.transaction() as session:
        assert session.exec(select(DraftPerson)).one().stripe_person_id == people[0]["id"]


def test_a_person_can_be_edited_and_removed(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    signed_in_seller(client, inbox, "jenny@rocketrides.io")
    submit(client, "business", {"country": "US", "business_type": "company", "structure": "private_corporation"})
    submit(client, "profile", COMPANY_PROFILE)
    submit(client, "business-email", {"business_email": "jenny@rocketrides.io"})
    submit(client, "company", COMPANY)
    post_form(client, "/onboarding/people/new", OWNER)
    # A share written with a decimal comma, as most of the portal's languages write it.
    second = {**OWNER, "first_name": "Sam", "email": "sam@rocketrides.io", "representative": "", "percent_ownership": "29,5",
              "executive": ""}
    bad = post_form(client, "/onboarding/people/new", {**second, "percent_ownership": "130"})
    assert "between 0 and 100" in field_errors(bad.text)["percent_ownership"]
    with client.app.state.db.transaction() as session:
        drafts = session.exec(select(DraftPerson).order_by(DraftPerson.id)).all()
    post_form(client, f"/onboarding/people/{drafts[1].id}", second, page="/onboarding/people")
    edited = post_form(client, f"/onboarding/people/{drafts[0].id}", {**OWNER, "percent_ownership": "70", "title": "Founder"}, follow_redirects=False)
    assert edited.status_code == 303
    sandbox, _ = stripe_sandbox
    account_id = _account(client)["id"]
    with sandbox.store.transaction():
        people = {p["first_name"]: p for p in sandbox.store.list("person", owner=account_id)}
    assert people["Jenny"]["relationship"]["title"] == "Founder" and people["Jenny"]["relationship"]["percent_ownership"] == 70
    assert people["Sam"]["relationship"]["percent_ownership"] == 29.5
    post_form(client, f"/onboarding/people/{drafts[1].id}/delete", {}, page="/onboarding/people")
    with sandbox.store.transaction():
        assert [p["first_name"] for p in sandbox.store.list("person", owner=account_id)] == ["Jenny"]
    assert "Sam" not in client.get("/onboarding/people").text


def test_a_non_test_account_number_is_refused_next_to_its_field(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "bank")
    response = submit(client, "bank", {**BANK, "account_number": "000123456780", "account_number_confirm": "000123456780"})
    assert response.status_code == 400
    assert "account_number" in field_errors(response.text)
    submit(client, "bank", BANK, expect="/onboarding/review")


def test_routing_numbers_are_checked_before_stripe_sees_them(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "bank")
    calls = client.app.state.stripe.calls
    response = submit(client, "bank", {**BANK, "routing_number": "110000001", "account_number_confirm": "000123456788"})
    errors = field_errors(response.text)
    assert set(errors) == {"routing_number", "account_number"}
    assert client.app.state.stripe.calls == calls


def test_an_unrelated_error_keeps_the_typed_account_number_for_that_response_only(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "bank")
    response = submit(client, "bank", {**BANK, "routing_number": "110000001"})
    assert set(field_errors(response.text)) == {"routing_number"}
    boxes = re.findall(r'<input id="(account_number(?:_confirm)?)"[^>]*value="([^"]*)"', response.text)
    assert boxes == [("account_number", BANK["account_number"]), ("account_number_confirm", BANK["account_number"])]
    # Never stored: the next view of the step starts empty again.
    assert BANK["account_number"] not in client.get("/onboarding/bank").text
    # When the number itself is wrong, neither box keeps it.
    response = submit(client, "bank", {**BANK, "account_number_confirm": "000123456788"})
    assert "account_number" in field_errors(response.text) and BANK["account_number"] not in response.text


def test_a_failing_ssn_shows_next_to_the_ssn_and_can_be_fixed(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "identity")
    submit(client, "identity", {**IDENTITY, "id_number": "111111111"}, expect="/onboarding/bank")
    submit(client, "bank", BANK, expect="/onboarding/review")
    submit(client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
    status = _refresh(client)
    # The failed check disabled payments and payouts until it is fixed: restricted, with the reason.
    assert 'id="account-status">Restricted<' in status.text
    assert 'class="field-error action__error"' in status.text
    identity = client.get("/onboarding/identity").text
    assert "id_number" in field_errors(identity), field_errors(identity)
    submit(client, "identity", {**IDENTITY, "id_number": "000000000"}, expect="/status/")
    assert 'id="account-status">Verified<' in _refresh(client).text


def test_a_reload_mid_form_keeps_everything_but_the_secrets(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "identity")
    typed = {**IDENTITY, "first_name": "Zoë", "dob": "2020-01-01", "id_number": "123456789"}
    failed = submit(client, "identity", typed)
    assert failed.status_code == 400 and "dob" in field_errors(failed.text)
    page = client.get("/onboarding/identity").text  # a reload, or coming back tomorrow
    assert 'value="Zoë"' in page and 'value="2020-01-01"' in page and 'value="address_full_match"' in page
    assert "123456789" not in page


def test_sensitive_values_never_reach_our_database_or_logs(sandboxed_client, inbox, sandboxed_settings, caplog):
    caplog.set_level(logging.DEBUG)
    client = sandboxed_client
    onboard_until(client, inbox, "identity")
    submit(client, "identity", {**IDENTITY, "id_number": "222222222"}, expect="/onboarding/bank")
    submit(client, "bank", {**BANK, "account_number": "000999999991", "account_number_confirm": "000999999991"})
    submit(client, "bank", {**BANK, "account_number": "000123456780", "account_number_confirm": "000123456780"})
    client.app.state.db.dispose()
    database = (sandboxed_settings.var_dir / "portal.db").read_bytes()
    for path in sandboxed_settings.var_dir.glob("portal.db*"):
        database += path.read_bytes()
    for secret in (b"222222222", b"000999999991", b"000123456780"):
        assert secret not in database
    for secret in ("222222222", "000999999991", "000123456780"):
        assert secret not in caplog.text


def test_a_repeated_submit_never_makes_a_second_account(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    onboard_until(client, inbox, "profile")
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")
    calls = client.app.state.stripe.calls
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")
    assert client.app.state.stripe.calls == calls  # unchanged content is not sent again
    sandbox, _ = stripe_sandbox
    with sandbox.store.transaction():
        assert len([a for a in sandbox.store.list("account") if a.get("metadata", {}).get("seller_id") == "1"]) == 1


def test_a_stripe_outage_keeps_the_answers_and_says_so(sandboxed_client, inbox, stripe_sandbox):
    client = sandboxed_client
    onboard_until(client, inbox, "business-email")
    sandbox, _ = stripe_sandbox
    sandbox.config.faults = [FaultRule(match="POST /v1/accounts/*", kind="500")]
    try:
        changed = submit(client, "profile", {**PROFILE, "product_description": "Bread, cakes and pastries for Portland offices."})
    finally:
        sandbox.config.faults = []
    assert changed.status_code == 400 and "answers are saved" in general_error(changed.text)
    assert "Bread, cakes and pastries" in client.get("/onboarding/profile").text


def test_steps_cannot_be_skipped(sandboxed_client, inbox):
    signed_in_seller(sandboxed_client, inbox, "skip@annsbakery.com")
    response = sandboxed_client.get("/onboarding/bank", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/onboarding/business"
    assert sandboxed_client.get("/onboarding/nonsense").status_code == 404


def test_unconfirmed_sellers_confirm_their_login_email_first(sandboxed_client, inbox):
    sign_up(sandboxed_client, "new@annsbakery.com")
    log_in(sandboxed_client, "new@annsbakery.com")
    assert sandboxed_client.get("/onboarding/", follow_redirects=False).headers["location"] == "/dashboard"


def onboard_until(client, inbox, slug: str, email: str = "ann@annsbakery.com"):
    """Walk an individual seller up to (not including) the step `slug`."""
    signed_in_seller(client, inbox, email)
    plan = [
        ("business", {"country": "US", "business_type": "individual"}),
        ("profile", PROFILE),
        ("business-email", {"business_email": "ann@annsbakery.com"}),
        ("identity", IDENTITY),
        ("bank", BANK),
    ]
    for step, data in plan:
        if step == slug:
            return
        submit(client, step, data)


def test_the_terms_are_links_and_the_platform_terms_are_asked_only_when_the_platform_has_some(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "review")
    page = client.get("/onboarding/review").text
    assert 'href="https://stripe.com/connect-account/legal/full"' in page
    assert 'name="accept_platform"' not in page  # no SELLER_TERMS_URL: nothing of the platform's to agree to
    response = submit(client, "review", {})
    assert set(field_errors(response.text)) == {"accept_stripe"}

    client.app.state.settings.seller_terms_url = "https://platform.example/seller-terms"
    page = client.get("/onboarding/review").text
    assert 'href="https://platform.example/seller-terms"' in page and 'name="accept_platform"' in page
    response = submit(client, "review", {"accept_stripe": "on"})
    assert set(field_errors(response.text)) == {"accept_platform"}
    submit(client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")


def test_what_was_typed_on_a_step_left_by_a_link_is_kept_but_not_sent(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "identity")
    page = client.get("/onboarding/identity").text
    assert 'data-keep-typed="/onboarding/identity/typed"' in page
    calls = client.app.state.stripe.calls
    # What portal.js posts as the page goes away: the form, secrets already left out by the page.
    response = post_form(client, "/onboarding/identity/typed", {"first_name": "Ann", "city": "Springfield", "id_number": "000004321"},
                         page="/onboarding/identity")
    assert response.status_code == 204
    page = client.get("/onboarding/identity").text
    assert 'value="Ann"' in page and 'value="Springfield"' in page and "000004321" not in page
    assert client.app.state.stripe.calls == calls  # kept, not sent
    assert "000004321" not in str(_draft_answers(client))

    # A saved step changes only when saved again: its answers are what Stripe has.
    submit(client, "identity", IDENTITY, expect="/onboarding/bank")
    assert post_form(client, "/onboarding/identity/typed", {"first_name": "Someone"}, page="/onboarding/identity").status_code == 409
    assert "Someone" not in client.get("/onboarding/identity").text
    assert "discards them" in client.get("/onboarding/identity").text


def _draft_answers(client) -> dict:
    from portal.onboarding.models import OnboardingDraft

    with client.app.state.db.transaction() as session:
        return session.get(OnboardingDraft, 1).answers


def test_until_the_seller_submits_the_status_page_speaks_of_progress_not_requirements(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "bank")  # the account exists since the profile step
    page = client.get("/status/").text
    assert 'id="account-status">Setting up<' in page and "4 of 6 steps done" in page
    assert 'href="/onboarding/bank">Continue: Bank account<' in page
    for alarm in ("Past due", "Due now", "Restricted", "Fix it here", "Actions required", 'data-connect-component="notification-banner"'):
        assert alarm not in page, alarm
    assert 'data-connect-component="notification-banner"' not in client.get("/onboarding/bank").text

    submit(client, "bank", BANK, expect="/onboarding/review")
    submit(client, "review", {"accept_stripe": "on"}, expect="/status/")
    page = client.get("/status/").text
    assert "Setting up" not in page and 'data-connect-component="notification-banner"' in page
