"""The `portal` command: serve, migrate, create-staff, sandbox."""

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from pathlib import Path

import uvicorn
from pydantic import ValidationError

from portal import logs
from portal.app import create_app
from portal.connect.sync import scheduled_pass
from portal.db import Database
from portal.integrations.mail import deliver_pending
from portal.listening import listen
from portal.operations import collector, counters
from portal.operations.metrics import serve_worker_metrics
from portal.sandbox.app import create_sandbox
from portal.sandbox.app import run as run_sandbox
from portal.sandbox.config import SandboxConfig
from portal.sandbox.testing import serving
from portal.settings import Settings, SettingsError, load_settings
from portal.staff.models import StaffRole
from portal.staff.service import create_staff
from portal.webhooks import queue
from portal.webhooks.applier import POLL_SECONDS


def _settings():
    try:
        settings = load_settings()
    except (SettingsError, ValidationError) as exc:
        sys.exit(f"portal: configuration error: {exc}")
    logs.configure(settings)
    return settings


def serve(args) -> None:
    settings = _settings()
    if settings.sandbox_mode and settings.sandbox_embedded and args.workers > 1:
        # Each worker would mount its own sandbox over one state file and re-register the webhooks.
        sys.exit("portal: sandbox mode serves one process; use --workers with Stripe mode (STRIPE_SECRET_KEY)")
    _migrate(settings)
    if args.workers > 1 or settings.prometheus_multiproc_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(fresh_metrics_dir(settings))
    if settings.sandbox_mode and not settings.stripe_api_base:
        # The portal calls the sandbox it mounts, over loopback, like it would call Stripe.
        local_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        os.environ["STRIPE_API_BASE"] = f"http://{local_host}:{args.port}/sandbox"
    mode = "sandbox (offline Stripe, no keys needed)" if settings.sandbox_mode else "Stripe"
    print(f"portal: {mode} mode, database {settings.database_url.split('@')[-1]}", flush=True)
    print(f"portal: open http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(
        "portal.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_config=None,  # portal/logs.py configures uvicorn's loggers, in every worker process
        log_level=None,
        server_header=False,
        access_log=settings.access_log,
    )


def fresh_metrics_dir(settings: Settings) -> Path:
    """Where each worker process writes its metrics for /metrics to add up: PROMETHEUS_MULTIPROC_DIR,
    else var/metrics. Emptied at start, as prometheus-client asks: a file left by an earlier run
    would add that run's counts to this one's."""
    folder = Path(settings.prometheus_multiproc_dir or settings.var_dir / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("counter", "gauge", "histogram", "summary"):  # prometheus-client's files only, whatever else is there
        for stale in folder.glob(f"{kind}_*.db"):
            stale.unlink()
    return folder


def migrate(_args) -> None:
    settings = _settings()
    _migrate(settings)
    print("portal: database is up to date")


def create_staff_command(args) -> None:
    settings = _settings()
    db = Database(settings.database_url)
    db.migrate()
    member, created = create_staff(db, args.email, StaffRole(args.role))
    print(f"portal: {'added' if created else 'updated'} staff member {member.email} ({member.role})")


@contextlib.contextmanager
def _stripe_reachable(settings):
    """Commands outside `portal serve` reach the sandbox by serving its file on loopback meanwhile."""
    if not (settings.sandbox_mode and settings.sandbox_embedded):
        yield settings
        return
    sandbox = create_sandbox(SandboxConfig(db_path=str(settings.var_dir / "sandbox.sqlite3"), secret_keys=(settings.sandbox_secret_key,),
                                           platform_country=settings.platform_country))
    with serving(sandbox) as url:
        yield settings.model_copy(update={"stripe_api_base": url, "sandbox_embedded": False})
    sandbox.store.close()


# How often a worker that applies webhook events (WEBHOOK_APPLIER=worker) looks for new ones in
# the table: while it listens for the web processes' notifications (queue.WAITING), only for what
# no one notifies (retries after their backoff, claims whose holder died); while it cannot, for all.
WORKER_POLL_SECONDS = {True: POLL_SECONDS, False: 0.1}


async def _sync_once(settings) -> int:
    state = create_app(settings).state
    try:
        return await _pass(state, settings)
    finally:
        await _close(state)


async def _close(state) -> None:
    """The app's connections closed now, not at some garbage collection."""
    await state.db.close_reads()
    state.db.dispose()


def _migrate(settings) -> None:
    schema = Database(settings.database_url)
    try:
        schema.migrate()
    finally:
        schema.dispose()


async def _pass(state, settings) -> int:
    started = time.monotonic()
    try:
        result = await scheduled_pass(state)
    except Exception:
        counters.scheduled_pass("failed", time.monotonic() - started)
        raise
    counters.scheduled_pass("failed" if result.failed else "ok", time.monotonic() - started)
    await deliver_pending(state.db, settings)
    for change in result.changes:
        print(f"portal sync: repaired {change}")
    print(f"portal sync: {len(result.changes)} difference(s) repaired, {len(result.failed)} account(s) could not be read, "
          f"{result.told} negative-balance notice(s) sent, {len(result.erased)} closed seller(s) erased, "
          f"{len(result.alerts)} staff alert(s) opened", flush=True)
    return 1 if result.failed else 0


def sync_command(_args) -> None:
    settings = _settings()
    _migrate(settings)
    with _stripe_reachable(settings) as reachable:
        sys.exit(asyncio.run(_sync_once(reachable)))


def worker_command(args) -> None:
    """Background work for deployments with several processes: reconcile accounts every --interval
    seconds (0: never), apply the webhook events the web processes store when WEBHOOK_APPLIER=worker,
    and serve its own /metrics on --metrics-port when given."""
    settings = _settings()
    if args.interval <= 0 and settings.webhook_applier != "worker":
        sys.exit("portal worker: --interval 0 leaves it nothing to do unless WEBHOOK_APPLIER=worker")
    _migrate(settings)
    if args.metrics_port:
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        serve_worker_metrics(args.metrics_host, args.metrics_port, token)
        print(f"portal worker: metrics on http://{args.metrics_host}:{args.metrics_port}/metrics", flush=True)
    with _stripe_reachable(settings) as reachable:
        collector.settle()  # here, not in _work, which tests run in their own process
        asyncio.run(_work(reachable, args.interval))


async def _work(settings, interval: float) -> None:
    """The worker's one app, for as long as it runs: a pass every `interval` seconds and, with
    WEBHOOK_APPLIER=worker, the applier (with the mailer, for the mail applying queues)."""
    state = create_app(settings).state
    listener = None
    if settings.webhook_applier == "worker":  # on PostgreSQL (Settings.check)
        applier = state.applier
        applier.poll = WORKER_POLL_SECONDS[False]

        def listening(on: bool) -> None:
            applier.poll = WORKER_POLL_SECONDS[on]
            applier.wake()  # whatever was stored while no one listened

        listener = asyncio.create_task(listen(state.db.driver_url(), queue.WAITING, lambda _payload: applier.wake(), listening))
        applier.start()
        state.mailer.start()
    try:
        while True:
            if interval > 0:
                try:
                    await _pass(state, settings)
                except Exception:  # counted; the next pass tries again rather than the worker ending
                    logging.getLogger("portal.worker").exception("scheduled pass failed")
            await asyncio.sleep(interval if interval > 0 else 3600)
    finally:
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        await state.applier.stop()
        await state.mailer.stop()
        await _close(state)


def sandbox_command(args) -> None:
    logs.configure(Settings())
    config = SandboxConfig(db_path=args.db) if args.db else SandboxConfig()
    print(f"portal: Stripe sandbox on http://{args.host}:{args.port} (secret key {config.secret_keys[0]})", flush=True)
    run_sandbox(args.host, args.port, config)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portal", description="Seller onboarding and payments portal")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="apply migrations and serve the portal")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)
    run.set_defaults(func=serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=migrate)

    staff = commands.add_parser("create-staff", help="add a platform staff member")
    staff.add_argument("email")
    staff.add_argument("--role", choices=[role.value for role in StaffRole], default=StaffRole.admin.value)
    staff.set_defaults(func=create_staff_command)

    commands.add_parser("sync", help="re-read every connected account from Stripe and repair the mirror").set_defaults(func=sync_command)

    worker = commands.add_parser("worker", help="run reconciliation on a schedule (and apply webhook events with WEBHOOK_APPLIER=worker)")
    worker.add_argument("--interval", type=int, default=900,
                        help="seconds between passes (default 900; 0: no passes, only applying)")
    worker.add_argument("--metrics-port", type=int, default=0,
                        help="serve this process's Prometheus metrics at /metrics on this port (default: off)")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port (default 127.0.0.1)")
    worker.set_defaults(func=worker_command)

    alone = commands.add_parser("sandbox", help="serve the offline Stripe Connect sandbox on its own")
    alone.add_argument("--host", default="127.0.0.1")
    alone.add_argument("--port", type=int, default=12111)
    alone.add_argument("--db", default="", help="its SQLite file (default var/sandbox.sqlite3)")
    alone.set_defaults(func=sandbox_command)

    args = parser.parse_args(argv)
    args.func(args)
