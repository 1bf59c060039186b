"""A risk analyst opens the overview over three dozen sellers across four countries and every stage:
the funnel, the dispute-rate chart with the seller above 0.75% marked, the negative balances by age
against 180 days, the requirements and money sections; narrows it to one country; then sets an
alert line on dispute rates, sees the alert it opens, gets its mail, and acknowledges it.
Screenshots kept in test-artifacts/."""

import time
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from e2e.accessibility import check_page
from portal.accounts import service
from portal.connect import mirror, payout_holds
from portal.connect.models import AccountBalance, ChargeRecord, DisputeRecord, PayoutRecord
from portal.db import Database
from portal.onboarding import steps
from portal.onboarding.models import OnboardingDraft
from portal.staff.models import StaffRole
from portal.staff.service import create_staff
from portal.staff.states import record_state_counts

COUNTRIES = ("US", "GB", "FR", "DE")
SELLERS = 36
DAY = 86400
HIGH = "acct_e2e_05"  # 3 disputes on 120 charges: 2.5%
# What the submitted, not yet verified accounts still owe: due, failing with an error code, or in review.
OWED = (
    {"currently_due": ["individual.verification.document"], "errors": [
        {"requirement": "individual.verification.document", "code": "verification_document_expired", "reason": "Expired."}]},
    {"currently_due": ["external_account"], "errors": []},
    {"pending_verification": ["individual.id_number"], "errors": []},
)


def _seed(db: Database) -> None:
    now = time.time()
    for n in range(SELLERS):
        country, account = COUNTRIES[n % 4], f"acct_e2e_{n:02d}"
        seller = service.sign_up(db, f"seller{n}@shop{n}.example", "violet tractor salad 42")
        stage = n % 6  # 0 signed up only ... 5 payouts enabled
        with db.transaction() as session:
            if stage >= 1:
                session.get(type(seller), seller.id).email_confirmed_at = datetime.now(UTC)
            if stage >= 2:
                # Individuals and companies in turn; those not yet submitted stopped at different steps.
                kind = steps.COMPANY if (n // 6) % 2 else steps.INDIVIDUAL
                done = {2: (n // 6) % 2, 3: 2 + (n // 6) % 4}.get(stage, 0)
                session.add(OnboardingDraft(seller_id=seller.id, country=country, business_type=kind, sent={
                    step.slug: "seeded" for step in steps.steps_for(kind)[:done]}))
        if stage >= 3:
            submitted = int(now) - 5 * DAY
            snapshot = {"id": account, "object": "account", "country": country, "payouts_enabled": stage >= 5,
                        "charges_enabled": stage >= 4, "details_submitted": stage >= 4,
                        **({"tos_acceptance": {"date": submitted}} if stage >= 4 else {}),
                        **({"requirements": OWED[(n // 6) % 3]} if stage == 4 else {})}
            # The verified ones were first seen verified 6, 12, ... hours after they submitted.
            mirror.record_account(db, seller.id, snapshot, as_of=submitted + (n // 6 + 1) * 6 * 3600 if stage >= 5 else 100)
            if stage == 5:
                with db.transaction() as session:
                    session.add(PayoutRecord(id=f"po_{account}", stripe_account_id=account, amount=150000, currency="usd",
                                             status="paid", created=int(now) - n * 3600))
            if n == 11:
                payout_holds.place_hold(db, seller.id, payout_holds.RISK_PAUSE, note="Refund spike under review",
                                        placed_by="rita@platform.example")
            charges, disputes = (120, 3) if account == HIGH else (200, n % 2)
            with db.transaction() as session:
                for c in range(charges):
                    session.add(ChargeRecord(id=f"ch_{account}_{c}", stripe_account_id=account, amount=2500,
                                             currency="usd", created=int(now - (c % 25) * DAY)))
                for d in range(disputes):
                    session.add(DisputeRecord(id=f"dp_{account}_{d}", stripe_account_id=account, charge=f"ch_{account}_{d}",
                                              amount=2500, currency="usd", status="needs_response", created=int(now - 3 * DAY)))
    with db.transaction() as session:
        for account, days, amount in [("acct_e2e_03", 200, -12000), ("acct_e2e_04", 95, -4000), ("acct_e2e_09", 12, -800)]:
            session.add(AccountBalance(stripe_account_id=account, available=[{"amount": amount, "currency": "usd"}],
                                       negative_since=datetime.now(UTC) - timedelta(days=days)))
    # What `portal worker` writes each day: the accounts by state (two days of it here).
    record_state_counts(db, (datetime.now(UTC) - timedelta(days=1)).date())
    record_state_counts(db)


def test_a_risk_analyst_reads_the_overview_and_sets_an_alert(portal_url, tmp_path, page: Page, artifacts_dir, smtp_inbox):
    db = Database(f"sqlite:///{tmp_path / 'var' / 'portal.db'}")
    _seed(db)
    member, _ = create_staff(db, "rita@platform.example", StaffRole.risk)
    db.dispose()

    page.goto(portal_url + "/staff/sign-in")
    page.get_by_label("Staff member").select_option(str(member.id))
    page.get_by_role("button", name="Sign in (development)").click()
    page.get_by_role("link", name="Overview").click()

    expect(page.get_by_role("heading", name="Onboarding funnel")).to_be_visible()
    expect(page.locator('#funnel tr[data-stage="signed_up"] td:nth-child(2)')).to_have_text("36")
    expect(page.locator('#funnel tr[data-stage="payouts_enabled"] td:nth-child(2)')).to_have_text("6")
    # Each step of the form; the company-only steps count the companies alone (two stopped before their details).
    company_step = page.locator('#funnel tr[data-stage="step_company"]')
    expect(company_step.locator("td").first).to_have_text("Company details (companies and non-profits only)")
    expect(company_step.locator("td:nth-child(2)")).to_have_text("7")
    expect(company_step.locator("td:nth-child(4)")).to_have_text("2")
    expect(page.locator('#funnel-weeks th[scope="col"]', has_text="Your identity (individuals only)")).to_have_count(1)
    flagged = page.locator("#dispute-rates tr.row--flagged")
    expect(flagged).to_have_count(1)
    expect(flagged).to_have_attribute("data-account", HIGH)
    expect(page.locator(f'#dispute-rates svg g.bar--over[data-label="{HIGH}"]')).to_contain_text("(over)")
    expect(page.locator("#dispute-rates svg")).to_contain_text("0.75% excessive")
    expect(page.locator('#negative-ages svg g.bar--over[data-label="acct_e2e_03"]')).to_contain_text("200 days (over)")
    expect(page.locator("#negative-ages tbody tr")).to_have_count(3)
    # Requirements and money: states today, the keys most often due with their error codes, paused payouts.
    expect(page.locator('#states-now [data-state="verified"] strong')).to_have_text("6")
    expect(page.locator('#requirement-keys tr[data-key="individual.verification.document"]')).to_contain_text(
        "verification_document_expired (2)")
    expect(page.locator("#median-wait strong")).to_have_text("21.0 hours")
    expect(page.locator("#paused-payouts")).to_contain_text("Refund spike under review")
    expect(page.locator("#money-days tbody tr").first).to_contain_text("$")
    check_page(page, artifacts_dir, "staff overview")

    page.get_by_label("Country", exact=True).select_option("GB")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/staff/overview?*country=GB*")
    countries = page.locator("#dispute-rates tbody tr td:nth-child(2)").all_inner_texts()
    assert countries and set(countries) == {"GB"}
    # Of GB's nine, the three who have not started the form have no country yet.
    expect(page.locator('#funnel tr[data-stage="signed_up"] td:nth-child(2)')).to_have_text("6")
    expect(page.locator("#dispute-rates tr.row--flagged")).to_have_attribute("data-account", HIGH)  # a GB seller
    page.screenshot(path=f"{artifacts_dir}/staff-overview-gb.png", full_page=True)

    # An alert line on dispute rates: the seller at 2.5% crosses 2%; the analyst is mailed once.
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Alerts").click()
    page.locator("#above_dispute_rate").fill("2")
    page.locator(f'input[name="recipients_dispute_rate"][value="{member.id}"]').check()
    page.get_by_label("Why you are changing the alerts").fill("Dispute rates above 2% get a call this week")
    page.get_by_role("button", name="Save alerts").click()
    entry = page.locator(f'#open-alerts li[data-subject="{HIGH}"]')
    expect(entry).to_contain_text("2.5%, above the line of 2%")
    expect(page.locator("#open-alerts li")).to_have_count(1)
    [mail] = smtp_inbox.wait_for("rita@platform.example", subject="Alert: a seller's dispute rate over 30 days is above 2%")
    assert HIGH in mail.get_content() and "/staff/alerts#alert-" in mail.get_content()
    check_page(page, artifacts_dir, "staff alerts")
    entry.get_by_label("What you did about it").fill("Called the seller; they are refunding the duplicates")
    entry.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(f'#open-alerts li[data-subject="{HIGH}"] .acknowledged')).to_contain_text(
        "Acknowledged by rita@platform.example")
