"""A verified seller is asked for more: the webhook arrives, the seller is mailed, the status page
shows it with its deadline, the seller uploads a document and the requirement clears; a deadline
that passes makes the account restricted."""

import os
import re
import struct
import time
import zlib

from playwright.sync_api import Page, expect

from e2e.test_money_pages import EMAIL, Sandbox, seller, seller_secrets  # noqa: F401  (the verified-seller fixture and its two-step key)


def png_file(path: str, width: int = 600, height: int = 400) -> str:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc8\xc8\xc8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def wait_for_status(page: Page, headline: str, tries: int = 40) -> None:
    """Reload until webhooks have brought the status page to `headline` (they arrive on their own time)."""
    for _ in range(tries):
        if page.locator("#account-status").inner_text() == headline:
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator("#account-status")).to_have_text(headline)


def test_a_document_made_due_is_mailed_shown_uploaded_and_cleared(page: Page, portal_url, seller, smtp_inbox, tmp_path, artifacts_dir):  # noqa: F811
    sandbox, account = seller
    deadline = int(time.time()) + 5 * 86400
    sandbox.helper(f"accounts/{account}/requirements", field="individual.verification.document", deadline=deadline)

    mail = smtp_inbox.wait_for(EMAIL, subject="Action needed on your seller account")[0]
    assert "a photo of your ID" in mail.get_content()
    link = re.search(r"https?://\S+/status/", mail.get_content()).group(0)
    page.goto(portal_url + "/status/")
    assert link.endswith("/status/")

    expect(page.locator("#account-status")).to_have_text("Action needed")
    action = page.locator(".action", has_text="A photo of your ID")
    expect(action).to_contain_text("Due now")
    expect(action).to_contain_text("Due by " + time.strftime("%b %-d, %Y", time.gmtime(deadline)))
    page.screenshot(path=os.path.join(artifacts_dir, "requirements-document-due.png"), full_page=True)

    page.get_by_label("A photo of your ID").set_input_files(png_file(str(tmp_path / "licence.png")))
    page.get_by_role("button", name="Send to Stripe").click()
    expect(page.get_by_text("What you sent is with Stripe")).to_be_visible()
    wait_for_status(page, "Verified")
    expect(page.locator(".action", has_text="A photo of your ID")).to_have_count(0)


def test_a_passed_deadline_makes_the_account_restricted(page: Page, portal_url, seller):  # noqa: F811
    sandbox, account = seller
    sandbox.helper(f"accounts/{account}/requirements", field="individual.verification.document", deadline=int(time.time()) + 3600)
    page.goto(portal_url + "/status/")
    wait_for_status(page, "Action needed")

    sandbox.helper("sandbox/advance_clock", seconds=7200)
    wait_for_status(page, "Restricted")
    expect(page.locator("#restricted")).to_contain_text("Payments and payouts are off")
    expect(page.locator(".action", has_text="A photo of your ID")).to_contain_text("Past due")
