"""The one requirement model: v1's lists and v2's entries make the same value, and the readers
(status, words, mails) give the same answers for both."""

from datetime import UTC, datetime

from portal.connect import requirement_model, requirements, status
from portal.connect.requirement_model import V2_KEY

V1 = {
    "id": "acct_1", "object": "account", "country": "US", "charges_enabled": False, "payouts_enabled": False,
    "tos_acceptance": {"date": 1700000000},
    "requirements": {
        "currently_due": ["individual.dob.day", "person_abc.address.city"], "past_due": ["external_account"],
        "eventually_due": ["individual.dob.day", "person_abc.address.city", "external_account"],
        "pending_verification": ["individual.id_number"], "current_deadline": 1800000000,
        "errors": [{"requirement": "individual.dob.day", "code": "invalid_dob_age_under_minimum", "reason": "Too young"}],
        "disabled_reason": "requirements.past_due",
    },
    "future_requirements": {"currently_due": ["company.tax_id"], "errors": []},
}


def entry(description, status, *, awaiting="user", person=None, errors=(), restricts=()):
    return {"awaiting_action_from": awaiting, "description": description, "errors": list(errors),
            "impact": {"restricts_capabilities": [{"capability": c, "configuration": "merchant",
                                                   "deadline": {"status": status}} for c in restricts]},
            "minimum_deadline": {"status": status},
            "reference": {"type": "person", "resource": person} if person else None,
            "requested_reasons": [{"code": "routine_onboarding"}]}


V2 = {**V1, V2_KEY: {
    "requirements": {"entries": [
        entry("identity.individual.date_of_birth.day", "currently_due", restricts=["card_payments"],
              errors=[{"code": "invalid_dob_age_under_minimum", "description": "Too young"}]),
        entry("address.city", "currently_due", person="person_abc"),
        entry("defaults.payout_methods", "past_due", restricts=["stripe_balance.payouts"]),
        entry("identity.individual.id_numbers", "currently_due", awaiting="stripe"),
    ], "summary": {"minimum_deadline": {"status": "past_due", "time": "2027-01-15T08:00:00.000Z"}}},
    "future_requirements": {"entries": [entry("identity.business_details.id_numbers", "currently_due")]},
}}


def test_v2_keys_read_in_the_portal_vocabulary():
    assert requirement_model.v1_key("identity.individual.given_name") == ("individual.first_name", None)
    assert requirement_model.v1_key("date_of_birth.year", {"type": "person", "resource": "person_x"}) == \
        ("person_x.dob.year", "person_x")
    assert requirement_model.v1_key("identity.attestations.terms_of_service.account.date")[0] == "tos_acceptance.date"
    assert requirement_model.v1_key("identity.business_details.registered_name")[0] == "company.name"


def test_both_adapters_agree_on_what_is_due_pending_and_coming():
    one, two = requirement_model.of(V1), requirement_model.of(V2)
    for model in (one, two):
        assert set(model.keys("currently_due", "past_due")) == {"individual.dob.day", "person_abc.address.city",
                                                                "external_account"}
        assert model.keys("past_due") == ["external_account"]
        assert model.keys("pending") == ["individual.id_number"]
        assert model.keys("currently_due", future=True) == ["company.tax_id"]
        assert [(e.key, e.code) for e in model.current_errors()] == [("individual.dob.day", "invalid_dob_age_under_minimum")]
        assert model.disabled_reason == "requirements.past_due"
    assert two.deadline == int(datetime(2027, 1, 15, 8, tzinfo=UTC).timestamp())  # v2 gives an RFC 3339 time
    assert two.restricting("external_account") == ["transfers"]
    person = next(need for need in two.needs if need.key == "person_abc.address.city")
    assert person.person == "person_abc" and person.awaiting == "seller"


def test_readers_say_the_same_for_both_apis():
    assert status.summarize(V1).state == status.summarize(V2).state == status.State.restricted
    assert requirements.notice_items(V1) == requirements.notice_items(V2)
    assert requirements.pending(V1) == requirements.pending(V2)
    words = lambda account: [(r.words, r.bucket, r.label) for r in requirements.actions_required(account)]  # noqa: E731
    assert words(V1) == words(V2)


def _changed(account: dict, source: str, name: str, value) -> dict:
    return {**account, source: {**(account.get(source) or {}), name: value}}


CAPABILITIES = {"card_payments": {"id": "card_payments", "status": "inactive",
                                  "requirements": {"currently_due": ["individual.dob.day"], "past_due": [], "eventually_due": []}},
                "transfers": {"id": "transfers", "status": "active", "requirements": {"currently_due": []}}}


def test_a_kept_v1_model_is_never_one_for_other_lists():
    """The v1 model is kept by its lists (MODELS_KEPT): every change to anything it is made of gives
    the model made anew, never the one kept for the lists before."""
    variants = [
        (V1, None), (V1, CAPABILITIES),
        (_changed(V1, "requirements", "currently_due", ["individual.dob.day"]), None),
        (_changed(V1, "requirements", "past_due", []), None),
        (_changed(V1, "requirements", "eventually_due", ["external_account"]), None),
        (_changed(V1, "requirements", "pending_verification", []), None),
        (_changed(V1, "requirements", "current_deadline", 1900000000), None),
        (_changed(V1, "requirements", "disabled_reason", None), None),
        (_changed(V1, "requirements", "errors", []), None),
        (_changed(V1, "requirements", "errors", [{"requirement": "individual.dob.day", "code": "other", "reason": "Too young"}]), None),
        (_changed(V1, "requirements", "errors", [{"requirement": "individual.dob.day", "code": "invalid_dob_age_under_minimum",
                                                  "reason": "Other words"}]), None),
        (_changed(V1, "future_requirements", "currently_due", ["company.name"]), None),
        (_changed(V1, "future_requirements", "current_deadline", 1900000000), None),
        (V1, {**CAPABILITIES, "transfers": {"requirements": {"eventually_due": ["external_account"]}}}),
    ]
    kept = [requirement_model.of(account, capabilities) for account, capabilities in variants]
    assert requirement_model.of(V1) is kept[0]  # the same lists: the same (immutable) model
    requirement_model._from_v1.cache_clear()
    for (account, capabilities), model in zip(variants, kept):
        assert model == requirement_model.of(account, capabilities)
    assert len({model for model in kept}) == len(variants)  # each variant changes the model


def test_a_v1_account_with_something_unhashable_in_its_lists_still_has_a_model():
    odd = _changed(V1, "requirements", "current_deadline", {"unexpected": 1})
    assert requirement_model.of(odd).deadline == {"unexpected": 1}
    assert requirement_model.of(odd).keys("past_due") == ["external_account"]
