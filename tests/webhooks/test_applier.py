"""Nothing stored is lost: an event stored by a process that died before applying it is applied by
the next start or on redelivery; claims keep two appliers from applying one event, and a claim
whose holder died lapses; failures are kept, visible, and tried again with backoff."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from portal.accounts import service
from portal.app import create_app
from portal.connect import mirror
from portal.db import Database
from portal.webhooks import queue
from portal.webhooks import applier as applying
from portal.webhooks.applier import Applier, coalesce
from portal.webhooks.handlers import HANDLERS
from portal.webhooks.models import StripeEvent, StripeEventPayload
from tests.conftest import eventually
from tests.webhooks.test_endpoint import SECRET, _event, _post

ACCOUNT = "acct_applier1"


def _account_event(event_id: str, created: int, charges_enabled: bool = True) -> dict:
    return _event(event_id, "account.updated", {"id": ACCOUNT, "object": "account", "charges_enabled": charges_enabled},
                  created=created)


def _seller(db: Database) -> int:
    seller = service.sign_up(db, "applier@example.com", "violet tractor salad 42")
    mirror.record_account(db, seller.id, {"id": ACCOUNT, "object": "account", "charges_enabled": False}, as_of=100)
    return seller.id


def _row(db: Database, event_id: str) -> StripeEvent:
    with db.transaction() as session:
        return session.get(StripeEvent, event_id)


def _charges_enabled(db: Database, seller_id: int) -> bool:
    return mirror.account_for_seller(db, seller_id).snapshot["charges_enabled"]


# Stores one event the way the endpoint does, then dies by SIGKILL before anything applies it.
STORE_THEN_DIE = """
import json, os, signal, sys
from portal.db import Database
from portal.webhooks.queue import record_event
assert record_event(Database(sys.argv[1]), json.loads(sys.argv[2]), handled=True) == "new"
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_event_stored_by_a_process_killed_before_applying_is_applied_on_the_next_start(settings, database_url):
    configured = settings.model_copy(update={"database_url": database_url})
    db = Database(database_url)
    db.migrate()
    seller_id = _seller(db)
    event = _account_event("evt_orphan", created=200)
    died = subprocess.run([sys.executable, "-c", STORE_THEN_DIE, database_url, json.dumps(event)],
                          env={**os.environ}, capture_output=True, text=True, timeout=60)
    assert died.returncode == -signal.SIGKILL, died.stderr
    assert _row(db, "evt_orphan").outcome == "" and not _charges_enabled(db, seller_id)

    with TestClient(create_app(configured)):  # start-up
        assert eventually(lambda: _row(db, "evt_orphan").outcome == "applied")
    assert _charges_enabled(db, seller_id)
    db.dispose()


def test_a_redelivery_of_a_stored_but_unapplied_event_is_applied_not_answered_duplicate(app):
    db = app.state.db
    seller_id = _seller(db)
    app.state.sandbox_webhook_secrets.append(SECRET)
    app.state.applier.poll = 3600  # only the redelivery may wake it after its start-up pass
    event = _account_event("evt_again", created=200)
    with TestClient(app) as client:
        assert eventually(lambda: app.state.applier._task is not None)
        time.sleep(0.3)  # the start-up pass is over and found nothing
        assert queue.record_event(db, event, handled=True) == "new"  # stored; then the process "died"
        answer = _post(client, event)
        assert answer.status_code == 200 and answer.json() == {"received": True}
        assert eventually(lambda: _row(db, "evt_again").outcome == "applied")
        assert _charges_enabled(db, seller_id)
        assert _post(client, event).json() == {"received": True, "duplicate": True}


def test_a_failed_application_is_kept_visible_and_retried_with_backoff(app, monkeypatch):
    db = app.state.db
    seller_id = _seller(db)
    app.state.sandbox_webhook_secrets.append(SECRET)
    real, calls = HANDLERS["account.updated"], []

    async def flaky(ctx, event):
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise RuntimeError("database away")
        return await real(ctx, event)

    monkeypatch.setitem(HANDLERS, "account.updated", flaky)
    with TestClient(app) as client:
        assert _post(client, _account_event("evt_flaky", created=200)).json() == {"received": True}
        assert eventually(lambda: _row(db, "evt_flaky").outcome == "failed")
        failed = _row(db, "evt_flaky")
        assert failed.error == "RuntimeError" and failed.attempts == 1 and failed.due_at > time.time()
        assert eventually(lambda: _row(db, "evt_flaky").outcome == "applied", timeout=15)
    assert _row(db, "evt_flaky").attempts == 3 and _charges_enabled(db, seller_id)
    # 1 s, then 2 s apart: backing off, not hammering.
    assert calls[1] - calls[0] >= 0.9 and calls[2] - calls[1] >= 1.9


def test_a_failed_event_redelivered_is_due_at_once(db):
    event = _account_event("evt_f", created=200)
    queue.record_event(db, event, handled=True)
    [(_, attempts)] = queue.claim_due(db, "c1", now=1000.0, lease=10, limit=10)
    assert queue.finish_event(db, "evt_f", "c1", "failed", now=1000.0, attempts=attempts + 5, error="RuntimeError")
    assert queue.claim_due(db, "c2", now=1001.0, lease=10, limit=10) == []  # backing off
    assert queue.record_event(db, event, handled=True) == "pending"
    assert [payload["id"] for payload, _ in queue.claim_due(db, "c3", now=1001.0, lease=10, limit=10)] == ["evt_f"]


def test_claims_never_hand_one_event_to_two_appliers_and_a_dead_claim_lapses(db):
    for number in range(30):
        queue.record_event(db, _event(f"evt_{number:02}", "account.updated", {"id": ACCOUNT}, created=1000 - number), handled=True)
    first = queue.claim_due(db, "first", now=50.0, lease=10, limit=20)
    second = queue.claim_due(db, "second", now=51.0, lease=10, limit=20)
    ids = [payload["id"] for payload, _ in first + second]
    assert len(ids) == len(set(ids)) == 30
    assert ids[:20] == [f"evt_{number:02}" for number in range(29, 9, -1)]  # oldest `created` first

    # "first" died holding its claim: nobody takes its events until the lease runs out...
    assert queue.claim_due(db, "third", now=59.0, lease=10, limit=100) == []
    assert all(queue.finish_event(db, payload["id"], "second", "applied", now=59.0, attempts=1) for payload, _ in second)
    # ...then another applier does, and the dead claimer can no longer record an outcome.
    taken = queue.claim_due(db, "third", now=61.0, lease=10, limit=100)
    assert sorted(p["id"] for p, _ in taken) == sorted(p["id"] for p, _ in first) and {a for _, a in taken} == {2}
    assert not queue.finish_event(db, first[0][0]["id"], "first", "applied", now=61.0, attempts=1)
    assert queue.unapplied_count(db) == 20


def test_a_live_claim_is_renewed_while_its_holder_works(db):
    queue.record_event(db, _account_event("evt_slow", created=200), handled=True)
    queue.claim_due(db, "holder", now=100.0, lease=10, limit=1)
    queue.extend_claims(db, ["holder"], now=108.0, lease=10)
    assert queue.claim_due(db, "other", now=112.0, lease=10, limit=1) == []
    assert queue.claim_due(db, "other", now=118.5, lease=10, limit=1) != []


@pytest.mark.parametrize("kind", ["customer.created", "account.updated"])
def test_every_new_event_is_stored_once_and_redeliveries_say_so(db, kind):
    event = _event("evt_once", kind, {"id": ACCOUNT})
    handled = kind in HANDLERS
    assert queue.record_event(db, event, handled=handled) == "new"
    assert queue.record_event(db, event, handled=handled) == ("pending" if handled else "duplicate")
    with db.transaction() as session:
        assert len(session.exec(select(StripeEvent)).all()) == 1


def test_of_several_states_of_one_thing_in_a_batch_only_the_newest_second_is_applied():
    def account(event_id, created, account_id=ACCOUNT):
        return _event(event_id, "account.updated", {"id": account_id}, account=account_id, created=created)

    def payout(event_id, kind, created):
        return _event(event_id, kind, {"id": "po_1"}, account=ACCOUNT, created=created)

    batch = [(account("a1", 100), 1), (account("a2", 102), 1), (account("a3", 102), 1), (account("b1", 90, "acct_other"), 1),
             (payout("p1", "payout.created", 100), 1), (payout("p2", "payout.paid", 105), 1),
             (_event("x1", "person.updated", {"id": "person_1"}, account=ACCOUNT, created=100), 1),
             (_event("x2", "person.updated", {"id": "person_1"}, account=ACCOUNT, created=101), 1),
             (_event("d1", "account.external_account.deleted", {"id": "ba_1"}, account=ACCOUNT, created=100), 1),
             (_event("d2", "account.external_account.updated", {"id": "ba_1"}, account=ACCOUNT, created=99), 1)]
    keep, superseded = coalesce(batch)
    # Both events of the newest second stay: the handlers settle which is current.
    assert [event["id"] for event, _ in keep] == ["a2", "a3", "b1", "p2", "x1", "x2", "d1", "d2"]
    assert superseded == ["a1", "p1"]


def test_deliveries_recorded_together_are_answered_each_as_alone(db):
    applied = _account_event("evt_g_applied", created=201)
    queue.record_event(db, applied, handled=True)
    [_] = queue.claim_due(db, "c1", now=1000.0, lease=10, limit=10)
    assert queue.finish_event(db, "evt_g_applied", "c1", "applied", now=1000.0, attempts=1)
    stored = _account_event("evt_g_stored", created=202)
    queue.record_event(db, stored, handled=True)
    new, ignored = _account_event("evt_g_new", created=203), _event("evt_g_other", "customer.created", {"id": "cus_1"})
    group = [(new, None, True), (applied, None, True), (new, None, True), (stored, None, True), (ignored, None, False)]
    assert queue.record_events(db, group) == ["new", "duplicate", "pending", "pending", "new"]
    with db.transaction() as session:
        rows = {row.id: row for row in session.exec(select(StripeEvent)).all()}
        payloads = {row.id: row.payload for row in session.exec(select(StripeEventPayload)).all()}
    assert len(rows) == 4 and rows["evt_g_new"].outcome == "" and rows["evt_g_other"].outcome == "ignored"
    assert payloads == {"evt_g_applied": applied, "evt_g_stored": stored, "evt_g_new": new, "evt_g_other": ignored}



def test_what_the_endpoint_stores_reads_back_as_sqlalchemy_would_have_written_it(db):
    """On SQLite, record_events writes through the driver: its timestamps and flags must be stored
    as SQLAlchemy writes them (the ORM's own later writes of the same columns), or comparisons and
    reads of them would go wrong."""
    ignored = _event("evt_w_other", "customer.created", {"id": "cus_1"})
    assert queue.record_events(db, [(_account_event("evt_w_new", created=401), None, True), (ignored, None, False)]) == ["new", "new"]
    with db.transaction() as session:
        rows = {row.id: row for row in session.exec(select(StripeEvent)).all()}
        assert rows["evt_w_new"].livemode is False and rows["evt_w_new"].processed_at is None
        assert rows["evt_w_other"].processed_at == rows["evt_w_other"].received_at
        session.execute(queue.update(queue.EVENTS).where(queue.EVENTS.c.id == "evt_w_new")
                        .values(processed_at=rows["evt_w_new"].received_at))
    with db.engine.connect() as connection:
        [(received, processed)] = connection.exec_driver_sql(
            "SELECT received_at, processed_at FROM stripe_event WHERE id = 'evt_w_new'").all()
    assert received == processed

def test_concurrent_deliveries_share_a_transaction_and_each_waits_for_its_commit(db, monkeypatch):
    groups, committed = [], set()
    write = queue.record_events

    def recording(database, deliveries, **claimed):
        groups.append(len(deliveries))
        answers = write(database, deliveries, **claimed)
        committed.update(event["id"] for event, _, _ in deliveries)
        return answers

    monkeypatch.setattr(queue, "record_events", recording)
    events = [_account_event(f"evt_c{number:02}", created=300 + number) for number in range(40)]

    async def deliver():
        recorder = queue.GroupCommit(db)

        async def one(event):
            answer = await recorder.record(event, json.dumps(event).encode(), handled=True)
            assert event["id"] in committed  # answered only once its transaction committed
            return answer

        return await asyncio.gather(*(one(event) for event in events + events[:5]))

    answers = asyncio.run(deliver())
    assert answers == ["new"] * 40 + ["pending"] * 5
    assert sum(groups) == 45 and len(groups) < 45  # fewer transactions than deliveries
    assert queue.unapplied_count(db) == 40


def test_a_failed_group_write_fails_each_of_its_deliveries(db, monkeypatch):
    def broken(database, deliveries, **claimed):
        raise RuntimeError("database gone")

    monkeypatch.setattr(queue, "record_events", broken)

    async def deliver():
        recorder = queue.GroupCommit(db)
        return await asyncio.gather(*(recorder.record(_account_event(f"evt_x{n}", created=400), b"{}", handled=True)
                                      for n in range(3)), return_exceptions=True)

    assert [type(answer) for answer in asyncio.run(deliver())] == [RuntimeError] * 3


def test_account_snapshots_kept_together_are_each_answered_as_alone(db):
    seller_id = _seller(db)
    other = service.sign_up(db, "applier2@example.com", "violet tractor salad 42")
    mirror.record_account(db, other.id, {"id": "acct_applier2", "object": "account", "charges_enabled": False}, as_of=100)
    answers = mirror.apply_account_events(db, [
        ({"id": "acct_applier2", "object": "account", "charges_enabled": True}, 200.0),
        ({"id": ACCOUNT, "object": "account", "charges_enabled": True}, 50.0),  # older than the one held
        ({"id": "acct_not_ours", "object": "account"}, 200.0),
        ({"id": ACCOUNT, "object": "account", "charges_enabled": True}, 300.0),  # after the older one: applied
        ({"id": ACCOUNT, "object": "account", "charges_enabled": False}, 250.0),  # older than the one just kept
    ])
    assert [answer and (answer.seller_id, answer.recorded.applied) for answer in answers] == [
        (other.id, True), (seller_id, False), None, (seller_id, True), (seller_id, False)]
    assert _charges_enabled(db, seller_id) and _charges_enabled(db, other.id)
    assert mirror.account_for_seller(db, seller_id).snapshot_at == 300.0


def test_when_keeping_snapshots_together_fails_each_event_is_applied_alone(app, monkeypatch):
    db = app.state.db
    seller_id = _seller(db)
    app.state.sandbox_webhook_secrets.append(SECRET)
    tried = []

    def broken(db, accounts):
        tried.append([account["id"] for account, _ in accounts])
        raise RuntimeError("database away")

    monkeypatch.setattr(mirror, "apply_account_events", broken)
    with TestClient(app) as client:
        assert _post(client, _account_event("evt_alone", created=200)).json() == {"received": True}
        assert eventually(lambda: _row(db, "evt_alone").outcome == "applied")
    assert tried == [[ACCOUNT]] and _row(db, "evt_alone").attempts == 1 and _charges_enabled(db, seller_id)


def test_the_endpoint_hands_new_events_to_its_applier_stored_claimed_and_reads_none_back(app, monkeypatch):
    db = app.state.db
    seller_id = _seller(db)
    app.state.sandbox_webhook_secrets.append(SECRET)
    claimed, handed = [], []
    real_claim, real_hand = queue.claim_due, Applier.hand

    def claim_due(database, claim, **kwargs):
        taken = real_claim(database, claim, **kwargs)
        claimed.extend(event["id"] for event, _ in taken)
        return taken

    def hand(self, events, leased_until):
        for event, attempts, claim in events:
            row = _row(db, event["id"])  # already stored, and claimed for this applier
            handed.append((event["id"], row.claim == claim, row.attempts, row.due_at == leased_until > time.time()))
        real_hand(self, events, leased_until)

    monkeypatch.setattr(queue, "claim_due", claim_due)
    monkeypatch.setattr(Applier, "hand", hand)
    with TestClient(app) as client:
        assert eventually(lambda: app.state.applier._task is not None)
        assert _post(client, _account_event("evt_handed", created=200)).json() == {"received": True}
        assert eventually(lambda: _row(db, "evt_handed").outcome == "applied")
        assert _post(client, _account_event("evt_handed", created=200)).json() == {"received": True, "duplicate": True}
    assert handed == [("evt_handed", True, 1, True)] and "evt_handed" not in claimed
    assert _charges_enabled(db, seller_id) and _row(db, "evt_handed").claim == ""


def test_events_stored_claimed_by_a_process_that_died_are_applied_once_the_lease_runs_out(db):
    seller_id = _seller(db)

    class Dying:  # takes the events and dies before applying them
        lease = 10.0

        def takes(self, count):
            return True

        def hand(self, events, leased_until):
            pass

    async def deliver():
        recorder = queue.GroupCommit(db, Dying())
        event = _account_event("evt_orphan2", created=200)
        return await recorder.record(event, json.dumps(event).encode(), handled=True)

    assert asyncio.run(deliver()) == "new"
    row = _row(db, "evt_orphan2")
    assert row.claim and row.outcome == "" and row.due_at > time.time()
    assert queue.claim_due(db, "other", now=time.time(), lease=10, limit=10) == []  # held by the dead one
    [(event, attempts)] = queue.claim_due(db, "other", now=row.due_at + 0.1, lease=10, limit=10)
    assert event["id"] == "evt_orphan2" and attempts == 2
    assert not _charges_enabled(db, seller_id)


def test_handed_events_stay_few_in_memory_and_a_lease_half_gone_is_left_to_the_table(db, monkeypatch):
    monkeypatch.setattr(applying, "HANDED_AT_MOST", 3)
    applier = Applier(db, context=None)
    assert not applier.takes(1)  # not running: nothing is handed over
    applier._task = object()
    assert applier.takes(3) and not applier.takes(4)
    now = time.time()
    applier.hand([(_account_event("evt_h1", created=1), 1, "c1")], now + 10)
    applier.hand([(_account_event("evt_h2", created=2), 1, "c2")], now + 4)  # held up past half its lease
    assert not applier.takes(2) and applier.takes(1)
    assert [event["id"] for event, _, _ in applier._take_handed()] == ["evt_h1"]
    assert applier.takes(3)


def test_while_events_are_handed_over_the_table_is_still_looked_at(db, monkeypatch):
    # A busy endpoint keeps handing events over; retries and other processes' leftovers in the
    # table are claimed at least once a poll all the same.
    _seller(db)
    assert queue.record_event(db, _account_event("evt_left", created=150), handled=True) == "new"
    applier = Applier(db, context=None, poll=0.0, gather=0.0)
    applied = []

    async def apply_batch(batch):
        applied.extend(event["id"] for event, _, _ in batch)

    monkeypatch.setattr(applier, "_apply_batch", apply_batch)
    applier.hand([(_account_event("evt_busy", created=200), 1, "c1")], time.time() + 10)
    asyncio.run(applier.drain())
    assert applied == ["evt_left", "evt_busy"]  # in `created` order, the table's beside the handed


def test_events_handed_over_and_not_yet_taken_are_let_go_when_the_applier_stops(db):
    _seller(db)

    async def store_then_stop() -> None:
        applier = Applier(db, context=None, gather=3600)
        applier._task = asyncio.get_running_loop().create_future()  # running, but taking nothing
        recorder = queue.GroupCommit(db, applier)
        event = _account_event("evt_let_go", created=200)
        assert await recorder.record(event, json.dumps(event).encode(), handled=True) == "new"
        assert _row(db, "evt_let_go").claim
        await applier.stop()

    asyncio.run(store_then_stop())
    row = _row(db, "evt_let_go")
    assert row.claim == "" and row.due_at == 0.0 and row.outcome == ""
    assert [event["id"] for event, _ in queue.claim_due(db, "next", now=time.time(), lease=10, limit=10)] == ["evt_let_go"]
