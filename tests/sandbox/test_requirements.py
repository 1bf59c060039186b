"""The requirements engine alone: plain dicts in, Stripe's lists and flags out (no server)."""

from portal.sandbox import country_specs, requirements_engine, verification
from portal.sandbox.persons import new_person

NOW = 1_800_000_000
CREATED = NOW - 100
US = country_specs.rules("US")
ADDRESS_KEYS = ["address.city", "address.line1", "address.postal_code", "address.state"]


def account(business_type="individual", country="US", **extra):
    base = {
        "id": "acct_1",
        "country": country,
        "created": CREATED,
        "business_type": business_type,
        "email": "seller@example.com",
        "business_profile": {"url": "https://accessible.stripe.com"},
        "settings": {
            "payments": {"statement_descriptor": "ACCESSIBLE.STRIPE.COM"},
            "card_payments": {"statement_descriptor_prefix": "ACCESSIBLE"},
        },
        "tos_acceptance": {"date": NOW - 50, "ip": "127.0.0.1"},
    }
    base.update(extra)
    return base


def state(**extra):
    base = {"caps": {"card_payments": {"requested": True}, "transfers": {"requested": True}}, "checks": {}}
    base.update(extra)
    return base


def jane(**fields):
    person = new_person("person_1", "acct_1", CREATED)
    person.update(
        first_name="Jane",
        last_name="Doe",
        dob={"day": 1, "month": 1, "year": 1901},
        address={"line1": "address_full_match", "city": "San Francisco", "state": "CA", "postal_code": "94103"},
        phone="+10000000000",
        id_number_provided=True,
    )
    person["relationship"].update(representative=True, owner=True)
    person.update(fields)
    return person


def verify(st, prefix, person, secrets, delay=10):
    verification.record_secret_outcomes(st, prefix, secrets)
    verification.verify_person(st, prefix, person, US, NOW, delay)


BANK = [{"id": "ba_1", "object": "bank_account", "currency": "usd"}]


def test_only_country_email_url_and_tos_leave_the_identity_and_bank_due_and_past_due():
    result = requirements_engine.compute(account(), [], [], state(), NOW)
    expected = sorted(
        ["individual." + key for key in ADDRESS_KEYS]
        + ["individual.dob.day", "individual.dob.month", "individual.dob.year"]
        + ["individual.first_name", "individual.last_name", "individual.phone", "individual.ssn_last_4"]
        + ["external_account"]
    )
    reqs = result["requirements"]
    assert reqs["currently_due"] == expected
    assert reqs["past_due"] == expected
    assert reqs["eventually_due"] == expected
    assert reqs["disabled_reason"] == "requirements.past_due"
    assert reqs["current_deadline"] is None
    assert {name: cap["status"] for name, cap in result["capabilities"].items()} == {
        "card_payments": "inactive",
        "transfers": "inactive",
    }
    assert result["capabilities"]["card_payments"]["requirements"]["disabled_reason"] == "requirements.fields_needed"
    assert not result["charges_enabled"] and not result["payouts_enabled"] and not result["details_submitted"]


def test_full_identity_sits_in_pending_verification_until_the_checks_resolve():
    st = state(individual_person="person_1")
    person = jane()
    verify(st, "individual.", person, {"id_number": "000000000"})
    result = requirements_engine.compute(account(), [person], BANK, st, NOW)
    reqs = result["requirements"]
    assert reqs["currently_due"] == [] and reqs["past_due"] == [] and reqs["eventually_due"] == []
    assert reqs["pending_verification"] == sorted(
        ["individual." + key for key in ADDRESS_KEYS] + ["individual.id_number", "individual.verification.document"]
    )
    assert reqs["disabled_reason"] == "requirements.pending_verification"
    assert {cap["status"] for cap in result["capabilities"].values()} == {"pending"}
    assert result["details_submitted"] and not result["charges_enabled"] and not result["payouts_enabled"]
    assert result["persons"]["person_1"]["verification_status"] == "pending"
    # The person lists its own keys without the prefix.
    assert "address.city" in result["persons"]["person_1"]["requirements"]["pending_verification"]

    assert verification.finish_due(st, NOW + 10)
    done = requirements_engine.compute(account(), [person], BANK, st, NOW + 10)
    for key in ("currently_due", "eventually_due", "past_due", "pending_verification", "errors"):
        assert done["requirements"][key] == []
    assert done["requirements"]["disabled_reason"] is None
    assert {cap["status"] for cap in done["capabilities"].values()} == {"active"}
    assert done["charges_enabled"] and done["payouts_enabled"]
    assert done["persons"]["person_1"]["verification_status"] == "verified"


def test_ssn_last_4_defers_the_full_number_to_future_requirements():
    st = state(individual_person="person_1")
    person = jane(id_number_provided=False, ssn_last_4_provided=True)
    verify(st, "individual.", person, {"ssn_last_4": "0000"})
    result = requirements_engine.compute(account(), [person], BANK, st, NOW)
    assert result["requirements"]["pending_verification"] == sorted(
        ["individual." + key for key in ADDRESS_KEYS] + ["individual.id_number"]
    )
    assert result["future_requirements"]["eventually_due"] == ["individual.id_number"]


def test_a_missing_bank_account_only_blocks_payouts():
    st = state(individual_person="person_1")
    person = jane()
    verify(st, "individual.", person, {"id_number": "222222222"}, delay=0)
    verification.finish_due(st, NOW)
    result = requirements_engine.compute(account(), [person], [], st, NOW)
    assert result["requirements"]["currently_due"] == ["external_account"]
    assert result["requirements"]["disabled_reason"] == "requirements.past_due"
    assert {cap["status"] for cap in result["capabilities"].values()} == {"active"}
    assert result["capabilities"]["transfers"]["requirements"]["currently_due"] == []
    assert result["charges_enabled"] and not result["payouts_enabled"]
    assert requirements_engine.compute(account(), [person], BANK, st, NOW)["payouts_enabled"]


def test_company_asks_for_representative_and_owners_until_persons_exist():
    company = {"name": "Acme", "phone": "+10000000000", "tax_id_provided": True,
               "address": {"line1": "address_full_match", "city": "SF", "state": "CA", "postal_code": "94103"}}
    acct = account("company", company=company)
    st = state()
    verification.record_secret_outcomes(st, "company.", {"tax_id": "000000000"})
    verification.verify_company(st, company, [], US, NOW, 10)
    reqs = requirements_engine.compute(acct, [], BANK, st, NOW)["requirements"]
    representative = ["representative." + key for key in ADDRESS_KEYS] + [
        "representative.dob.day", "representative.dob.month", "representative.dob.year",
        "representative.email", "representative.first_name", "representative.last_name",
        "representative.phone", "representative.relationship.executive", "representative.relationship.title",
        "representative.ssn_last_4",
    ]
    owners = ["owners.email", "owners.first_name", "owners.last_name"]
    assert reqs["currently_due"] == sorted(["company.owners_provided"] + owners + representative)
    assert reqs["pending_verification"] == sorted(["company." + key for key in ADDRESS_KEYS] + ["company.tax_id"])

    person = jane(email="jane@example.com")
    person["relationship"].update(title="CEO", percent_ownership=100)
    verify(st, "person_1.", person, {"id_number": "000000000"})
    result = requirements_engine.compute(acct, [person], BANK, st, NOW)
    reqs = result["requirements"]
    assert reqs["currently_due"] == []
    assert "person_1.address.city" in reqs["pending_verification"]
    assert "person_1.verification.document" in reqs["pending_verification"]
    assert not any(key.startswith(("representative.", "owners.")) for key in reqs["eventually_due"])
    assert "verification.document" in result["persons"]["person_1"]["requirements"]["pending_verification"]


def test_a_requirement_with_a_deadline_is_due_first_and_past_due_once_the_deadline_passes():
    st = state(individual_person="person_1", extras=[{"key": "individual.verification.document", "deadline": NOW + 60}])
    person = jane()
    verify(st, "individual.", person, {"id_number": "222222222"}, delay=0)
    verification.finish_due(st, NOW)
    before = requirements_engine.compute(account(), [person], BANK, st, NOW)["requirements"]
    assert before["currently_due"] == ["individual.verification.document"]
    assert before["past_due"] == []
    assert before["current_deadline"] == NOW + 60
    assert before["disabled_reason"] is None
    after = requirements_engine.compute(account(), [person], BANK, st, NOW + 61)
    assert after["requirements"]["past_due"] == ["individual.verification.document"]
    assert after["requirements"]["disabled_reason"] == "requirements.past_due"
    assert not after["charges_enabled"]


def test_address_no_match_keeps_charges_and_stops_payouts():
    st = state(individual_person="person_1")
    person = jane(address={**jane()["address"], "line1": "address_no_match"})
    verify(st, "individual.", person, {"id_number": "222222222"}, delay=0)
    verification.finish_due(st, NOW)
    result = requirements_engine.compute(account(), [person], BANK, st, NOW)
    assert result["requirements"]["currently_due"] == ["individual.address.line1"]
    assert result["requirements"]["errors"][0]["code"] == "verification_failed_address_match"
    assert result["requirements"]["current_deadline"] == CREATED + requirements_engine.FOURTEEN_DAYS
    assert result["charges_enabled"] and not result["payouts_enabled"]


def test_rejection_disables_everything():
    st = state(rejected="rejected.platform_fraud")
    result = requirements_engine.compute(account(), [], BANK, st, NOW)
    assert result["requirements"]["disabled_reason"] == "rejected.platform_fraud"
    assert result["capabilities"]["card_payments"]["requirements"]["disabled_reason"] == "rejected.other"
    assert not result["charges_enabled"] and not result["payouts_enabled"]


def test_unrequested_capabilities_are_left_out_and_no_capability_means_action_required():
    st = state(caps={"card_payments": {"requested": False}, "transfers": {"requested": True}})
    result = requirements_engine.compute(account(), [], BANK, st, NOW)
    assert list(result["capabilities"]) == ["transfers"]
    # Statement descriptors are only asked of accounts that take card payments.
    acct = account(settings={"payments": {}, "card_payments": {}})
    assert "settings.payments.statement_descriptor" not in requirements_engine.compute(acct, [], BANK, st, NOW)[
        "requirements"]["currently_due"]
    nothing = requirements_engine.compute(account(), [], BANK, state(caps={}), NOW)
    assert nothing["requirements"]["disabled_reason"] == "action_required.requested_capabilities"


def test_gb_comes_from_its_own_table():
    acct = account(country="GB")
    due = requirements_engine.compute(acct, [], [], state(), NOW)["requirements"]["currently_due"]
    assert "individual.address.state" not in due and "individual.ssn_last_4" not in due
    assert "individual.address.postal_code" in due
    company = requirements_engine.compute(account("company", country="GB", company={}), [], BANK, state(), NOW)
    assert "company.directors_provided" in company["requirements"]["currently_due"]
    assert "directors.first_name" in company["requirements"]["currently_due"]


def test_every_key_the_engine_asks_for_is_in_the_country_spec():
    """The country spec is the catalogue: persons' keys map back to representative/owners/directors."""
    extra = {"representative.relationship.executive", "individual.id_number"}
    for country in ("US", "GB"):
        spec = country_specs.SPECS[country]["verification_fields"]
        for business_type, kind in (("individual", "individual"), ("company", "company")):
            allowed = set(spec[kind]["minimum"]) | set(spec[kind]["additional"]) | extra
            acct = account(business_type, country=country, business_profile={},
                           settings={"payments": {}, "card_payments": {}}, tos_acceptance={},
                           **({"company": {}} if business_type == "company" else {}))
            result = requirements_engine.compute(acct, [], [], state(), NOW)
            asked = set(result["requirements"]["eventually_due"]) | set(result["future_requirements"]["eventually_due"])
            assert asked <= allowed, (country, business_type, asked - allowed)


def test_bank_ownership_verification_holds_back_payouts_only():
    st = state(individual_person="person_1")
    person = jane()
    verify(st, "individual.", person, {"id_number": "222222222"}, delay=0)
    verification.finish_due(st, NOW)
    verification.verify_bank(st, "ba_1", "completes", [], NOW, 10)
    waiting = requirements_engine.compute(account(), [person], BANK, st, NOW)
    assert waiting["requirements"]["pending_verification"] == ["external_account"]
    assert waiting["capabilities"]["card_payments"]["requirements"]["pending_verification"] == []
    assert waiting["charges_enabled"] and not waiting["payouts_enabled"]
    assert waiting["requirements"]["current_deadline"] == CREATED + requirements_engine.THIRTY_DAYS
    verification.finish_due(st, NOW + 10)
    assert requirements_engine.compute(account(), [person], BANK, st, NOW + 10)["payouts_enabled"]


def test_trigger_card_blocks():
    st = state(individual_person="person_1", extras=[{"key": "individual.verification.document", "deadline": NOW + 60}])
    person = jane()
    verify(st, "individual.", person, {"id_number": "222222222"}, delay=0)
    verification.finish_due(st, NOW)
    charge_block = requirements_engine.compute(account(), [person], BANK, {**st, "charge_block": True}, NOW)
    # "move any currently due requirements to overdue"
    assert charge_block["requirements"]["past_due"] == ["individual.verification.document"]
    assert not charge_block["charges_enabled"] and not charge_block["payouts_enabled"]
    st["extras"] = []
    nothing_due = requirements_engine.compute(account(), [person], BANK, {**st, "charge_block": True}, NOW)
    assert nothing_due["capabilities"]["card_payments"]["status"] == "inactive"
    assert nothing_due["capabilities"]["card_payments"]["requirements"]["disabled_reason"] == "other"
    assert nothing_due["capabilities"]["transfers"]["status"] == "active"
    assert nothing_due["requirements"]["disabled_reason"] == "other"
    payout_block = requirements_engine.compute(account(), [person], BANK, {**st, "payout_block": True}, NOW)
    assert payout_block["charges_enabled"] and not payout_block["payouts_enabled"]
