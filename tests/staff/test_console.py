"""The staff console: every route checks the role, search and filters, a seller's file, notes and
risk actions (pause and resume payouts, reject, debit negative balances, remediation link)."""

import re


from portal.connect import payout_holds
from portal.connect.mirror import account_for_seller, record_account, record_balance
from portal.staff.models import StaffRole
from tests.conftest import csrf_from, post_form
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import schedule, seller_id, staff_browser, trail

RISK_ROUTES = [
    ("POST", "/staff/sellers/{id}/pause-payouts"),
    ("POST", "/staff/sellers/{id}/resume-payouts"),
    ("POST", "/staff/sellers/{id}/debit-negative-balances"),
    ("GET", "/staff/sellers/{id}/reject"),
    ("POST", "/staff/sellers/{id}/reject"),
    ("POST", "/staff/sellers/{id}/remediation"),
]
ANY_STAFF_ROUTES = [
    ("GET", "/staff/"),
    ("GET", "/staff/sellers/{id}"),
    ("POST", "/staff/sellers/{id}/notes"),
    ("POST", "/staff/sellers/{id}/view-as"),
    ("POST", "/staff/view-as/exit"),
]


def _call(client, method: str, path: str, data: dict | None = None):
    token = csrf_from(client.get("/account/login").text)
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.post(path, data={"csrf_token": token, "reason": "checking", **(data or {})}, follow_redirects=False)


def test_every_staff_route_wants_a_staff_session_and_a_seller_session_is_not_one(sandboxed_client, seller):
    # sandboxed_client holds the seller's own signed-in session.
    for method, path in RISK_ROUTES + ANY_STAFF_ROUTES:
        response = _call(sandboxed_client, method, path.format(id=seller))

        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/sign-in"), path
    assert sandboxed_client.get("/dashboard", follow_redirects=False).status_code == 200  # still the seller
    assert trail(sandboxed_client, seller) == []


def test_risk_routes_refuse_the_support_role_and_change_nothing(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test", StaffRole.support)
    before = schedule(sandboxed_client, seller)

    for method, path in RISK_ROUTES:
        data = {"why": "fraud_other", "confirm_email": "ann@annsbakery.com", "on": "true"}
        response = _call(staff, method, path.format(id=seller), data)

        assert response.status_code == 403, path
        assert "Your role cannot do this" in response.text

    assert trail(sandboxed_client, seller) == []
    assert schedule(sandboxed_client, seller) == before
    assert "risk_pause" not in [hold.reason for hold in payout_holds.active_holds(sandboxed_client.app.state.db, seller)]
    assert account_for_seller(sandboxed_client.app.state.db, seller).snapshot["requirements"]["disabled_reason"] is None
    assert "Risk actions need the risk or admin role" in staff.get(f"/staff/sellers/{seller}").text


def test_support_reaches_every_console_route(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test", StaffRole.support)

    for method, path in ANY_STAFF_ROUTES:
        response = _call(staff, method, path.format(id=seller), {"body": "called the seller"})

        assert response.status_code in (200, 303), path
        assert "/staff/sign-in" not in response.headers.get("location", ""), path


def test_search_finds_sellers_by_name_email_account_website_and_draft_answers(sandboxed_client, seller, inbox):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    account_id = account_for_seller(sandboxed_client.app.state.db, seller).stripe_account_id

    for query in ["Ann's Bakery", "ann@annsbakery", account_id, "annsbakery.com", "ANNS BAKERY", "Portland"]:
        page = staff.get("/staff/", params={"q": query})
        assert f"/staff/sellers/{seller}" in page.text, query
    assert "1 seller<" in staff.get("/staff/", params={"q": "bakery portland"}).text
    assert "0 sellers" in staff.get("/staff/", params={"q": "rocket rides"}).text


def test_filters_narrow_to_the_sellers_they_name(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")
    db = sandboxed_client.app.state.db
    account_id = account_for_seller(db, seller).stripe_account_id

    def found(*filters) -> bool:
        return f"/staff/sellers/{seller}" in staff.get("/staff/", params={"q": "", "filter": list(filters)}).text

    assert found("email_unconfirmed")  # the business email link was never opened
    assert not found("negative_balance") and not found("rejected") and not found("payouts_paused")
    record_balance(db, account_id, {"available": [{"amount": -1250, "currency": "usd"}], "pending": []}, as_of=9e9)
    assert found("negative_balance", "email_unconfirmed")
    payout_holds.place_hold(db, seller, payout_holds.RISK_PAUSE, note="test", placed_by="x")
    assert found("payouts_paused")


def test_a_sellers_file_shows_what_the_seller_sees_and_more(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    page = staff.get(f"/staff/sellers/{seller}").text

    assert 'id="account-status"' in page  # the seller's own status partial
    assert "card_payments" in page and "transfers" in page
    assert "Business email check" in page and "ann@annsbakery.com" in page
    assert "Business email unconfirmed" in page  # a risk flag
    assert "Risk actions need the risk or admin role" in page


def test_notes_thread_is_kept_and_an_empty_note_is_refused_beside_the_field(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    empty = post_form(staff, f"/staff/sellers/{seller}/notes", {"body": "  "}, page=f"/staff/sellers/{seller}")
    assert empty.status_code == 400 and 'id="note-error"' in empty.text
    note = {"body": "Seller called about a late payout."}
    post_form(staff, f"/staff/sellers/{seller}/notes", note, page=f"/staff/sellers/{seller}")

    page = staff.get(f"/staff/sellers/{seller}").text
    assert "Seller called about a late payout." in page and "sam@platform.test" in page
    assert ("staff.note", "sam@platform.test") in trail(sandboxed_client, seller)


def test_pausing_payouts_needs_a_reason_then_holds_them_and_the_seller_sees_it(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    page = f"/staff/sellers/{seller}"

    missing = post_form(staff, f"{page}/pause-payouts", {"reason": ""}, page=page)
    assert missing.status_code == 400 and 'id="pause-error"' in missing.text
    assert "risk_pause" not in [hold.reason for hold in payout_holds.active_holds(sandboxed_client.app.state.db, seller)]

    done = post_form(staff, f"{page}/pause-payouts", {"reason": "Chargeback spike"}, page=page)
    assert done.status_code == 200 and "Payouts paused" in done.text

    assert schedule(sandboxed_client, seller)["interval"] == "manual"
    seller_page = sandboxed_client.get("/status/").text
    assert "Our team has paused your payouts" in seller_page
    assert ("risk.pause_payouts", "rita@platform.test") in trail(sandboxed_client, seller)

    resumed = post_form(staff, f"{page}/resume-payouts", {"reason": "Reviewed, fine"}, page=page)
    assert "Payouts resumed" in resumed.text
    assert "Our team has paused your payouts" not in sandboxed_client.get("/status/").text
    assert ("risk.resume_payouts", "rita@platform.test") in trail(sandboxed_client, seller)


def test_rejecting_asks_for_a_confirmation_naming_the_seller_then_closes_the_account(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "ada@platform.test", StaffRole.admin)
    path = f"/staff/sellers/{seller}/reject"

    confirm = staff.get(path)
    assert "Reject Ann&#39;s Bakery?" in confirm.text and "ann@annsbakery.com" in confirm.text
    wrong = post_form(staff, path, {"why": "fraud_other", "reason": "stolen cards", "confirm_email": "someone@else.com"})
    assert wrong.status_code == 400 and "Type the seller&#39;s email (ann@annsbakery.com) to confirm." in wrong.text
    assert account_for_seller(sandboxed_client.app.state.db, seller).snapshot["requirements"]["disabled_reason"] is None

    done = post_form(staff, path, {"why": "fraud_other", "reason": "stolen cards", "confirm_email": "ann@annsbakery.com"})

    assert done.status_code == 200 and "account is rejected" in done.text
    rejected = account_for_seller(sandboxed_client.app.state.db, seller).snapshot["requirements"]["disabled_reason"]
    assert rejected.startswith("rejected.")
    closed = sandboxed_client.get("/status/")
    assert "Your seller account is closed" in closed.text
    assert f"/staff/sellers/{seller}" in staff.get("/staff/", params={"q": "", "filter": "rejected"}).text
    assert ("risk.reject_account", "ada@platform.test") in trail(sandboxed_client, seller)


def test_debiting_negative_balances_can_be_turned_on_and_off(sandboxed_client, seller):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    page = f"/staff/sellers/{seller}"
    db = sandboxed_client.app.state.db
    before = account_for_seller(db, seller).snapshot["settings"]["payouts"]["debit_negative_balances"]

    change = {"reason": "negative for 30 days", "on": "false" if before else "true"}
    post_form(staff, f"{page}/debit-negative-balances", change, page=page)

    assert account_for_seller(db, seller).snapshot["settings"]["payouts"]["debit_negative_balances"] is (not before)
    assert re.search(r'id="debit-negative">(on|off)<', staff.get(page).text).group(1) == ("off" if before else "on")
    assert ("risk.debit_negative_balances", "rita@platform.test") in trail(sandboxed_client, seller)


def test_a_remediation_link_is_mailed_to_the_seller(sandboxed_client, seller, inbox):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    page = f"/staff/sellers/{seller}"

    html = staff.get(page).text
    form = {"csrf_token": csrf_from(html), "reason": "Please upload a clearer ID document.",
            "submission": re.search(r'name="submission" value="([^"]+)"', html).group(1)}
    sent = staff.post(f"{page}/remediation", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == page
    # Two test clients are two event loops; the mailer lives on the first: let its loop turn once.
    sandboxed_client.get("/healthz")

    mail = inbox.wait_for("ann@annsbakery.com", subject="Action needed on your seller account")[0].get_content()
    assert "Please upload a clearer ID document." in mail and "/status/" in mail
    assert ("risk.remediation_link", "rita@platform.test") in trail(sandboxed_client, seller)
    # The same form again (a reload of the POST, Back and resubmit): nothing is mailed a second time.
    again = staff.post(f"{page}/remediation", data=form, follow_redirects=False)
    assert again.status_code == 303 and "nothing was sent again" in staff.get(page).text
    assert trail(sandboxed_client, seller).count(("risk.remediation_link", "rita@platform.test")) == 1
    # Without the form's one-time id (an old page, a forged post) nothing is sent either.
    stale = staff.post(f"{page}/remediation", data={**form, "submission": ""}, follow_redirects=False)
    assert stale.status_code == 400 and "This form had expired" in stale.text
    sandboxed_client.get("/healthz")
    assert len(inbox.wait_for("ann@annsbakery.com", subject="Action needed on your seller account")) == 1


def test_an_unknown_seller_is_a_plain_not_found(sandboxed_client):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    assert staff.get("/staff/sellers/999999").status_code == 404
    assert seller_id  # helper kept importable for other tests


def test_a_rejection_reported_by_stripe_flags_the_seller_and_closes_their_pages(sandboxed_client, seller):
    db = sandboxed_client.app.state.db
    snapshot = account_for_seller(db, seller).snapshot
    rejected = {**snapshot, "charges_enabled": False, "payouts_enabled": False,
                "requirements": {**snapshot["requirements"], "disabled_reason": "rejected.listed"}}
    record_account(db, seller, rejected, as_of=9e9)  # what the account.updated webhook handler does
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test")

    assert "Your seller account is closed" in sandboxed_client.get("/status/").text
    assert f"/staff/sellers/{seller}" in staff.get("/staff/", params={"q": "", "filter": "rejected"}).text
    assert "Rejected" in staff.get(f"/staff/sellers/{seller}").text
