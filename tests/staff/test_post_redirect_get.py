"""Post/redirect/get across the staff console (issue 21): a staff member walks the console from a
seller's file, follows every link inside it, and submits every form found on the way, filled as a
person would. No POST may answer with a page (2xx): success is a 303 to a page, a form error a 4xx
(Stripe's trouble a 502). Every POST route of the staff table is either reached by a form here or
named below with the test that covers its redirect, so a route added later is walked too."""

import re
from html.parser import HTMLParser

from portal.staff.models import StaffRole
from tests.route_table import endpoints
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser
from tests.staff.test_requirements_desk import require

STAFF_AREAS = ("staff", "staff_security")
# POST routes no form on this seller's pages reaches; each is covered elsewhere.
COVERED_ELSEWHERE = {
    "staff:dev_sign_in": "tests/staff/conftest.py::dev_sign_in asserts its 303 on every staff test",
    "staff_security:lift_hold": "needs a security hold: tests/security/test_cooling_off_and_recovery.py",
    "staff_security:approve_recovery": "needs a recovery request: tests/security/test_cooling_off_and_recovery.py",
    "staff:funds_approve": "needs a second staff member's waiting request: tests/funds/test_funds.py",
    "staff:funds_decline": "needs a waiting request: tests/funds/test_funds.py",
    "staff:funds_run_again": "needs a movement Stripe did not answer: tests/funds/test_funds.py",
    "staff:close_stop_payments": "the closing steps follow the seller's request: tests/staff/test_closing.py",
    "staff:close_pay_out": "the closing steps follow the seller's request: tests/staff/test_closing.py",
    "staff:close_finish": "the closing steps follow the seller's request: tests/staff/test_closing.py",
    "staff:deactivate": "another staff member's row: tests/staff/test_team.py",
    "staff:account_person_new": "adds a person to a company: tests/staff/test_account_admin.py",
    "staff:account_person": "a company's person: tests/staff/test_account_admin.py",
    "staff:account_person_remove": "a company's person: tests/staff/test_account_admin.py",
    "staff:repayment_arrangement": "needs a negative balance: tests/staff/test_console_words.py::test_the_repayment_arrangement_redirects",
    "staff:passkey_register_options": "a script's JSON call (WebAuthn options), not a form: tests/funds/test_funds.py",
    "staff:funds_approve_options": "a script's JSON call (WebAuthn options) for a waiting movement: tests/funds/test_funds.py",
    "staff:alert_acknowledge": "needs an open alert (a line crossed): tests/staff/test_alerts.py",
    "staff:passkey_remove": "needs a registered staff passkey: tests/funds/test_funds.py::test_staff_change_their_passkeys_only_soon_after_signing_in",
}
# Forms that change what the rest of the walk can see: submitted last, in this order.
LAST = ("staff:reject", "staff:close_start", "staff:sign_out")
# What a person types into a field of that name (an amount that waits for approval: no Stripe call).
TYPED = {
    "reason": "Checked with the seller on a call", "body": "Called the seller", "terms": "$50 a week from Dec 1",
    "amount": "600.00", "description": "Covering a refund", "email": "new.member@platform.test",
    "why": "", "note": "Checked",
}


class Forms(HTMLParser):
    """The page's links and its POST forms: action, fields (name -> value) and select options."""

    def __init__(self):
        super().__init__()
        self.links, self.forms, self._form, self._select = [], [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and (attrs.get("href") or "").startswith("/staff/"):
            self.links.append(attrs["href"].split("#")[0])
        elif tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action", ""), "fields": {}, "files": False}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "textarea") and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind == "file":
                self._form["files"] = True
            elif kind in ("checkbox", "radio"):
                self._form["fields"].setdefault(attrs["name"], attrs.get("value", "on"))
            else:
                self._form["fields"][attrs["name"]] = attrs.get("value") or TYPED.get(attrs["name"], "")
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self._form["fields"][self._select] = ""
        elif tag == "option" and self._select and attrs.get("value") and not self._form["fields"][self._select]:
            self._form["fields"][self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def read(html: str) -> Forms:
    parser = Forms()
    parser.feed(html)
    return parser


def route_of(app, method: str, path: str) -> str:
    for endpoint in endpoints(app):
        if method in endpoint.methods and re.fullmatch(re.sub(r"{\w+}", r"[^/]+", endpoint.path), path):
            return endpoint.name
    raise AssertionError(f"no route answers {method} {path}")


def crawl(staff, start: list[str], limit: int = 60) -> dict[str, tuple[str, dict]]:
    """Every POST form on the pages reachable from `start` by links inside the console: action -> (page, form)."""
    queue, seen, forms = list(start), set(), {}
    while queue:
        path = queue.pop(0)
        if path in seen or len(seen) > limit:
            continue
        seen.add(path)
        page = staff.get(path, follow_redirects=False)
        if page.status_code != 200:
            continue
        found = read(page.text)
        queue.extend(link for link in found.links if "?" not in link)
        for form in found.forms:
            forms.setdefault(form["action"], (path, form))
    return forms


def submit(staff, name: str, action: str, page: str, form: dict) -> int:
    # The page as it is now (an earlier step may have moved the session on), as a person would see it.
    fresh = [found for found in read(staff.get(page).text).forms if found["action"] == action]
    fields = dict((fresh or [form])[0]["fields"])
    if name == "staff:reject":
        fields["confirm_email"] = "ann@annsbakery.com"
    files = {"_": ("", b"", "application/octet-stream")} if form["files"] else None  # no file chosen
    response = staff.post(action, data=fields, files=files, follow_redirects=False)
    assert not 200 <= response.status_code < 300, f"{name} ({action}, from {page}) answered a page to a POST"
    assert response.status_code == 303 or 400 <= response.status_code < 500 or response.status_code == 502, \
        (name, response.status_code)
    return response.status_code


def test_every_staff_post_answers_a_redirect_or_a_form_error(sandboxed_client, sdk, seller, inbox):
    require(sandboxed_client, sdk, seller, "individual.verification.document")
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "adam@platform.test", StaffRole.admin)
    app = sandboxed_client.app
    start = [f"/staff/sellers/{seller}", "/staff/negative-balances", "/staff/funds", "/staff/team"]

    answered, last = {}, []
    # Twice: what the first pass did shows new forms (payouts paused: "Resume"; viewing as the
    # seller: "Stop viewing" on the seller's pages).
    for walk in (start, [*start, "/dashboard", "/status/"]):
        for action, (page, form) in crawl(staff, walk).items():
            name = route_of(app, "POST", action)
            if name in answered or name.split(":")[0] not in STAFF_AREAS:  # the seller's own forms: their tests
                continue
            if name in LAST:
                last.append((name, action, page, form))
                continue
            answered[name] = submit(staff, name, action, page, form)
    for name, action, page, form in sorted(last, key=lambda item: LAST.index(item[0])):
        if name not in answered:
            answered[name] = submit(staff, name, action, page, form)

    staff_posts = {e.name for e in endpoints(app) if "POST" in e.methods and e.name.split(":")[0] in STAFF_AREAS}
    assert staff_posts - set(answered) - set(COVERED_ELSEWHERE) == set(), "a staff POST route no form reaches"
    # The ones a new staff member uses daily succeed here, and so redirect.
    for name in ("staff:add_note", "staff:pause_payouts", "staff:resume_payouts", "staff:remediation",
                 "staff:requirement_link", "staff:funds_send", "staff:view_as_start", "staff:view_as_exit",
                 "staff:sign_out", "staff:reject"):
        assert answered.get(name) == 303, (name, answered.get(name))
