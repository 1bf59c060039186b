"""A verified seller manages money in the portal's own pages, with the sandbox's Connect.js stand-in.

The seller is onboarded through the portal's HTTP endpoints (the same helpers as tests/onboarding),
then the browser takes over their session. Payments, payouts and disputes are made in the sandbox
with the stripe SDK, as the seller's customers and Stripe would make them."""

import re
from urllib.parse import urlsplit

import httpx
import pyotp
import pytest
import stripe
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import PASSWORD
from tests.onboarding.flows import onboard_individual

EMAIL = "ann@annsbakery.com"


class Sandbox:
    """The sandbox `portal serve` mounts at /sandbox: the SDK and its test helpers."""

    def __init__(self, portal_url: str):
        self.url = portal_url + "/sandbox"
        self.sdk = stripe.StripeClient(
            "sk_test_sandbox",
            base_addresses={"api": self.url, "files": self.url, "connect": self.url},
            http_client=stripe.HTTPXClient(allow_sync_methods=True),
            max_network_retries=0,
        )

    def helper(self, path: str, account: str | None = None, **params) -> dict:
        headers = {"Authorization": "Bearer sk_test_sandbox", **({"Stripe-Account": account} if account else {})}
        response = httpx.post(f"{self.url}/v1/test_helpers/{path}", data=params, headers=headers)
        response.raise_for_status()
        return response.json()

    def wait_until_verified(self, page: Page) -> str:
        for _ in range(200):
            accounts = self.sdk.v1.accounts.list().data
            if accounts and accounts[0].charges_enabled and accounts[0].payouts_enabled:
                return accounts[0].id
            page.wait_for_timeout(50)
        raise AssertionError("the seller's account did not verify")


@pytest.fixture
def seller_secrets() -> dict:
    """What the seller's authenticator holds once `seller` is onboarded: {"two_factor_key": key}."""
    return {}


@pytest.fixture
def seller(page: Page, portal_url, smtp_inbox, seller_secrets):
    """(sandbox, the seller's account id): onboarded over HTTP (two-step sign-in set up when the
    account was made, its key in seller_secrets), signed in in the browser."""
    with httpx.Client(base_url=portal_url, timeout=30) as client:
        onboard_individual(client, smtp_inbox, EMAIL)
        seller_secrets["two_factor_key"] = client.two_factor_key
        # The site-wide cookies (session, device); a mailed link's cookie stays with the page it is scoped to.
        cookies = [{"name": cookie.name, "value": cookie.value, "url": portal_url} for cookie in client.cookies.jar
                   if cookie.path == "/"]
    page.context.add_cookies(cookies)
    sandbox = Sandbox(portal_url)
    return sandbox, sandbox.wait_until_verified(page)


def confirm_it_is_you(page: Page, seller_secrets: dict) -> None:
    """On the 'Confirm it's you' page: the password and the code the seller's authenticator shows."""
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label(re.compile("Code from your authenticator")).fill(pyotp.TOTP(seller_secrets["two_factor_key"]).now())
    press_and_send(page, page.get_by_role("button", name="Confirm", exact=True), "/account/security/confirm")


def press_and_send(page: Page, button, path: str) -> None:
    """Press a form's button and see its POST leave the browser. Twice in CI, on a loaded machine,
    a press sent nothing (the portal's log showed no request and the page stayed as it was; the
    cause was not found): a seller would press again, and so does this, once."""
    def sent(request) -> bool:
        return request.method == "POST" and urlsplit(request.url).path == path

    try:
        with page.expect_request(sent, timeout=10_000):
            button.click()
    except PlaywrightTimeoutError:
        with page.expect_request(sent, timeout=10_000):
            button.click()


def money(amount: int) -> str:
    return f"${amount / 100:,.2f}"


def session_requests(page: Page) -> list:
    made = []
    page.on("request", lambda request: made.append(request) if request.url.endswith("/account-session") else None)
    return made


def test_payouts_show_the_sellers_balance_and_payouts_and_why_they_are_held(page: Page, portal_url, seller, smtp_inbox,
                                                                            artifacts_dir, seller_secrets):
    sandbox, account = seller
    as_seller = {"stripe_account": account}
    sandbox.sdk.v1.payment_intents.create(params={
        "amount": 5000, "currency": "usd", "payment_method": "pm_card_bypassPending", "confirm": True,
    }, options=as_seller)
    payout = sandbox.sdk.v1.payouts.create(params={"amount": 1234, "currency": "usd"}, options=as_seller)
    available = sandbox.sdk.v1.balance.retrieve(options=as_seller).available[0].amount
    console = []
    page.on("console", lambda message: console.append(message.text))

    # The first session request fails: the page says so and offers a retry instead of a blank box.
    failed = []

    def fail_once(route):
        if not failed:
            failed.append(route.request.url)
            route.fulfill(status=503, json={"error": "Stripe could not be reached. Try again in a moment."})
        else:
            route.continue_()

    page.route("**/account-session", fail_once)
    page.goto(portal_url + "/payouts")
    slot = page.locator("[data-connect-component=payouts]")
    expect(slot.get_by_role("alert")).to_contain_text("We couldn't load your balance and payouts")
    page.screenshot(path=f"{artifacts_dir}/money-load-failure.png")
    slot.get_by_role("button", name="Try again").click()
    # The banner failed with it, for the same reason, and came back with it.
    expect(page.locator("[data-connect-component=notification-banner] [role=alert]")).to_have_count(0)

    payouts = page.locator("stripe-connect-payouts")
    expect(payouts.locator("[data-testid=available]")).to_have_text(money(available))
    row = payouts.locator(f"tr[data-payout-id='{payout.id}']")
    expect(row).to_contain_text("$12.34")
    expect(payouts.locator("tr[data-payout-id]")).to_have_count(1)
    # The business email is not confirmed: the hold is explained before the component, and the
    # component can neither pay out nor change the schedule while it lasts.
    holds = page.get_by_test_id("payout-holds")
    expect(holds).to_contain_text("business email address isn't confirmed")
    assert holds.evaluate("(holds) => holds.compareDocumentPosition(document.querySelector('stripe-connect-payouts'))") & 4
    expect(payouts.locator("[data-testid=payout-schedule]")).to_contain_text("when you request them")
    expect(payouts.locator("[data-action=payout]")).to_have_count(0)
    expect(payouts.get_by_label("Payout interval")).to_have_count(0)
    page.screenshot(path=f"{artifacts_dir}/money-payouts-held.png", full_page=True)

    mail = smtp_inbox.wait_for(EMAIL, subject="Confirm your business email address")[-1]
    page.goto(re.search(r"https?://\S+/onboarding/business-email/confirm/\S+", mail.get_content()).group(0))
    page.get_by_role("button", name=f"Confirm {EMAIL}").click()
    page.goto(portal_url + "/payouts")
    expect(page.get_by_test_id("payout-holds")).to_have_count(0)
    # Payouts are on for this platform-liable account once nothing holds them; the schedule is a
    # sensitive change (issue 9), editable once the seller has confirmed it's them.
    expect(payouts.locator("[data-action=payout]")).to_be_visible()
    expect(payouts.get_by_label("Payout interval")).to_have_count(0)
    page.get_by_role("link", name="Confirm it's you").click()
    confirm_it_is_you(page, seller_secrets)
    expect(page).to_have_url(portal_url + "/payouts")
    expect(payouts.get_by_label("Payout interval")).to_be_visible()
    payouts.locator("[data-action=payout]").click()
    expect(payouts.locator("tr[data-payout-id]")).to_have_count(2)
    expect(payouts.locator("[data-testid=available]")).to_have_text("$0.00")
    assert len(sandbox.sdk.v1.payouts.list(options=as_seller).data) == 2
    page.screenshot(path=f"{artifacts_dir}/money-payouts.png", full_page=True)

    page.goto(portal_url + "/payments")
    payment = page.locator("stripe-connect-payments tr[data-payment-id]")
    expect(payment).to_contain_text("$50.00")
    expect(payment.locator("[data-action=refund]")).to_be_visible()

    page.goto(portal_url + "/settings")
    management = page.locator("stripe-connect-account-management")
    expect(management.locator("[data-section=business_details]")).to_contain_text("Business name")
    # Bank details are the portal's own form's business, not the component's.
    expect(management.locator("[data-section=payout_details]")).to_have_count(0)
    expect(page.locator("stripe-connect-documents")).to_contain_text("No documents yet")
    assert not [text for text in console if "Content Security Policy" in text]


def test_a_seller_answers_a_dispute_after_leaving_the_tab_open(page: Page, portal_url, seller):
    sandbox, account = seller
    as_seller = {"stripe_account": account}
    intent = sandbox.sdk.v1.payment_intents.create(params={
        "amount": 4200, "currency": "usd", "payment_method": "pm_card_bypassPending", "confirm": True,
    }, options=as_seller)
    dispute = sandbox.helper("sandbox/disputes", account, charge=intent.latest_charge, reason="product_not_received")
    requests = session_requests(page)

    page.goto(portal_url + "/disputes")
    row = page.locator(f"stripe-connect-disputes-list tr[data-dispute-id='{dispute['id']}']")
    expect(row).to_contain_text("$42.00")
    expect(row).to_contain_text("Needs response")
    expect(page.locator("stripe-connect-disputes-list tr[data-dispute-id]")).to_have_count(1)
    assert len(requests) == 1  # one session serves the page's component and the notification banner

    # Thirty-one minutes later the account session has expired.
    sandbox.helper("sandbox/advance_clock", seconds=31 * 60)
    row.get_by_text("Respond").click()
    row.get_by_label("Product or service description").fill("Sourdough loaf, delivered Tuesday")
    row.get_by_label("Why you should win this dispute").fill("The courier's photo shows the loaf at the door.")
    row.locator("[data-action=submit-evidence]").click()
    expect(row).not_to_contain_text("Needs response")
    expect(row.locator("[data-action=submit-evidence]")).to_have_count(0)
    assert len(requests) == 2  # Connect.js asked the portal for a new client secret

    answered = sandbox.sdk.v1.disputes.retrieve(dispute["id"], options=as_seller)
    assert answered.status in ("under_review", "won")
    assert answered.evidence.product_description == "Sourdough loaf, delivered Tuesday"
    assert re.search("courier", answered.evidence.uncategorized_text)


def test_the_notification_banner_is_on_every_seller_page(page: Page, portal_url, seller):
    sandbox, account = seller
    sandbox.helper(f"accounts/{account}/requirements", field="individual.id_number")
    requests = session_requests(page)
    for path in ("/dashboard", "/payouts", "/disputes", "/payments", "/settings"):
        page.goto(portal_url + path)
        banner = page.locator("stripe-connect-notification-banner [data-testid=requirements-due]")
        expect(banner).to_contain_text("ID number")
        expect(page.get_by_role("link", name="Payouts", exact=True)).to_be_visible()
    assert len(requests) == 5  # one session per page load, fetched by the page, not the server

    # Signed out elsewhere: the portal refuses the session, and the page says what to do.
    page.route("**/account-session", lambda route: route.fulfill(status=401, json={"error": "Sign in again."}))
    page.goto(portal_url + "/disputes")
    slot = page.locator("[data-connect-component=disputes-list]")
    expect(slot.get_by_role("alert")).to_contain_text("You have been signed out")
    expect(slot.get_by_role("button", name="Sign in again")).to_be_visible()
    page.unroute("**/account-session")

    # Connect.js itself does not arrive: every component says so instead of staying blank.
    page.route("**/connect.js", lambda route: route.abort())
    page.goto(portal_url + "/payouts")
    expect(page.locator("[data-connect-component=payouts] [role=alert]")).to_contain_text("We couldn't load")
    expect(page.locator("[data-connect-component=notification-banner] [role=alert]")).to_be_visible()
