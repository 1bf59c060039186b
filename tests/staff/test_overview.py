"""The staff overview: dispute rates over a rolling window against 0.75%, negative balances by age
against 180 days; charts readable without colour, tables, CSV, filters; from the mirror only."""

import csv
import io
import time
from datetime import UTC, datetime, timedelta

from portal.accounts import service
from portal.connect import mirror
from portal.connect.models import AccountBalance, ChargeRecord, DisputeRecord
from portal.staff import funnel, overview
from portal.staff.charts import Bar, bar_chart
from portal.staff.models import StaffRole
from tests.conftest import sign_up
from tests.onboarding.flows import COMPANY, COMPANY_PROFILE, PROFILE, onboard_individual, signed_in_seller, submit
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser

DAY = 86400


def test_the_chart_names_every_value_and_marks_what_is_over_the_line():
    svg = bar_chart("rates", "Dispute rate", [Bar("acct_a", 1.2, "1.20% (3 of 250)"), Bar("acct_b", 0.4, "0.40% (1 of 250)")],
                    line=0.75, line_label="0.75% excessive")
    assert svg.startswith('<div class="chart-scroll" role="region" tabindex="0"') and "<svg" in svg and 'role="img"' in svg and "<title id=\"rates-title\">Dispute rate</title>" in svg
    assert "1.20% (3 of 250) (over)" in svg and "0.40% (1 of 250)<" in svg  # words, not colour alone
    assert svg.count('fill="url(#rates-over)"') == 1 and 'stroke-dasharray="6 4"' in svg and "0.75% excessive" in svg
    assert "<script" not in svg
    assert "&lt;b&gt;" in bar_chart("t", "t", [Bar("<b>", 1, "1")], line=2, line_label="x")
    assert "Nothing to show" in bar_chart("t", "t", [], line=2, line_label="x")


def test_rates_are_sorted_and_judged_against_stripes_line():
    rows = overview.rates({"acct_a": (1, "US"), "acct_b": (2, "GB"), "acct_c": (3, "US")},
                          {"acct_a": 1000, "acct_b": 100}, {"acct_a": 7, "acct_b": 1})
    assert [(row.stripe_account_id, row.excessive) for row in rows] == [("acct_b", True), ("acct_a", False)]
    assert overview.as_csv(["a"], [["=1+1"], ["ok"], [""]]).splitlines() == ["a", "'=1+1", "ok", "\"\""]


def _seller(db, email: str, account: str, country: str) -> int:
    seller = service.sign_up(db, email, "violet tractor salad 42")
    mirror.record_account(db, seller.id, {"id": account, "object": "account", "country": country}, as_of=100)
    return seller.id


def _seed(db, now: float):
    _seller(db, "us1@example.com", "acct_us_high", "US")
    _seller(db, "us2@example.com", "acct_us_low", "US")
    _seller(db, "gb1@example.com", "acct_gb_old", "GB")
    with db.transaction() as session:
        for account, charges, disputes, age in [("acct_us_high", 100, 2, 5), ("acct_us_low", 400, 1, 5),
                                                 ("acct_gb_old", 50, 3, 60)]:
            for n in range(charges):
                session.add(ChargeRecord(id=f"ch_{account}_{n}", stripe_account_id=account, amount=1000, currency="usd",
                                         created=int(now - age * DAY)))
            for n in range(disputes):
                session.add(DisputeRecord(id=f"dp_{account}_{n}", stripe_account_id=account, charge=f"ch_{account}_{n}",
                                          amount=1000, currency="usd", status="needs_response", created=int(now - age * DAY)))
        session.add(AccountBalance(stripe_account_id="acct_gb_old", available=[{"amount": -5000, "currency": "gbp"}],
                                   negative_since=datetime.now(UTC) - timedelta(days=200)))
        session.add(AccountBalance(stripe_account_id="acct_us_low", available=[{"amount": -700, "currency": "usd"}],
                                   negative_since=datetime.now(UTC) - timedelta(days=20)))


def _csv(answer) -> list[dict]:
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_the_overview_charts_tables_and_csv_follow_the_filters(sandboxed_client, risk):
    db = sandboxed_client.app.state.db
    _seed(db, time.time())
    calls = sandboxed_client.app.state.stripe.calls
    page = risk.get("/staff/overview")
    assert page.status_code == 200
    # 30 days: the GB seller's disputes are older; the US seller at 2% is over the line, the other not.
    assert "1 seller above it." in page.text
    assert "2.00% (2 of 100) (over)" in page.text and "0.25% (1 of 400)<" in page.text
    assert "acct_gb_old" not in page.text.split('id="negative-ages"')[0]
    assert "200 days (over)" in page.text and "20 days<" in page.text  # the 180-day line
    rows = _csv(risk.get("/staff/overview/dispute-rates.csv"))
    assert [(row["stripe_account_id"], row["dispute_rate_percent"], row["over_0.75%"]) for row in rows] == [
        ("acct_us_high", "2.00", "yes"), ("acct_us_low", "0.25", "no")]

    ninety = _csv(risk.get("/staff/overview/dispute-rates.csv?days=90&country=GB"))
    assert [(row["stripe_account_id"], row["charges"], row["disputes"]) for row in ninety] == [("acct_gb_old", "50", "3")]
    ages = _csv(risk.get("/staff/overview/negative-balances.csv?country=US"))
    assert [(row["stripe_account_id"], row["days_negative"], row["past_180_days"]) for row in ages] == [
        ("acct_us_low", "20", "no")]
    # A window ending 40 days ago holds the GB seller's disputes and not the US sellers'.
    earlier = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
    assert [row["stripe_account_id"] for row in _csv(risk.get(f"/staff/overview/dispute-rates.csv?until={earlier}"))] == [
        "acct_gb_old"]
    assert sandboxed_client.app.state.stripe.calls == calls  # from the mirror, never Stripe


def test_bad_filters_are_refused_with_words_and_support_staff_are_not_let_in(sandboxed_client, risk):
    for query in ["days=7", "days=x", "until=yesterday", "country=United", "country=%C3%A9%C3%A9"]:
        answer = risk.get(f"/staff/overview?{query}")
        assert answer.status_code == 400 and 'role="alert"' in answer.text, query
        assert risk.get(f"/staff/overview/dispute-rates.csv?{query}").status_code == 400
    support = staff_browser(sandboxed_client)
    dev_sign_in(support, "sue@platform.test", StaffRole.support)
    assert support.get("/staff/overview").status_code == 403
    assert support.get("/staff/overview/negative-balances.csv").status_code == 403


def test_the_funnel_counts_a_seller_at_each_stage_reached_in_order():
    verified = {"id": "acct_v", "country": "US", "charges_enabled": True, "payouts_enabled": True,
                "details_submitted": True, "tos_acceptance": {"date": 1}, "requirements": {
                    "currently_due": [], "past_due": [], "eventually_due": [], "pending_verification": [], "errors": [],
                    "disabled_reason": None}, "capabilities": {"card_payments": "active", "transfers": "active"}}
    made = {"id": "acct_m", "country": "US"}
    seller = funnel.SellerProgress
    progress = [
        seller(False, False, None),
        seller(False, True, None, business_type="individual", steps_done=frozenset({"business"})),  # counted as far as confirming
        seller(True, True, None),  # started, no step done
        seller(True, True, made, business_type="individual", steps_done=frozenset({"business", "profile", "business-email"})),
        # A company that reopened its people after the bank step: it still passed them.
        seller(True, True, made, business_type="company", steps_done=frozenset({"business", "profile", "business-email", "company", "bank"})),
        seller(True, True, made, business_type="non_profit", steps_done=frozenset({"business", "profile", "business-email"})),
        seller(True, True, {"id": "acct_s", "tos_acceptance": {"date": 1}}, business_type="individual"),  # submitted, not verified
        seller(True, True, {**verified, "business_type": "company"}),  # the type from the account when the draft has none
    ]
    stages = {stage.stage: (stage.count, stage.lost) for stage in funnel.funnel(progress)}
    assert stages == {
        "signed_up": (8, 0), "email_confirmed": (6, 2), "form_started": (6, 0), "step_business": (5, 1),
        "step_profile": (5, 0), "step_business_email": (5, 0),
        "step_identity": (1, 1),  # two individuals got this far; one did it
        "step_company": (2, 1), "step_people": (2, 0),  # three companies and non-profits; the non-profit stopped
        "step_bank": (3, 0), "submitted": (2, 1), "verified": (1, 1), "payouts_enabled": (1, 0)}
    words = {stage.key: stage.words for stage in funnel.FUNNEL}
    assert words["step_company"] == "Company details (companies and non-profits only)"
    assert words["step_identity"] == "Your identity (individuals only)" and words["step_bank"] == "Bank account"
    assert [stage.key for stage in funnel.FUNNEL].index("step_identity") < [stage.key for stage in funnel.FUNNEL].index("step_bank")
    worst = funnel.drops(funnel.funnel(progress))[0]
    assert (worst.stage, worst.lost, worst.share) == ("step_identity", 1, 0.5)


def test_the_funnel_of_sellers_onboarded_through_the_portal(sandboxed_client, inbox, risk):
    other = staff_browser(sandboxed_client)
    assert sign_up(other, "never@confirms.example").status_code == 303
    onboard_individual(sandboxed_client, inbox)
    # An individual who stops after the business email, a company that stops after its details.
    individual, company = staff_browser(sandboxed_client), staff_browser(sandboxed_client)
    signed_in_seller(individual, inbox, "bo@annsbakery.com")
    submit(individual, "business", {"country": "US", "business_type": "individual"}, expect="/onboarding/profile")
    submit(individual, "profile", PROFILE, expect="/onboarding/business-email")
    submit(individual, "business-email", {"business_email": "bo@annsbakery.com"}, expect="/onboarding/identity")
    signed_in_seller(company, inbox, "jenny@rocketrides.io")
    submit(company, "business", {"country": "US", "business_type": "company", "structure": "multi_member_llc"},
           expect="/onboarding/profile")
    submit(company, "profile", COMPANY_PROFILE, expect="/onboarding/business-email")
    submit(company, "business-email", {"business_email": "jenny@rocketrides.io"}, expect="/onboarding/company")
    submit(company, "company", COMPANY, expect="/onboarding/people")

    rows = {row["stage"]: row for row in _csv(risk.get("/staff/overview/onboarding-funnel.csv"))}
    assert [stage for stage in rows] == [stage.key for stage in funnel.FUNNEL]
    figures = {stage: (int(row["sellers"]), row["stopped_before"]) for stage, row in rows.items()}
    verified = figures.pop("verified")[0]
    assert verified + int(rows["verified"]["stopped_before"]) == 1  # the sandbox decides how fast
    assert figures.pop("payouts_enabled")[0] <= verified
    assert figures == {
        "signed_up": (4, ""), "email_confirmed": (3, "1"), "form_started": (3, "0"), "step_business": (3, "0"),
        "step_profile": (3, "0"), "step_business_email": (3, "0"),
        "step_identity": (1, "1"),  # of the two individuals
        "step_company": (1, "0"), "step_people": (0, "1"),  # of the one company
        "step_bank": (1, "0"), "submitted": (1, "0")}
    assert rows["step_people"]["words"] == "People (companies and non-profits only)"
    weeks = _csv(risk.get("/staff/overview/onboarding-weeks.csv"))
    assert [(row["signed_up"], row["step_identity"], row["step_company"], row["step_people"]) for row in weeks] == [("4", "1", "1", "0")]
    assert _csv(risk.get("/staff/overview/onboarding-funnel.csv?country=GB"))[0]["sellers"] == "0"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert _csv(risk.get(f"/staff/overview/onboarding-funnel.csv?since={tomorrow}&until={tomorrow}"))[0]["sellers"] == "0"
    assert risk.get(f"/staff/overview?since={tomorrow}&until=2020-01-01").status_code == 400
    page = risk.get("/staff/overview").text
    assert "4 (100% of sign-ups)" in page and "1 (25% of sign-ups)" in page
    assert "<td>Company details (companies and non-profits only)</td><td>1</td>" in page
    assert "Most sellers drop before <strong>people (companies and non-profits only)</strong>" in page
