"""The onboarding journeys over HTTP with STRIPE_ACCOUNTS_API=v2: the same pages and outcomes as
v1 (test_journeys.py's own tests, run again here on the v2 gateway), the account made through
/v2/core/accounts with the merchant configuration and the platform's responsibilities, and the
mirror's requirements read from v2's entries."""

import pytest

from portal.connect import requirement_model
from portal.integrations.stripe import StripeFailure, StripeGatewayV2
from tests.onboarding import test_journeys
from tests.onboarding.flows import onboard_individual


@pytest.fixture
def sandboxed_settings(settings, stripe_sandbox):
    return settings.model_copy(update={"stripe_api_base": stripe_sandbox[1], "sandbox_embedded": False,
                                       "stripe_accounts_api": "v2"})


# The v1 journeys, unchanged, on the v2 path.
test_individual_goes_from_sign_up_to_verified = test_journeys.test_individual_goes_from_sign_up_to_verified
test_company_with_an_owner_goes_from_sign_up_to_verified = test_journeys.test_company_with_an_owner_goes_from_sign_up_to_verified
test_a_person_can_be_edited_and_removed = test_journeys.test_a_person_can_be_edited_and_removed


def test_the_account_is_made_through_v2_and_its_requirements_read_from_entries(sandboxed_client, inbox, stripe_sandbox,
                                                                              sdk):
    assert isinstance(sandboxed_client.app.state.stripe, StripeGatewayV2)
    onboard_individual(sandboxed_client, inbox)
    snapshot = test_journeys._account(sandboxed_client)
    assert requirement_model.V2_KEY in snapshot  # the model reads v2's entries, not v1's lists
    v2 = sdk.v2.core.accounts.retrieve(snapshot["id"], {"include": ["defaults", "configuration.merchant"]})
    assert v2.dashboard == "none" and v2.applied_configurations == ["merchant"]
    assert v2.defaults.responsibilities.fees_collector == "application"
    assert v2.defaults.responsibilities.losses_collector == "application"
    assert v2.configuration.merchant.capabilities.card_payments.status == "active"


async def test_a_recipient_account_for_cross_border_payouts(stripe_sandbox, sdk):
    """v1's `recipient` service agreement (the countries work's cross-border rule) becomes v2's
    recipient configuration; settings a merchant would have still reach the account through v1."""
    gateway = StripeGatewayV2("sk_test_sandbox", api_base=stripe_sandbox[1], max_network_retries=0)
    account = await gateway.create_account({
        "country": "US", "business_type": "individual", "email": "ann@example.com", "metadata": {"seller_id": "9"},
        "business_profile": {"mcc": "5734"}, "tos_acceptance": {"service_agreement": "recipient"},
        "settings": {"payments": {"statement_descriptor": "ANN JAMS"}},
    }, key="recipient-test")
    assert requirement_model.V2_KEY in account
    assert account["tos_acceptance"]["service_agreement"] == "recipient"
    assert set(account["capabilities"]) == {"transfers"} and account["business_profile"]["mcc"] == "5734"
    v2 = sdk.v2.core.accounts.retrieve(account["id"], {"include": ["defaults"]})
    assert v2.applied_configurations == ["recipient"] and v2.defaults.responsibilities.losses_collector == "application"


async def test_v2_errors_name_the_portals_field(stripe_sandbox):
    gateway = StripeGatewayV2("sk_test_sandbox", api_base=stripe_sandbox[1], max_network_retries=0)
    with pytest.raises(StripeFailure) as refused:
        await gateway.create_account({"country": "US", "business_type": "individual",
                                      "individual": {"dob": {"day": 1, "month": 1, "year": 1890}}}, key="dob-test")
    assert refused.value.param.startswith("individual[dob]"), refused.value
