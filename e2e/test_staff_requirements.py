"""Staff fix a seller's requirements from the console: a document past due is uploaded on the
seller's behalf and clears once Stripe's verification reaches the portal by webhook; a remediation
link is mailed for the rest, and the seller follows it from the test SMTP server and fixes it.
Then a UK seller found by country, their address fixed in the UK's layout, and a key the portal
doesn't know on the unknown-requirements page."""

import os
import re
import subprocess
import sys
import time

import httpx
from playwright.sync_api import Browser, Page, expect

from e2e.accessibility import check_page
from e2e.stripe_ids import check_ids
from e2e.test_money_pages import EMAIL, Sandbox, seller, seller_secrets  # noqa: F401  (the verified-seller fixture and its two-step key)
from e2e.test_requirements import png_file, wait_for_status
from tests.countries.flows import onboard_individual_in
from tests.onboarding.flows import onboard_individual

DOCUMENT = "individual.verification.document"
SSN = "individual.id_number"
UK_EMAIL = "bob@annsbakery.com"
UNKNOWN_KEY = "individual.nationality"  # a key the portal has no words or field for yet


def create_staff(tmp_path, email: str, role: str) -> None:
    """`portal create-staff`, on the state directory the served portal uses (e2e/conftest.py)."""
    env = {**os.environ, "PORTAL_VAR_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "-m", "portal", "create-staff", email, "--role", role], env=env, check=True,
                   capture_output=True)


def reload_until(page: Page, check, tries: int = 80) -> None:
    """Reload until webhooks have brought the page to what `check` wants (they arrive on their own time)."""
    for _ in range(tries):
        if check():
            return
        page.wait_for_timeout(250)
        page.reload()
    assert check()


def test_staff_upload_a_past_due_document_then_mail_a_link_the_seller_uses_for_the_rest(
        page: Page, browser: Browser, portal_url, seller, smtp_inbox, tmp_path, artifacts_dir):  # noqa: F811
    sandbox, account = seller
    sandbox.helper(f"accounts/{account}/requirements", field=SSN)
    sandbox.helper(f"accounts/{account}/requirements", field=DOCUMENT, deadline=int(time.time()) + 3600)
    sandbox.helper("sandbox/advance_clock", seconds=7200)  # the document's deadline passes
    create_staff(tmp_path, "sam@platform.test", "support")

    # Copy buttons write to the clipboard: the context grants it, as a browser does when asked.
    staff_context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    staff = staff_context.new_page()
    staff.goto(portal_url + "/staff/")
    staff.get_by_role("button", name="Sign in (development)").click()
    expect(staff.locator("#staff-identity")).to_have_text("sam@platform.test (support)")
    check_page(staff, artifacts_dir, "staff console home")
    staff.get_by_label("Search by name, email, account id, website or metadata").fill("bakery")
    staff.get_by_role("button", name="Search").click()
    staff.get_by_role("link", name="Ann's Bakery").click()

    # Staff's words: about the seller, not to them.
    document = staff.locator(".action", has_text="A photo of the seller's ID")
    reload_until(staff, lambda: "Past due" in (document.inner_text() if document.count() else ""))
    expect(document).to_contain_text("Past due")
    expect(staff.locator(".action").first).to_contain_text("A photo of the seller's ID")  # past due comes first
    expect(staff.locator("main")).not_to_contain_text("A photo of your ID")
    staff.screenshot(path=os.path.join(artifacts_dir, "staff-requirements-list.png"), full_page=True)
    check_ids(staff, account)
    check_page(staff, artifacts_dir, "staff seller page")

    # The document, on the seller's behalf.
    document.get_by_role("link", name="A photo of the seller's ID").click()
    expect(staff.locator("#requirement-keys")).to_contain_text(DOCUMENT)
    expect(staff.locator("#stripe-summary")).to_contain_text(f"Connected account: {account}")
    # Past due, and when: never beside "No deadline set".
    expect(staff.locator("#requirement-due")).to_have_text(re.compile(r"^(Fell due \w{3} \d+, \d{4}|Already past due: Stripe gave no date)"))
    check_ids(staff, account)  # the account id as Stripe spells it, though the line above it is in capitals
    check_page(staff, artifacts_dir, "staff requirements desk")
    # The support summary's Copy button puts it on the clipboard and says so.
    staff.locator("[data-copy='stripe-summary']").click()
    expect(staff.locator("#stripe-summary-copied")).to_have_text("Copied to the clipboard.")
    assert staff.evaluate("navigator.clipboard.readText()") == staff.locator("#stripe-summary").input_value()
    # Where the browser refuses the clipboard, the text is selected for Ctrl+C, and staff are told so.
    staff.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError')); }")
    staff.locator("[data-copy='stripe-summary']").click()
    expect(staff.locator("#stripe-summary-copied")).to_contain_text("press Ctrl+C")
    assert staff.evaluate("""() => { const box = document.getElementById("stripe-summary");
        return document.activeElement === box && box.selectionStart === 0 && box.selectionEnd === box.value.length; }""")
    staff.reload()  # the page's own clipboard again
    staff.get_by_label("A photo of the seller's ID").set_input_files(png_file(str(tmp_path / "licence.png")))
    staff.get_by_role("button", name="Send to Stripe for the seller").click()
    expect(staff.locator("#submit-error")).to_contain_text("Give a reason")  # a reason first; the file is chosen again
    staff.get_by_label("A photo of the seller's ID").set_input_files(png_file(str(tmp_path / "licence.png")))
    staff.locator("#submit-reason").fill("Seller emailed their driver's license to support")
    staff.get_by_role("button", name="Send to Stripe for the seller").click()
    expect(staff.get_by_text("Sent to Stripe for Ann's Bakery")).to_be_visible()
    # It clears when Stripe's verification reaches the portal by webhook: neither asked for nor being checked.
    reload_until(staff, lambda: "A photo of the seller's ID" not in staff.locator("main").inner_text())
    expect(staff.locator(".action", has_text="A photo of the seller's ID")).to_have_count(0)
    told = smtp_inbox.wait_for(EMAIL, subject="Our team updated your seller account")[0].get_content()
    assert "a photo of your ID" in told and "never ask for your password" in told

    # A link for the rest, mailed and shown to copy.
    staff.get_by_role("link", name="The seller's full Social Security number").click()
    desk = staff.url
    staff.locator("#link-reason").fill("Only the seller knows their full SSN")
    staff.get_by_role("button", name=f"Email the link to {EMAIL}").click()
    expect(staff.locator("#link-sent")).to_contain_text(f"Emailed to {EMAIL}")
    assert staff.url == desk  # post/redirect/get: the browser is on the page, not on the POST
    shown = staff.locator("#remediation-link").input_value()
    staff.locator("[data-copy='remediation-link']").click()
    expect(staff.locator("#remediation-link-copied")).to_have_text("Copied to the clipboard.")
    assert staff.evaluate("navigator.clipboard.readText()") == shown
    staff.screenshot(path=os.path.join(artifacts_dir, "staff-remediation-link.png"), full_page=True)

    mail = smtp_inbox.wait_for(EMAIL, subject="A link to fix your seller account")[0].get_content()
    link = re.search(r"https?://\S+/status/remediation/\S+", mail).group(0)
    assert link == shown and "works once" in mail
    # A reload sends nothing: one mail, and the link is no longer on the page.
    staff.reload()
    expect(staff.locator("#link-sent")).to_have_count(0)
    staff.wait_for_timeout(1500)  # what a second mail would need to arrive
    assert len(smtp_inbox.wait_for(EMAIL, subject="A link to fix your seller account")) == 1

    # The seller (signed in in their own browser) follows it from the mail and fixes it.
    page.goto(link)
    expect(page.get_by_role("heading", name="Your full Social Security number")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#fix-focus")).to_contain_text("your full Social Security number")
    page.get_by_label("Full Social Security number").fill("000000000")
    page.get_by_role("button", name="Send to Stripe").click()
    expect(page.get_by_text("What you sent is with Stripe")).to_be_visible()
    wait_for_status(page, "Verified")
    expect(page.locator(".action")).to_have_count(0)

    page.goto(link)  # a second time: used up, said plainly
    expect(page.locator("#link-problem")).to_have_text("This link has already been used.")

    staff.get_by_role("link", name="← Ann's Bakery").click()
    reload_until(staff, lambda: staff.locator(".action").count() == 0)
    trail = staff.locator("#audit-trail")
    for action in ("staff.requirement_submitted", "staff.remediation_link", "seller.remediation_link_followed",
                   "seller.requirements_sent"):
        expect(trail).to_contain_text(action)
    expect(trail).to_contain_text("Only the seller knows their full SSN")
    staff.screenshot(path=os.path.join(artifacts_dir, "staff-requirements-cleared.png"), full_page=True)


def test_staff_find_a_uk_seller_by_country_and_fix_their_address_in_uk_terms(page: Page, portal_url, smtp_inbox, tmp_path,
                                                                              artifacts_dir):
    """A seller in the UK among others: staff filter the list to the United Kingdom, submit the
    seller's address in the UK's layout (postcode checked locally first), and find the requirement
    key Stripe started asking for that the portal has no words for on the unknown-requirements page."""
    with httpx.Client(base_url=portal_url, timeout=30) as client:
        onboard_individual(client, smtp_inbox, EMAIL)
    with httpx.Client(base_url=portal_url, timeout=30) as client:
        onboard_individual_in("GB")(client, smtp_inbox, UK_EMAIL)
    sandbox = Sandbox(portal_url)
    uk_account = next(a.id for a in sandbox.sdk.v1.accounts.list().data if a.country == "GB")
    sandbox.helper(f"accounts/{uk_account}/requirements", field="individual.address.line1")
    sandbox.helper(f"accounts/{uk_account}/requirements", field=UNKNOWN_KEY)
    create_staff(tmp_path, "sam@platform.test", "support")

    page.goto(portal_url + "/staff/")
    page.get_by_role("button", name="Sign in (development)").click()
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results-title")).to_have_text("1 seller in United Kingdom")
    expect(page.locator(".staff-results tbody tr")).to_have_count(1)
    expect(page.locator(".seller-country")).to_have_text("GB")
    check_page(page, artifacts_dir, "staff sellers in one country")

    page.locator(".staff-results").get_by_role("link").first.click()
    expect(page.locator("#seller-country")).to_have_text("United Kingdom")
    address = page.locator(".action", has_text="The seller's home address")
    reload_until(page, lambda: address.count() == 1)  # the requirement arrives by webhook
    address.get_by_role("link").click()
    expect(page.get_by_label("State")).to_have_count(0)
    page.get_by_label("Street address").fill("address_full_match")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("90210")
    page.locator("#submit-reason").fill("The seller moved; confirmed on a call")
    page.get_by_role("button", name="Send to Stripe for the seller").click()
    expect(page.locator("[id='individual.address.postal_code-error']")).to_contain_text("postcode like")
    expect(page.get_by_label("Town or city")).to_have_value("London")
    check_page(page, artifacts_dir, "staff requirements desk uk address")
    page.get_by_label("Postcode").fill("sw1a 1aa")
    page.get_by_role("button", name="Send to Stripe for the seller").click()
    expect(page.get_by_text("Sent to Stripe for Ann's Bakery")).to_be_visible()
    assert sandbox.sdk.v1.accounts.retrieve(uk_account).individual.address.postal_code == "SW1A 1AA"

    page.get_by_role("link", name="Unknown requirements").click()
    entry = page.locator(f".unknown-key[data-key='{UNKNOWN_KEY}']")
    reload_until(page, lambda: entry.count() == 1)
    expect(entry.locator(".unknown-key__sellers")).to_have_text("1")
    expect(entry).to_contain_text(uk_account)
    check_page(page, artifacts_dir, "staff unknown requirements")
