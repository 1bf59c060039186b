"""The sandbox, as Stripe, for each supported country: its test bank numbers (and their payout
failures), a refused routing code, and a payout in the country's currency."""

import time

import pytest
import stripe

from portal.sandbox.external_accounts import OTHER_TEST_BANK_ACCOUNTS
from portal.sandbox.testing import fast_config
from tests.sandbox.money import advance, event_types, on, pay
from tests.sandbox.onboarding import CAPABILITIES, PLATFORM_COLLECTED

ADDRESSES = {
    "GB": {"line1": "address_full_match", "city": "London", "postal_code": "SW1A 1AA"},
    "DE": {"line1": "address_full_match", "city": "Berlin", "postal_code": "10115"},
    "FR": {"line1": "address_full_match", "city": "Paris", "postal_code": "75001"},
    "CA": {"line1": "address_full_match", "city": "Toronto", "state": "ON", "postal_code": "M5V 3L9"},
    "AU": {"line1": "address_full_match", "city": "Sydney", "state": "NSW", "postal_code": "2000"},
    "CH": {"line1": "address_full_match", "city": "Zürich", "postal_code": "8001"},
    "NZ": {"line1": "address_full_match", "city": "Wellington", "postal_code": "6011"},
    "SG": {"line1": "address_full_match", "postal_code": "018956"},
}
CURRENCY = {"GB": "gbp", "DE": "eur", "FR": "eur", "CA": "cad", "AU": "aud", "CH": "chf", "NZ": "nzd", "SG": "sgd", "JP": "jpy"}
NUMBERS = {  # success, then no_account
    "GB": ("00012345", "11111116"), "CA": ("000123456789", "000111111116"), "AU": ("000123456", "111111116"),
    "JP": ("0001234", "1111116"),
    "DE": ("DE89370400440532013000", "DE62370400440532013001"), "FR": ("FR89370400440532013000", "FR62370400440532013001"),
    "CH": ("CH89370400440532013000", "CH62370400440532013001"), "NZ": ("0000000010", "0111111116"),
    "SG": ("000123456", "111111116"),
}


def _bank(country: str, number: str) -> dict:
    routing = OTHER_TEST_BANK_ACCOUNTS[country]["routing"]
    return {"object": "bank_account", "country": country, "currency": CURRENCY[country], "account_number": number,
            **({"routing_number": routing} if routing else {})}


# Japan: names and address in kana and kanji instead of the plain ones.
JP_PLACE = {"postal_code": "150-0001", "line1": "address_full_match", "country": "JP"}
JP_INDIVIDUAL = {
    "first_name_kana": "ハナコ", "last_name_kana": "ヤマダ", "first_name_kanji": "花子", "last_name_kanji": "山田",
    "address_kana": {**JP_PLACE, "state": "トウキョウト", "city": "シブヤク", "town": "ジングウマエ 3チョウメ"},
    "address_kanji": {**JP_PLACE, "state": "東京都", "city": "渋谷区", "town": "神宮前3丁目"},
}


# Outside the US, Canada, the UK, the EEA and Switzerland a US platform's transfers reach only
# `recipient` accounts (country_specs.full_transfers_allowed).
RECIPIENTS = {"AU", "NZ", "SG", "JP"}


def _seller(client, country: str, number: str, agreement: str | None = None):
    agreement = agreement or ("recipient" if country in RECIPIENTS else "full")
    individual = {"email": "seller@example.com", "phone": "0000000000", "dob": {"day": 1, "month": 1, "year": 1901}}
    if country == "JP":
        individual.update(JP_INDIVIDUAL)
    else:
        individual.update({"first_name": "Jenny", "last_name": "Rosen", "address": {**ADDRESSES[country], "country": country}})
    if country in ("CA", "SG"):
        individual["id_number"] = "000000000"
    account = client.v1.accounts.create(params={
        "country": country, "email": "seller@example.com", "business_type": "individual",
        "controller": PLATFORM_COLLECTED,
        "capabilities": {"transfers": {"requested": True}} if agreement == "recipient" else CAPABILITIES,
        "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"},
        "individual": individual, "tos_acceptance": {"date": int(time.time()) - 5, "ip": "203.0.113.7",
                                                     "service_agreement": agreement},
        "settings": {"payouts": {"schedule": {"interval": "manual"}}},
        "external_account": _bank(country, number),
    })
    return client.v1.accounts.retrieve(account.id)


def _fund(client, seller, currency: str) -> None:
    """Platform funds in the seller's currency, sent on as a transfer (separate charges and transfers)."""
    pay(client, 10_000, "pm_card_bypassPending", currency=currency)
    client.v1.transfers.create(params={"amount": 5_000, "currency": currency, "destination": seller.id})


@pytest.mark.parametrize("country", sorted(NUMBERS))
def test_a_seller_is_verified_and_paid_out_in_the_countrys_currency(stripe_client, country):
    seller = _seller(stripe_client, country, NUMBERS[country][0])
    assert seller.charges_enabled and seller.payouts_enabled, seller.requirements
    assert seller.default_currency == CURRENCY[country]
    bank = seller.external_accounts.data[0]
    assert (bank.country, bank.currency, bank.last4) == (country, CURRENCY[country], NUMBERS[country][0][-4:])
    _fund(stripe_client, seller, CURRENCY[country])
    made = stripe_client.v1.payouts.create(params={"amount": 4_000, "currency": CURRENCY[country]}, options=on(seller.id))
    assert made.currency == CURRENCY[country] and made.destination == bank.id


@pytest.mark.parametrize("country", sorted(NUMBERS))
def test_the_no_account_number_fails_its_payout(stripe_client, country):
    seller = _seller(stripe_client, country, NUMBERS[country][1])
    _fund(stripe_client, seller, CURRENCY[country])
    made = stripe_client.v1.payouts.create(params={"amount": 4_000, "currency": CURRENCY[country]}, options=on(seller.id))
    advance(stripe_client, 4 * 86400)
    failed = stripe_client.v1.payouts.retrieve(made.id, options=on(seller.id))
    assert (failed.status, failed.failure_code) == ("failed", "no_account")
    assert "payout.failed" in event_types(stripe_client, seller.id, "payout.")


@pytest.mark.parametrize("country, bank, param", [
    ("GB", {"routing_number": "200000"}, "[routing_number]"),
    ("JP", {"routing_number": "0001001"}, "[routing_number]"),
    ("JP", {"account_number": "1234567"}, "[account_number]"),
    ("CA", {"routing_number": "12345-678"}, "[routing_number]"),
    ("DE", {"account_number": "DE02120300000000202051"}, "[account_number]"),
    ("CH", {"account_number": "CH9300762011623852957"}, "[account_number]"),
    ("NZ", {"routing_number": "123456"}, "[routing_number]"),
    ("SG", {"routing_number": "7171-001"}, "[routing_number]"),
])
def test_a_non_test_number_is_refused_on_its_param(stripe_client, country, bank, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params={
            "country": country, "controller": PLATFORM_COLLECTED, "capabilities": CAPABILITIES,
            "external_account": {**_bank(country, NUMBERS[country][0]), **bank},
        })
    assert raised.value.param.endswith(param)


def test_a_us_platform_cannot_pay_a_full_account_outside_the_cross_border_region(stripe_client):
    """Stripe: "Funds can't be sent to accounts located in AU when the account is under the `full`
    service agreement"; the same seller on the recipient agreement is paid (the tests above)."""
    seller = _seller(stripe_client, "AU", NUMBERS["AU"][0], agreement="full")
    assert seller.capabilities["transfers"] == "active"
    pay(stripe_client, 10_000, "pm_card_bypassPending", currency="aud")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.transfers.create(params={"amount": 1_000, "currency": "aud", "destination": seller.id})
    assert raised.value.code == "transfers_not_allowed"
    assert "located in AU when the account is under the `full` service agreement" in raised.value.user_message


def test_a_recipient_cannot_ask_for_card_payments(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params={
            "country": "SG", "controller": PLATFORM_COLLECTED, "capabilities": CAPABILITIES,
            "tos_acceptance": {"service_agreement": "recipient"}})
    assert raised.value.param == "capabilities[card_payments]"


@pytest.mark.parametrize("sandbox_config", [fast_config(platform_country="GB")])
def test_a_uk_platform_cannot_create_accounts_beyond_its_transfer_countries(stripe_client, sandbox_config):
    assert stripe_client.v1.accounts.retrieve_current().country == "GB"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params={"country": "AU", "controller": PLATFORM_COLLECTED,
                                                 "capabilities": CAPABILITIES})
    assert raised.value.user_message.startswith("Connected accounts in AU cannot be created by platforms in GB.")
    # Within the cross-border region the seller is a full account the platform pays.
    seller = _seller(stripe_client, "CH", NUMBERS["CH"][0])
    assert seller.country == "CH" and seller.payouts_enabled


def test_a_japanese_account_owes_its_names_and_address_in_kana_and_kanji(stripe_client):
    spec = stripe_client.v1.country_specs.retrieve("JP")
    assert spec.default_currency == "jpy" and spec.supported_bank_account_currencies.to_dict() == {"jpy": ["JP"]}
    minimum = spec.verification_fields.individual.minimum
    assert {"individual.first_name_kana", "individual.last_name_kanji", "individual.address_kana.town",
            "individual.address_kanji.postal_code"} <= set(minimum)
    assert "individual.first_name" not in minimum and "individual.address.line1" not in minimum
    assert {"company.name_kana", "company.name_kanji", "company.address_kanji.town", "company.tax_id"} <= set(
        spec.verification_fields.company.minimum)
    account = stripe_client.v1.accounts.create(params={
        "country": "JP", "business_type": "individual", "controller": PLATFORM_COLLECTED, "capabilities": CAPABILITIES,
        "individual": {"first_name_kanji": "花子", "last_name_kanji": "山田", "address_kanji": JP_INDIVIDUAL["address_kanji"]},
    })
    due = set(account.requirements.currently_due)
    assert {"individual.first_name_kana", "individual.last_name_kana", "individual.address_kana.town"} <= due
    assert not {"individual.first_name_kanji", "individual.address_kanji.town", "individual.first_name"} & due
    updated = stripe_client.v1.accounts.update(account.id, params={"individual": {
        "first_name_kana": "ハナコ", "last_name_kana": "ヤマダ", "address_kana": JP_INDIVIDUAL["address_kana"]}})
    assert not [key for key in updated.requirements.currently_due if "kana" in key]


def test_payouts_in_yen_count_whole_yen(stripe_client):
    """The yen has no minor unit: 4000 is ¥4,000, and the balance moves by exactly that."""
    seller = _seller(stripe_client, "JP", NUMBERS["JP"][0])
    _fund(stripe_client, seller, "jpy")
    before = stripe_client.v1.balance.retrieve(options=on(seller.id))
    made = stripe_client.v1.payouts.create(params={"amount": 4_000, "currency": "jpy"}, options=on(seller.id))
    after = stripe_client.v1.balance.retrieve(options=on(seller.id))
    def yen(balance) -> int:
        return sum(item.amount for item in balance.available + balance.pending if item.currency == "jpy")
    assert made.amount == 4_000 and yen(before) - yen(after) == 4_000 and yen(before) == 5_000
