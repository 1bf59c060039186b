"""Requirements the portal doesn't know yet (connect/unfamiliar.py): which keys count, how far the
hosted page must reach for one, the form in the account's country's words, and what the seller's
hand-off to Stripe's page does with malformed input. The whole journey (a key fed through the
sandbox, the seller's fallback and the staff page) is in tests/staff/test_unknown_requirements.py."""

from portal import countries
from portal.connect import remediation, unfamiliar
from portal.connect.remediation_links import hosted_reach
from portal.connect.requirements import actions_required
from portal.sandbox.country_specs import SPECS
from tests.conftest import post_form, wait_until_applied
from tests.onboarding.flows import onboard_individual


def _account(country: str = "US", **requirements) -> dict:
    return {"id": "acct_1", "country": country, "requirements": {"currently_due": [], **requirements}}


def test_a_key_without_words_or_without_a_field_is_unfamiliar_and_one_only_stripe_takes_is_not():
    account = _account(currently_due=[
        "individual.nationality",                      # no words
        "person_abc.nationality", "person_def.nationality",  # the same key about two people: one name
        "individual.political_exposure",               # words, but no form of ours collects it
        "interv_1.risk_review.form", "individual.verification.proof_of_liveness",  # Stripe's pages by design
        "individual.dob.day", "external_account", "tos_acceptance.date", "company.directors_provided",
    ])
    assert unfamiliar.unfamiliar_keys(account) == {
        "individual.nationality": unfamiliar.NO_WORDS,
        "person.nationality": unfamiliar.NO_WORDS,
        "individual.political_exposure": unfamiliar.NO_FIELD,
    }
    # Only the keys asked for: what the mirror looks at when a snapshot brings new ones.
    assert unfamiliar.unfamiliar_keys(account, only={"person_def.nationality", "individual.dob.day"}) == {
        "person.nationality": unfamiliar.NO_WORDS}


def test_future_and_later_requirements_count_and_every_key_stripe_asks_of_a_supported_country_is_familiar():
    later = {"id": "acct_1", "country": "GB", "requirements": {"eventually_due": ["company.vat_id"]},
             "future_requirements": {"currently_due": ["individual.full_name_aliases"]}}
    assert set(unfamiliar.unfamiliar_keys(later)) == {"company.vat_id", "individual.full_name_aliases"}
    for code, spec in SPECS.items():
        keys = sorted({key for kind in spec["verification_fields"].values() for key in kind["minimum"] + kind["additional"]})
        assert unfamiliar.unfamiliar_keys(_account(code, currently_due=keys)) == {}, code


def test_the_hosted_page_reaches_as_far_as_the_requirement_needs():
    snapshot = {"requirements": {"currently_due": ["a"], "past_due": ["p"], "eventually_due": ["a", "later"]},
                "future_requirements": {"currently_due": ["soon"], "eventually_due": ["soon", "someday"]}}
    assert hosted_reach(snapshot, ["a"]) == (False, False)      # due now: Stripe's default lists
    assert hosted_reach(snapshot, ["p"]) == (False, False)
    assert hosted_reach(snapshot, ["later"]) == (True, False)   # only needed later: eventually_due
    assert hosted_reach(snapshot, ["soon"]) == (False, True)    # coming up: include future requirements
    assert hosted_reach(snapshot, ["someday"]) == (True, True)
    assert hosted_reach(snapshot, []) == (False, True)          # no key named: what is due, and coming up
    assert hosted_reach({}, ["gone"]) == (False, False)


def test_the_remediation_form_speaks_the_accounts_country():
    due = ["individual.address.line1", "individual.id_number", "company.tax_id"]
    labels = {}
    for code in ("US", "GB", "CA", "IE"):
        plan = remediation.plan(actions_required(_account(code, currently_due=due)), countries.get(code))
        labels[code] = {f.name: (f.label, f.kind) for f in plan.fields}
    assert labels["US"]["individual.address.state"] == ("State", "state")
    assert labels["US"]["individual.address.postal_code"][0] == "ZIP code"
    assert labels["US"]["individual.id_number"][0] == "Full Social Security number"
    assert labels["GB"]["individual.address.postal_code"][0] == "Postcode"
    assert labels["GB"]["individual.address.city"][0] == "Town or city"
    assert "individual.address.state" not in labels["GB"]  # no area in a UK address
    assert labels["GB"]["individual.id_number"][0] == "National Insurance number"
    assert labels["GB"]["company.tax_id"][0] == "Company Registration Number (Companies House)"
    assert labels["CA"]["individual.address.state"] == ("Province", "state")
    assert labels["CA"]["individual.id_number"][0] == "Social Insurance Number (SIN)"
    assert labels["IE"]["individual.address.state"][0] == "County"
    assert labels["IE"]["individual.address.postal_code"][0] == "Eircode"


def test_a_malformed_or_stale_requirement_on_the_hosted_hand_off_goes_back_to_the_status_page(sandboxed_client, inbox):
    onboard_individual(sandboxed_client, inbox)
    # The onboarding's webhooks are applied behind their 200s, and applying one may read from Stripe
    # (a state from the same second as the one held): counted once they are, only the hand-off counts.
    wait_until_applied(sandboxed_client.app.state.db)
    calls = sandboxed_client.app.state.stripe.calls
    for key in ("not.a.requirement", "x" * 5000, "\u0000", "individual.dob.day%00"):
        response = post_form(sandboxed_client, "/status/stripe", {"requirement": key}, page="/status/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].endswith("/status/")
    assert "Stripe no longer asks for that" in sandboxed_client.get("/status/").text
    assert sandboxed_client.app.state.stripe.calls == calls  # no Account Link made for nothing
