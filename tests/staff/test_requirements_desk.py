"""The requirements desk: each requirement's page in the console, submitting it on the seller's
behalf, mailing the seller a single-use remediation link, and the summary for a Stripe support case.

The seller is onboarded through the portal against the sandbox; requirements are added with the
sandbox's test helpers and the mirror brought up to date by reading the account, as a webhook would."""

import io
import logging
import re
import struct
import zlib
from datetime import timedelta

import time_machine
from sqlmodel import select

from portal.accounts.links import LinkProblem
from portal.audit import AuditEvent
from portal.connect import remediation_links
from portal.connect.mirror import account_for_seller, record_account
from portal.db import utcnow
from portal.integrations.mail import OutboxMessage
from portal.staff.models import StaffMember, StaffRole
from portal.staff.requirements_desk import tried
from portal.accounts.service import sign_up as sign_up_seller
from tests.conftest import PASSWORD, csrf_from, link_page, log_in, post_form, press_link_button
from tests.onboarding.flows import onboard_company
from tests.security.helpers import code, later
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import seller_id, staff_browser, trail

EMAIL = "ann@annsbakery.com"
DOCUMENT = "individual.verification.document"
SSN = "individual.id_number"


def png(width: int = 400, height: int = 300) -> bytes:
    """A real, small PNG: the sandbox, like Stripe, reads the image it is given."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def account_id(client, seller: int) -> str:
    return account_for_seller(client.app.state.db, seller).stripe_account_id


def sync(client, sdk, seller: int) -> dict:
    """Read the account from the sandbox into the mirror, as the account.updated webhook would."""
    account = sdk.v1.accounts.retrieve(account_id(client, seller)).to_dict()
    record_account(client.app.state.db, seller, account)
    return account


def require(client, sdk, seller: int, field: str, **params) -> dict:
    sdk.raw_request("post", f"/v1/test_helpers/accounts/{account_id(client, seller)}/requirements", field=field, **params)
    return sync(client, sdk, seller)


def intervene(client, sdk, seller: int) -> str:
    sdk.raw_request("post", f"/v1/test_helpers/accounts/{account_id(client, seller)}/interventions",
                    category="risk_review", form="form")
    account = sync(client, sdk, seller)
    return next(key for key in account["requirements"]["currently_due"] if key.startswith("interv_"))


def page_of(seller: int, key: str) -> str:
    return f"/staff/sellers/{seller}/requirements/{key}"


def send(staff, seller: int, key: str, data: dict, files: dict | None = None):
    token = csrf_from(staff.get(page_of(seller, key)).text)
    return staff.post(page_of(seller, key) + "/submit", data={"csrf_token": token, **data}, files=files,
                      follow_redirects=False)


def link_form(staff, seller: int, key: str, reason: str = "Seller asked for a fresh link") -> dict:
    """The "Email the link" form as the page serves it: its CSRF token and one-time submission id."""
    page = staff.get(page_of(seller, key)).text
    submission = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_from(page), "submission": submission, "reason": reason}


def send_link(staff, seller: int, key: str, reason: str = "Seller asked for a fresh link", **kwargs):
    return staff.post(page_of(seller, key) + "/link", data=link_form(staff, seller, key, reason), **kwargs)


def mailed(client, inbox, subject: str, count: int = 1) -> str:
    client.get("/healthz")  # the mailer lives on the seller client's loop: let it turn once
    return inbox.wait_for(EMAIL, count, subject=subject)[-1].get_content()


def mailed_link(client, inbox, count: int = 1) -> str:
    body = mailed(client, inbox, "A link to fix your seller account", count)
    return "/" + re.search(r"https?://\S+/status/remediation/\S+", body).group(0).split("/", 3)[3]


def errors_in(html: str) -> dict[str, str]:
    """Field errors by field name (names here hold dots, which onboarding's field_errors does not read)."""
    found = re.findall(r'<p class="field-error" id="([\w.-]+)-error">(?:<span class="visually-hidden">Error:</span>)?\s*(.*?)</p>', html, re.S)
    return {name: re.sub(r"\s+", " ", text).strip() for name, text in found}


def events(client, seller: int, action: str) -> list[AuditEvent]:
    with client.app.state.db.transaction() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.seller_id == seller, AuditEvent.action == action)).all())


# The console lists and links every requirement.

def test_the_sellers_page_links_every_requirement_in_dashboard_order(sandboxed_client, sdk, seller, support):
    require(sandboxed_client, sdk, seller, SSN)
    require(sandboxed_client, sdk, seller, DOCUMENT, past_due=True)

    page = support.get(f"/staff/sellers/{seller}").text
    links = re.findall(r'<a class="action__words" href="([^"]+)"', page)
    assert links == [page_of(seller, DOCUMENT), page_of(seller, SSN)]
    assert "<code>individual.verification.document</code>" in page
    # The seller's own page shows the same list without the console's links.
    status = sandboxed_client.get("/status/").text
    assert "A photo of your ID" in status and "/staff/" not in status


def test_a_requirements_page_shows_its_words_keys_deadline_capabilities_and_errors(sandboxed_client, sdk, seller, support):
    account = require(sandboxed_client, sdk, seller, DOCUMENT, past_due=True)
    account["requirements"]["errors"] = [{"code": "verification_document_expired", "requirement": DOCUMENT,
                                          "reason": "The document is expired."}]
    record_account(sandboxed_client.app.state.db, seller, account)

    page = support.get(page_of(seller, DOCUMENT))

    assert page.status_code == 200
    # Staff's words (about the seller, not to them), and when it fell due or that Stripe gave no date.
    assert "A photo of the seller&#39;s ID" in page.text and "A photo of your ID" not in page.text
    assert "Past due" in page.text and "No deadline set" not in page.text
    assert re.search(r'id="requirement-due">(Fell due|Already past due: Stripe gave no date)', page.text)
    assert "<code>individual.verification.document</code>" in page.text
    assert "<code>verification_document_expired</code>" in page.text and "The document is expired." in page.text
    assert "expired" in re.search(r'<p class="field-error">(.*?)</p>', page.text).group(1).lower()
    assert "<code>requirements.past_due</code>" in page.text
    summary = re.search(r'<textarea id="stripe-summary"[^>]*>(.*?)</textarea>', page.text, re.S).group(1)
    assert account["id"] in summary and "Business name: Ann&#39;s Bakery" in summary
    assert "Country: US; business type: individual" in summary and "disabled_reason: requirements.past_due" in summary
    assert "individual.verification.document: verification_document_expired (The document is expired.)" in summary


def test_a_requirement_no_longer_asked_for_is_a_clear_page(sandboxed_client, sdk, seller, support):
    response = support.get(page_of(seller, "individual.dob.day"))
    assert response.status_code == 404 and "No longer required" in response.text
    account = sync(sandboxed_client, sdk, seller)
    account["requirements"]["pending_verification"] = [DOCUMENT]
    record_account(sandboxed_client.app.state.db, seller, account)
    assert "Stripe is checking what was sent" in support.get(page_of(seller, DOCUMENT)).text
    # Acting on it is refused the same way, and nothing is sent or recorded.
    assert send(support, seller, DOCUMENT, {"reason": "x"}).status_code == 409
    assert trail(sandboxed_client, seller) == []


# Submitting on the seller's behalf.

def test_each_action_needs_a_support_role_and_a_staff_session(sandboxed_client, sdk, seller, inbox):
    require(sandboxed_client, sdk, seller, DOCUMENT)
    # No staff session (the seller's own is not one): sent to the staff sign-in.
    token = csrf_from(sandboxed_client.get("/status/").text)
    for action in ("submit", "link"):
        response = sandboxed_client.post(page_of(seller, DOCUMENT) + "/" + action, data={"csrf_token": token, "reason": "x"},
                                         follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")
    assert sandboxed_client.get(page_of(seller, DOCUMENT), follow_redirects=False).headers["location"].startswith("/staff/sign-in")
    # Every role this version knows holds support; a role it does not know (read-only analysts
    # added at the identity provider, say) may look but not act.
    staff = staff_browser(sandboxed_client)
    member = dev_sign_in(staff, "ada@platform.test", StaffRole.support)
    with sandboxed_client.app.state.db.transaction() as session:
        stored = session.get(StaffMember, member.id)
        stored.role = "analyst"
        session.add(stored)
    page = staff.get(page_of(seller, DOCUMENT))
    assert page.status_code == 200 and "need the support, risk or admin role" in page.text
    files = {DOCUMENT: ("id.png", io.BytesIO(png()), "image/png")}
    assert send(staff, seller, DOCUMENT, {"reason": "x"}, files).status_code == 403
    assert post_form(staff, page_of(seller, DOCUMENT) + "/link", {"reason": "x"}, page=page_of(seller, DOCUMENT)).status_code == 403
    assert trail(sandboxed_client, seller) == []
    assert sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller)).individual.verification.document.front is None


def test_staff_upload_the_sellers_document_with_a_reason_and_the_seller_is_told(sandboxed_client, sdk, seller, support, inbox):
    require(sandboxed_client, sdk, seller, DOCUMENT, past_due=True)
    files = lambda: {DOCUMENT: ("licence.png", io.BytesIO(png()), "image/png")}  # noqa: E731

    no_reason = send(support, seller, DOCUMENT, {"reason": " "}, files())
    assert no_reason.status_code == 400
    assert errors_in(no_reason.text) == {"submit": "Give a reason: it goes on the seller&#39;s audit trail."}
    bad_file = send(support, seller, DOCUMENT, {"reason": "Seller emailed us their licence"},
                    {DOCUMENT: ("id.txt", io.BytesIO(b"not an image"), "text/plain")})
    assert bad_file.status_code == 400 and "JPEG or PNG" in errors_in(bad_file.text)[DOCUMENT]
    assert 'value="Seller emailed us their licence"' in bad_file.text  # the reason is kept
    assert sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller)).individual.verification.document.front is None

    done = send(support, seller, DOCUMENT, {"reason": "Seller emailed us their licence"}, files())

    assert done.status_code == 303 and done.headers["location"] == f"/staff/sellers/{seller}"
    truth = sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller))
    assert truth.individual.verification.document.front.startswith("file_")
    mirrored = account_for_seller(sandboxed_client.app.state.db, seller).snapshot
    assert DOCUMENT not in mirrored["requirements"]["past_due"]  # Stripe's answer is in the mirror at once
    [event] = events(sandboxed_client, seller, "staff.requirement_submitted")
    assert event.actor_email == "sam@platform.test" and event.reason == "Seller emailed us their licence"
    assert event.details["fields"] == [DOCUMENT] and event.details["requirement"] == DOCUMENT
    mail = mailed(sandboxed_client, inbox, "Our team updated your seller account")
    assert "a photo of your ID (passport, driver's license or state ID) (a document was uploaded)" in mail
    assert "/status/" in mail and "will never ask for your password" in mail
    assert "licence.png" not in mail and "Seller emailed us" not in mail  # the staff reason stays internal


def test_a_full_ssn_sent_by_staff_reaches_stripe_and_nowhere_else(sandboxed_client, sdk, seller, support, inbox,
                                                                 sandboxed_settings, caplog):
    caplog.set_level(logging.DEBUG)
    require(sandboxed_client, sdk, seller, SSN)

    typo = send(support, seller, SSN, {SSN: "22222", "reason": "Seller read it out on a verified call"})
    assert typo.status_code == 400 and SSN in errors_in(typo.text)
    assert "22222" not in typo.text  # a secret is never shown again, even a wrong one
    assert 'value="Seller read it out on a verified call"' in typo.text

    done = send(support, seller, SSN, {SSN: "222-22-2222", "reason": "Seller read it out on a verified call"})
    assert done.status_code == 303, errors_in(done.text)

    assert sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller)).individual.id_number_provided is True
    [event] = events(sandboxed_client, seller, "staff.requirement_submitted")
    assert event.details["fields"] == [SSN]
    mail = mailed(sandboxed_client, inbox, "Our team updated your seller account")
    assert "your full Social Security number" in mail
    summary = support.get(page_of(seller, SSN))
    sandboxed_client.app.state.db.dispose()
    stored = b"".join(path.read_bytes() for path in sandboxed_settings.var_dir.glob("portal.db*"))
    for secret in ("222222222", "222-22-2222"):
        assert secret.encode() not in stored
        assert secret not in caplog.text and secret not in mail and secret not in str(event.details)
        assert secret not in summary.text


def test_a_refused_field_keeps_what_staff_typed_and_the_mail_names_the_fields_sent(sandboxed_client, sdk, seller, support,
                                                                                    inbox):
    require(sandboxed_client, sdk, seller, "individual.address.line1")
    key = "individual.address.line1"
    typed = {"individual.address.line1": "address_full_match", "individual.address.line2": "",
             "individual.address.city": "Salem", "individual.address.state": "OR", "reason": "Seller moved; told us by phone"}

    refused = send(support, seller, key, {**typed, "individual.address.postal_code": "ABCDE"})
    assert refused.status_code == 400 and list(errors_in(refused.text)) == ["individual.address.postal_code"]
    assert 'value="Salem"' in refused.text and 'value="Seller moved; told us by phone"' in refused.text
    assert '<option value="OR" selected>' in refused.text

    done = send(support, seller, key, {**typed, "individual.address.postal_code": "97301"})
    assert done.status_code == 303, errors_in(done.text)
    address = sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller)).individual.address
    assert (address.city, address.postal_code) == ("Salem", "97301")
    [event] = events(sandboxed_client, seller, "staff.requirement_submitted")
    assert event.details["fields"] == ["individual.address.line1", "individual.address.city", "individual.address.state",
                                       "individual.address.postal_code"]
    mail = mailed(sandboxed_client, inbox, "Our team updated your seller account")
    assert "- your home address (Street address, City, State, ZIP code)" in mail
    assert "Salem" not in mail and "97301" not in mail


def test_a_persons_requirement_reaches_that_person_in_the_sandbox(sandboxed_client, sdk, inbox, support):
    client = sandboxed_client
    onboard_company(client, inbox)
    company = seller_id(client, "jenny@rocketrides.io")
    acct = account_id(client, company)
    [person] = sdk.v1.accounts.persons.list(acct).data
    key = f"{person.id}.verification.document"
    require(client, sdk, company, key)

    page = support.get(page_of(company, key)).text
    assert "Jenny Rosen" in page
    done = send(support, company, key, {"reason": "Jenny sent her passport by post"},
                {key: ("passport.png", io.BytesIO(png()), "image/png")})

    assert done.status_code == 303, errors_in(done.text)
    assert sdk.v1.accounts.persons.retrieve(acct, person.id).verification.document.front.startswith("file_")
    assert [e.details["fields"] for e in events(client, company, "staff.requirement_submitted")] == [[key]]


def test_what_only_the_seller_or_stripe_can_give_has_no_staff_form(sandboxed_client, sdk, seller, support):
    require(sandboxed_client, sdk, seller, "tos_acceptance.date")
    page = support.get(page_of(seller, "tos_acceptance.date")).text
    assert "Only the seller can accept Stripe's agreement again" in page and "Send to Stripe for the seller" not in page
    response = send(support, seller, "tos_acceptance.date", {"reason": "x", "tos_acceptance": "on"})
    assert response.status_code == 409 and "cannot collect this from staff" in response.text
    intervention = intervene(sandboxed_client, sdk, seller)
    page = support.get(page_of(seller, intervention)).text
    assert "Stripe&#39;s hosted page" in page and "contact Stripe" in page
    assert "Send to Stripe for the seller" not in page
    assert trail(sandboxed_client, seller) == []


# Remediation links.

def test_a_link_needs_a_reason_is_mailed_shown_once_and_audited_without_its_token(sandboxed_client, sdk, seller, support, inbox):
    require(sandboxed_client, sdk, seller, SSN)
    refused = send_link(support, seller, SSN, reason="")
    assert refused.status_code == 400 and errors_in(refused.text) == {"link": "Give a reason: it goes on the seller&#39;s audit trail."}
    assert events(sandboxed_client, seller, "staff.remediation_link") == []

    sent = send_link(support, seller, SSN, follow_redirects=False)

    assert sent.status_code == 303 and sent.headers["location"] == page_of(seller, SSN)  # post/redirect/get
    shown = support.get(sent.headers["location"])
    link = re.search(r'id="remediation-link"[^>]* value="([^"]+)"', shown.text).group(1)
    path = mailed_link(sandboxed_client, inbox)
    assert link.endswith(path) and path.startswith(f"/status/remediation/{SSN}/")
    token = path.rsplit("/", 1)[1]
    [event] = events(sandboxed_client, seller, "staff.remediation_link")
    assert event.reason == "Seller asked for a fresh link" and event.details["requirement"] == SSN
    assert event.details["where"] == "form" and event.details["sent_to"] == EMAIL
    assert token not in str(event.details) and token not in event.reason
    mail = mailed(sandboxed_client, inbox, "A link to fix your seller account")
    assert "Your full Social Security number" in mail and "works once, for 7 days" in mail
    assert "will never ask for your password" in mail
    # The desk's history and the Stripe summary now say a link was sent; the link itself is not there.
    page = support.get(page_of(seller, SSN)).text
    assert "staff.remediation_link" in page and "staff emailed the seller a link to fix it (staff)" in page
    assert token not in page


def test_the_seller_follows_the_link_to_the_form_for_that_requirement_and_fixes_it(sandboxed_client, sdk, seller, support, inbox):
    require(sandboxed_client, sdk, seller, SSN)
    send_link(support, seller, SSN)
    path = mailed_link(sandboxed_client, inbox)

    landing = sandboxed_client.get(path)  # a mail scanner's visit would stop here: nothing is used up
    assert landing.status_code == 200 and "Your full Social Security number" in landing.text
    assert sandboxed_client.get(path).status_code == 200
    followed = press_link_button(sandboxed_client, path, follow_redirects=False)
    assert followed.status_code == 303 and followed.headers["location"] == f"/status/?requirement={SSN}#fix"
    status = sandboxed_client.get(followed.headers["location"]).text
    assert 'id="fix-focus"' in status and f'name="requirement" value="{SSN}"' in status
    fixed = post_form(sandboxed_client, "/status/fix", {SSN: "000000000", "requirement": SSN}, page="/status/",
                      follow_redirects=False)
    assert fixed.status_code == 303, errors_in(fixed.text)
    assert sdk.v1.accounts.retrieve(account_id(sandboxed_client, seller)).individual.id_number_provided is True
    assert [e.details["fields"] for e in events(sandboxed_client, seller, "seller.requirements_sent")] == [[SSN]]

    again = sandboxed_client.get(path)
    assert again.status_code == 400 and "already been used" in again.text
    assert [e.details["requirement"] for e in events(sandboxed_client, seller, "seller.remediation_link_followed")] == [SSN]


def test_a_link_for_a_requirement_needed_later_still_opens_its_form(sandboxed_client, sdk, seller, support, inbox):
    account = sync(sandboxed_client, sdk, seller)
    account["requirements"]["eventually_due"] = [SSN]
    record_account(sandboxed_client.app.state.db, seller, account)
    send_link(support, seller, SSN)
    path = mailed_link(sandboxed_client, inbox)
    assert f'id="{SSN}"' not in sandboxed_client.get("/status/").text  # not on the form until asked for
    location = press_link_button(sandboxed_client, path, follow_redirects=False).headers["location"]
    assert f'id="{SSN}"' in sandboxed_client.get(location).text


def test_where_the_api_cannot_collect_it_the_link_opens_a_fresh_hosted_account_link(sandboxed_client, sdk, seller, support, inbox,
                                                                                   stripe_sandbox):
    intervention = intervene(sandboxed_client, sdk, seller)
    shown = send_link(support, seller, intervention)
    assert "opens a fresh page on Stripe" in shown.text
    path = mailed_link(sandboxed_client, inbox)
    assert "Stripe's secure page" in mailed(sandboxed_client, inbox, "A link to fix your seller account")
    calls = sandboxed_client.app.state.stripe.calls

    landing = sandboxed_client.get(path)
    assert "Continue on Stripe's secure page" in landing.text
    assert sandboxed_client.app.state.stripe.calls == calls  # no Account Link until the seller presses the button
    followed = press_link_button(sandboxed_client, path, follow_redirects=False)

    assert followed.status_code == 303
    _, sandbox_url = stripe_sandbox
    assert re.fullmatch(re.escape(sandbox_url) + r"/setup/\S+/" + account_id(sandboxed_client, seller) + r"/\S+",
                        followed.headers["location"])
    assert sandboxed_client.app.state.stripe.calls == calls + 1  # made when followed, not when mailed
    again = post_form(sandboxed_client, link_page(path), {}, page="/status/", follow_redirects=False)
    assert again.status_code == 400 and "already been used" in again.text


def test_a_link_is_only_for_the_seller_it_was_sent_to_who_signs_in_first(sandboxed_client, sdk, seller, support, inbox):
    key = sandboxed_client.two_factor_key  # set up when the onboarding made the account
    require(sandboxed_client, sdk, seller, SSN)
    send_link(support, seller, SSN)
    path = mailed_link(sandboxed_client, inbox)

    other = staff_browser(sandboxed_client)
    sign_up_seller(sandboxed_client.app.state.db, "bob@bobsbikes.com", PASSWORD)
    assert log_in(other, "bob@bobsbikes.com").status_code == 303
    refused = other.get(path)
    assert refused.status_code == 403 and "This link is for another account" in refused.text
    assert post_form(other, link_page(path), {}, page="/dashboard", follow_redirects=False).status_code == 403

    stranger = staff_browser(sandboxed_client)
    landed = stranger.get(path, follow_redirects=False)
    assert landed.status_code == 303 and landed.headers["location"] == link_page(path)
    asked = stranger.get(link_page(path), follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/account/login?next=")
    assert path.rsplit("/", 1)[1] not in asked.headers["location"]  # the token is not handed to the login page
    login = post_form(stranger, asked.headers["location"], {"email": EMAIL, "password": PASSWORD}, follow_redirects=False)
    assert login.headers["location"] == "/account/security/sign-in/code"
    with later():
        signed_in = post_form(stranger, login.headers["location"], {"code": code(key)}, follow_redirects=False)
        assert signed_in.headers["location"] == link_page(path)  # back to the link after signing in
        followed = post_form(stranger, link_page(path), {}, follow_redirects=False)
    assert followed.status_code == 303  # still unused: the other seller's visits changed nothing


def test_an_expired_tampered_or_cleared_link_says_so(sandboxed_client, sdk, seller, support, inbox):
    require(sandboxed_client, sdk, seller, SSN)
    require(sandboxed_client, sdk, seller, DOCUMENT)
    send_link(support, seller, SSN)
    path = mailed_link(sandboxed_client, inbox)
    token = path.rsplit("/", 1)[1]

    moved = sandboxed_client.get(f"/status/remediation/{DOCUMENT}/{token}")  # a good token under another requirement
    assert moved.status_code == 400 and "not valid" in moved.text
    assert sandboxed_client.get(path[:-3] + "abc").status_code == 400
    with time_machine.travel(utcnow() + timedelta(days=8)):
        expired = sandboxed_client.get(path)
    assert expired.status_code == 400 and "expired" in expired.text

    account = sync(sandboxed_client, sdk, seller)
    for bucket in ("currently_due", "past_due", "eventually_due"):
        account["requirements"][bucket] = [key for key in account["requirements"][bucket] if key != SSN]
    record_account(sandboxed_client.app.state.db, seller, account)
    cleared = sandboxed_client.get(path)
    assert cleared.status_code == 200 and "Stripe no longer needs this" in cleared.text


# The summary for Stripe support.

def test_the_summary_lists_what_was_tried_without_long_numbers(sandboxed_client, sdk, seller, support, inbox):
    intervention = intervene(sandboxed_client, sdk, seller)
    send_link(support, seller, intervention, reason="Told the seller; their SSN 123-45-6789 was read out by mistake")
    page = support.get(page_of(seller, intervention)).text
    summary = re.search(r'<textarea id="stripe-summary"[^>]*>(.*?)</textarea>', page, re.S).group(1)

    assert f"Stripe keys: {intervention}" in summary
    assert "card_payments active" in summary and "transfers active" in summary
    assert "staff emailed the seller a link to fix it (staff)" in summary
    assert "123-45-6789" not in summary and "[number removed]" in summary
    assert "Deadline:" in summary and "Errors: none" in summary


def test_history_counts_account_wide_links_for_every_requirement():
    class Event:
        def __init__(self, action, details):
            self.action, self.details, self.at, self.actor_kind, self.reason = action, details, utcnow(), "staff", ""

    trail_newest_first = [
        Event("staff.remediation_link", {"requirement": "other.key", "keys": ["other.key"]}),
        Event("risk.remediation_link", {}),
        Event("staff.note", {}),
        Event("staff.requirement_submitted", {"requirement": DOCUMENT, "keys": [DOCUMENT], "fields": [DOCUMENT]}),
    ]
    assert [e.action for e in tried(trail_newest_first, [DOCUMENT])] == ["staff.requirement_submitted", "risk.remediation_link"]


def test_a_link_token_names_its_seller_and_requirement_and_is_spent_once(db):
    token = remediation_links.make_link_token("a-secret", 7, SSN)
    assert remediation_links.check(db, "a-secret", token, SSN) == 7
    assert remediation_links.check(db, "a-secret", token, DOCUMENT) is LinkProblem.invalid
    assert remediation_links.check(db, "another-secret", token, SSN) is LinkProblem.invalid
    assert remediation_links.check(db, "a-secret", token, SSN, max_age=-1) is LinkProblem.expired
    assert remediation_links.spend(db, token) is True
    assert remediation_links.spend(db, token) is LinkProblem.used
    assert remediation_links.check(db, "a-secret", token, SSN) is LinkProblem.used


def _links_mailed(client) -> int:
    with client.app.state.db.transaction() as session:
        return len([m for m in session.exec(select(OutboxMessage)).all()
                    if m.subject == "A link to fix your seller account"])


def test_a_resubmitted_link_form_mails_nothing_and_the_link_shows_only_once(sandboxed_client, sdk, seller, support, inbox):
    require(sandboxed_client, sdk, seller, SSN)
    form = link_form(support, seller, SSN)

    first = support.post(page_of(seller, SSN) + "/link", data=form, follow_redirects=False)
    assert first.status_code == 303
    shown = support.get(first.headers["location"]).text
    assert 'id="remediation-link"' in shown and 'data-copy="remediation-link"' in shown
    # A reload of the page the browser landed on no longer shows the link (and sends nothing).
    assert 'id="remediation-link"' not in support.get(first.headers["location"]).text

    # The same form again (Back and resubmit, or a double click): one mail, one audit row.
    again = support.post(page_of(seller, SSN) + "/link", data=form, follow_redirects=False)
    assert again.status_code == 303
    after = support.get(again.headers["location"]).text
    assert "nothing was sent again" in after and 'id="remediation-link"' not in after
    assert _links_mailed(sandboxed_client) == 1
    assert len(events(sandboxed_client, seller, "staff.remediation_link")) == 1

    # A fresh form (the page opened again) is a deliberate second send.
    assert send_link(support, seller, SSN, follow_redirects=False).status_code == 303
    assert _links_mailed(sandboxed_client) == 2

    # Without the form's one-time id (an old page, or a forged post), nothing is sent.
    stale = {key: value for key, value in link_form(support, seller, SSN).items() if key != "submission"}
    refused = support.post(page_of(seller, SSN) + "/link", data=stale, follow_redirects=False)
    assert refused.status_code == 400 and "This form had expired" in refused.text
    assert _links_mailed(sandboxed_client) == 2
