"""Build a whole Connect world through the SDK and hold every object the sandbox returns to
the shape of Stripe's published fixture for the same resource (see shapes.py)."""

import io
import json

import pytest

from tests.sandbox.conftest import call_helper
from tests.sandbox.money import bank, create_seller, fund_platform, on, pay
from tests.sandbox.onboarding import CAPABILITIES, PLATFORM_COLLECTED, tos
from tests.sandbox.shapes import assert_stripe_shape, fixtures

# Stripe never serves these again after the create, so what the sandbox stores for them is its
# own record, not an API object.
CREATE_ONLY = {"account_link", "account_session", "login_link"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Seen:
    """Every raw response body, by what produced it."""

    def __init__(self):
        self.bodies: list[tuple[str, dict]] = []

    def __call__(self, label: str, obj):
        self.bodies.append((label, obj.last_response.data))
        return obj

    def objects(self):
        for label, body in self.bodies:
            if body.get("object") == "list":
                for index, item in enumerate(body["data"]):
                    yield f"{label}.data[{index}]", item
            else:
                yield label, body


def call_helper_object(client, path: str, **params):
    """A test helper's answer, carried like an SDK object so Seen can record it."""
    response = client.raw_request("post", path, **params)
    return type("Raw", (), {"last_response": type("Last", (), {"data": json.loads(response.body)})})()


def upload(client, purpose: str, account: str | None = None):
    blob = io.BytesIO(PDF)
    blob.name = "evidence.pdf"
    return client.v1.files.create(params={"purpose": purpose, "file": blob}, options=on(account) if account else {})


def build_world(client, sandbox_url, sandbox) -> Seen:
    seen = Seen()
    seen("platform account", client.v1.accounts.retrieve_current())
    seller = seen("seller", create_seller(client))
    seen("seller retrieved", client.v1.accounts.retrieve(seller.id, params={"expand": ["individual"]}))
    seen("accounts", client.v1.accounts.list())
    seen("capabilities", client.v1.accounts.capabilities.list(seller.id))
    seen("capability", client.v1.accounts.capabilities.retrieve(seller.id, "card_payments"))
    seen("country spec", client.v1.country_specs.retrieve("US"))

    company = seen("company", client.v1.accounts.create(params={
        "country": "US", "business_type": "company", "controller": PLATFORM_COLLECTED,
        "capabilities": CAPABILITIES, "tos_acceptance": tos(),
        "company": {"name": "Shapes Ltd", "tax_id": "000000000", "phone": "0000000000",
                    "address": {"line1": "address_full_match", "city": "Austin", "state": "TX",
                                "postal_code": "78701"}},
    }))
    person = seen("person", client.v1.accounts.persons.create(company.id, params={
        "first_name": "Ada", "last_name": "Owner", "email": "ada@example.com",
        "relationship": {"representative": True, "owner": True, "title": "CEO", "percent_ownership": 100},
        "dob": {"day": 1, "month": 1, "year": 1901}, "ssn_last_4": "0000",
    }))
    seen("persons", client.v1.accounts.persons.list(company.id))
    extra = seen("second person", client.v1.accounts.persons.create(company.id, params={"first_name": "Bob"}))
    seen("deleted person", client.v1.accounts.persons.delete(company.id, extra.id))
    seen("bank account", client.v1.accounts.external_accounts.create(company.id, params={"external_account": bank()}))
    card = seen("debit card", client.v1.accounts.external_accounts.create(company.id, params={
        "external_account": {"object": "card", "number": "4000056655665556", "exp_month": 12, "exp_year": 2034,
                             "currency": "usd"},
    }))
    seen("external accounts", client.v1.accounts.external_accounts.list(company.id))
    seen("deleted card", client.v1.accounts.external_accounts.delete(company.id, card.id))

    identity = seen("file", upload(client, "identity_document", company.id))
    seen("files", client.v1.files.list(options=on(company.id)))
    seen("person with document", client.v1.accounts.persons.update(company.id, person.id, params={
        "verification": {"document": {"front": identity.id}},
        "expand": ["verification.document.front"],
    }))

    fund_platform(client)
    direct = seen("direct payment", pay(client, 5_000, account=seller.id, application_fee_amount=300,
                                        expand=["latest_charge"]))
    destination = seen("destination payment", pay(client, 8_000, application_fee_amount=500,
                                                  transfer_data={"destination": seller.id}, on_behalf_of=seller.id))
    seen("charge", client.v1.charges.retrieve(destination.latest_charge,
                                              params={"expand": ["balance_transaction", "transfer"]}))
    seen("charges", client.v1.charges.list(options=on(seller.id)))
    seen("payment intents", client.v1.payment_intents.list())
    seen("refund", client.v1.refunds.create(params={"payment_intent": direct.id, "amount": 1_000},
                                            options=on(seller.id)))
    seen("application fees", client.v1.application_fees.list())
    fee = client.v1.application_fees.list().data[0]
    seen("fee refund", client.v1.application_fees.refunds.create(fee.id, params={"amount": 100}))

    transfer = seen("transfer", client.v1.transfers.create(params={"amount": 2_000, "currency": "usd",
                                                                    "destination": seller.id}))
    seen("reversal", client.v1.transfers.reversals.create(transfer.id, params={"amount": 500}))
    seen("transfers", client.v1.transfers.list())
    platform = client.v1.accounts.retrieve_current().id
    debit = seen("account debit", client.v1.transfers.create(
        params={"amount": 200, "currency": "usd", "destination": platform, "description": "Recovering a refund"},
        options=on(seller.id)))
    seen("account's transfers", client.v1.transfers.list(options=on(seller.id)))
    seen("account debit payment", client.v1.charges.retrieve(debit.destination_payment))
    seen("balance", client.v1.balance.retrieve(options=on(seller.id)))
    seen("balance transactions", client.v1.balance_transactions.list(options=on(seller.id)))
    seen("payout", client.v1.payouts.create(params={"amount": 300, "currency": "usd"}, options=on(seller.id)))
    seen("payouts", client.v1.payouts.list(options=on(seller.id)))
    sandbox.config.verification_delay = 3600  # the bank has not taken the next payout yet
    pending = client.v1.payouts.create(params={"amount": 100, "currency": "usd"}, options=on(seller.id))
    seen("canceled payout", client.v1.payouts.cancel(pending.id, options=on(seller.id)))
    sandbox.config.verification_delay = 0
    seen("platform balance", client.v1.balance.retrieve())
    transaction = client.v1.balance_transactions.list(options=on(seller.id)).data[0]
    seen("balance transaction", client.v1.balance_transactions.retrieve(transaction.id, options=on(seller.id)))
    seen("payment method", client.v1.payment_methods.retrieve(destination.payment_method))
    held = client.v1.payment_intents.create(params={
        "amount": 2_500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual",
    })
    seen("captured payment", client.v1.payment_intents.capture(held.id, params={"amount_to_capture": 2_000}))
    unconfirmed = client.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})
    seen("canceled payment", client.v1.payment_intents.cancel(unconfirmed.id))
    seen("refunds", client.v1.refunds.list(options=on(seller.id)))

    disputed = pay(client, 3_000, "pm_card_createDispute", account=seller.id)
    dispute = client.v1.disputes.list(options=on(seller.id)).data[0]
    evidence = upload(client, "dispute_evidence", seller.id)
    seen("dispute", client.v1.disputes.update(dispute.id, params={
        "evidence": {"uncategorized_file": evidence.id, "uncategorized_text": "winning_evidence"},
        "submit": True,
    }, options=on(seller.id)))
    seen("disputes", client.v1.disputes.list(options=on(seller.id)))
    pay(client, 1_000, "pm_card_createDispute", account=seller.id)
    second = next(d for d in client.v1.disputes.list(options=on(seller.id)).data if d.status == "needs_response")
    seen("closed dispute", client.v1.disputes.close(second.id, options=on(seller.id)))
    assert disputed.status == "succeeded"

    seen("account link", client.v1.account_links.create(params={
        "account": company.id, "type": "account_onboarding",
        "refresh_url": "https://example.com/refresh", "return_url": "https://example.com/return",
    }))
    express = seen("express account", client.v1.accounts.create(params={"country": "US", "type": "express"}))
    seen("login link", client.v1.accounts.login_links.create(express.id))
    seen("account session", client.v1.account_sessions.create(params={
        "account": seller.id, "components": {"payouts": {"enabled": True}},
    }))
    endpoint = seen("webhook endpoint", client.v1.webhook_endpoints.create(params={
        "url": sandbox_url + "/nowhere", "enabled_events": ["*"], "connect": True,
    }))
    seen("webhook endpoints", client.v1.webhook_endpoints.list())
    seen("deleted webhook endpoint", client.v1.webhook_endpoints.delete(endpoint.id))
    call_helper(client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=10 * 86400)

    for account in (None, seller.id, company.id):
        for event in client.v1.events.list(params={"limit": 100}, options=on(account) if account else {}).data:
            seen(f"event {event.type}", client.v1.events.retrieve(event.id, options=on(account) if account else {}))
    seen("added requirement", call_helper_object(client, f"/v1/test_helpers/accounts/{seller.id}/requirements",
                                                 field="individual.verification.additional_document"))
    seen("capability update", client.v1.accounts.capabilities.update(
        company.id, "card_payments", params={"requested": True}))
    seen("rejected account", client.v1.accounts.reject(express.id, params={"reason": "fraud_other"}))
    spare = seen("spare account", client.v1.accounts.create(params={"country": "US", "controller": PLATFORM_COLLECTED}))
    seen("deleted account", client.v1.accounts.delete(spare.id))
    return seen


def test_every_object_the_sandbox_returns_has_stripes_shape(stripe_client, sandbox_url, sandbox):
    seen = build_world(stripe_client, sandbox_url, sandbox)
    problems, kinds = [], set()
    for label, obj in seen.objects():
        resource = ("deleted_" + obj["object"]) if obj.get("deleted") is True else obj["object"]
        kinds.add(resource)
        try:
            assert_stripe_shape(obj, resource)
        except AssertionError as error:
            problems.append(f"[{label}] {error}")
    assert not problems, "\n".join(problems)
    expected = {
        "account", "capability", "country_spec", "person", "deleted_person", "bank_account", "card",
        "deleted_card", "file", "payment_intent", "charge", "refund", "application_fee", "fee_refund",
        "transfer", "transfer_reversal", "balance", "balance_transaction", "payout", "dispute",
        "account_link", "login_link", "account_session", "webhook_endpoint", "deleted_webhook_endpoint", "event",
        "deleted_account", "payment_method",
    }
    assert expected <= kinds, expected - kinds


def test_everything_stored_is_stripe_shaped_too(stripe_client, sandbox_url, sandbox):
    """Objects nobody asked for again (events' objects, refunds...) as the store holds them."""
    build_world(stripe_client, sandbox_url, sandbox)
    problems = []
    for (body,) in sandbox.store.execute("SELECT body FROM objects"):
        obj = json.loads(body)
        if obj.get("object") in fixtures() and obj["object"] not in CREATE_ONLY:
            try:
                assert_stripe_shape(obj)
            except AssertionError as error:
                problems.append(str(error))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("resource", ["account", "capability", "webhook_endpoint", "payout", "person", "dispute"])
def test_the_checker_itself_accepts_stripes_own_fixtures(resource):
    assert_stripe_shape(fixtures()[resource], resource)


def test_the_checker_catches_missing_extra_and_mistyped_keys():
    good = dict(fixtures()["payout"])
    for broken, expected in [
        ({k: v for k, v in good.items() if k != "amount"}, "payout.amount: missing"),
        ({**good, "secret_bank_number": "000123456789"}, "payout.secret_bank_number: not a key Stripe sends"),
        ({**good, "amount": "1100"}, "payout.amount: string, the fixture has number"),
        ({**good, "trace_id": {"status": "supported", "value": 5, "extra": 1}}, "payout.trace_id.extra"),
    ]:
        with pytest.raises(AssertionError, match=expected):
            assert_stripe_shape(broken, "payout")
