"""Japan through the portal's pages against the sandbox: names and addresses in kanji and katakana
sent as Stripe takes them, the Corporate Number, bank and branch codes; and each wrong value
refused next to its field with everything else still there."""

import pytest

from portal import countries
from portal.connect import remediation
from portal.connect.mirror import account_for_seller
from portal.connect.requirements import actions_required
from tests.conftest import post_form
from tests.countries.flows import COUNTRY_ANSWERS, onboard_company_in
from tests.onboarding.flows import COMPANY_PROFILE, PROFILE, field_errors, signed_in_seller, submit

JP = COUNTRY_ANSWERS["JP"]


def _start(client, inbox):
    signed_in_seller(client, inbox, "ann@annsbakery.com")
    submit(client, "business", {"country": "JP", "business_type": "individual"}, expect="/onboarding/profile")
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")
    submit(client, "business-email", {"business_email": "ann@annsbakery.com"}, expect="/onboarding/identity")


def test_the_identity_step_asks_names_and_address_in_kanji_and_katakana(sandboxed_client, inbox):
    _start(sandboxed_client, inbox)
    page = sandboxed_client.get("/onboarding/identity").text
    for name in ("last_name_kanji", "first_name_kanji", "last_name_kana", "first_name_kana", "city_kanji", "town_kanji",
                 "line2_kanji", "city_kana", "town_kana", "line2_kana", "postal_code", "state", "line1"):
        assert f'name="{name}"' in page, name
    assert 'name="first_name"' not in page and 'name="city"' not in page
    assert "Tokyo · 東京都" in page and "Prefecture" in page and "Social Security" not in page and "ZIP" not in page


def test_an_individual_is_sent_to_stripe_in_kana_and_kanji_and_paid_out_in_yen(sandboxed_client, inbox):
    _start(sandboxed_client, inbox)
    submit(sandboxed_client, "identity", JP["identity"], expect="/onboarding/bank")
    draft = sandboxed_client.get("/onboarding/identity").text
    assert 'value="やまだ"' in draft and 'value="渋谷区"' in draft  # kept as typed in the draft
    submit(sandboxed_client, "bank", JP["bank"], expect="/onboarding/review")
    submit(sandboxed_client, "review", {"accept_stripe": "on", "accept_platform": "on"}, expect="/status/")
    status = post_form(sandboxed_client, "/status/refresh", {}, page="/status/")
    assert 'id="account-status">Verified<' in status.text
    account = account_for_seller(sandboxed_client.app.state.db, 1).snapshot
    person = account["individual"]
    assert account["default_currency"] == "jpy" and account["payouts_enabled"]
    # Hiragana and half-width katakana arrive as full-width katakana; the prefecture in each script.
    assert (person["last_name_kana"], person["first_name_kana"]) == ("ヤマダ", "ハナコ")
    assert (person["last_name_kanji"], person["first_name_kanji"]) == ("山田", "花子")
    assert {"state": "トウキョウト", "city": "シブヤク", "postal_code": "150-0001"}.items() <= person["address_kana"].items()
    assert {"state": "東京都", "town": "神宮前3丁目", "line1": "address_full_match"}.items() <= person["address_kanji"].items()
    assert not person.get("first_name")
    bank = account["external_accounts"]["data"][0]
    assert (bank["routing_number"], bank["currency"], bank["last4"], bank["account_holder_name"]) == (
        "1100000", "jpy", "1234", "ヤマダ ハナコ")


def test_a_company_sends_its_names_and_addresses_in_both_scripts(sandboxed_client, inbox):
    onboard_company_in("JP")(sandboxed_client, inbox)
    snapshot = account_for_seller(sandboxed_client.app.state.db, 1).snapshot
    company = snapshot["company"]
    assert (company["name_kanji"], company["name_kana"]) == ("株式会社ロケットライド", "カブシキガイシャ ロケットライド")
    assert company["address_kana"]["state"] == "トウキョウト" and company["address_kanji"]["city"] == "渋谷区"
    review = sandboxed_client.get("/onboarding/review").text
    assert "Corporate Number" in review


def test_kanji_in_a_kana_field_is_refused_next_to_it_and_the_rest_is_kept(sandboxed_client, inbox):
    _start(sandboxed_client, inbox)
    response = submit(sandboxed_client, "identity", {**JP["identity"], "last_name_kana": "山田"})
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert set(errors) == {"last_name_kana"} and "katakana" in errors["last_name_kana"] and "山" in errors["last_name_kana"]
    for name in ("first_name_kanji", "first_name_kana", "city_kanji", "town_kana", "postal_code"):
        assert f'value="{JP["identity"][name]}"' in response.text, name
    assert 'value="山田"' in response.text


def test_a_postcode_of_the_wrong_shape_is_refused_next_to_it(sandboxed_client, inbox):
    _start(sandboxed_client, inbox)
    response = submit(sandboxed_client, "identity", {**JP["identity"], "postal_code": "150-001"})
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert set(errors) == {"postal_code"} and "100-0001" in errors["postal_code"]
    assert 'value="150-001"' in response.text and 'value="渋谷区"' in response.text


def test_an_impossible_corporate_number_is_refused_next_to_it_and_never_echoed(sandboxed_client, inbox):
    signed_in_seller(sandboxed_client, inbox, "jenny@rocketrides.io")
    submit(sandboxed_client, "business", {"country": "JP", "business_type": "company", "structure": "private_company"},
           expect="/onboarding/profile")
    submit(sandboxed_client, "profile", COMPANY_PROFILE, expect="/onboarding/business-email")
    submit(sandboxed_client, "business-email", {"business_email": "jenny@rocketrides.io"}, expect="/onboarding/company")
    place = {k: v for k, v in JP["identity"].items() if k in ("postal_code", "state", "line1") or k.startswith(("city_", "town_", "line2_"))}
    response = submit(sandboxed_client, "company", {"tax_id": "1234567890123", "phone": "03-1234-5678", **place, **JP["company"]})
    assert response.status_code == 400, response.headers.get("location")
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert set(errors) == {"tax_id"} and "Corporate Number" in errors["tax_id"]
    assert "1234567890123" not in response.text
    assert 'value="株式会社ロケットライド"' in response.text and 'value="03-1234-5678"' in response.text
    # A kanji company name in the kana field is refused too.
    response = submit(sandboxed_client, "company", {"tax_id": "5835678256246", "phone": "03-1234-5678", **place,
                                                    **JP["company"], "name_kana": "株式会社"})
    assert set(field_errors(response.text)) == {"name_kana"}


@pytest.mark.parametrize("wrong, field", [
    ({"bank_code": "110"}, "bank_code"),
    ({"branch_code": "00"}, "branch_code"),
    ({"bank_code": "0001"}, "bank_code"),  # a real bank code, but not Stripe's test bank: refused by Stripe, placed here
    ({"account_holder_name": "山田花子"}, "account_holder_name"),
    ({"account_number": "12345678", "account_number_confirm": "12345678"}, "account_number"),
])
def test_a_wrong_bank_or_branch_code_is_refused_next_to_its_field_and_the_rest_is_kept(sandboxed_client, inbox, wrong, field):
    _start(sandboxed_client, inbox)
    submit(sandboxed_client, "identity", JP["identity"], expect="/onboarding/bank")
    response = submit(sandboxed_client, "bank", {**JP["bank"], **wrong})
    assert response.status_code == 400
    assert set(field_errors(response.text)) == {field}
    for name in ("bank_code", "branch_code", "account_holder_name"):
        assert f'value="{ {**JP["bank"], **wrong}[name]}"' in response.text, name
    if field == "account_number":  # the number in error is secret: never echoed back
        assert wrong["account_number"] not in response.text


def test_the_remediation_form_asks_a_japanese_address_in_both_scripts():
    account = {"country": "JP", "requirements": {"currently_due": ["individual.address_kana.town", "individual.first_name_kana"]}}
    plan = remediation.plan(actions_required(account), countries.get("JP"))
    names = [f.name for f in plan.fields]
    assert "individual.address_scripts.town_kana" in names and "individual.address_scripts.city_kanji" in names
    assert "individual.first_name_kana" in names and not plan.elsewhere
    form = {f.name: "" for f in plan.fields} | {
        "individual.first_name_kana": "はなこ", "individual.address_scripts.postal_code": "1500001",
        "individual.address_scripts.state": "東京都", "individual.address_scripts.line1": "1-2-3",
        "individual.address_scripts.city_kanji": "渋谷区", "individual.address_scripts.town_kanji": "神宮前",
        "individual.address_scripts.city_kana": "シブヤク", "individual.address_scripts.town_kana": "神宮前"}
    refused = remediation.read(plan.fields, form, {}, test_mode=True, country="JP")
    assert set(refused.errors) == {"individual.address_scripts.town_kana"}
    assert refused.typed["individual.address_scripts.town_kana"] == "神宮前"
    fixed = remediation.read(plan.fields, form | {"individual.address_scripts.town_kana": "じんぐうまえ"}, {},
                             test_mode=True, country="JP")
    assert not fixed.errors
    individual = fixed.account_params["individual"]
    assert individual["first_name_kana"] == "ハナコ"
    assert individual["address_kana"]["town"] == "ジングウマエ" and individual["address_kana"]["state"] == "トウキョウト"
    assert individual["address_kanji"]["postal_code"] == "150-0001"
