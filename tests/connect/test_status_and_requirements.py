"""The pure parts of the status page: summary state, requirement words and order, the form plan."""

import json
import re
from pathlib import Path

import pytest

from portal.connect import remediation
from portal.connect.requirements import actions_required, describe, has_words, pending
from portal.sandbox.country_specs import SPECS
from portal.connect.status import State, summarize

FIXTURES = Path(__file__).resolve().parents[1] / "sandbox" / "data" / "fixtures3.json"


def _account(**overrides) -> dict:
    requirements = {"currently_due": [], "past_due": [], "eventually_due": [], "pending_verification": [], "errors": [],
                    "current_deadline": None, "disabled_reason": None, "alternatives": []}
    requirements.update(overrides.pop("requirements", {}))
    return {"id": "acct_1", "charges_enabled": True, "payouts_enabled": True, "details_submitted": True,
            "tos_acceptance": {"date": 1_700_000_000, "ip": "203.0.113.9"}, "requirements": requirements, "future_requirements": overrides.pop("future", {}), **overrides}


@pytest.mark.parametrize(("account", "state", "restricted"), [
    (None, State.not_started, None),
    (_account(), State.verified, None),
    (_account(requirements={"eventually_due": ["individual.id_number"]}), State.verified, None),
    (_account(requirements={"pending_verification": ["individual.address.line1"]}), State.pending_review, None),
    (_account(requirements={"currently_due": ["individual.verification.document"], "current_deadline": 2_000_000_000}),
     State.action_needed, None),
    (_account(charges_enabled=False, payouts_enabled=False,
              requirements={"currently_due": ["x"], "past_due": ["x"], "disabled_reason": "requirements.past_due"}),
     State.restricted, "payments and payouts"),
    (_account(payouts_enabled=False, requirements={"currently_due": ["external_account"]}), State.action_needed, "payouts"),
    (_account(charges_enabled=False, payouts_enabled=False, requirements={"pending_verification": ["individual.dob.day"],
              "disabled_reason": "requirements.pending_verification"}), State.pending_review, "payments and payouts"),
    (_account(charges_enabled=False, payouts_enabled=False, requirements={"disabled_reason": "rejected.fraud"}), State.rejected, None),
    # Before the seller submits, what Stripe lists is the form not finished yet: setting up, nothing off.
    (_account(tos_acceptance={"date": None}, charges_enabled=False, payouts_enabled=False,
              requirements={"currently_due": ["x"], "past_due": ["x"], "disabled_reason": "requirements.past_due"}),
     State.setting_up, None),
    (_account(tos_acceptance={}, charges_enabled=False, payouts_enabled=False,
              requirements={"disabled_reason": "rejected.fraud"}), State.rejected, None),
])
def test_summary_follows_stripes_api_onboarding_guidance(account, state, restricted):
    status = summarize(account)
    assert status.state is state
    assert status.restricted == restricted


def test_actions_are_in_dashboard_order_with_deadlines_errors_and_capabilities():
    account = _account(
        requirements={
            "past_due": ["individual.dob.day"], "currently_due": ["individual.dob.day", "individual.verification.document"],
            "eventually_due": ["individual.id_number"], "current_deadline": 1_900_000_000,
            "errors": [{"code": "verification_document_expired", "reason": "expired", "requirement": "individual.verification.document"}],
        },
        future={"currently_due": ["person_abc.email"], "current_deadline": 1_950_000_000},
    )
    capabilities = {"card_payments": {"requirements": {"currently_due": ["individual.verification.document"]}}}
    actions = actions_required(account, capabilities, {"person_abc": "Jenny Rosen"})
    assert [(a.label, a.words) for a in actions] == [
        ("Past due", "your date of birth"),
        ("Due now", "a photo of your ID (passport, driver's license or state ID)"),
        ("Coming up", "Jenny Rosen's email address"),
        ("Needed later", "your full Social Security number"),
    ]
    document = actions[1]
    assert document.deadline == 1_900_000_000 and document.capabilities == ["card payments"]
    assert document.errors and "expired" in document.errors[0].lower()
    assert actions[2].deadline == 1_950_000_000


RAW = re.compile(r"[._]|person|\b(dob|ssn|mcc|tos|url|id)\b")


def _every_key_shape():
    """Every requirement key the sandbox's country specs can produce, in each shape Stripe
    writes it: for the individual, a person not yet added, and a person by id."""
    keys = set()
    for spec in SPECS.values():
        for kind in spec["verification_fields"].values():
            keys |= set(kind["minimum"]) | set(kind["additional"])
    fixture = json.loads(FIXTURES.read_text())["resources"]["country_spec"]
    for kind in fixture["verification_fields"].values():
        keys |= set(kind["minimum"]) | set(kind["additional"])
    for key in list(keys):
        head, _, rest = key.partition(".")
        if head in ("individual", "representative", "owners", "directors", "executives"):
            keys |= {f"{role}.{rest}" for role in ("individual", "representative", "owners", "directors", "executives")}
            keys.add(f"person_1Nv0FGQ9RKHgCVdK.{rest}")
    return sorted(keys)


@pytest.mark.parametrize("key", _every_key_shape())
def test_every_requirement_key_the_sandbox_can_produce_has_words_of_its_own(key):
    path, words, person = describe(key, {"person_1Nv0FGQ9RKHgCVdK": "Jane Roe"})
    assert has_words(key), f"{key} has no words of its own"
    assert not RAW.search(words.replace("Jane Roe", "")), f"{key} shows a raw key: {words!r}"
    if key.startswith("person_"):
        assert "Jane Roe" in words and person == "person_1Nv0FGQ9RKHgCVdK"


def test_a_key_no_table_names_is_still_words_and_flagged_unknown():
    for key in ("company.brand_new_field", "person_1Nv0FGQ9RKHgCVdK.new.thing", "individual.new_field", "brand_new"):
        words = describe(key, {"person_1Nv0FGQ9RKHgCVdK": "Jane Roe"})[1]
        assert not RAW.search(words.replace("Jane Roe", "")) and not has_words(key)
    assert describe("person_1Nv0FGQ9RKHgCVdK.dob.day", {})[1] == "a person's date of birth"


def test_pending_items_name_what_the_seller_gave():
    account = {"requirements": {"pending_verification": [
        "individual.id_number", "individual.ssn_last_4", "person_1Nv0FGQ9RKHgCVdK.address.city",
    ]}}
    assert pending(account, {"person_1Nv0FGQ9RKHgCVdK": "Jane Roe"}) == [
        "the Social Security number digits you gave", "Jane Roe's home address",
    ]


def test_the_form_asks_only_for_what_is_due():
    account = _account(requirements={"currently_due": [
        "individual.dob.day", "individual.dob.month", "individual.verification.document", "external_account",
        "tos_acceptance.date", "interv_abc.risk_review.form", "person_p1.address.city", "owners.email",
    ]})
    plan = remediation.plan(actions_required(account, {}, {"person_p1": "Jenny Rosen"}))
    assert [f.name for f in plan.fields] == [
        "individual.dob", "individual.verification.document", "tos_acceptance",
        "person_p1.address.line1", "person_p1.address.line2", "person_p1.address.city", "person_p1.address.state",
        "person_p1.address.postal_code",
    ]
    assert sorted(item.where for item in plan.elsewhere) == ["add_person", "bank", "stripe"]


def test_the_form_validates_and_builds_the_fewest_writes():
    account = _account(requirements={"currently_due": ["individual.dob.day", "person_p1.phone", "individual.verification.document"]})
    fields = remediation.plan(actions_required(account)).fields
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
    bad = remediation.read(fields, {"individual.dob": "2030-01-01", "person_p1.phone": "12"}, {}, test_mode=True)
    assert set(bad.errors) == {"individual.dob", "person_p1.phone", "individual.verification.document"}
    good = remediation.read(fields, {"individual.dob": "1901-01-01", "person_p1.phone": "0000000000"},
                            {"individual.verification.document": ("id.png", png)}, test_mode=True)
    assert good.errors == {}
    assert good.account_params == {"individual": {"dob": {"day": 1, "month": 1, "year": 1901}}}
    assert good.person_params == {"person_p1": {"phone": "+10000000000"}}
    remediation.attach_document(good, good.uploads[0][0], "file_123")
    assert good.account_params["individual"]["verification"] == {"document": {"front": "file_123"}}
    assert remediation.document_problem(b"x" * (10 * 1024 * 1024 + 1), "big.png")
