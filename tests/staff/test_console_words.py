"""What the console says to a new staff member (issue 21): requirements in staff's words, when a
past-due requirement fell due, sellers named on the money lists, ids never restyled, copy boxes
without inline script, and the approval rule before a money form is submitted."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.connect import mirror
from portal.connect.requirements import Requirement, actions_required, describe
from portal.funds.models import AWAITING_APPROVAL, EXECUTED, SEND, FundsMovement
from portal.settings import PROJECT_ROOT
from portal.staff.models import StaffRole
from portal.staff.requirements_desk import due_words
from tests.conftest import post_form
from tests.connect.test_negative_balances import _seller_below_zero
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser

KEYS = ["individual.verification.document", "individual.id_number", "company.tax_id", "external_account",
        "business_profile.product_description", "individual.relationship.owner", "interv_abc123", "person_9.dob.day",
        "representative.first_name", "settings.payments.statement_descriptor", "tos_acceptance"]


@pytest.mark.parametrize("key", KEYS)
def test_staff_words_speak_about_the_seller_never_to_them(key):
    seller_words = describe(key, {})[1]
    staff_words = describe(key, {}, for_staff=True)[1]
    assert not re.search(r"\byou(r)?\b", staff_words), staff_words
    # The same table: only whose it is changes, so the two never drift apart.
    assert staff_words != seller_words or not re.search(r"\byou(r)?\b", seller_words)


def test_staff_words_name_the_seller_and_the_people_by_name():
    assert describe("individual.verification.document", {}, for_staff=True)[1] == \
        "a photo of the seller's ID (passport, driver's license or state ID)"
    assert describe("individual.verification.document", {})[1].startswith("a photo of your ID")
    assert describe("person_9.dob.day", {"person_9": "Jane Roe"}, for_staff=True)[1] == "Jane Roe's date of birth"
    assert describe("company.tax_id", {}, for_staff=True)[1] == "the company's EIN"
    [action] = actions_required({"requirements": {"past_due": ["individual.verification.document"]}})
    assert action.words.startswith("a photo of your ID") and action.staff_words.startswith("a photo of the seller's ID")


def _requirement(bucket: str, deadline: int | None) -> Requirement:
    return Requirement(keys=["individual.id_number"], path="individual.id_number", words="w", bucket=bucket,
                       label="Past due" if bucket == "past_due" else "Due now", deadline=deadline, person=None)


def test_past_due_says_when_it_fell_due_or_that_stripe_gave_no_date():
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    passed = int(datetime(2026, 12, 1, 9, tzinfo=UTC).timestamp())
    later = int(datetime(2026, 12, 20, tzinfo=UTC).timestamp())
    assert due_words(_requirement("past_due", passed), now) == "Fell due Dec 1, 2026 09:00 UTC"
    # Never "past due" beside "no deadline"; a later date is the deadline of what is currently due.
    assert due_words(_requirement("past_due", None), now) == "Already past due: Stripe gave no date for when it fell due"
    assert due_words(_requirement("past_due", later), now) == "Already past due: Stripe gave no date for when it fell due"
    assert due_words(_requirement("currently_due", later), now) == "Due by Dec 20, 2026 00:00 UTC"
    assert due_words(_requirement("currently_due", None), now) == "No deadline set"


def _named(db, seller_id: int, account_id: str, name: str) -> None:
    # Clearly later than the state the seller was set up with: a state within 2 s would wait for a read.
    mirror.record_account(db, seller_id, {"id": account_id, "object": "account", "business_profile": {"name": name}}, as_of=10)


def test_the_money_lists_name_sellers_by_business_name_and_email_linked_to_their_file(client):
    db = client.app.state.db
    owes = _seller_below_zero(db, "owes@example.com", "acct_1OwesAbCdEf", -2500, 40)
    _named(db, owes, "acct_1OwesAbCdEf", "Owl & Co Bakery")
    with db.transaction() as session:
        for state, token in ((AWAITING_APPROVAL, "a" * 20), (EXECUTED, "b" * 20)):
            session.add(FundsMovement(seller_id=owes, stripe_account_id="acct_1OwesAbCdEf", direction=SEND, amount=2500,
                                      currency="usd", reason="cover", form_token=token, state=state,
                                      requested_by_id=99, requested_by_email="x@platform.example"))
    dev_sign_in(client, "risk@platform.example", StaffRole.risk)

    for path, rows in (("/staff/negative-balances", 1), ("/staff/funds", 2)):
        page = client.get(path).text
        cells = re.findall(r'<a class="seller-name" href="/staff/sellers/(\d+)">([^<]+)</a>\s*<span class="muted">([^<]+)</span><br>'
                           r'\s*<code class="stripe-id">([^<]+)</code>', page)
        assert cells == [(str(owes), "Owl &amp; Co Bakery", "owes@example.com", "acct_1OwesAbCdEf")] * rows, path


def test_the_repayment_arrangement_redirects(client):
    seller = _seller_below_zero(client.app.state.db, "late@example.com", "acct_late", -100, 3)
    dev_sign_in(client, "risk@platform.example", StaffRole.risk)
    done = post_form(client, f"/staff/sellers/{seller}/repayment-arrangement", {"terms": "$1 a week"},
                     page="/staff/negative-balances", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/negative-balances"


# Ids as Stripe spells them: every element that styles its text in capitals is checked for ids


CSS = (PROJECT_ROOT / "static" / "portal.css").read_text()
UPPERCASE_CLASSES = {match for block in re.findall(r"([^{}]+)\{[^}]*text-transform:\s*uppercase", CSS)
                     for match in re.findall(r"\.([\w-]+)", block)}


def test_no_template_puts_an_id_inside_an_uppercase_style_without_a_code_element():
    assert "eyebrow" in UPPERCASE_CLASSES  # the check knows the styles it guards against
    offenders = []
    for template in Path(PROJECT_ROOT / "templates").rglob("*.html"):
        for line in template.read_text().splitlines():
            if any(re.search(rf'class="[^"]*\b{name}\b', line) for name in UPPERCASE_CLASSES) and \
                    re.search(r"account_id|stripe_\w*id|\.id\b|acct_", line):
                offenders.append(f"{template.relative_to(PROJECT_ROOT)}: {line.strip()}")
    assert offenders == []
    # <code> and .stripe-id undo any inherited capitals and spacing, in a monospace face.
    rule = re.search(r"code, \.stripe-id \{([^}]*)\}", CSS).group(1)
    assert "text-transform: none" in rule and "monospace" in rule and "letter-spacing: normal" in rule


def test_no_template_has_inline_script_the_csp_would_block():
    inline = [str(path.relative_to(PROJECT_ROOT)) for path in Path(PROJECT_ROOT / "templates").rglob("*.html")
              if re.search(r"\son[a-z]+\s*=|<script(?![^>]*\bsrc=)", path.read_text())]
    assert inline == []


def test_the_money_form_says_before_submitting_whether_the_amount_waits_for_approval(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    threshold = sandboxed_client.app.state.settings.money_approval_threshold
    blank = staff.get(f"/staff/sellers/{seller}/funds/send").text
    assert "anyone with the risk or admin role except you" in blank
    assert f'data-threshold="{threshold}"' in blank
    at = staff.get(f"/staff/sellers/{seller}/funds/send", params={"amount": f"{threshold / 100:.2f}"}).text
    assert "This amount will wait for a second staff member's approval." in at
    below = staff.get(f"/staff/sellers/{seller}/funds/send", params={"amount": f"{(threshold - 1) / 100:.2f}"}).text
    assert "This amount moves as soon as you submit." in below and "will wait for a second" not in below
