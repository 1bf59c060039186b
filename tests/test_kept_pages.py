"""Whole pages kept by the seller's version (portal/kept_pages.py): every change to a watched row
raises the version on both databases, a kept page is the page made anew, and what cannot be kept
(staff viewing as the seller, messages to flash, a read the database cannot vouch for) is not."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import itsdangerous
import pytest
import time_machine
from jinja2 import meta, nodes
from sqlalchemy import text
from sqlmodel import SQLModel, select

from portal import kept_pages
from portal.audit import Actor, AuditEvent, record
from portal.connect import mirror, payout_holds
from portal.connect.models import AccountBalance, AccountClosure, ConnectedAccount
from portal.db import Database
from portal.onboarding.models import BusinessEmail, DraftPerson
from portal.accounts import service
from portal.accounts.auth import TWO_STEP_ON_KEY
from portal.accounts.models import Seller
from tests.conftest import PASSWORD, all_heard
from tests.test_fragments import SignedIn, _snapshot


def _version(db: Database, seller_id: int) -> int:
    with db.engine.connect() as connection:
        found = connection.execute(text("SELECT version FROM seller_version WHERE seller_id = :id"), {"id": seller_id})
        return found.scalar() or 0


# For each watched table: make a row of the seller's, change it, and remove it (each in its own transaction).
def _account(db, seller_id):
    mirror.record_account(db, seller_id, _snapshot(f"acct_{seller_id}"))
    return ConnectedAccount, ConnectedAccount.seller_id == seller_id, {"stripe_account_id": f"acct_{seller_id}_new"}


def _balance(db, seller_id):
    mirror.record_account(db, seller_id, _snapshot(f"acct_{seller_id}"))
    before = _version(db, seller_id)
    mirror.record_balance(db, f"acct_{seller_id}", {"available": [{"amount": 100, "currency": "usd"}], "pending": []}, as_of=time.time())
    assert _version(db, seller_id) > before
    return AccountBalance, AccountBalance.stripe_account_id == f"acct_{seller_id}", {"refresh_failed": True}


def _added(model, **values):
    def make(db, seller_id):
        with db.transaction() as session:
            session.add(model(seller_id=seller_id, **values))
        return model, model.seller_id == seller_id, {}
    return make


MAKERS = {
    "seller": lambda db, seller_id: (Seller, Seller.id == seller_id, {"locale": "de"}),
    "connected_account": _account,
    "account_balance": _balance,
    "business_email": _added(BusinessEmail, email="owner@example.com"),
    "payout_hold": _added(payout_holds.PayoutHold, reason=payout_holds.RISK_PAUSE, note="", placed_by="risk@platform"),
    "onboarding_person": _added(DraftPerson, answers={"first_name": "Jane"}),
    "audit_event": lambda db, seller_id: (
        record(db, actor=Actor.staff(1, "dana@platform"), action="staff.profile_update", seller_id=seller_id, details={}),
        (AuditEvent, AuditEvent.seller_id == seller_id, {"action": "staff.note"}))[1],
    "account_closure": _added(AccountClosure, stripe_account_id="acct_x"),
}


def test_every_watched_table_has_a_test_here():
    assert set(MAKERS) == set(kept_pages.WATCHED)


@pytest.mark.parametrize("table", kept_pages.WATCHED)
def test_every_change_to_a_watched_row_raises_its_sellers_version_and_no_one_elses(db, table):
    seller = service.sign_up(db, f"{table.replace('_', '-')}@example.com", PASSWORD)
    other = service.sign_up(db, "other@example.com", PASSWORD)
    others = _version(db, other.id)
    made = _version(db, seller.id)
    model, where, changes = MAKERS[table](db, seller.id)
    assert _version(db, seller.id) > (made if table != "seller" else 0), "made"  # a seller's row: at sign-up
    changed = _version(db, seller.id)
    with db.transaction() as session:
        for row in session.exec(select(model).where(where)).all():
            for name, value in changes.items():
                setattr(row, name, value)
            session.add(row)
    if changes:
        assert _version(db, seller.id) > changed, "changed"
    removed = _version(db, seller.id)
    if table != "seller":
        with db.transaction() as session:
            for row in session.exec(select(model).where(where)).all():
                session.delete(row)
        assert _version(db, seller.id) > removed, "removed"
    assert _version(db, other.id) == others


def test_a_migration_that_rebuilds_a_table_gets_its_triggers_back(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'portal.db'}")
    db.migrate()
    names = {name for name, *_ in kept_pages.triggers(SQLModel.metadata)}
    with db.engine.begin() as connection:  # what batch_alter_table's copy does to a table's triggers
        connection.exec_driver_sql("DROP TRIGGER seller_version_connected_account_update")
    db.migrate()
    with db.engine.connect() as connection:
        found = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert names <= found and len(names) == 3 * len(kept_pages.WATCHED)
    db.dispose()


# Through the app, on both databases --------------------------------------------------------------

def _fresh(client, seller: SignedIn, path: str = "/status/") -> tuple[str, str]:
    """(the page as served, the page made anew with nothing kept)."""
    served = seller.page(path)
    client.app.state.kept_pages.kept.clear()
    return served, seller.page(path)


def test_a_kept_page_is_served_with_only_the_gates_read(any_client, monkeypatch):
    client = any_client
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    db = client.app.state.db
    reads = []
    original = db.read_rows

    async def counted(*statements):
        reads.append(len(statements))
        return await original(*statements)

    monkeypatch.setattr(db, "read_rows", counted)
    all_heard(client, monkeypatch)  # the notifications of Ann's making, before any read is counted
    # On PostgreSQL the gate's read is itself kept while nothing of it changes (accounts/sessions_seen.py).
    gate = 0 if db.engine.dialect.name == "postgresql" else 1
    for path in ("/status/", "/payouts", "/disputes", "/payments", "/settings"):
        first = ann.page(path)
        made = len(reads)
        assert ann.page(path) == first
        assert len(reads) == made + gate, "the gate's read only"
    assert len(client.app.state.kept_pages.kept) == 5


def test_whatever_a_kept_page_shows_is_the_page_made_anew_after_each_change(any_client):
    client = any_client
    db = client.app.state.db
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    bo = SignedIn(client, "bo@bosbikes.com", _snapshot("acct_bo"))
    pages = []

    def check(*must_show: str, path: str = "/status/") -> None:
        served, made = _fresh(client, ann, path)
        assert served == made
        for words in must_show:
            assert words in served, words
        pages.append(served)
        bo.page(path)  # another seller's pages are kept beside, never instead

    check("Your date of birth")
    ann.record(_snapshot("acct_ann", due=["external_account"]))
    check("A bank account for your payouts")
    mirror.record_balance(db, "acct_ann", {"available": [{"amount": 12_345, "currency": "usd"}], "pending": []}, as_of=time.time())
    check()
    payout_holds.place_hold(db, ann.id, payout_holds.RISK_PAUSE, note="check", placed_by="risk@platform")
    check("Our team has paused your payouts")
    check("paused", path="/payouts")
    payout_holds.release_hold(db, ann.id, payout_holds.RISK_PAUSE, note="ok", released_by="risk@platform")
    check()
    check(path="/payouts")
    record(db, actor=Actor.staff(1, "dana@platform"), action="staff.profile_update", seller_id=ann.id,
           details={"changes": [{"field": "URL"}]})
    check("Our team updated your business profile: url.")
    with db.transaction() as session:
        session.add(DraftPerson(seller_id=ann.id, stripe_person_id="person_jane", answers={"first_name": "Jane", "last_name": "Roe"}))
    ann.record(_snapshot("acct_ann", due=["person_jane.dob.day"]))
    check("Jane Roe")
    ann.record(_snapshot("acct_ann", requirements={"disabled_reason": "rejected.fraud"}, charges_enabled=False,
                         payouts_enabled=False))
    check()
    assert len(set(pages)) >= 6


def test_a_hold_that_ends_by_itself_leaves_the_kept_page_when_it_ends(any_client):
    client = any_client
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    ends = datetime.now(UTC) + timedelta(hours=1)
    payout_holds.place_hold(client.app.state.db, ann.id, payout_holds.RISK_PAUSE, note="", placed_by="risk@platform", until=ends)
    assert "Our team has paused your payouts" in ann.page()
    assert "Our team has paused your payouts" in ann.page()  # kept
    with time_machine.travel(ends + timedelta(seconds=1)):
        assert "Our team has paused your payouts" not in ann.page()


def _browser(client, seller: SignedIn, csrf: str, **session) -> SignedIn:
    """Another browser signed in as `seller`, with its own session (and CSRF token)."""
    other = SignedIn.__new__(SignedIn)
    other.__dict__.update(seller.__dict__)
    data = {"sid": service.open_session(client.app.state.db, seller.id, "127.0.0.1", "test"), "_csrf": csrf,
            TWO_STEP_ON_KEY: True, **session}
    signer = itsdangerous.TimestampSigner(str(client.app.state.settings.signing_key()))
    other.cookie, other.csrf = signer.sign(base64.b64encode(json.dumps(data).encode())).decode(), csrf
    return other


def test_each_session_gets_its_own_token_and_a_page_with_messages_is_not_kept(client):
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    first = ann.page()
    assert ann.csrf in first and ann.email in first
    [kept] = [b"".join(entry[0][0::2]).decode() for entry in client.app.state.kept_pages.kept.values()]
    assert set(next(iter(client.app.state.kept_pages.kept.values()))[0][1::2]) == {"csrf_token", "email"}
    assert ann.csrf not in kept and ann.email not in kept
    # Another browser of the same seller: the same kept page, that session's token.
    second = _browser(client, ann, "csrf-of-other-browser").page()
    assert "csrf-of-other-browser" in second and ann.csrf not in second
    assert second.replace("csrf-of-other-browser", ann.csrf) == first

    client.app.state.kept_pages.kept.clear()
    flashing = _browser(client, ann, "csrf-3", _flashes=[["success", "Thank you, all sent."]])
    assert "Thank you, all sent." in flashing.page()
    assert not client.app.state.kept_pages.kept, "a message to show once is not kept"
    assert "Thank you, all sent." not in ann.page()


def test_a_page_read_through_the_orm_is_made_every_time(client):
    new = SignedIn(client, "new@newshop.com", _snapshot("acct_new", tos_acceptance={}))  # still setting up
    new.page()
    new.page()
    assert not client.app.state.kept_pages.kept


# What the kept templates read of the request: each is in the key, or the version covers it.
REQUEST_READS = {
    ("state", "seller"), ("state", "seller", "email"), ("state", "seller_account"), ("state", "seller_submitted"),
    ("state", "view_as"), ("url", "path"), ("url", "query"), ("app", "state", "connect_js", "url"),
    ("app", "state", "connect_js", "publishable_key"), ("scope",),
}


def _request_reads(env, name: str, seen: set) -> set:
    seen.add(name)
    tree = env.parse(env.loader.get_source(env, name)[0])
    found = set()
    for node in tree.find_all(nodes.Getattr):
        chain, at = [], node
        while isinstance(at, nodes.Getattr):
            chain.insert(0, at.attr)
            at = at.node
        if isinstance(at, nodes.Name) and at.name == "request":
            found.add(tuple(chain))
    for included in meta.find_referenced_templates(tree):
        if included not in seen:
            found |= _request_reads(env, included, seen)
    return found


@pytest.mark.parametrize("name", ["connect/status.html", "connect/closed.html", "money/payouts.html", "money/disputes.html",
                                  "money/payments.html", "money/settings.html"])
def test_a_kept_template_reads_of_the_request_only_what_its_key_holds(name):
    from portal.web import make_templates

    env = make_templates()
    reads = _request_reads(env, name, set())
    # A chain's prefixes are read on the way: ("state", "seller", "email") reads ("state", "seller").
    assert {chain for chain in reads if not any(chain == known[:len(chain)] for known in REQUEST_READS)} == set()
