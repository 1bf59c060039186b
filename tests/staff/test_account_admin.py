"""Staff changing a seller's account for them (issue 10): the business profile and contact details,
owners, directors and executives, capabilities and the payout schedule. Each needs its role and a
reason, reaches the sandbox (read back through the SDK), is audited, and shows on the seller's pages."""

import functools
import html
import json
import logging
import re

import stripe
from sqlmodel import select

from portal.audit import AuditEvent
from portal.connect import account_settings, payout_holds
from portal.connect.mirror import account_for_seller
from portal.integrations.mail import OutboxMessage
from portal.integrations.stripe import StripeFailure
from portal.onboarding.models import BusinessEmail, DraftPerson, OnboardingDraft
from portal.staff import account_changes
from tests.conftest import csrf_from, post_form, press_link_button
from tests.onboarding import flows
from tests.onboarding.flows import IDENTITY, OWNER, PROFILE, general_error, submit
from tests.staff.helpers import seller_id, trail

SELLER = "ann@annsbakery.com"


def company_seller(client, inbox) -> int:
    flows.onboard_company(client, inbox)
    return seller_id(client, "jenny@rocketrides.io")


def field_errors(page: str) -> dict[str, str]:
    return {name: html.unescape(message) for name, message in flows.field_errors(page).items()}


def mails(client, inbox, to: str, subject: str | None = None) -> list:
    """What the staff browser's request mailed: two test clients are two event loops and the mailer
    lives on the first, so let its loop turn once (as test_console does)."""
    client.get("/healthz")
    return inbox.wait_for(to, subject=subject)


def account_id(client, seller: int) -> str:
    return account_for_seller(client.app.state.db, seller).stripe_account_id


def events(client, seller: int, action: str) -> list[AuditEvent]:
    with client.app.state.db.transaction() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.seller_id == seller, AuditEvent.action == action)
                                 .order_by(AuditEvent.id)).all())


def send(staff, path: str, data: dict, *, page: str | None = None):
    return post_form(staff, path, data, page=page or path, follow_redirects=False)


def form_values(html: str) -> dict[str, str]:
    """The text inputs of a page as the browser would send them back."""
    return {name: value for name, value in re.findall(r'<input id="[\w-]+" name="([\w]+)" type="(?:text|url|tel|email)" value="([^"]*)"', html)}


# Roles and reasons ---------------------------------------------------------------------------

RISK_ROUTES = [("GET", "/staff/sellers/{id}/payout-schedule"), ("POST", "/staff/sellers/{id}/payout-schedule"),
               ("POST", "/staff/sellers/{id}/capabilities")]
SUPPORT_ROUTES = [("GET", "/staff/sellers/{id}/profile"), ("POST", "/staff/sellers/{id}/profile"),
                  ("GET", "/staff/sellers/{id}/people"), ("GET", "/staff/sellers/{id}/people/new"),
                  ("POST", "/staff/sellers/{id}/people/new")]


def _call(client, method: str, path: str, data: dict | None = None):
    token = csrf_from(client.get("/account/login").text)
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.post(path, data={"csrf_token": token, "reason": "checking", **(data or {})}, follow_redirects=False)


def test_each_action_wants_a_staff_session_and_risk_actions_refuse_support(sandboxed_client, seller, support):
    before = account_for_seller(sandboxed_client.app.state.db, seller).snapshot
    for method, path in RISK_ROUTES + SUPPORT_ROUTES:  # the seller's own session is not a staff one
        response = _call(sandboxed_client, method, path.format(id=seller))
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in"), path

    for method, path in RISK_ROUTES:
        data = {"interval": "weekly", "delay": "minimum", "weekly_anchor": "friday", "capability": "cashapp_payments",
                "requested": "true"}
        response = _call(support, method, path.format(id=seller), data)
        assert response.status_code == 403, path
        assert "Your role cannot do this" in response.text

    for method, path in SUPPORT_ROUTES:  # reached: an empty form is refused for what it lacks, not for the role
        response = _call(support, method, path.format(id=seller))
        assert response.status_code != 403 and "/staff/sign-in" not in response.headers.get("location", ""), path
    assert trail(sandboxed_client, seller) == []
    assert account_for_seller(sandboxed_client.app.state.db, seller).snapshot == before
    page = support.get(f"/staff/sellers/{seller}").text
    assert "Edit the business profile" in page and "Change the payout schedule" not in page
    assert "changed by staff with the risk or admin role" in page


def test_every_action_refuses_a_missing_reason_beside_its_field_and_changes_nothing(sandboxed_client, seller, support, risk):
    before = account_for_seller(sandboxed_client.app.state.db, seller).snapshot
    profile = f"/staff/sellers/{seller}/profile"
    typed = {**form_values(support.get(profile).text), "mcc": "5462", "product_description": PROFILE["product_description"],
             "state": "OR", "dba": "Ann's Fine Bakery", "reason": ""}

    response = send(support, profile, typed)
    assert response.status_code == 400
    assert field_errors(response.text) == {"reason": "Give a reason: it goes on the seller's audit trail."}
    assert "Ann&#39;s Fine Bakery" in response.text  # what was typed is kept

    schedule = f"/staff/sellers/{seller}/payout-schedule"
    response = send(risk, schedule, {"interval": "daily", "delay": "minimum", "reason": " "})
    assert response.status_code == 400 and "reason" in field_errors(response.text)

    response = send(risk, f"/staff/sellers/{seller}/capabilities", {"capability": "cashapp_payments", "requested": "true",
                                                                    "reason": ""}, page=f"/staff/sellers/{seller}")
    assert response.status_code == 400
    assert field_errors(response.text)["capability"] == "Give a reason: it goes on the seller's audit trail."
    assert trail(sandboxed_client, seller) == []
    assert account_for_seller(sandboxed_client.app.state.db, seller).snapshot == before


# Business profile and contact details -------------------------------------------------------


def test_profile_form_is_prefilled_from_stripe_and_checks_like_the_sellers_form(sandboxed_client, seller, support):
    path = f"/staff/sellers/{seller}/profile"
    page = support.get(path).text
    values = form_values(page)
    assert values["dba"] == "Ann&#39;s Bakery" and values["url"] == "https://annsbakery.com"
    assert values["support_phone"] == "+10000000000" and values["line1"] == "address_full_match"
    assert values["email"] == "ann@annsbakery.com" and values["statement_descriptor"] == "ANNS BAKERY"
    assert '<option value="5462" data-keywords' in page and 'value="5462" data-keywords="' in page

    typed = {**values, "dba": "Ann's Bakery", "url": "not a website", "mcc": "0000", "support_email": "help@",
             "statement_descriptor": "SHOP", "postal_code": "9720", "phone": "12", "state": "OR",
             "product_description": "Bread.", "reason": "Seller asked by phone"}
    response = send(support, path, typed)

    assert response.status_code == 400
    errors = field_errors(response.text)
    assert set(errors) >= {"url", "mcc", "support_email", "statement_descriptor", "postal_code", "phone"}
    assert errors["mcc"] == "Choose an industry from the list."
    assert "ZIP" in errors["postal_code"]
    assert 'value="not a website"' in response.text and 'value="Seller asked by phone"' in response.text
    assert trail(sandboxed_client, seller) == []


def test_a_profile_change_reaches_stripe_the_trail_the_sellers_forms_pages_and_inbox(sandboxed_client, seller, support, sdk, inbox):
    path = f"/staff/sellers/{seller}/profile"
    typed = {**form_values(support.get(path).text), "mcc": "5462", "state": "OR",
             "product_description": "Bread, cakes and pastries delivered to offices in Portland.",
             "dba": "Ann's Fine Bakery", "support_phone": "(503) 555-0134", "statement_descriptor": "ANNS FINE BAKERY",
             "line1": "address_full_match", "line2": "Suite 4", "reason": "Seller called: new trading name"}
    inbox.clear()

    response = send(support, path, typed)

    assert response.status_code == 303, field_errors(response.text)
    account = sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller))
    assert account.business_profile.name == "Ann's Fine Bakery"
    assert account.business_profile.support_phone == "+15035550134"
    assert account.settings.payments.statement_descriptor == "ANNS FINE BAKERY"
    assert account.individual.address.line2 == "Suite 4"
    # The mirror holds Stripe's answer at once.
    assert account_for_seller(sandboxed_client.app.state.db, seller).snapshot["business_profile"]["name"] == "Ann's Fine Bakery"

    [event] = events(sandboxed_client, seller, "staff.profile_update")
    assert (event.actor_email, event.reason) == ("sam@platform.test", "Seller called: new trading name")
    changed = {change["field"]: (change["old"], change["new"]) for change in event.details["changes"]}
    assert changed["Business name"] == ("Ann's Bakery", "Ann's Fine Bakery")
    assert changed["Support phone"] == ("+10000000000", "+15035550134")
    assert changed["Address"][1].startswith("address_full_match, Suite 4, Portland")
    assert "Website" not in changed and "Industry" not in changed

    # The seller's own forms show what Stripe holds, and typing the old name back is sent again.
    with sandboxed_client.app.state.db.transaction() as session:
        draft = session.get(OnboardingDraft, seller)
    assert draft.answers["profile"]["dba"] == "Ann's Fine Bakery" and draft.answers["identity"]["line2"] == "Suite 4"
    assert draft.answers["identity"]["first_name"] == "Ann"  # the rest of the identity answers stay
    assert "Ann&#39;s Fine Bakery" in sandboxed_client.get("/onboarding/profile").text
    assert submit(sandboxed_client, "profile", PROFILE).status_code == 303
    assert sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller)).business_profile.name == "Ann's Bakery"

    [mail] = mails(sandboxed_client, inbox, SELLER, "We changed your business profile")
    body = mail.get_content()
    assert "Business name: now Ann's Fine Bakery" in body and "Address changed" in body
    assert "Seller called" not in body and "sam@platform.test" not in body

    status = sandboxed_client.get("/status/").text
    assert "Our team updated your business profile: business name, product description, support phone, statement descriptor, address." in status
    assert "sam@platform.test" not in status and "Seller called" not in status


def test_a_new_website_asks_for_the_business_email_again(sandboxed_client, seller, support, inbox):
    db = sandboxed_client.app.state.db
    press_link_button(sandboxed_client, _business_link(sandboxed_client))  # the seller confirms the business email
    with db.transaction() as session:
        assert session.get(BusinessEmail, seller).confirmed_at is not None
    path = f"/staff/sellers/{seller}/profile"
    typed = {**form_values(support.get(path).text), "mcc": "5462", "state": "OR",
             "product_description": PROFILE["product_description"], "dba": "Ann's Bakery",
             "url": "https://shop.annsbakery.com", "reason": "The shop moved to its own address"}
    inbox.clear()

    assert send(support, path, typed).status_code == 303

    with db.transaction() as session:
        record = session.get(BusinessEmail, seller)
    assert record.website == "https://shop.annsbakery.com" and record.confirmed_at is None
    assert "business_email" in [hold.reason for hold in payout_holds.active_holds(db, seller)]
    assert account_for_seller(db, seller).snapshot["settings"]["payouts"]["schedule"]["interval"] == "manual"
    mails(sandboxed_client, inbox, SELLER, "Confirm your business email address")


def test_stripe_not_answering_keeps_what_was_typed_and_changes_nothing(sandboxed_client, seller, support, sdk):
    path = f"/staff/sellers/{seller}/profile"
    typed = {**form_values(support.get(path).text), "mcc": "5462", "state": "OR", "dba": "Ann's Fine Bakery",
             "product_description": PROFILE["product_description"], "reason": "Seller asked"}
    sdk.raw_request("post", "/v1/test_helpers/sandbox/faults",
                    faults=[{"match": "POST /v1/accounts/*", "kind": "500", "count": 10}])

    response = send(support, path, typed)

    sdk.raw_request("delete", "/v1/test_helpers/sandbox/faults")
    assert response.status_code == 400
    assert "Stripe did not answer just now. Nothing changed" in general_error(response.text)
    assert "Ann&#39;s Fine Bakery" in response.text
    assert events(sandboxed_client, seller, "staff.profile_update") == []


def test_stripe_errors_are_put_beside_the_field_they_concern():
    def failure(code, param):
        return StripeFailure("refused", code=code, param=param, kind="invalid_request_error", status=400)

    profile_fields = {**account_changes.PROFILE_FIELDS, **account_changes.CONTACT_FIELDS}
    problem = functools.partial(account_changes.stripe_problem, country="US")
    assert problem(failure("url_invalid", "business_profile[url]"), profile_fields).errors == {
        "url": "This website address isn't valid. Enter it like https://yourbusiness.com."}
    assert set(problem(failure(None, "individual[address][postal_code]"), profile_fields).errors) == {"postal_code"}
    assert set(problem(failure("invalid_phone_number", "phone"), account_changes.PERSON_FIELDS, resource="person").errors) == {"phone"}
    schedule = problem(
        StripeFailure("The minimum delay_days for this account is 7.", param="settings[payouts][schedule][delay_days]",
                      kind="invalid_request_error"), account_changes.SCHEDULE_FIELDS, show_stripe_words=True)
    assert schedule.errors == {"delay_days": "Stripe refused this: The minimum delay_days for this account is 7."}
    assert problem(failure(None, "metadata"), profile_fields).general
    # A German account's tax ID is told in Germany's words, to staff as to the seller.
    assert account_changes.stripe_problem(failure("tax_id_invalid", "company[tax_id]"), {"company.tax_id": "tax_id"},
                                          country="DE").errors == {
        "tax_id": "This tax ID isn't valid. Enter the Steuernummer with its letters and digits only, like 2181508150."}


# Owners, directors and executives ------------------------------------------------------------

DIRECTOR = {**IDENTITY, "first_name": "Bob", "last_name": "Okafor", "email": "bob@rocketrides.io", "title": "",
            "percent_ownership": "0", "director": "on", "ssn_last_4": ""}


def persons(sdk, account: str) -> dict[str, stripe.Person]:
    return {f"{p.first_name} {p.last_name}": p for p in sdk.v1.accounts.persons.list(account).data}


def draft_people(client, seller: int) -> dict[str, str]:
    with client.app.state.db.transaction() as session:
        rows = session.exec(select(DraftPerson).where(DraftPerson.seller_id == seller)).all()
    return {f"{row.answers['first_name']} {row.answers['last_name']}": row.stripe_person_id for row in rows}


def test_owners_added_edited_and_removed_reach_the_sandbox_and_the_sellers_people(sandboxed_client, inbox, support, sdk):
    company = company_seller(sandboxed_client, inbox)
    account = account_id(sandboxed_client, company)
    people_page = f"/staff/sellers/{company}/people"
    assert "Jenny Rosen" in support.get(people_page).text
    new = f"{people_page}/new"

    # Jenny owns 100% already: another owner's share is refused beside the field, as typed.
    refused = send(support, new, {**DIRECTOR, "owner": "on", "percent_ownership": "30", "reason": "New partner"})
    assert refused.status_code == 400
    assert field_errors(refused.text)["percent_ownership"].startswith("With this share the owners would hold 130%")
    assert 'value="Okafor"' in refused.text
    no_role = send(support, new, {**DIRECTOR, "director": "", "reason": "New director"})
    assert field_errors(no_role.text)["relationships"] == "Choose at least one role this person has in the company."

    inbox.clear()
    added = send(support, new, {**DIRECTOR, "reason": "Seller sent the board minutes"})
    assert added.status_code == 303, (field_errors(added.text), general_error(added.text))

    bob = persons(sdk, account)["Bob Okafor"]
    assert bob.relationship.director and not bob.relationship.owner
    assert draft_people(sandboxed_client, company)["Bob Okafor"] == bob.id  # the seller's people step knows him
    assert "Bob Okafor" in sandboxed_client.get("/onboarding/people").text
    assert "Added Bob Okafor (director)" in mails(sandboxed_client, inbox, "jenny@rocketrides.io", "We changed your account's people")[0].get_content()

    # The same form sent twice (a double click) adds him once.
    form = support.get(new).text
    attempt = re.search(r'name="attempt" value="([^"]+)"', form).group(1)
    twice = {**DIRECTOR, "first_name": "Carla", "last_name": "Diaz", "email": "carla@rocketrides.io",
             "executive": "on", "title": "CFO", "reason": "New CFO", "attempt": attempt, "csrf_token": csrf_from(form)}
    assert support.post(new, data=twice, follow_redirects=False).status_code == 303
    assert support.post(new, data=twice, follow_redirects=False).status_code == 303
    assert sorted(persons(sdk, account)) == ["Bob Okafor", "Carla Diaz", "Jenny Rosen"]

    edit = f"{people_page}/{bob.id}"
    values = form_values(support.get(edit).text)
    assert values["first_name"] == "Bob" and values["phone"] == "+10000000000"
    edited = send(support, edit, {**DIRECTOR, "phone": "(503) 555-0188", "executive": "on", "title": "COO",
                                  "reason": "Bob's new number"})
    assert edited.status_code == 303, field_errors(edited.text)
    bob = persons(sdk, account)["Bob Okafor"]
    assert bob.phone == "+15035550188" and bob.relationship.executive and bob.relationship.title == "COO"
    [event] = events(sandboxed_client, company, "staff.person_updated")
    changed = {change["field"]: (change["old"], change["new"]) for change in event.details["changes"]}
    assert changed["Phone"] == ("+10000000000", "+15035550188") and changed["Executive"] == (False, True)

    # Removing asks for a confirmation; the representative can't be removed.
    remove = f"{edit}/remove"
    assert "Remove Bob Okafor?" in support.get(remove).text
    unconfirmed = send(support, remove, {"reason": "Left the board"})
    assert unconfirmed.status_code == 400 and "confirm" in field_errors(unconfirmed.text)
    assert "Bob Okafor" in persons(sdk, account)
    jenny = persons(sdk, account)["Jenny Rosen"]
    refused = send(support, f"{people_page}/{jenny.id}/remove", {"reason": "x", "confirm": "on"})
    assert refused.status_code == 400 and "representative" in field_errors(refused.text)["confirm"]

    removed = send(support, remove, {"reason": "Left the board", "confirm": "on"})
    assert removed.status_code == 303
    assert sorted(persons(sdk, account)) == ["Carla Diaz", "Jenny Rosen"]
    assert "Bob Okafor" not in draft_people(sandboxed_client, company)
    assert [(e.action, e.actor_email) for e in events(sandboxed_client, company, "staff.person_removed")] == [
        ("staff.person_removed", "sam@platform.test")]
    assert [e.details["name"] for e in events(sandboxed_client, company, "staff.person_added")] == ["Bob Okafor", "Carla Diaz"]
    status = sandboxed_client.get("/status/").text
    assert "Our team removed Bob Okafor from the people on your account." in status
    assert "Our team added Carla Diaz to the people on your account." in status


def test_a_japanese_person_is_edited_in_kanji_and_katakana(sandboxed_client, inbox, support, sdk):
    from tests.countries.flows import COUNTRY_ANSWERS, onboard_company_in
    onboard_company_in("JP")(sandboxed_client, inbox)
    company = seller_id(sandboxed_client, "jenny@rocketrides.io")
    account = account_id(sandboxed_client, company)
    [person] = sdk.v1.accounts.persons.list(account).data
    people = support.get(f"/staff/sellers/{company}/people").text
    assert "花子 山田" in people  # named in kanji where Stripe holds no plain name
    edit = f"/staff/sellers/{company}/people/{person.id}"
    values = form_values(support.get(edit).text)
    assert (values["last_name_kana"], values["town_kanji"], values["postal_code"]) == ("ヤマダ", "神宮前3丁目", "150-0001")
    typed = {**OWNER, **{k: v for k, v in COUNTRY_ANSWERS["JP"]["identity"].items() if k not in ("first_name", "last_name")},
             "director": "on", "ssn_last_4": "", "reason": "The seller moved within Shibuya"}
    refused = send(support, edit, {**typed, "town_kana": "神宮前"})
    assert refused.status_code == 400 and set(field_errors(refused.text)) == {"town_kana"}
    assert 'value="神宮前"' in refused.text and 'value="渋谷区"' in refused.text
    edited = send(support, edit, {**typed, "town_kanji": "神宮前4丁目", "town_kana": "じんぐうまえ 4ちょうめ"})
    assert edited.status_code == 303, field_errors(edited.text)
    person = sdk.v1.accounts.persons.retrieve(account, person.id)
    assert person.address_kana.town == "ジングウマエ 4チョウメ" and person.address_kanji.town == "神宮前4丁目"
    [event] = events(sandboxed_client, company, "staff.person_updated")
    assert "Address in kanji" in {change["field"] for change in event.details["changes"]}


def test_a_full_ssn_goes_to_stripe_and_nowhere_else(sandboxed_client, inbox, support, sdk, caplog):
    caplog.set_level(logging.DEBUG)
    company = company_seller(sandboxed_client, inbox)
    account = account_id(sandboxed_client, company)
    jenny = persons(sdk, account)["Jenny Rosen"]
    edit = f"/staff/sellers/{company}/people/{jenny.id}"
    values = {**OWNER, "ssn_last_4": "", "id_number": "222-22-2222", "reason": "Stripe asked for the full number"}
    inbox.clear()

    response = send(support, edit, values)

    assert response.status_code == 303, field_errors(response.text)
    assert persons(sdk, account)["Jenny Rosen"].id_number_provided
    db = sandboxed_client.app.state.db
    with db.transaction() as session:
        stored = json.dumps([row.model_dump(mode="json") for model in (AuditEvent, DraftPerson, OnboardingDraft)
                             for row in session.exec(select(model)).all()])
    mail = " ".join(m.get_content() for m in mails(sandboxed_client, inbox, "jenny@rocketrides.io"))
    for secret in ("222222222", "222-22-2222"):
        assert secret not in stored and secret not in caplog.text and secret not in mail
    assert draft_people(sandboxed_client, company)["Jenny Rosen"] == jenny.id
    [event] = events(sandboxed_client, company, "staff.person_updated")
    assert {"field": "Full SSN", "old": "", "new": "sent to Stripe"} in event.details["changes"]


def test_an_individual_account_has_no_people_to_add(sandboxed_client, seller, support):
    page = support.get(f"/staff/sellers/{seller}/people").text
    assert "This is an individual's account" in page and "Add a person" not in page
    assert send(support, f"/staff/sellers/{seller}/people/new", {**DIRECTOR, "reason": "x"},
                page=f"/staff/sellers/{seller}/people").status_code == 303
    assert events(sandboxed_client, seller, "staff.person_added") == []


# Capabilities --------------------------------------------------------------------------------


def test_risk_requests_and_unrequests_capabilities_with_a_reason(sandboxed_client, seller, risk, sdk):
    account = account_id(sandboxed_client, seller)
    page = f"/staff/sellers/{seller}"
    assert "cashapp_payments" in risk.get(page).text

    done = send(risk, f"{page}/capabilities", {"capability": "cashapp_payments", "requested": "true",
                                               "reason": "Seller wants Cash App Pay"}, page=page)
    assert done.status_code == 303
    assert sdk.v1.accounts.capabilities.retrieve(account, "cashapp_payments").requested
    assert "cashapp_payments" in account_for_seller(sandboxed_client.app.state.db, seller).snapshot["capabilities"]

    again = send(risk, f"{page}/capabilities", {"capability": "cashapp_payments", "requested": "true",
                                                "reason": "twice"}, page=page)
    assert again.status_code == 400 and "already requested" in field_errors(again.text)["capability"]
    unknown = send(risk, f"{page}/capabilities", {"capability": "made_up", "requested": "true", "reason": "x"}, page=page)
    assert field_errors(unknown.text)["capability"] == "Choose a capability from the list."

    off = send(risk, f"{page}/capabilities", {"capability": "card_payments", "requested": "false",
                                              "reason": "Seller only takes transfers now"}, page=page)
    assert off.status_code == 303
    assert not sdk.v1.accounts.capabilities.retrieve(account, "card_payments").requested
    snapshot = account_for_seller(sandboxed_client.app.state.db, seller).snapshot
    assert "card_payments" not in (snapshot.get("capabilities") or {})  # as Stripe drops it from the map
    rows = {row.name: row for row in account_settings.capability_rows(account_for_seller(sandboxed_client.app.state.db, seller))}
    assert not rows["card_payments"].requested and rows["cashapp_payments"].requested

    first, second = events(sandboxed_client, seller, "staff.capability")
    assert (first.details["capability"], first.details["requested"], first.reason) == (
        "cashapp_payments", {"old": False, "new": True}, "Seller wants Cash App Pay")
    assert second.details["requested"] == {"old": True, "new": False} and second.actor_email == "rita@platform.test"
    assert "Our team turned off Card payments for your account." in sandboxed_client.get("/status/").text


# Payout schedule -----------------------------------------------------------------------------


def stripe_schedule(sdk, account: str) -> dict:
    schedule = sdk.v1.accounts.retrieve(account).settings.payouts.schedule.to_dict()
    return {key: schedule.get(key) for key in ("interval", "delay_days", "weekly_anchor", "monthly_anchor") if schedule.get(key)}


def test_the_schedule_form_explains_what_is_wrong_beside_each_field(sandboxed_client, seller, risk):
    path = f"/staff/sellers/{seller}/payout-schedule"
    cases = [
        ({"interval": "hourly"}, "interval", "Choose how often payouts go out."),
        ({"interval": "weekly", "delay": "minimum", "weekly_anchor": ""}, "weekly_anchor", "Choose the day of the week payouts go out."),
        ({"interval": "monthly", "delay": "minimum", "monthly_anchor": "32"}, "monthly_anchor", "Enter the day of the month payouts go out, from 1 to 31."),
        ({"interval": "daily", "delay": "days", "delay_days": "1"}, "delay_days", "Use a delay between 2 and 365 days (Stripe's minimum for this country is 2 days)."),
        ({"interval": "daily", "delay": "days", "delay_days": "soon"}, "delay_days", "Enter the delay as a whole number of days, 2 or more."),
    ]
    for data, name, message in cases:
        response = send(risk, path, {**data, "reason": "Seller asked"})
        assert response.status_code == 400, data
        assert field_errors(response.text)[name] == message
        assert 'value="Seller asked"' in response.text
    assert events(sandboxed_client, seller, "staff.payout_schedule") == []


def test_a_schedule_set_during_a_hold_waits_for_its_end_and_is_then_given_to_stripe(sandboxed_client, seller, risk, sdk, inbox):
    """The onboarded seller has not confirmed the business email yet: payouts are held."""
    account, path = account_id(sandboxed_client, seller), f"/staff/sellers/{seller}/payout-schedule"
    assert stripe_schedule(sdk, account)["interval"] == "manual"
    form = risk.get(path).text
    assert "Payouts are held" in form and "Automatic debiting of negative balances" in form
    assert '<option value="daily" selected>' in form  # what the hold's end restores, not the hold's manual
    inbox.clear()

    done = send(risk, path, {"interval": "weekly", "delay": "days", "delay_days": "5", "weekly_anchor": "friday",
                             "reason": "Seller wants weekly payouts"})

    assert done.status_code == 303, field_errors(done.text)
    assert stripe_schedule(sdk, account)["interval"] == "manual"  # the hold still stands
    db = sandboxed_client.app.state.db
    assert account_for_seller(db, seller).normal_schedule == {"interval": "weekly", "delay_days": 5, "weekly_anchor": "friday"}
    [event] = events(sandboxed_client, seller, "staff.payout_schedule")
    assert event.details["held"] and event.reason == "Seller wants weekly payouts"
    assert event.details["old"] == {"interval": "daily"}
    words = "Weekly, every Friday; each payment is paid out at the earliest 5 days after it is made."
    status = sandboxed_client.get("/status/").text
    assert f"Then your schedule is: {words}" in status and f"Our team set your payout schedule: {words}" in status
    body = mails(sandboxed_client, inbox, SELLER, "We changed your payout schedule")[0].get_content()
    assert words in body and "starts when the hold ends" in body

    press_link_button(sandboxed_client, _business_link(sandboxed_client))  # the seller confirms it at last

    assert stripe_schedule(sdk, account) == {"interval": "weekly", "delay_days": 5, "weekly_anchor": "friday"}
    assert words in sandboxed_client.get("/status/").text


def _business_link(client) -> str:
    """The business-email confirmation link the seller was mailed at onboarding, from the outbox."""
    with client.app.state.db.transaction() as session:
        messages = session.exec(select(OutboxMessage).where(OutboxMessage.subject == "Confirm your business email address")).all()
    return re.findall(r"http://testserver(/onboarding/\S+)", messages[-1].text_body)[0]


def test_without_a_hold_stripe_gets_the_schedule_at_once_and_a_risk_pause_restores_it(sandboxed_client, seller, risk, sdk):
    account, path = account_id(sandboxed_client, seller), f"/staff/sellers/{seller}/payout-schedule"
    press_link_button(sandboxed_client, _business_link(sandboxed_client))
    assert stripe_schedule(sdk, account)["interval"] == "daily"

    done = send(risk, path, {"interval": "monthly", "delay": "minimum", "monthly_anchor": "31", "reason": "Month-end payouts"})
    assert done.status_code == 303, field_errors(done.text)
    assert stripe_schedule(sdk, account) == {"interval": "monthly", "delay_days": 2, "monthly_anchor": 31}
    assert "Monthly, on the 31st (or the last day of shorter months)" in sandboxed_client.get("/status/").text

    page = f"/staff/sellers/{seller}"
    assert send(risk, f"{page}/pause-payouts", {"reason": "Chargeback spike"}, page=page).status_code == 303
    assert stripe_schedule(sdk, account)["interval"] == "manual"
    # A change while paused is remembered, not sent; resuming gives it to Stripe.
    assert send(risk, path, {"interval": "daily", "delay": "days", "delay_days": "7", "reason": "Slower payouts"}).status_code == 303
    assert stripe_schedule(sdk, account)["interval"] == "manual"
    assert send(risk, f"{page}/resume-payouts", {"reason": "Reviewed"}, page=page).status_code == 303
    assert stripe_schedule(sdk, account) == {"interval": "daily", "delay_days": 7}
    actions = [action for action, _ in trail(sandboxed_client, seller)]
    assert actions.count("staff.payout_schedule") == 2 and "risk.pause_payouts" in actions


# Pure parts ------------------------------------------------------------------------------------


def _account(schedule: dict) -> dict:
    return {"settings": {"payouts": {"schedule": schedule}}}


def test_schedule_for_keeps_a_chosen_schedule_behind_a_hold_and_leaves_the_sellers_own_alone():
    weekly = {"interval": "weekly", "weekly_anchor": "friday", "delay_days": "minimum"}
    # Chosen while held: Stripe stays manual, the choice is what the hold's end restores.
    assert payout_holds.schedule_for(_account({"interval": "manual"}), {"interval": "daily"}, True, weekly) == (
        {"interval": "manual"}, weekly)
    # Chosen while held but Stripe was never made manual: manual now, and the choice is still kept.
    assert payout_holds.schedule_for(_account({"interval": "daily", "delay_days": 2}), None, True, weekly) == (
        {"interval": "manual"}, weekly)
    assert payout_holds.schedule_for(_account({"interval": "daily"}), None, False, weekly) == (weekly, weekly)
    # No hold, and Stripe has a schedule of the seller's own: kept, not put back to the old one.
    own = {"interval": "monthly", "monthly_anchor": 15, "delay_days": 2}
    assert payout_holds.schedule_for(_account(own), {"interval": "daily"}, False) == (own, own)
    # The last hold ended: the remembered schedule comes back.
    assert payout_holds.schedule_for(_account({"interval": "manual"}), weekly, False) == (weekly, weekly)


def test_stripes_minimum_delay_counts_as_already_applied_except_when_just_chosen():
    current = {"interval": "weekly", "weekly_anchor": "friday", "delay_days": 2}
    wanted = {"interval": "weekly", "weekly_anchor": "friday", "delay_days": "minimum"}
    assert payout_holds.already(current, wanted)
    assert not payout_holds.already(current, wanted, exact=True)
    assert not payout_holds.already(current, {**wanted, "weekly_anchor": "monday"})


def test_schedules_in_words():
    words = account_settings.schedule_words
    assert words({"interval": "daily", "delay_days": 2}) == "Daily; each payment is paid out at the earliest 2 days after it is made."
    assert words({"interval": "manual", "delay_days": 2}) == "Manual: your balance stays with Stripe until a payout is requested."
    assert words({"interval": "monthly", "monthly_anchor": 1, "delay_days": "minimum"}) == (
        "Monthly, on the 1st; each payment is paid out as soon as Stripe allows.")
    assert words({"interval": "weekly", "weekly_anchor": "tuesday", "delay_days": 1}).startswith("Weekly, every Tuesday")
    assert words({"interval": "monthly", "monthly_anchor": 22}).startswith("Monthly, on the 22nd")
