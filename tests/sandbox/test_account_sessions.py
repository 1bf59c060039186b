"""Account sessions through the SDK, and the client-secret rules of the Connect.js data API."""

import io

import httpx
import pytest
import stripe

from tests.sandbox.shapes import assert_stripe_shape

PLATFORM_COLLECTED = {
    "requirement_collection": "application",
    "losses": {"payments": "application"},
    "fees": {"payer": "application"},
    "stripe_dashboard": {"type": "none"},
}
STRIPE_COLLECTED = {
    "requirement_collection": "stripe",
    "losses": {"payments": "stripe"},
    "fees": {"payer": "account"},
    "stripe_dashboard": {"type": "full"},
}


def create_account(client, controller=PLATFORM_COLLECTED) -> str:
    account = client.v1.accounts.create(params={
        "country": "US",
        "controller": controller,
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    })
    return account.id


def create_session(client, account, **components):
    return client.v1.account_sessions.create(params={"account": account, "components": components})


def test_session_has_every_component_with_stripes_defaults(stripe_client, sandbox):
    account = create_account(stripe_client)
    session = create_session(stripe_client, account, payouts={"enabled": True}, disputes_list={"enabled": True})

    assert_stripe_shape(session.last_response.data)
    assert session.object == "account_session"
    assert session.account == account
    assert session.client_secret.startswith("accs_secret__")
    assert 25 * 60 <= session.expires_at - sandbox.now() <= 30 * 60
    assert set(session.components.to_dict()) == set(stripe.AccountSession.Components.__annotations__)
    payouts = session.components.payouts
    assert payouts.enabled is True
    # The platform is liable, so payouts and schedule edits are off unless asked for.
    assert payouts.features.standard_payouts is False
    assert payouts.features.edit_payout_schedule is False
    assert payouts.features.external_account_collection is True
    assert payouts.features.disable_stripe_user_authentication is False
    disputes = session.components.disputes_list.features
    assert (disputes.dispute_management, disputes.refund_management, disputes.capture_payments) == (True, True, True)
    assert disputes.smart_disputes_management is True
    assert disputes.destination_on_behalf_of_charge_management is False
    assert session.components.payments.enabled is False


def test_payout_features_default_on_when_stripe_is_liable(stripe_client):
    account = create_account(stripe_client, STRIPE_COLLECTED)
    features = create_session(stripe_client, account, balances={"enabled": True}).components.balances.features
    assert features.standard_payouts is True
    assert features.edit_payout_schedule is True


def test_given_features_are_kept_and_drive_their_dependents(stripe_client):
    account = create_account(stripe_client)
    session = create_session(
        stripe_client,
        account,
        payouts={"enabled": True, "features": {"standard_payouts": True, "external_account_collection": False}},
        payments={"enabled": True, "features": {"dispute_management": False}},
    )
    payouts = session.components.payouts.features
    assert payouts.standard_payouts is True
    # Stripe user authentication defaults to the opposite of external account collection.
    assert payouts.disable_stripe_user_authentication is True
    assert session.components.payments.features.smart_disputes_management is False


@pytest.mark.parametrize("feature, value", [
    ("disable_stripe_user_authentication", True),
    ("external_account_collection", False),
])
def test_platform_only_features_are_refused_when_stripe_collects(stripe_client, feature, value):
    account = create_account(stripe_client, STRIPE_COLLECTED)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(stripe_client, account, account_management={"enabled": True, "features": {feature: value}})
    assert raised.value.http_status == 400
    assert raised.value.param == f"components[account_management][features][{feature}]"
    assert "requirement_collection" in raised.value.user_message


def test_platform_collected_accounts_may_turn_off_stripe_authentication(stripe_client):
    account = create_account(stripe_client)
    features = create_session(
        stripe_client, account,
        account_management={"enabled": True, "features": {"disable_stripe_user_authentication": True}},
    ).components.account_management.features
    assert features.disable_stripe_user_authentication is True


@pytest.mark.parametrize("components, param", [
    ({"payouts": {"enabled": True, "features": {"refund_management": True}}}, "components[payouts][features][refund_management]"),
    ({"onboarding": {"enabled": True}}, "components[onboarding]"),
    ({"payouts": {"features": {"standard_payouts": True}}}, "components[payouts][enabled]"),
])
def test_unknown_or_missing_params_are_refused(stripe_client, components, param):
    account = create_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.account_sessions.create(params={"account": account, "components": components})
    assert raised.value.param == param


def test_unknown_account_is_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(stripe_client, "acct_1NoSuchAccount00", payouts={"enabled": True})
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert raised.value.param == "account"


def test_client_secret_is_never_stored(stripe_client, sandbox):
    account = create_account(stripe_client)
    secret = create_session(stripe_client, account, payouts={"enabled": True}).client_secret
    rows = sandbox.store.execute("SELECT body, private FROM objects")
    assert rows
    assert not any(secret in body or secret in private for body, private in rows)


# --- spending the secret: the Connect.js stand-in's data API ---------------------------------------

PAGE_A, PAGE_B = "a" * 32, "b" * 32


def connect_call(base_url, method, path, secret, page=PAGE_A, component=None, data=None):
    headers = {"Authorization": f"Bearer {secret}", "Connect-Page": page}
    if component:
        headers["Connect-Component"] = component
    return httpx.request(method, f"{base_url}/_connect/v1/{path}", headers=headers, data=data)


def test_a_secret_is_claimed_by_one_page_load(stripe_client, sandbox_url):
    account = create_account(stripe_client)
    secret = create_session(stripe_client, account, payouts_list={"enabled": True}).client_secret

    claimed = connect_call(sandbox_url, "POST", "session", secret)
    assert claimed.status_code == 200
    assert claimed.json()["account"] == account
    assert claimed.json()["components"]["payouts_list"]["enabled"] is True
    assert connect_call(sandbox_url, "POST", "session", secret).status_code == 200  # same page again

    reused = connect_call(sandbox_url, "POST", "session", secret, page=PAGE_B)
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "account_session_used"
    stolen = connect_call(sandbox_url, "GET", "payouts", secret, page=PAGE_B, component="payouts-list")
    assert stolen.status_code == 401


def test_unknown_and_expired_secrets_fail(stripe_client, sandbox, sandbox_url):
    account = create_account(stripe_client)
    secret = create_session(stripe_client, account, payouts_list={"enabled": True}).client_secret

    unknown = connect_call(sandbox_url, "POST", "session", "accs_secret__" + "x" * 48)
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "account_session_invalid"

    assert connect_call(sandbox_url, "POST", "session", secret).status_code == 200
    sandbox.advance_clock(30 * 60 + 1)
    expired = connect_call(sandbox_url, "GET", "payouts", secret, component="payouts-list")
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "account_session_expired"


def test_logout_ends_the_session(stripe_client, sandbox_url):
    account = create_account(stripe_client)
    secret = create_session(stripe_client, account, payouts_list={"enabled": True}).client_secret
    assert connect_call(sandbox_url, "POST", "session", secret).status_code == 200
    assert connect_call(sandbox_url, "POST", "logout", secret).status_code == 200
    after = connect_call(sandbox_url, "GET", "payouts", secret, component="payouts-list")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "account_session_ended"


def test_components_read_only_what_the_session_enables(stripe_client, sandbox_url):
    account = create_account(stripe_client)
    secret = create_session(stripe_client, account, payouts_list={"enabled": True}).client_secret
    assert connect_call(sandbox_url, "POST", "session", secret).status_code == 200

    assert connect_call(sandbox_url, "GET", "payouts", secret, component="payouts-list").status_code == 200
    disabled = connect_call(sandbox_url, "GET", "disputes", secret, component="disputes-list")
    assert disabled.status_code == 403
    assert disabled.json()["error"]["code"] == "account_session_component_disabled"
    # An enabled component cannot read what it does not show.
    assert connect_call(sandbox_url, "GET", "balance", secret, component="payouts-list").status_code == 403


def test_a_feature_that_is_off_allows_no_action(stripe_client, sandbox_url):
    account = create_account(stripe_client)
    secret = create_session(stripe_client, account, payouts={"enabled": True}).client_secret  # standard_payouts off
    assert connect_call(sandbox_url, "POST", "session", secret).status_code == 200
    refused = connect_call(sandbox_url, "POST", "payouts", secret, component="payouts",
                           data={"amount": "100", "currency": "usd"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_session_feature_disabled"


def verified_seller(client) -> str:
    account = client.v1.accounts.create(params={
        "country": "US", "business_type": "individual", "email": "seller@shop.example",
        "controller": PLATFORM_COLLECTED,
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"},
        "individual": {
            "first_name": "Jenny", "last_name": "Rosen", "email": "seller@shop.example", "phone": "0000000000",
            "dob": {"day": 1, "month": 1, "year": 1902}, "id_number": "222222222",
            "address": {"line1": "address_full_match", "city": "Austin", "state": "TX",
                        "postal_code": "78701", "country": "US"},
        },
        "tos_acceptance": {"date": 1700000000, "ip": "127.0.0.1"},
        "external_account": {"object": "bank_account", "country": "US", "currency": "usd",
                             "routing_number": "110000000", "account_number": "000123456789"},
    }).id
    assert client.v1.accounts.retrieve(account).charges_enabled
    return account


def test_evidence_may_only_attach_the_accounts_own_files(stripe_client, sandbox_url):
    seller, other = verified_seller(stripe_client), verified_seller(stripe_client)
    as_seller = {"stripe_account": seller}
    stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_createDispute", "confirm": True,
    }, options=as_seller)
    dispute = stripe_client.v1.disputes.list(options=as_seller).data[0].id
    foreign = stripe_client.v1.files.create(params={
        "purpose": "dispute_evidence", "file": io.BytesIO(b"%PDF-1.4\n")}, options={"stripe_account": other})
    secret = create_session(stripe_client, seller, disputes_list={"enabled": True}).client_secret
    assert connect_call(sandbox_url, "POST", "session", secret).status_code == 200

    refused = connect_call(sandbox_url, "POST", f"disputes/{dispute}/evidence", secret, component="disputes-list",
                           data={"evidence[uncategorized_file]": foreign.id})
    assert refused.status_code == 404
    assert refused.json()["error"]["param"] == "evidence[uncategorized_file]"
    assert refused.json()["error"]["message"] == f"No such file upload: '{foreign.id}'"
    # Another account's dispute is not there at all.
    other_secret = create_session(stripe_client, other, disputes_list={"enabled": True}).client_secret
    assert connect_call(sandbox_url, "POST", "session", other_secret, page=PAGE_B).status_code == 200
    assert connect_call(sandbox_url, "POST", f"disputes/{dispute}/evidence", other_secret, page=PAGE_B,
                        component="disputes-list", data={"evidence[uncategorized_text]": "x"}).status_code == 404

    own = stripe_client.v1.files.create(params={
        "purpose": "dispute_evidence", "file": io.BytesIO(b"%PDF-1.4\n")}, options=as_seller)
    accepted = connect_call(sandbox_url, "POST", f"disputes/{dispute}/evidence", secret, component="disputes-list",
                            data={"evidence[uncategorized_file]": own.id})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "under_review"
