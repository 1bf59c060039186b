"""The Connect.js stand-in in Chromium: a page hosts embedded components like the portal does.

A small host app on loopback serves the test page, mints account sessions through the SDK on
its server side (as the portal will), and mounts the sandbox under /sandbox, where the page
loads /sandbox/connect.js exactly as it would load Stripe's script.
"""

import contextlib
import tempfile
import time
import types
from pathlib import Path

import pytest
import stripe
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route

from portal.sandbox.app import create_sandbox
from portal.sandbox.testing import fast_config, serving

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Embedded components</title>
<script>
  window.loadErrors = [];
  window.notifications = [];
  window.secretsFetched = 0;
  window.StripeConnect = window.StripeConnect || {};
  StripeConnect.onLoad = function () {
    var query = new URLSearchParams(location.search);
    window.connectInstance = StripeConnect.init({
      publishableKey: "pk_test_sandbox",
      fetchClientSecret: function () {
        window.secretsFetched += 1;
        return fetch("/session?" + query, {method: "POST"})
          .then(function (response) { return response.json(); })
          .then(function (body) { return body.client_secret; });
      },
      appearance: {variables: {colorPrimary: "#0a7d5a"}},
    });
    query.get("show").split(",").forEach(function (tag) {
      var element = window.connectInstance.create(tag);
      element.setOnLoadError(function (event) { window.loadErrors.push(event); });
      if (tag === "notification-banner") {
        element.setOnNotificationsChange(function (event) { window.notifications.push(event); });
      }
      document.getElementById("components").appendChild(element);
    });
  };
</script>
<script src="SCRIPT" async></script>
</head><body><main id="components"></main></body></html>"""


# Stripe's official loader, @stripe/connect-js (a test-only npm package): when it finds
# window.StripeConnect.init already defined it drives that instead of injecting Stripe's script.
LOADER = Path(__file__).parent / "node_modules" / "@stripe" / "connect-js" / "dist" / "connect.esm.js"

LOADER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Official loader</title>
<script src="/sandbox/connect.js"></script>
<script type="module">
  import {loadConnectAndInitialize} from "/loader.js";
  var query = new URLSearchParams(location.search);
  window.loadErrors = [];
  var instance = loadConnectAndInitialize({
    publishableKey: "pk_test_sandbox",
    fetchClientSecret: async function () {
      var response = await fetch("/session?" + query, {method: "POST"});
      return (await response.json()).client_secret;
    },
  });
  var element = instance.create("payouts-list");
  element.setOnLoadError(function (event) { window.loadErrors.push(event); });
  document.body.appendChild(element);
</script>
</head><body></body></html>"""


CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; form-action 'self'; base-uri 'none'")


@pytest.fixture(scope="module")
def host():
    """(base_url, sandbox, client): the host page and the sandbox mounted beside it."""
    with tempfile.TemporaryDirectory(prefix="standin-") as tmp, contextlib.ExitStack() as stack:
        sandbox = create_sandbox(fast_config(db_path=str(Path(tmp) / "sandbox.sqlite3")))
        sandbox.start()
        stack.callback(sandbox.store.close)
        stack.callback(sandbox.stop)
        clients = {}

        async def page(request: Request) -> HTMLResponse:
            # ?standalone=1: the script comes from the sandbox served alone on another origin.
            standalone = bool(request.query_params.get("standalone"))
            origin = clients["standalone"] if standalone else "/sandbox"
            # Same origin, the portal's kind of policy: the stand-in needs no inline styles or eval.
            headers = {} if standalone else {"Content-Security-Policy": CSP}
            return HTMLResponse(PAGE.replace("SCRIPT", origin + "/connect.js"), headers=headers)

        async def loader_page(request: Request) -> HTMLResponse:
            return HTMLResponse(LOADER_PAGE)

        async def loader(request: Request) -> Response:
            return Response(LOADER.read_bytes(), media_type="text/javascript")

        async def session(request: Request) -> JSONResponse:
            # Server side, as the portal does it: the secret key never reaches the page.
            enable = request.query_params["enable"].split(",")
            created = await run_in_threadpool(
                clients["sdk"].v1.account_sessions.create,
                params={
                    "account": request.query_params["account"],
                    "components": {name: {"enabled": True} for name in enable},
                },
            )
            return JSONResponse({"client_secret": created.client_secret})

        app = Starlette(routes=[
            Route("/", page),
            Route("/session", session, methods=["POST"]),
            Route("/loader", loader_page),
            Route("/loader.js", loader),
            Mount("/sandbox", app=sandbox.asgi),
        ])
        # `serving` only needs an object with an ASGI app at `.asgi`.
        url = stack.enter_context(serving(types.SimpleNamespace(asgi=app)))
        clients["standalone"] = stack.enter_context(serving(sandbox))
        clients["sdk"] = stripe.StripeClient(
            "sk_test_sandbox",
            base_addresses={"api": url + "/sandbox", "files": url + "/sandbox", "connect": url + "/sandbox"},
            http_client=stripe.HTTPXClient(allow_sync_methods=True),
            max_network_retries=0,
        )
        yield url, sandbox, clients["sdk"]


def verified_seller(client: stripe.StripeClient) -> str:
    """A platform-collected individual seller, with Stripe's test values that verify at once."""
    account = client.v1.accounts.create(params={
        "country": "US",
        "business_type": "individual",
        "email": "seller@shop.example",
        "controller": {
            "requirement_collection": "application", "losses": {"payments": "application"},
            "fees": {"payer": "application"}, "stripe_dashboard": {"type": "none"},
        },
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "business_profile": {"url": "https://accessible.stripe.com", "mcc": "5734"},
        "individual": {
            "first_name": "Jenny", "last_name": "Rosen", "email": "seller@shop.example", "phone": "0000000000",
            "dob": {"day": 1, "month": 1, "year": 1902}, "id_number": "222222222",
            "address": {"line1": "address_full_match", "city": "Austin", "state": "TX",
                        "postal_code": "78701", "country": "US"},
        },
        "tos_acceptance": {"date": int(time.time()), "ip": "127.0.0.1"},
        "external_account": {
            "object": "bank_account", "country": "US", "currency": "usd",
            "routing_number": "110000000", "account_number": "000123456789",
        },
    }).id
    deadline = time.monotonic() + 10
    while not client.v1.accounts.retrieve(account).charges_enabled:
        assert time.monotonic() < deadline, "the seller did not verify"
        time.sleep(0.05)
    return account


def seller_with_a_payout(client: stripe.StripeClient, amount: int) -> tuple[str, str]:
    """A verified seller who was paid and paid out: (account id, payout id)."""
    account = verified_seller(client)
    as_seller = {"stripe_account": account}
    client.v1.payment_intents.create(params={
        "amount": amount + 1000, "currency": "usd", "payment_method": "pm_card_bypassPending", "confirm": True,
    }, options=as_seller)
    payout = client.v1.payouts.create(params={"amount": amount, "currency": "usd"}, options=as_seller)
    return account, payout.id


def open_page(page: Page, base_url: str, account: str, show: str, enable: str) -> None:
    page.goto(f"{base_url}/?account={account}&show={show}&enable={enable}")


def test_payouts_list_shows_one_account_and_not_another(page: Page, host):
    base_url, _, client = host
    seller, seller_payout = seller_with_a_payout(client, 1234)
    other, other_payout = seller_with_a_payout(client, 5678)
    console = []
    page.on("console", lambda message: console.append(message.text))

    open_page(page, base_url, seller, "payouts-list", "payouts_list")
    rows = page.locator("stripe-connect-payouts-list tr[data-payout-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-payout-id", seller_payout)
    expect(rows.first).to_contain_text("$12.34")
    expect(page.locator(f"[data-payout-id='{other_payout}']")).to_have_count(0)
    expect(page.get_by_text("$56.78")).to_have_count(0)

    open_page(page, base_url, other, "payouts-list", "payouts_list")
    expect(page.locator(f"stripe-connect-payouts-list [data-payout-id='{other_payout}']")).to_be_visible()
    expect(page.locator(f"[data-payout-id='{seller_payout}']")).to_have_count(0)
    # The component's stylesheet applied under the page's Content-Security-Policy.
    heading = page.locator("stripe-connect-payouts-list h2")
    assert heading.evaluate("h => getComputedStyle(h).fontWeight") == "600"
    assert not [text for text in console if "Content Security Policy" in text]


def test_a_component_the_session_does_not_enable_reports_a_load_error(page: Page, host):
    base_url, _, client = host
    seller, _ = seller_with_a_payout(client, 500)
    open_page(page, base_url, seller, "payouts-list,disputes-list", "payouts_list")

    expect(page.locator("stripe-connect-payouts-list tr[data-payout-id]")).to_have_count(1)
    expect(page.locator("stripe-connect-disputes-list [role=alert]")).to_contain_text("not enabled")
    errors = page.evaluate("window.loadErrors")
    assert [(e["elementTagName"], e["error"]["type"]) for e in errors] == [
        ("stripe-connect-disputes-list", "invalid_request_error"),
    ]


def test_payout_button_only_with_standard_payouts_and_it_pays_out(page: Page, host):
    base_url, _, client = host
    seller, _ = seller_with_a_payout(client, 700)  # the rest of the payment stays available

    open_page(page, base_url, seller, "payouts", "payouts")
    expect(page.locator("stripe-connect-payouts tr[data-payout-id]")).to_have_count(1)
    expect(page.locator("stripe-connect-payouts [data-testid=available]")).not_to_have_text("$0.00")
    expect(page.locator("stripe-connect-payouts [data-action=payout]")).to_have_count(0)

    session = client.v1.account_sessions.create(params={"account": seller, "components": {
        "payouts": {"enabled": True, "features": {"standard_payouts": True}}}})
    page.route("**/session?*", lambda route: route.fulfill(json={"client_secret": session.client_secret}))
    open_page(page, base_url, seller, "payouts", "payouts")
    button = page.locator("stripe-connect-payouts [data-action=payout]")
    # The page's appearance variables reach the component.
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(10, 125, 90)"
    button.click()
    expect(page.locator("stripe-connect-payouts tr[data-payout-id]")).to_have_count(2)
    expect(page.locator("stripe-connect-payouts [data-testid=available]")).to_have_text("$0.00")
    assert len(client.v1.payouts.list(options={"stripe_account": seller}).data) == 2


def test_an_expired_session_fetches_a_new_client_secret(page: Page, host):
    base_url, sandbox, client = host
    seller, payout = seller_with_a_payout(client, 300)
    # Two components, four calls in flight when the session runs out: one new secret.
    open_page(page, base_url, seller, "payouts-list,payouts", "payouts_list,payouts")
    expect(page.locator(f"stripe-connect-payouts [data-payout-id='{payout}']")).to_be_visible()
    assert page.evaluate("window.secretsFetched") == 1

    sandbox.advance_clock(31 * 60)
    page.evaluate("window.connectInstance.update({locale: 'en-GB'})")  # re-renders the components
    expect(page.locator(f"stripe-connect-payouts-list [data-payout-id='{payout}']")).to_be_visible()
    expect(page.locator(f"stripe-connect-payouts [data-payout-id='{payout}']")).to_be_visible()
    expect(page.locator("stripe-connect-payouts [data-testid=balances]")).to_be_visible()
    assert page.evaluate("window.secretsFetched") == 2
    assert page.evaluate("window.loadErrors") == []


def test_a_client_secret_works_for_one_page_load_only(page: Page, host):
    base_url, _, client = host
    seller, payout = seller_with_a_payout(client, 400)
    secret = client.v1.account_sessions.create(params={
        "account": seller, "components": {"payouts_list": {"enabled": True}}}).client_secret
    page.route("**/session?*", lambda route: route.fulfill(json={"client_secret": secret}))

    open_page(page, base_url, seller, "payouts-list", "payouts_list")
    expect(page.locator(f"[data-payout-id='{payout}']")).to_be_visible()
    page.reload()
    expect(page.locator("stripe-connect-payouts-list [role=alert]")).to_contain_text("already been used")
    assert page.evaluate("window.loadErrors")[0]["error"]["type"] == "authentication_error"


@pytest.mark.skipif(not LOADER.exists(), reason="npm ci --prefix e2e to run")
def test_the_official_loader_drives_the_stand_in(page: Page, host):
    base_url, _, client = host
    seller, payout = seller_with_a_payout(client, 900)
    page.goto(f"{base_url}/loader?account={seller}&enable=payouts_list")
    expect(page.locator(f"stripe-connect-payouts-list [data-payout-id='{payout}']")).to_be_visible()
    assert page.evaluate("window.loadErrors") == []


def disputed_seller(client: stripe.StripeClient) -> tuple[str, str]:
    """A verified seller whose payment was disputed as fraudulent: (account id, dispute id)."""
    account = verified_seller(client)
    as_seller = {"stripe_account": account}
    client.v1.payment_intents.create(params={
        "amount": 4200, "currency": "usd", "payment_method": "pm_card_createDispute", "confirm": True,
    }, options=as_seller)
    deadline = time.monotonic() + 10
    while not (disputes := client.v1.disputes.list(options=as_seller).data):
        assert time.monotonic() < deadline, "the payment was not disputed"
        time.sleep(0.05)
    return account, disputes[0].id


def test_responding_to_a_dispute_with_evidence(page: Page, host):
    base_url, _, client = host
    seller, dispute = disputed_seller(client)
    _, other_dispute = disputed_seller(client)

    open_page(page, base_url, seller, "disputes-list", "disputes_list")
    row = page.locator(f"stripe-connect-disputes-list tr[data-dispute-id='{dispute}']")
    expect(row).to_contain_text("$42.00")
    expect(row).to_contain_text("Needs response")
    expect(page.locator(f"[data-dispute-id='{other_dispute}']")).to_have_count(0)

    row.get_by_text("Respond").click()
    row.get_by_label("Product or service description").fill("Hand-made ceramic mug")
    row.get_by_label("Why you should win this dispute").fill("winning_evidence")
    row.get_by_label("Supporting document").set_input_files(
        files=[{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}])
    row.locator("[data-action=submit-evidence]").click()
    expect(row.locator("[data-action=submit-evidence]")).to_have_count(0)
    expect(row).not_to_contain_text("Needs response")

    updated = client.v1.disputes.retrieve(dispute, options={"stripe_account": seller})
    assert updated.status in ("under_review", "won")
    assert updated.evidence.uncategorized_text == "winning_evidence"
    assert updated.evidence.product_description == "Hand-made ceramic mug"
    receipt = client.v1.files.retrieve(updated.evidence.uncategorized_file, options={"stripe_account": seller})
    assert (receipt.purpose, receipt.type, receipt.filename) == ("dispute_evidence", "pdf", "receipt.pdf")


def test_without_dispute_management_there_is_no_response_action(page: Page, host):
    base_url, _, client = host
    seller, dispute = disputed_seller(client)
    session = client.v1.account_sessions.create(params={"account": seller, "components": {
        "disputes_list": {"enabled": True, "features": {"dispute_management": False}}}})
    page.route("**/session?*", lambda route: route.fulfill(json={"client_secret": session.client_secret}))

    open_page(page, base_url, seller, "disputes-list", "disputes_list")
    row = page.locator(f"stripe-connect-disputes-list tr[data-dispute-id='{dispute}']")
    expect(row).to_contain_text("Needs response")
    expect(row.get_by_text("Respond")).to_have_count(0)


def wait_until(page: Page, expression: str, timeout: float = 5.0) -> None:
    # page.wait_for_function evaluates in the page, which the page's CSP (no eval) refuses.
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout}s: {expression}"
        time.sleep(0.02)


def session_secret(client: stripe.StripeClient, account: str, **components) -> str:
    return client.v1.account_sessions.create(params={"account": account, "components": components}).client_secret


def serve_secret(page: Page, secret: str) -> None:
    page.route("**/session?*", lambda route: route.fulfill(json={"client_secret": secret}))


def test_notification_banner_shows_what_the_account_still_needs(page: Page, host):
    base_url, _, client = host
    newcomer = client.v1.accounts.create(params={"country": "US", "business_type": "individual", "controller": {
        "requirement_collection": "application", "losses": {"payments": "application"},
        "fees": {"payer": "application"}, "stripe_dashboard": {"type": "none"},
    }, "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}}})
    assert newcomer.requirements.currently_due

    open_page(page, base_url, newcomer.id, "notification-banner", "notification_banner")
    banner = page.locator("stripe-connect-notification-banner [data-testid=requirements-due]")
    expect(banner).to_contain_text("date of birth")
    wait_until(page, "window.notifications.length > 0")
    notification = page.evaluate("window.notifications[0]")
    assert notification["actionRequired"] >= 1 and notification["total"] >= notification["actionRequired"]

    verified = verified_seller(client)
    open_page(page, base_url, verified, "notification-banner", "notification_banner")
    wait_until(page, "window.notifications.length > 0")
    assert page.evaluate("window.notifications[0]") == {"total": 0, "actionRequired": 0}
    expect(page.locator("stripe-connect-notification-banner [data-testid=notification-banner]")).to_have_count(0)


def test_account_management_hides_bank_details_without_external_account_collection(page: Page, host):
    base_url, _, client = host
    seller = verified_seller(client)
    open_page(page, base_url, seller, "account-management", "account_management")
    management = page.locator("stripe-connect-account-management")
    expect(management.locator("[data-section=business_details]")).to_contain_text("seller@shop.example")
    expect(management.locator("[data-section=payout_details]")).to_contain_text("6789")

    serve_secret(page, session_secret(client, seller, account_management={
        "enabled": True, "features": {"external_account_collection": False}}))
    open_page(page, base_url, seller, "account-management", "account_management")
    expect(management.locator("[data-section=business_details]")).to_be_visible()
    expect(management.locator("[data-section=payout_details]")).to_have_count(0)


def test_refunding_a_payment_needs_refund_management(page: Page, host):
    base_url, _, client = host
    seller, _ = seller_with_a_payout(client, 100)
    charge = client.v1.charges.list(options={"stripe_account": seller}).data[0]

    serve_secret(page, session_secret(client, seller, payments={
        "enabled": True, "features": {"refund_management": False}}))
    open_page(page, base_url, seller, "payments", "payments")
    row = page.locator(f"stripe-connect-payments tr[data-payment-id='{charge.id}']")
    expect(row).to_contain_text("Successful")
    expect(row.locator("[data-action=refund]")).to_have_count(0)

    serve_secret(page, session_secret(client, seller, payments={"enabled": True}))
    open_page(page, base_url, seller, "payments", "payments")
    row.locator("[data-action=refund]").click()
    expect(row).to_contain_text("Refunded")
    assert client.v1.charges.retrieve(charge.id, options={"stripe_account": seller}).refunded is True


def test_editing_the_payout_schedule(page: Page, host):
    base_url, _, client = host
    seller = verified_seller(client)
    serve_secret(page, session_secret(client, seller, balances={
        "enabled": True, "features": {"edit_payout_schedule": True}}))
    open_page(page, base_url, seller, "balances", "balances")
    schedule = page.locator("stripe-connect-balances [data-testid=payout-schedule]")
    schedule.get_by_label("Payout interval").select_option("manual")
    schedule.locator("[data-action=edit-schedule]").click()
    expect(schedule).to_contain_text("when you request them")
    account = client.v1.accounts.retrieve(seller)
    assert account.settings.payouts.schedule.interval == "manual"


def test_logout_clears_the_components_until_a_new_session(page: Page, host):
    base_url, _, client = host
    seller, payout = seller_with_a_payout(client, 200)
    open_page(page, base_url, seller, "payouts-list", "payouts_list")
    expect(page.locator(f"[data-payout-id='{payout}']")).to_be_visible()

    page.evaluate("window.connectInstance.logout()")
    expect(page.locator(f"[data-payout-id='{payout}']")).to_have_count(0)
    page.evaluate("window.connectInstance.update({locale: 'en-US'})")
    expect(page.locator(f"[data-payout-id='{payout}']")).to_be_visible()
    assert page.evaluate("window.secretsFetched") == 2


def test_the_stand_in_works_from_a_sandbox_on_another_origin(page: Page, host):
    base_url, _, client = host
    seller, payout = seller_with_a_payout(client, 600)
    page.goto(f"{base_url}/?account={seller}&show=payouts-list&enable=payouts_list&standalone=1")
    expect(page.locator(f"stripe-connect-payouts-list [data-payout-id='{payout}']")).to_be_visible()
    assert page.evaluate("window.loadErrors") == []
