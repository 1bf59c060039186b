"""Every seller page, in each state a newcomer meets it, passes axe-core with no serious or critical
finding at 1280 px and 390 px; the screenshots stay in test-artifacts/ to be looked at."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from starlette.routing import Mount, Route

from e2e.accessibility import check_page, violations
from e2e.test_onboarding_journeys import (
    fill_bank, fill_person, fill_profile, individual_at_identity, sign_up_and_log_in, submit_and_wait_for_verified,
)
from portal.accounts.gate import NOT_SELLER
from portal.app import create_app
from portal.settings import Settings

def seller_pages(var_dir) -> list[str]:
    """Every GET page of the route table without path parameters that the seller gate treats as a
    seller's (portal/accounts/gate.py NOT_SELLER names the rest: console, tools, machine endpoints)."""
    found = []

    def walk(routes, prefix="", area=""):
        for route in routes:
            if isinstance(route, Mount):
                if route.name not in NOT_SELLER:
                    walk(route.routes or [], prefix + route.path, route.name or "")
            elif isinstance(route, Route) and "GET" in (route.methods or ()) and "{" not in route.path:
                name = f"{area}:{route.name}" if area else route.name
                if name not in NOT_SELLER and not name.startswith("sandbox"):
                    found.append(prefix + route.path)

    walk(create_app(Settings(PORTAL_VAR_DIR=var_dir, secret_key="not-used")).routes)
    return sorted(set(found))


def visit_each(page: Page, portal_url: str, paths: list[str], artifacts_dir: str, state: str) -> None:
    seen = set()
    for path in paths:
        page.goto(portal_url + path)
        landed = page.url.removeprefix(portal_url).split("?")[0]
        if landed in seen:
            continue  # a redirect to a page already checked
        seen.add(landed)
        check_page(page, artifacts_dir, f"{state} {landed}")


def test_every_seller_page_in_every_state_passes_axe(page: Page, portal_url, smtp_inbox, artifacts_dir, tmp_path):
    pages = seller_pages(tmp_path / "routes")
    visit_each(page, portal_url, pages, artifacts_dir, "signed out")

    sign_up_and_log_in(page, portal_url, smtp_inbox, "ann@annsbakery.com")
    check_page(page, artifacts_dir, "onboarding business")
    page.get_by_label("Individual or sole proprietor").check()
    page.get_by_role("button", name="Save and continue").click()
    check_page(page, artifacts_dir, "onboarding profile")
    fill_profile(page, legal_name=None, dba="Ann's Bakery", url="https://annsbakery.com", search="bakery",
                 industry="Bakeries", email="help@annsbakery.com", descriptor="ANNS BAKERY")
    check_page(page, artifacts_dir, "onboarding business email")
    page.get_by_label("Business email address").fill("ann.bakery@gmail.com")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="We can't confirm this address")).to_be_focused()
    check_page(page, artifacts_dir, "onboarding business email flagged")
    page.get_by_label("Business email address").fill("ann@annsbakery.com")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("button", name="Save and continue").click()  # nothing typed: every error shown
    expect(page.get_by_role("alert").first).to_be_visible()
    check_page(page, artifacts_dir, "onboarding identity errors")
    fill_person(page, "Ann", "Baker", "ann@annsbakery.com")
    page.get_by_label("Last 4 digits of the Social Security number").fill("0000")
    page.get_by_role("button", name="Save and continue").click()
    check_page(page, artifacts_dir, "onboarding bank")
    page.goto(portal_url + "/status/")
    check_page(page, artifacts_dir, "status setting up")
    page.goto(portal_url + "/onboarding/bank")
    fill_bank(page, "Ann Baker", "000123456789")
    check_page(page, artifacts_dir, "onboarding review")
    submit_and_wait_for_verified(page)
    check_page(page, artifacts_dir, "status verified")

    account = httpx.get(portal_url + "/sandbox/v1/accounts", auth=("sk_test_sandbox", "")).json()["data"][0]["id"]
    httpx.post(portal_url + f"/sandbox/v1/test_helpers/accounts/{account}/requirements",
               data={"field": "individual.verification.document"}, auth=("sk_test_sandbox", "")).raise_for_status()
    for _ in range(20):
        page.goto(portal_url + "/status/")
        if page.locator("#account-status").inner_text() != "Verified":
            break
    expect(page.locator("#account-status")).not_to_have_text("Verified")
    check_page(page, artifacts_dir, "status action needed")

    visit_each(page, portal_url, pages, artifacts_dir, "signed in")


def test_the_check_finds_what_it_is_for(page: Page):
    """The checker itself can fail: an unlabelled field and an image without words are caught."""
    page.set_content('<main><h1>Form</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main>')
    found = {v["id"] for v in violations(page)}
    assert {"image-alt", "label"} <= found


@pytest.mark.parametrize("portal_env", [{"SANDBOX_VERIFICATION_DELAY": "600"}])
def test_the_pending_status_page_passes_axe(page: Page, portal_url, smtp_inbox, artifacts_dir):
    """Stripe still checking: one state, one sentence, and what is being checked named as it was given."""
    individual_at_identity(page, portal_url, smtp_inbox)
    fill_person(page, "Ann", "Baker", "ann@annsbakery.com")
    page.get_by_label("Last 4 digits of the Social Security number").fill("0000")
    page.get_by_role("button", name="Save and continue").click()
    fill_bank(page, "Ann Baker", "000123456789")
    page.get_by_label("I agree to the Stripe Connected Account Agreement").check()
    page.get_by_label(re.compile("seller terms")).check()
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.locator("#account-status")).to_have_text("Pending review")
    expect(page.get_by_role("heading", name="Stripe is checking")).to_be_visible()
    expect(page.get_by_text("full Social Security number")).to_have_count(0)
    check_page(page, artifacts_dir, "status pending")
