"""A platform in one country with sellers in another: the service agreement and capabilities the
portal applies at account creation, what the terms step says, and the countries it refuses
(countries/crossborder.py), against a sandbox that enforces the same rules."""

import pytest

from portal import countries
from portal.connect.mirror import account_for_seller
from portal.sandbox.testing import fast_config
from portal.settings import Settings, SettingsError
from tests.countries.flows import COUNTRY_ANSWERS
from tests.onboarding.flows import PROFILE, field_errors, signed_in_seller, submit


@pytest.mark.parametrize("platform, seller, agreement", [
    ("US", "US", "full"), ("US", "GB", "full"), ("US", "CA", "full"), ("US", "CH", "full"), ("US", "DE", "full"),
    ("US", "AU", "recipient"), ("US", "JP", "recipient"), ("US", "NZ", "recipient"), ("US", "SG", "recipient"),
    ("GB", "DE", "full"), ("DE", "US", "full"), ("CH", "CA", "full"), ("AU", "AU", "full"), ("SG", "SG", "full"),
    ("GB", "AU", None), ("DE", "SG", None), ("AU", "NZ", None), ("AU", "US", None), ("SG", "GB", None),
])
def test_the_agreement_follows_stripes_cross_border_rules(platform, seller, agreement):
    terms = countries.terms_for(platform, seller)
    assert (terms.agreement if terms else None) == agreement
    if agreement == "recipient":
        assert terms.capabilities == {"transfers": {"requested": True}} and not terms.takes_card_payments
    elif agreement == "full":
        assert set(terms.capabilities) == {"card_payments", "transfers"}


def test_seller_countries_leave_out_what_the_platform_cannot_serve(tmp_path):
    assert "AU" in countries.seller_countries("", "US") and "AU" not in countries.seller_countries("", "GB")
    unserved = {c.code for c in countries.unserved("GB")}
    assert {"AU", "NZ", "SG"} <= unserved and not {"US", "CA", "DE", "CH"} & unserved
    assert countries.unserved("US") == []
    with pytest.raises(SettingsError) as refused:
        Settings(PORTAL_VAR_DIR=tmp_path, platform_country="GB", seller_countries="DE,AU")
    assert "GB" in str(refused.value) and "AU" in str(refused.value)


def _to_review(client, inbox, country: str):
    answers = COUNTRY_ANSWERS[country]
    signed_in_seller(client, inbox, "ann@annsbakery.com")
    submit(client, "business", {"country": country, "business_type": "individual"}, expect="/onboarding/profile")
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")
    submit(client, "business-email", {"business_email": "ann@annsbakery.com"}, expect="/onboarding/identity")
    submit(client, "identity", answers["identity"], expect="/onboarding/bank")
    submit(client, "bank", answers["bank"], expect="/onboarding/review")
    return client.get("/onboarding/review").text


def test_a_seller_beyond_the_region_is_a_recipient_and_is_told_so(sandboxed_client, inbox, stripe_sandbox):
    review = _to_review(sandboxed_client, inbox, "NZ")
    assert "Stripe Recipient Agreement" in review and "connect-account/legal/recipient" in review
    assert "takes the payments from your customers" in review and "Connected Account Agreement" not in review
    snapshot = account_for_seller(sandboxed_client.app.state.db, 1).snapshot
    assert snapshot["tos_acceptance"]["service_agreement"] == "recipient"
    assert set(snapshot["capabilities"]) == {"transfers"}
    submit(sandboxed_client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
    sandbox, _ = stripe_sandbox
    with sandbox.store.transaction():
        account = sandbox.store.get(snapshot["id"])
    assert account["payouts_enabled"] and account["capabilities"] == {"transfers": "active"}


def test_a_seller_in_the_region_keeps_the_full_agreement(sandboxed_client, inbox):
    review = _to_review(sandboxed_client, inbox, "CH")
    assert "Stripe Connected Account Agreement" in review and "Recipient Agreement" not in review
    snapshot = account_for_seller(sandboxed_client.app.state.db, 1).snapshot
    assert snapshot["tos_acceptance"]["service_agreement"] == "full"
    assert set(snapshot["capabilities"]) == {"card_payments", "transfers"}


@pytest.fixture
def uk_platform_client(settings, stripe_sandbox):
    """The portal of a platform in the UK, on a sandbox whose platform is in the UK."""
    from starlette.testclient import TestClient

    from portal.app import create_app
    from portal.db import Database

    sandbox, url = stripe_sandbox
    sandbox.reset(fast_config(db_path=sandbox.config.db_path, platform_country="GB"))
    uk = settings.model_copy(update={"stripe_api_base": url, "sandbox_embedded": False, "platform_country": "GB"})
    Database(uk.database_url).migrate()
    with TestClient(create_app(uk), base_url="http://testserver", client=("203.0.113.9", 50000)) as client:
        yield client


def test_a_uk_platform_refuses_a_country_stripe_will_not_serve_next_to_the_field(uk_platform_client, inbox):
    signed_in_seller(uk_platform_client, inbox, "ann@annsbakery.com")
    page = uk_platform_client.get("/onboarding/business").text
    assert 'value="AU"' not in page and 'value="DE"' in page
    assert "can't onboard businesses in Australia" in page
    response = submit(uk_platform_client, "business", {"country": "AU", "business_type": "individual"})
    assert response.status_code == 400
    error = field_errors(response.text)["country"]
    assert "Australia" in error and "United Kingdom" in error
    assert 'value="individual" checked' in response.text  # the rest of what was typed is kept
