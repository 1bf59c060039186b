"""The staff overview's sections beyond the risk charts, read over HTTP: the funnel per sign-up week
and country with its largest drop and the median wait for verification, accounts by state day by
day, the requirements most often due or failing, payouts paused and why, money per day, and money
movements waiting for approval. Every figure from the mirror, never Stripe."""

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta

from portal.accounts import service
from portal.accounts.models import Seller
from portal.connect import mirror, payout_holds
from portal.connect.models import ChargeRecord, ConnectedAccount, PayoutRecord
from portal.connect.mirror import verified_moment
from portal.funds.models import FundsMovement
from portal.onboarding.models import OnboardingDraft
from portal.staff import states
from portal.staff.money_figures import money_per_day
from tests.staff.helpers import staff_browser

DAY = 86400
HOUR = 3600
REQUIREMENTS_CLEAR = {"currently_due": [], "past_due": [], "eventually_due": [], "pending_verification": [], "errors": [],
                      "disabled_reason": None}


def _verified(account: str, country: str, submitted_at: int) -> dict:
    return {"id": account, "object": "account", "country": country, "charges_enabled": True, "payouts_enabled": True,
            "details_submitted": True, "tos_acceptance": {"date": submitted_at}, "requirements": REQUIREMENTS_CLEAR}


def _seller(db, email: str, signed_up: datetime, account: dict | None = None, as_of: float = 100) -> int:
    seller = service.sign_up(db, email, "violet tractor salad 42")
    with db.transaction() as session:
        row = session.get(Seller, seller.id)
        row.created_at, row.email_confirmed_at = signed_up, signed_up
        session.add(row)
    if account is not None:
        with db.transaction() as session:
            session.add(OnboardingDraft(seller_id=seller.id, country=account["country"]))
        mirror.record_account(db, seller.id, account, as_of=as_of)
    return seller.id


def _csv(answer) -> list[dict]:
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_the_mirror_keeps_the_first_moment_it_saw_an_account_verified():
    verified = _verified("acct_v", "US", 1000)
    assert verified_moment(None, {"id": "acct_v"}, 5000) is None
    assert verified_moment(None, verified, 5000) == datetime.fromtimestamp(5000, UTC)
    earlier = datetime.fromtimestamp(4000, UTC)
    assert verified_moment(earlier, verified, 5000) == earlier
    assert verified_moment(earlier, {"id": "acct_v"}, 6000) == earlier  # losing it later keeps when it was first seen


def test_the_funnel_by_week_and_country_its_largest_drop_and_the_wait_for_verification(sandboxed_client, risk):
    db = sandboxed_client.app.state.db
    now = time.time()
    monday = date.today() - timedelta(days=date.today().weekday())
    this_week = datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
    last_week = this_week - timedelta(days=7)
    submitted = int(now) - 10 * DAY
    # Two verified US sellers: the mirror saw them verified 2 and 4 hours after they submitted.
    for n, hours in enumerate((2, 4)):
        seller = _seller(db, f"v{n}@example.com", last_week, {"id": f"acct_v{n}", "country": "US", "tos_acceptance": {"date": submitted}})
        mirror.record_account(db, seller, _verified(f"acct_v{n}", "US", submitted), as_of=submitted + hours * HOUR)
    _seller(db, "gb@example.com", this_week, {"id": "acct_gb", "country": "GB"})  # account made, not submitted
    for n in range(3):
        _seller(db, f"new{n}@example.com", this_week)  # signed up only: the largest drop
    with db.read() as session:
        assert session.get(ConnectedAccount, 1).verified_at == datetime.fromtimestamp(submitted + 2 * HOUR, UTC)

    page = risk.get("/staff/overview").text
    assert "Median time from submitting the form to verified: <strong>3.0 hours</strong>" in page
    assert "Most sellers drop before <strong>email confirmed</strong>" not in page  # they confirmed
    assert "Most sellers drop before <strong>onboarding started</strong>" in page and "3 of those who got that far (50%)" in page
    weeks = _csv(risk.get("/staff/overview/onboarding-weeks.csv"))
    assert [(row["week_starting"], row["signed_up"], row["step_profile"], row["verified"]) for row in weeks] == [
        ((monday - timedelta(days=7)).isoformat(), "2", "2", "2"), (monday.isoformat(), "4", "1", "0")]
    countries = {row["country"]: (row["signed_up"], row["submitted"]) for row in _csv(risk.get("/staff/overview/onboarding-countries.csv"))}
    assert countries == {"GB": ("1", "0"), "US": ("2", "2"), "none yet": ("3", "0")}
    only_us = _csv(risk.get("/staff/overview/onboarding-countries.csv?country=US"))
    assert [row["country"] for row in only_us] == ["US"]
    # The dates filter the cohorts: this week alone has no verified seller, and no wait to show.
    this_week_only = risk.get(f"/staff/overview?since={monday.isoformat()}").text
    assert "verified: <strong>not known yet</strong>" in this_week_only


def test_accounts_by_state_day_by_day_the_backlog_and_the_requirements_due_or_failing(sandboxed_client, risk):
    db = sandboxed_client.app.state.db
    now = int(time.time())
    today = date.today()
    signed_up = datetime.now(UTC) - timedelta(days=3)
    _seller(db, "ok@example.com", signed_up, _verified("acct_ok", "US", now - 5 * DAY))
    due = {"id": "acct_due", "country": "US", "tos_acceptance": {"date": now - 4 * DAY}, "charges_enabled": True,
           "requirements": {**REQUIREMENTS_CLEAR, "currently_due": ["individual.verification.document", "external_account"],
                            "errors": [{"requirement": "individual.verification.document", "code": "verification_document_expired",
                                        "reason": "The document has expired."}]}}
    _seller(db, "due@example.com", signed_up, due)
    person = {"id": "acct_co", "country": "GB", "tos_acceptance": {"date": now - 2 * DAY},
              "requirements": {**REQUIREMENTS_CLEAR, "pending_verification": ["person_1Abc.verification.document"],
                               "errors": [{"requirement": "person_1Abc.verification.document",
                                           "code": "verification_document_name_mismatch", "reason": "The name differs."}],
                               "past_due": ["person_1Abc.verification.document"]}}
    _seller(db, "co@example.com", signed_up, person)
    _seller(db, "new@example.com", signed_up, {"id": "acct_new", "country": "GB",
                                                "requirements": {**REQUIREMENTS_CLEAR, "currently_due": ["external_account"]}})

    assert states.record_state_counts(db, today - timedelta(days=1)) == 4
    mirror.record_account(db, 2, {**due, "requirements": {**REQUIREMENTS_CLEAR}, "payouts_enabled": True}, as_of=200)
    states.record_state_counts(db, today)
    states.record_state_counts(db, today)  # the day's last pass replaces its earlier count

    history = {row["day"]: row for row in _csv(risk.get("/staff/overview/account-states.csv"))}
    yesterday = history[(today - timedelta(days=1)).isoformat()]
    assert (yesterday["verified"], yesterday["action_needed"], yesterday["restricted"], yesterday["setting_up"]) == ("1", "1", "1", "1")
    assert (history[today.isoformat()]["verified"], history[today.isoformat()]["action_needed"]) == ("2", "0")
    gb = _csv(risk.get("/staff/overview/account-states.csv?country=GB"))
    assert [(row["restricted"], row["setting_up"], row["verified"]) for row in gb] == [("1", "1", "0"), ("1", "1", "0")]

    page = risk.get("/staff/overview").text
    assert 'data-state="verified">Verified: <strong>2</strong>' in page
    assert "Waiting for verification after submitting" in page and "<strong>1</strong>,\n    the oldest for 2.0 days" in page
    assert 'states-chart' in page and "(hatched)" in page  # told apart by fill and named, not by colour

    # The requirement keys as they stand now (the second account's are clear): a person's key once per account.
    keys = {row["requirement"]: row for row in _csv(risk.get("/staff/overview/requirement-keys.csv"))}
    assert keys["person.verification.document"]["accounts_due"] == "1"
    assert keys["person.verification.document"]["error_codes"] == "verification_document_name_mismatch:1"
    # In the words of the account's country (the only one asking is British).
    assert keys["person.verification.document"]["words"] == "a photo of a person's ID (passport, national ID card or driving licence)"
    assert (keys["external_account"]["accounts_due"], keys["external_account"]["words"]) == ("1", "a bank account for the seller's payouts")
    assert "individual.verification.document" not in keys
    assert list(keys)[0] == "person.verification.document"  # the most frequent first (due and failing)
    assert "the seller&#39;s payouts" in page


def test_money_per_day_payouts_paused_and_why_and_movements_awaiting_approval(sandboxed_client, risk):
    db = sandboxed_client.app.state.db
    calls = sandboxed_client.app.state.stripe.calls
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    us = _seller(db, "us@example.com", today, {"id": "acct_us", "country": "US"})
    _seller(db, "fr@example.com", today, {"id": "acct_fr", "country": "FR"})
    with db.transaction() as session:
        for n, (account, amount, currency, days_ago) in enumerate([
                ("acct_us", 2500, "usd", 0), ("acct_us", 1500, "usd", 0), ("acct_us", 4000, "usd", 1), ("acct_fr", 900, "eur", 0)]):
            session.add(ChargeRecord(id=f"ch_{n}", stripe_account_id=account, amount=amount, currency=currency,
                                     created=int((today - timedelta(days=days_ago)).timestamp())))
        for n, (amount, status) in enumerate([(3000, "paid"), (700, "failed")]):
            session.add(PayoutRecord(id=f"po_{n}", stripe_account_id="acct_us", amount=amount, currency="usd", status=status,
                                     created=int(today.timestamp())))
        session.add(FundsMovement(seller_id=us, stripe_account_id="acct_us", direction="pull", amount=125000, currency="usd",
                                  reason="recover a refund", form_token="tok-1", needs_approval=True, requested_by_id=1,
                                  requested_by_email="rob@platform.test"))
    payout_holds.place_hold(db, us, payout_holds.RISK_PAUSE, note="Chargebacks piling up from one card range",
                            placed_by="rita@platform.test")

    money = _csv(risk.get("/staff/overview/money.csv"))
    assert [(row["day"], row["currency"], row["charges"], row["volume_minor_units"], row["payouts"], row["paid_out_minor_units"],
             row["failed_or_canceled_payouts"]) for row in money] == [
        (today.date().isoformat(), "usd", "2", "4000", "2", "3000", "1"),
        (today.date().isoformat(), "eur", "1", "900", "0", "0", "0"),
        ((today - timedelta(days=1)).date().isoformat(), "usd", "1", "4000", "0", "0", "0")]
    assert [row["currency"] for row in _csv(risk.get("/staff/overview/money.csv?country=FR"))] == ["eur"]
    yesterday = (today - timedelta(days=1)).date().isoformat()
    assert len(_csv(risk.get(f"/staff/overview/money.csv?since={yesterday}&until={yesterday}"))) == 1

    paused = _csv(risk.get("/staff/overview/paused-payouts.csv"))
    assert [(row["stripe_account_id"], row["paused_by"], row["reason"]) for row in paused] == [
        ("acct_us", "rita@platform.test", "Chargebacks piling up from one card range")]
    assert _csv(risk.get("/staff/overview/paused-payouts.csv?country=FR")) == []

    page = risk.get("/staff/overview").text
    assert "Chargebacks piling up from one card range" in page
    assert 'id="volume-usd-title">Charge volume per day in USD' in page and "$40.00 (2 charges)" in page
    assert "$30.00 (2 payouts, 1 failed)" in page
    awaiting = page.split('id="awaiting-approval"')[1].split("</table>")[0]
    assert "$1,250.00" in awaiting and "rob@platform.test" in awaiting and "From the seller" in awaiting
    assert sandboxed_client.app.state.stripe.calls == calls  # from the mirror, never Stripe


def test_an_unknown_table_is_not_found_and_support_staff_get_no_csv(sandboxed_client, risk, support):
    assert risk.get("/staff/overview/secrets.csv").status_code == 404
    assert risk.get("/staff/overview/money.csv?since=soon").status_code == 400
    assert support.get("/staff/overview/money.csv").status_code == 403
    assert staff_browser(sandboxed_client).get("/staff/overview/money.csv", follow_redirects=False).status_code == 303


def test_the_days_counts_are_replaced_by_its_later_passes_on_both_databases(db):
    seller = service.sign_up(db, "one@example.com", "violet tractor salad 42")
    mirror.record_account(db, seller.id, {"id": "acct_one", "country": "US"}, as_of=100)
    day = date(2026, 1, 5)
    assert states.record_state_counts(db, day) == 1
    mirror.record_account(db, seller.id, _verified("acct_one", "US", 50), as_of=200)
    states.record_state_counts(db, day)
    states.record_state_counts(db, day)
    [(counted, found)] = states.state_history(db, since=day, until=day)
    assert counted == day and found["verified"] == 1 and found["setting_up"] == 0


def test_money_is_added_up_per_day_by_the_database_on_both(db):
    seller = service.sign_up(db, "m@example.com", "violet tractor salad 42")
    mirror.record_account(db, seller.id, {"id": "acct_m", "country": "DE"}, as_of=100)
    noon = int(datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp())
    with db.transaction() as session:
        for n, moment in enumerate((noon - 11 * HOUR, noon, noon + 11 * HOUR, noon + 13 * HOUR)):  # three on the 2nd, one on the 3rd
            session.add(ChargeRecord(id=f"ch_m{n}", stripe_account_id="acct_m", amount=100 * (n + 1), currency="eur", created=moment))
    found = money_per_day(db, since=date(2026, 3, 1), until=date(2026, 3, 3), country="DE")
    assert [(day.day, day.charges, day.volume) for day in found] == [(date(2026, 3, 3), 1, 400), (date(2026, 3, 2), 3, 600)]
    assert money_per_day(db, since=date(2026, 3, 1), until=date(2026, 3, 3), country="US") == []
