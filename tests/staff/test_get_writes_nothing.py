"""No GET writes: every GET route of the table, opened by every kind of visitor with real ids from a
seeded database, leaves every table as it was, except the records of reads named below."""

import re

import pytest
from sqlalchemy import MetaData, select

from portal.connect.mirror import account_for_seller
from portal.funds.models import FundsMovement
from portal.integrations.mail import OutboxMessage
from portal.onboarding.routes import STEP_HANDLERS
from portal.staff import overview_pages
from portal.staff.models import StaffRole
from tests.conftest import post_form
from tests.route_table import endpoints
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser

# Tables that record reads by design, and what in them a read may change.
READ_RECORDS = {
    # The audit trail keeps every page staff see while viewing as a seller, and every refusal.
    "audit_event": lambda row: row["action"] in ("view_as.page", "view_as.refused"),
    # The mirror of Stripe's balances: a page that reads a balance live from Stripe (closing an
    # account decides on money) keeps the newest it saw, as webhooks and `portal sync` do.
    "account_balance": lambda row: True,
}
READ_COLUMNS = {
    # A session's last activity, refreshed at most every few minutes so the devices list is true.
    "login_session": {"last_seen_at"},
    # The mailer's delivery bookkeeping, written by its own task while mail queued earlier goes out
    # (a new message would still show as a new row).
    "outbox_message": {"claimed_at", "sent_at", "attempts", "last_error"},
}
# seller_version only follows the others: the database raises a seller's number with every change to
# their watched rows (portal/kept_pages.py), so a read record above raises it, and a write shows here
# in the table it changed.
SKIPPED = {"alembic_version", "seller_version"}


def snapshot(db, tables: MetaData) -> dict[str, list]:
    state = {}
    with db.engine.connect() as connection:
        for name, table in tables.tables.items():
            if name in SKIPPED:
                continue
            rows = [dict(row._mapping) for row in connection.execute(select(table))]
            kept = [{k: v for k, v in row.items() if k not in READ_COLUMNS.get(name, ())}
                    for row in rows if not READ_RECORDS.get(name, lambda _: False)(row)]
            state[name] = sorted(repr(sorted(row.items())) for row in kept)
    return state


def changes(before: dict, after: dict) -> dict:
    return {name: {"gone": sorted(set(rows) - set(after.get(name, []))), "new": sorted(set(after.get(name, [])) - set(rows))}
            for name, rows in before.items() if rows != after.get(name, [])}


def links_in_mail(db) -> list[str]:
    with db.transaction() as session:
        bodies = [message.text_body for message in session.exec(select(OutboxMessage)).scalars()]
    return [re.sub(r"^https?://[^/]+", "", link) for body in bodies for link in re.findall(r"https?://\S+", body)]


def path_values(client, seller: int, admin_id: int) -> dict[str, list]:
    """Real values for every path parameter the table uses; a parameter not known here fails the test."""
    db = client.app.state.db
    snapshot_of_account = account_for_seller(db, seller).snapshot
    requirements = snapshot_of_account.get("requirements") or {}
    keys = [*requirements.get("currently_due", []), *requirements.get("eventually_due", [])] or ["individual.verification.document"]
    with db.transaction() as session:
        movement = session.exec(select(FundsMovement)).scalars().first()
        message = session.exec(select(OutboxMessage)).scalars().first()
    return {
        "seller_id": [seller], "staff_id": [admin_id], "key": keys[:1], "slug": list(STEP_HANDLERS),
        "movement_id": [movement.id], "message_id": [message.id], "path": ["portal.css"],
        "person_id": [(snapshot_of_account.get("individual") or {}).get("id", "person_1"), 1],
        "table": list(overview_pages.CSV),
    }


def visits(app, values: dict, mail_links: list[str]):
    """Every GET route with its parameters filled every way known, and each link of that shape sent by mail."""
    for endpoint in endpoints(app):
        if "GET" not in endpoint.methods:
            continue
        if "token" in endpoint.params:
            pattern = re.compile("^" + re.sub(r"{(\w+)}", "[^/?#]+", endpoint.path) + "$")
            found = [link for link in mail_links if pattern.match(link)]
            yield from ((endpoint.name, link) for link in found or [endpoint.fill(
                {name: "not-a-real-token" if name == "token" else values[name][0] for name in endpoint.params})])
            continue
        combos = [{}]
        for name in endpoint.params:
            assert name in values, f"{endpoint.name}: give the test a real value for {{{name}}}"
            combos = [{**combo, name: value} for combo in combos for value in values[name]]
        yield from ((endpoint.name, endpoint.fill(combo)) for combo in combos)


@pytest.fixture
def visitors(sandboxed_client, seller, support, risk):
    """Anonymous, the seller, each staff role, and staff viewing as the seller, each in their own browser."""
    admin = staff_browser(sandboxed_client)
    admin_member = dev_sign_in(admin, "ada@platform.test", StaffRole.admin)
    viewing = staff_browser(sandboxed_client)
    dev_sign_in(viewing, "vic@platform.test", StaffRole.support)
    post_form(viewing, f"/staff/sellers/{seller}/view-as", {"reason": "Seller asked about payouts"}, page=f"/staff/sellers/{seller}")
    # Something waiting for approval, so the funds pages have a movement to show.
    funds_page = risk.get(f"/staff/sellers/{seller}/funds/send").text
    form_token = re.search(r'name="form_token" value="([^"]+)"', funds_page).group(1)
    post_form(risk, f"/staff/sellers/{seller}/funds/send", {"form_token": form_token, "amount": "600.00",
              "reason": "Cover a dispute", "description": "A credit"}, page=f"/staff/sellers/{seller}/funds/send")
    browsers = {"anonymous": staff_browser(sandboxed_client), "seller": sandboxed_client, "support": support, "risk": risk,
                "admin": admin, "viewing as the seller": viewing}
    return browsers, admin_member.id


def test_no_get_changes_any_table_for_any_visitor(sandboxed_client, seller, visitors):
    browsers, admin_id = visitors
    db = sandboxed_client.app.state.db
    values = path_values(sandboxed_client, seller, admin_id)
    pages = list(visits(sandboxed_client.app, values, links_in_mail(db)))
    assert len(pages) > 50 and any(name == "staff:funds" for name, _ in pages)

    tables = MetaData()
    tables.reflect(db.engine)
    written, seen = [], 0
    before = snapshot(db, tables)
    for who, browser in browsers.items():
        for name, path in pages:
            response = browser.get(path, follow_redirects=False)
            assert response.status_code < 500, (who, path, response.status_code)
            seen += response.status_code == 200
            after = snapshot(db, tables)
            if after != before:
                written.append((who, name, path, changes(before, after)))
            before = after
    assert written == []
    assert seen > 100  # most pages opened for someone: the walk reached the handlers, not only the gates
