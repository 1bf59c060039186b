"""The search's pure parts: which filters a seller falls under, and matching words."""

from dataclasses import replace

from portal.connect.status import summarize
from portal.staff.search import SellerFacts, display_name, flags_for, matches, strings_in

VERIFIED = {"charges_enabled": True, "payouts_enabled": True, "details_submitted": True, "tos_acceptance": {"date": 1_700_000_000},
            "requirements": {"currently_due": [], "past_due": [], "pending_verification": [], "errors": []}}


def facts(snapshot=VERIFIED, **changes) -> SellerFacts:
    base = SellerFacts(seller_id=1, email="ann@annsbakery.com", name="Ann's Bakery", account_id="acct_1", website="",
                       status=summarize(snapshot), past_due=False, hold_reasons=[], negative_balance=False,
                       dispute_rate=None, disputes=0, charges=0, business_email_confirmed=True)
    return replace(base, **changes)


def test_a_verified_seller_in_good_standing_has_no_flags():
    assert flags_for(facts()) == set()


def test_each_filter_follows_its_own_fact():
    past_due = {**VERIFIED, "requirements": {**VERIFIED["requirements"], "past_due": ["individual.id_number"]},
                "charges_enabled": False}
    rejected = {**VERIFIED, "charges_enabled": False, "payouts_enabled": False,
                "requirements": {**VERIFIED["requirements"], "disabled_reason": "rejected.platform_fraud"}}
    pending = {**VERIFIED, "payouts_enabled": False,
               "requirements": {**VERIFIED["requirements"], "pending_verification": ["individual.verification.document"]}}

    assert flags_for(facts(past_due, past_due=True)) >= {"action_required", "past_due", "restricted"}
    assert "rejected" in flags_for(facts(rejected)) and "restricted" not in flags_for(facts(rejected))
    assert "pending_review" in flags_for(facts(pending))
    assert flags_for(facts(negative_balance=True)) == {"negative_balance"}
    assert flags_for(facts(business_email_confirmed=False)) == {"email_unconfirmed"}
    assert flags_for(facts(hold_reasons=["business_email"])) == set()  # that hold has its own filter
    assert flags_for(facts(hold_reasons=["risk_pause"])) == {"payouts_paused"}
    setting_up = {**past_due, "tos_acceptance": {"date": None}}
    assert flags_for(facts(setting_up)) == {"setting_up"}


def test_the_dispute_rate_flag_is_above_three_quarters_of_a_percent():
    assert "high_dispute_rate" not in flags_for(facts(dispute_rate=3 / 400))  # exactly 0.75%
    assert "high_dispute_rate" in flags_for(facts(dispute_rate=4 / 400))
    assert "high_dispute_rate" not in flags_for(facts(dispute_rate=None))


def test_every_word_must_appear_somewhere():
    seller = facts(text="ann@annsbakery.com acct_1 ann's bakery portland")
    assert matches(seller, "Bakery PORTLAND") and matches(seller, "")
    assert not matches(seller, "bakery seattle")


def test_strings_in_nested_answers_and_the_name_shown():
    assert strings_in({"a": ["x", {"b": "y", "n": 3}], "c": None}) == ["x", "y"]
    assert display_name({"business_profile": {"name": "Ann's Bakery"}}, {}, "e@x.com") == "Ann's Bakery"
    assert display_name({}, {"profile": {"dba": "Drafted"}}, "e@x.com") == "Drafted"
    assert display_name({"individual": {"first_name": "Ann", "last_name": "Baker"}}, {}, "e@x.com") == "Ann Baker"
    assert display_name({}, {}, "e@x.com") == "e@x.com"
