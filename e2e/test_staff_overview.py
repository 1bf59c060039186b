"""A risk analyst opens the overview over three dozen sellers across four countries and every stage:
the funnel, the dispute-rate chart with the seller above 0.75% marked, the negative balances by age
against 180 days; then narrows it to one country. Screenshots kept in test-artifacts/."""

import time
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from e2e.accessibility import check_page
from portal.accounts import service
from portal.connect import mirror
from portal.connect.models import AccountBalance, ChargeRecord, DisputeRecord
from portal.db import Database
from portal.onboarding.models import OnboardingDraft
from portal.staff.models import StaffRole
from portal.staff.service import create_staff

COUNTRIES = ("US", "GB", "FR", "DE")
SELLERS = 36
DAY = 86400
HIGH = "acct_e2e_05"  # 3 disputes on 120 charges: 2.5%


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
                session.add(OnboardingDraft(seller_id=seller.id, country=country))
        if stage >= 3:
            snapshot = {"id": account, "object": "account", "country": country, "payouts_enabled": stage >= 5,
                        "charges_enabled": stage >= 4, "details_submitted": stage >= 4,
                        **({"tos_acceptance": {"date": int(now) - 5 * DAY}} if stage >= 4 else {})}
            mirror.record_account(db, seller.id, snapshot, as_of=100)
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


def test_a_risk_analyst_reads_the_overview(portal_url, tmp_path, page: Page, artifacts_dir):
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
    flagged = page.locator("#dispute-rates tr.row--flagged")
    expect(flagged).to_have_count(1)
    expect(flagged).to_have_attribute("data-account", HIGH)
    expect(page.locator(f'#dispute-rates svg g.bar--over[data-label="{HIGH}"]')).to_contain_text("(over)")
    expect(page.locator("#dispute-rates svg")).to_contain_text("0.75% excessive")
    expect(page.locator('#negative-ages svg g.bar--over[data-label="acct_e2e_03"]')).to_contain_text("200 days (over)")
    expect(page.locator("#negative-ages tbody tr")).to_have_count(3)
    check_page(page, artifacts_dir, "staff overview")

    page.get_by_label("Country").select_option("GB")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/staff/overview?*country=GB*")
    countries = page.locator("#dispute-rates tbody tr td:nth-child(2)").all_inner_texts()
    assert countries and set(countries) == {"GB"}
    # Of GB's nine, the three who have not started the form have no country yet.
    expect(page.locator('#funnel tr[data-stage="signed_up"] td:nth-child(2)')).to_have_text("6")
    expect(page.locator("#dispute-rates tr.row--flagged")).to_have_attribute("data-account", HIGH)  # a GB seller
    page.screenshot(path=f"{artifacts_dir}/staff-overview-gb.png", full_page=True)
