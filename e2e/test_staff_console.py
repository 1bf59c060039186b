"""A risk analyst signs in through the company's identity provider (a real OpenID Connect provider,
panva/oidc-provider, on loopback), finds a seller, views the portal as the seller (read-only, under
a banner), is refused a bank change, exits, pauses the seller's payouts, and the seller sees it."""

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import free_port
from tests.oidc import launcher
from tests.onboarding.flows import onboard_individual

EMAIL = "ann@annsbakery.com"


@pytest.fixture(scope="module")
def oidc_provider():
    if not launcher.installed():
        pytest.skip("the test OIDC provider is not installed: npm ci --prefix tests/oidc")
    with launcher.running_provider(free_port()) as provider:
        yield provider


@pytest.fixture
def staff_sso(oidc_provider, monkeypatch):
    """`portal serve` (started after this fixture) reads these: its staff sign-in goes to the provider."""
    monkeypatch.setenv("STAFF_OIDC_DISCOVERY_URL", oidc_provider.discovery_url)
    monkeypatch.setenv("STAFF_OIDC_CLIENT_ID", launcher.LOOPBACK_CLIENT["client_id"])
    monkeypatch.setenv("STAFF_OIDC_CLIENT_SECRET", launcher.LOOPBACK_CLIENT["client_secret"])
    monkeypatch.setenv("STAFF_OIDC_SCOPE", "openid email profile roles")


@pytest.fixture
def seller_page(staff_sso, portal_url, smtp_inbox, browser: Browser):
    """The seller, onboarded over HTTP, signed in in a browser of their own."""
    with httpx.Client(base_url=portal_url, timeout=30) as client:
        onboard_individual(client, smtp_inbox, EMAIL)
        # The site-wide cookies (session, device); a mailed link's cookie stays with the page it is scoped to.
        cookies = [{"name": cookie.name, "value": cookie.value, "url": portal_url} for cookie in client.cookies.jar
                   if cookie.path == "/"]
    context = browser.new_context()
    context.add_cookies(cookies)
    yield context.new_page()
    context.close()


@pytest.mark.both_accounts_apis
def test_staff_views_as_a_seller_read_only_then_pauses_their_payouts(staff_sso, portal_url, seller_page: Page, page: Page,
                                                                    artifacts_dir):
    page.goto(portal_url + "/staff/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.locator("input[name=login]").fill("risk@platform.test")
    page.locator("input[name=password]").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign-in").click()
    # The provider asks loopback (native) clients to confirm every authorization.
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#staff-identity")).to_have_text("risk@platform.test (risk)")

    page.get_by_label("Search by name, email, account id, website or metadata").fill("bakery portland")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Ann's Bakery").click()
    expect(page.locator("#account-status")).to_be_visible()

    page.locator("#view_as-reason").fill("Seller asked why payouts are slow")
    page.get_by_role("button", name="View as seller").click()
    banner = page.locator("#view-as-banner")
    expect(banner).to_contain_text("risk@platform.test is viewing as ann@annsbakery.com, read-only")
    page.screenshot(path=f"{artifacts_dir}/staff-view-as-banner.png")
    page.goto(portal_url + "/onboarding/bank")
    expect(banner).to_be_visible()
    refusal = page.locator("#read-only-refusal")
    if page.get_by_label("Routing number").is_visible():
        page.get_by_label("Routing number").fill("110000000")
        page.get_by_label("Account number", exact=True).fill("000999999991")
        page.get_by_label("Account number again").fill("000999999991")
        page.get_by_role("button", name="Save and continue").click()
        expect(refusal).to_contain_text("Nothing can be changed while viewing as a seller")
    else:  # bank changes ask the seller to confirm it's them first: a page staff may not open
        expect(refusal).to_contain_text("secrets that only the seller may know")
    expect(banner).to_be_visible()
    page.screenshot(path=f"{artifacts_dir}/staff-view-as-refused.png")
    page.get_by_role("button", name="Exit view as seller").click()
    expect(page.get_by_role("heading", name="Ann's Bakery", exact=True)).to_be_visible()
    expect(page.locator("#view-as-banner")).to_have_count(0)

    page.locator("#pause-reason").fill("Chargeback spike this week")
    page.get_by_role("button", name="Pause payouts").click()
    expect(page.get_by_text("Payouts paused. The seller sees this on their status page.")).to_be_visible()

    seller_page.goto(portal_url + "/status/")
    expect(seller_page.get_by_text("Our team has paused your payouts")).to_be_visible()
    expect(seller_page.locator("#view-as-banner")).to_have_count(0)

    trail = page.locator("#audit-trail")
    for action in ("view_as.start", "view_as.page", "view_as.end", "risk.pause_payouts"):
        expect(trail).to_contain_text(action)
    expect(trail).to_contain_text("Chargeback spike this week")
    expect(trail).to_contain_text("/onboarding/bank")
    expect(trail).to_contain_text("127.0.0.1")
    page.screenshot(path=f"{artifacts_dir}/staff-seller-file.png", full_page=True)
