"""WEBHOOK_APPLIER=worker: the web processes verify and store webhook events and apply none;
`portal worker` applies them. For several processes over PostgreSQL; refused where one process
serves (sandbox mode, SQLite)."""

import asyncio
import contextlib
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from portal import cli, listening
from portal.app import create_app
from portal.db import Database
from portal.settings import Settings, SettingsError
from portal.webhooks import queue
from tests.conftest import eventually
from tests.webhooks.test_applier import _account_event, _charges_enabled, _row, _seller
from tests.webhooks.test_endpoint import SECRET, _post


def _stripe_mode(tmp_path, smtp_server, database_url: str, stripe_api_base: str, **more) -> Settings:
    return Settings(PORTAL_VAR_DIR=tmp_path, database_url=database_url, secret_key="test-secret-key-not-for-production",
                    stripe_secret_key="sk_test_sandbox", stripe_publishable_key="pk_test_sandbox",
                    stripe_webhook_secrets=SECRET, public_url="http://portal.test", stripe_api_base=stripe_api_base,
                    smtp_host="127.0.0.1", smtp_port=smtp_server.port, **more)


@contextlib.asynccontextmanager
async def _working(settings: Settings):
    """`portal worker --interval 0` (cli._work) on this event loop, stopped on the way out."""
    worker = asyncio.create_task(cli._work(settings, 0))
    try:
        yield worker
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def _applied(db: Database, event_id: str, *, within: float, worker: asyncio.Task) -> None:
    deadline = time.monotonic() + within
    while _row(db, event_id).outcome != "applied":
        assert time.monotonic() < deadline and not worker.done(), f"{event_id} not applied within {within} s"
        await asyncio.sleep(0.02)


def test_the_worker_applies_what_the_web_processes_only_store(tmp_path, smtp_server, postgres_url, stripe_sandbox):
    settings = _stripe_mode(tmp_path, smtp_server, postgres_url, stripe_sandbox[1], webhook_applier="worker")
    db = Database(postgres_url)
    db.migrate()
    seller_id = _seller(db)
    web = create_app(settings)
    with TestClient(web) as client:
        assert _post(client, _account_event("evt_for_worker", created=200)).json() == {"received": True}
        time.sleep(0.5)  # time enough for a web applier, were one running
        assert web.state.applier._task is None
    stored = _row(db, "evt_for_worker")
    assert stored.outcome == "" and stored.claim == "" and not _charges_enabled(db, seller_id)

    async def work_until_applied() -> None:
        async with _working(settings) as worker:
            await _applied(db, "evt_for_worker", within=10, worker=worker)

    asyncio.run(work_until_applied())
    assert _charges_enabled(db, seller_id)
    db.dispose()


def test_a_listening_worker_applies_what_is_stored_at_once_and_polls_often_while_it_cannot_listen(
        tmp_path, smtp_server, postgres_url, stripe_sandbox, monkeypatch):
    # Polling alone would take a minute while the worker listens: only the notification can wake it.
    monkeypatch.setitem(cli.WORKER_POLL_SECONDS, True, 60.0)
    monkeypatch.setattr(listening, "RETRY_AFTER", (60.0,))  # once cut off, it stays so for this test
    settings = _stripe_mode(tmp_path, smtp_server, postgres_url, stripe_sandbox[1], webhook_applier="worker")
    db = Database(postgres_url)
    db.migrate()
    seller_id = _seller(db)

    def listeners() -> list[int]:
        with db.engine.connect() as connection:
            return connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = :listen"),
                {"listen": f"LISTEN {queue.WAITING}"}).scalars().all()

    async def scenario() -> None:
        async with _working(settings) as worker:
            while not listeners():
                assert not worker.done()
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # its first look at the table done: now it waits
            # What a web process does with events it cannot hand to an applier of its own.
            assert queue.record_events(db, [(_account_event("evt_heard", created=200, charges_enabled=False), None, True)]) == ["new"]
            await _applied(db, "evt_heard", within=3, worker=worker)
            [pid] = listeners()
            with db.engine.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            while listeners():
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)
            assert queue.record_events(db, [(_account_event("evt_polled", created=300), None, True)]) == ["new"]
            await _applied(db, "evt_polled", within=3, worker=worker)

    asyncio.run(scenario())
    assert _charges_enabled(db, seller_id)
    db.dispose()


def test_in_the_default_each_web_process_applies_what_it_stores(tmp_path, smtp_server, postgres_url, stripe_sandbox):
    settings = _stripe_mode(tmp_path, smtp_server, postgres_url, stripe_sandbox[1])
    db = Database(postgres_url)
    db.migrate()
    seller_id = _seller(db)
    with TestClient(create_app(settings)) as client:
        assert _post(client, _account_event("evt_for_web", created=200)).json() == {"received": True}
        assert eventually(lambda: _row(db, "evt_for_web").outcome == "applied")
    assert _charges_enabled(db, seller_id)
    db.dispose()


@pytest.mark.parametrize("where", ["sandbox mode", "sqlite"])
def test_worker_applying_is_refused_where_one_process_serves(tmp_path, smtp_server, where):
    if where == "sandbox mode":
        settings = Settings(PORTAL_VAR_DIR=tmp_path, webhook_applier="worker")
    else:
        settings = _stripe_mode(tmp_path, smtp_server, f"sqlite:///{tmp_path / 'portal.db'}", "", webhook_applier="worker")
    with pytest.raises(SettingsError, match="WEBHOOK_APPLIER=worker"):
        settings.check()


def test_a_worker_with_no_passes_and_nothing_to_apply_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "portal", "worker", "--interval", "0"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PORTAL_VAR_DIR": str(tmp_path)})
    assert done.returncode != 0 and "--interval 0" in done.stderr
