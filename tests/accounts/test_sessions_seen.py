"""The gate's read kept on PostgreSQL while the database says nothing of it changed
(portal/accounts/sessions_seen.py): kept after one read, forgotten on this process's own writes at
once and on another process's when their notification arrives, never trusted while not listening."""

import time

import psycopg
import pytest
from sqlalchemy import update
from sqlmodel import select

from portal import listening
from portal.accounts import service, sessions_seen
from portal.accounts.models import LoginSession, Seller
from portal.accounts.sessions_seen import SessionsSeen
from portal.connect import payout_holds
from portal.db import Database, utcnow
from tests.conftest import all_heard, eventually
from tests.test_fragments import SignedIn, _snapshot

PAUSED = "Our team has paused your payouts"


@pytest.fixture
def database_url(postgres_url):
    """These tests are about PostgreSQL alone (any_client's app runs on it)."""
    return postgres_url


@pytest.fixture
def pg_client(any_client):
    assert eventually(lambda: any_client.app.state.sessions_seen.listening, 5)
    return any_client


@pytest.fixture
def elsewhere(postgres_url):
    """The same database as another web process (or `portal sync`) sees it."""
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture
def reads(pg_client, monkeypatch) -> list:
    """One entry per read the app's pages make."""
    db, made = pg_client.app.state.db, []
    original = db.read_rows

    async def counted(*statements):
        made.append(len(statements))
        return await original(*statements)

    monkeypatch.setattr(db, "read_rows", counted)
    return made


def _signed_in(client, seller: SignedIn) -> bool:
    response = client.get("/status/", headers={"cookie": f"portal_session={seller.cookie}"}, follow_redirects=False)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def test_a_session_is_read_once_then_kept_while_nothing_changes(pg_client, reads, monkeypatch):
    ann = SignedIn(pg_client, "ann@annsbakery.com", _snapshot("acct_ann"))
    all_heard(pg_client, monkeypatch)
    first = ann.page()
    assert reads, "the first page reads the session"
    made = len(reads)
    for path in ("/status/", "/payouts", "/status/"):
        ann.page(path)
    assert ann.page() == first
    assert len(reads) == made + 1, "only /payouts' own first making reads; the gate reads nothing"


def test_what_this_process_commits_is_seen_by_its_next_request(pg_client, reads, monkeypatch):
    client, db = pg_client, pg_client.app.state.db
    monkeypatch.setattr(sessions_seen, "_heard", lambda seen, payload: None)  # seen without waiting to hear it
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    bo = SignedIn(client, "bo@bosbikes.com", _snapshot("acct_bo"))
    ann.page(), bo.page()
    payout_holds.place_hold(db, ann.id, payout_holds.RISK_PAUSE, note="check", placed_by="risk@platform")
    assert PAUSED in ann.page()
    assert PAUSED not in bo.page()
    service.close_session(db, ann.session_id)
    assert not _signed_in(client, ann)
    assert _signed_in(client, bo)


def test_what_only_reads_in_this_process_leaves_the_kept_sessions_alone(pg_client, reads, monkeypatch):
    client, db = pg_client, pg_client.app.state.db
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    all_heard(client, monkeypatch)
    ann.page()
    made = len(reads)
    with db.transaction() as session:  # what an applier or the mailer finding nothing to do commits
        session.exec(select(Seller)).all()
    assert _signed_in(client, ann) and len(reads) == made
    time.sleep(1.5)  # the applier's look at the table (every second), and whatever else runs on its own
    assert _signed_in(client, ann) and len(reads) == made


def test_a_session_signed_out_by_another_process_is_refused_once_heard(pg_client, elsewhere, reads):
    client = pg_client
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    bo = SignedIn(client, "bo@bosbikes.com", _snapshot("acct_bo"))
    ann.page(), bo.page()
    made = len(reads)
    assert _signed_in(client, ann) and len(reads) == made, "kept"
    service.close_session(elsewhere, ann.session_id)
    assert eventually(lambda: not _signed_in(client, ann), 2.0)
    made = len(reads)
    assert _signed_in(client, bo) and len(reads) == made, "another seller's session is still kept"


def test_a_change_to_the_sellers_pages_made_by_another_process_is_shown_once_heard(pg_client, elsewhere):
    ann = SignedIn(pg_client, "ann@annsbakery.com", _snapshot("acct_ann"))
    assert PAUSED not in ann.page()
    payout_holds.place_hold(elsewhere, ann.id, payout_holds.RISK_PAUSE, note="check", placed_by="risk@platform")
    assert eventually(lambda: PAUSED in ann.page(), 2.0)
    payout_holds.release_hold(elsewhere, ann.id, payout_holds.RISK_PAUSE, note="ok", released_by="risk@platform")
    assert eventually(lambda: PAUSED not in ann.page(), 2.0)


def test_nothing_is_kept_while_not_listening(pg_client, elsewhere, reads, postgres_url, monkeypatch):
    client = pg_client
    seen = client.app.state.sessions_seen
    monkeypatch.setattr(listening, "RETRY_AFTER", (4.0,))  # long enough for what is checked meanwhile
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    bo = SignedIn(client, "bo@bosbikes.com", _snapshot("acct_bo"))
    ann.page(), bo.page()
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as admin:
        ended = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND query LIKE 'LISTEN %'").fetchall()
    assert ended == [(True,)], "one listening connection per process"
    assert eventually(lambda: not seen.listening, 5)
    assert not seen.kept
    made = len(reads)
    assert _signed_in(client, ann) and _signed_in(client, ann)
    assert len(reads) == made + 2, "read every time"
    service.close_session(elsewhere, ann.session_id)  # no notification reaches this process now
    assert not _signed_in(client, ann)
    assert eventually(lambda: seen.listening, 10.0)
    assert _signed_in(client, bo)
    made = len(reads)
    assert _signed_in(client, bo) and len(reads) == made, "kept again"


def test_the_triggers_notify_the_sellers_session_and_version_changes(elsewhere, postgres_url):
    db = elsewhere
    db.migrate()
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as listening:
        listening.execute(f"LISTEN {sessions_seen.CHANNEL}")

        def heard() -> list[str]:
            return [notify.payload for notify in listening.notifies(timeout=0.5)]

        ann, bo = (service.sign_up(db, email, "correct horse battery staple") for email in
                   ("ann@annsbakery.com", "bo@bosbikes.com"))
        heard()
        session_id = service.open_session(db, ann.id, "127.0.0.1", "test")
        assert heard() == [], "a new session is not yet kept anywhere"
        payout_holds.place_hold(db, bo.id, payout_holds.RISK_PAUSE, note="check", placed_by="risk@platform")
        assert heard() == [str(bo.id)]
        with db.transaction() as session:  # what keep_session does now and then
            session.exec(update(LoginSession).values(last_seen_at=utcnow()))
        assert heard() == [str(ann.id)]
        service.close_session(db, session_id)
        assert heard() == [str(ann.id)]


def test_a_read_in_flight_when_anything_is_forgotten_is_not_kept():
    seen = SessionsSeen(size=2)
    row = _row(seller_id=1)
    seen.put("a", row, seen.token())
    assert seen.get("a") is None, "not listening"
    seen.trust(True)
    token = seen.token()
    seen.forget(99)
    seen.put("a", row, token)
    assert seen.get("a") is None
    seen.put("a", row, seen.token())
    seen.put("b", _row(seller_id=2), seen.token())
    assert seen.get("a") is row
    seen.forget(2)
    assert seen.get("a") is row and seen.get("b") is None
    seen.put("c", _row(seller_id=3), seen.token())
    seen.put("d", _row(seller_id=3), seen.token())
    assert seen.get("a") is None and len(seen.kept) == 2, "the oldest goes first"
    seen.forget(3)
    assert not seen.kept and not seen.of_seller
    seen.put("a", row, seen.token())
    seen.trust(False)
    assert seen.get("a") is None and not seen.kept


def test_what_is_kept_is_read_again_after_a_while(monkeypatch):
    seen = SessionsSeen()
    seen.trust(True)
    row = _row(seller_id=1)
    now = time.monotonic()
    seen.put("a", row, seen.token())
    monkeypatch.setattr(sessions_seen.time, "monotonic", lambda: now + sessions_seen.KEPT_FOR + 1)
    assert seen.get("a") is None


def _row(seller_id: int):
    from collections import namedtuple

    return namedtuple("Row", "id created_at last_seen_at seller_id version")("digest", None, None, seller_id, 0)
