"""Benchmark: the portal's pages and webhook endpoint beside the bare ceilings the machine allows,
measured in the same run with Debian's wrk, on SQLite and PostgreSQL, with 1, 2 and 4 web processes.

Run: .venv/bin/python -m tests.benchmarks.pages_and_webhooks [--seconds 6] [--skip-postgres] [--skip-sqlite] [--workers 1,2,4]
     [--only status,payouts,webhooks]

Every server is uvicorn (uvloop, httptools, no access log) on loopback in processes of its own:
- the bare page (tests/benchmarks/ceilings.py) renders a Jinja2 template of the byte size of the
  portal's status page; on SQLite, a signed-in bare page adds a session cookie and one read of the
  seller (what no signed-in page can skip); the bare endpoint verifies a Stripe signature and inserts the event on its
  id, committed before the 200;
- the portal is `portal serve`'s app factory in Stripe mode (PORTAL_ENV=production, test keys; no
  page asked for here calls Stripe), over a database seeded with 100 sellers, each signed in (a
  real login session and its signed cookie) with a connected account showing 12 requirements.
Pages are asked for as the 100 sellers in turn (wrk/sessions.lua); events are account.updated
deliveries for those accounts, each signed and sent once (wrk/events.lua). After the webhook run
the lag is how long the mirror takes to show, for every account, the newest event the endpoint
stored (read from the events table, so it holds whether applying happens in the request or behind
it). Peak memory is each server process's VmHWM."""

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import itsdangerous
import psycopg
from sqlalchemy import text

from portal.accounts import service
from portal.accounts.auth import TWO_STEP_ON_KEY
from portal.accounts.models import Seller
from portal.connect import mirror
from portal.accounts.passwords import hash_password
from portal.db import Database, utcnow
from portal.onboarding.models import BusinessEmail
from portal.security import codes
from portal.security.models import TwoFactor
from portal.sandbox.webhooks import signature_header
from tests.conftest import PASSWORD, POSTGRES_ADMIN_URL, free_port

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "sandbox" / "data" / "fixtures3.json"
SECRET_KEY = "benchmark-secret-key"
WEBHOOK_SECRET = "whsec_benchmark"
SELLERS = 100
# Twelve requirement rows on the status page: what a seller part-way through verification sees.
CURRENTLY_DUE = [
    "individual.verification.document", "individual.dob.day", "individual.dob.month", "individual.dob.year",
    "individual.address.line1", "individual.address.city", "individual.address.postal_code",
    "individual.address.state", "individual.ssn_last_4", "individual.phone", "individual.email",
    "business_profile.url", "business_profile.mcc", "external_account", "tos_acceptance.date",
    "tos_acceptance.ip", "individual.first_name", "individual.last_name",
]
PAGES = {"status": "/status/", "payouts": "/payouts"}
# 100 signed-in sellers at once, each asking for a page every half second on average: ~200 pages a
# second in all, more than 100 people click, below what one process serves, so p99 says how long a
# seller waits rather than how long a saturated queue is (at -c100 with no pause, p99 is mostly
# queueing: 100 requests ahead of each, and wrk's connections stall now and then at saturation
# whatever the app, a trivial one included).
THINK_MS = 500
# Each page is asked for this long, unmeasured, once the portal's processes start: what a freshly
# started process does once (templates compiled, each seller's kept fragments rendered the first
# time, routes remembered) made the first measured run's p99 ~100 ms on SQLite, where every later
# run on the same process stayed under 30 ms. The bare page has nothing to fill.
WARM_SECONDS = 1
EVENTS_PER_SECOND_CAP = 10_000  # events signed per second of a webhook run: more than any endpoint here takes


@dataclass
class Figures:
    rate: float
    cpu_ms: float  # server CPU per request
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    peak_rss_mb: list[float]


# Servers.
@dataclass
class Server:
    url: str
    process: subprocess.Popen
    workers: int

    def pids(self) -> list[int]:
        if self.workers == 1:
            return [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        # uvicorn's workers, not the resource tracker multiprocessing starts beside them
        return [int(pid) for pid in children if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]

    def peak_rss_mb(self) -> list[float]:
        """Each serving process's peak resident memory (VmHWM)."""
        found = [re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()) for pid in self.pids()]
        return [int(match.group(1)) / 1024 if match else 0.0 for match in found]

    def cpu_seconds(self) -> float:
        """CPU time the serving processes have used: on a machine shared with other work, CPU per
        request says what the code costs better than requests per second do."""
        ticks = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def uvicorn_server(factory: str, env: dict, workers: int = 1):
    """uvicorn serving `factory` in its own process(es), as `portal serve` runs the portal."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
               "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=HERE.parents[1])
    server = Server(f"http://127.0.0.1:{port}", process, workers)
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"{factory} exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                httpx.get(server.url + "/", timeout=1)
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{factory} did not start")
        if workers > 1:
            time.sleep(2)  # every worker up, not only the first to answer
        yield server
    finally:
        _stop(process)


@contextlib.contextmanager
def portal_worker(env: dict):
    """`portal worker --interval 0`: applies the events web processes with WEBHOOK_APPLIER=worker store."""
    process = subprocess.Popen([sys.executable, "-m", "portal", "worker", "--interval", "0"], env={**os.environ, **env},
                               cwd=HERE.parents[1])
    try:
        time.sleep(3)  # started: its migrations and first look at the table done
        if process.poll() is not None:
            raise RuntimeError(f"portal worker exited with {process.returncode}")
        yield Server("", process, 1)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def wrk(server: Server, path: str, script: str, seconds: float, connections: int, env: dict) -> Figures:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s",
               "-s", str(HERE / "wrk" / script), server.url + path]
    cpu = server.cpu_seconds()
    done = subprocess.run(command, env={**os.environ, "BENCH_WRK_DIR": str(HERE / "wrk"), **env},
                          capture_output=True, text=True, check=True)
    cpu = server.cpu_seconds() - cpu
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH "))
    result = json.loads(line.removeprefix("BENCH "))
    return Figures(result["requests"] / result["seconds"], 1000 * cpu / max(1, result["requests"]), result["p50_ms"],
                   result["p99_ms"], result["non_2xx"], result["socket_errors"], server.peak_rss_mb())


# The seeded portal.
def account_snapshot(account_id: str, n: int = 0) -> dict:
    account = json.loads(FIXTURES.read_text())["resources"]["account"]
    account["id"] = account_id
    account["requirements"]["currently_due"] = list(CURRENTLY_DUE)
    account["requirements"]["eventually_due"] = list(CURRENTLY_DUE)
    account["metadata"] = {"n": str(n)}
    # Submitted (the form's last step accepts Stripe's agreement), so the status page lists what
    # Stripe still needs rather than the form's progress.
    account["details_submitted"] = True
    account["tos_acceptance"] = {"date": 1_700_000_000, "ip": "203.0.113.9", "user_agent": "bench"}
    return account


def seed(database_url: str) -> list[str]:
    """100 sellers with accounts and confirmed emails, each signed in; returns their session cookies."""
    db = Database(database_url)
    db.migrate()
    signer = itsdangerous.TimestampSigner(SECRET_KEY)
    cookies = []
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
    for number in range(SELLERS):
        with db.transaction() as session:
            seller = Seller(email=f"seller{number}@bench.example", password_hash=password_hash, email_confirmed_at=utcnow())
            session.add(seller)
            session.flush()
            session.add(BusinessEmail(seller_id=seller.id, email=f"owner@seller{number}.example", confirmed_at=utcnow()))
            # A seller with a Stripe account has two-step sign-in (asked when the account was made).
            session.add(TwoFactor(seller_id=seller.id, sealed_secret=codes.seal(codes.new_secret(), SECRET_KEY),
                                  confirmed_at=utcnow()))
        mirror.record_account(db, seller.id, account_snapshot(f"acct_bench{number:03d}"), as_of=1)
        # What sign-in (password and code) leaves in the browser: the login session's id, a CSRF
        # token, and that the second factor is set up (accounts.auth.TWO_STEP_ON_KEY), signed.
        session_id = service.open_session(db, seller.id, "127.0.0.1", "wrk")
        data = base64.b64encode(json.dumps({"sid": session_id, "_csrf": secrets.token_urlsafe(32),
                                            TWO_STEP_ON_KEY: True}).encode())
        cookies.append(signer.sign(data).decode())
    db.dispose()
    return cookies


def portal_env(database_url: str) -> dict:
    return {
        "DATABASE_URL": database_url, "PORTAL_ENV": "production", "SECRET_KEY": SECRET_KEY,
        "STRIPE_SECRET_KEY": "sk_test_benchmark", "STRIPE_PUBLISHABLE_KEY": "pk_test_benchmark",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "PUBLIC_URL": "https://portal.bench.example",
        "ACCESS_LOG": "false",  # as the bare servers: uvicorn --no-access-log (portal/logs.py would turn it back on)
        # No STRIPE_API_BASE: production refuses one that is not Stripe's. Nothing asked for here calls
        # Stripe (check_pages and the mirror's lag would show it: a fake key gets no answer).
    }


def check_pages(url: str, cookies: list[str]) -> int:
    """Each seller sees their own status page with its 12 requirements; returns the page's size."""
    size = 0
    for number, cookie in enumerate(cookies):
        page = httpx.get(url + "/status/", cookies={"portal_session": cookie})
        assert page.status_code == 200 and f"seller{number}@bench.example" in page.text, page.text[:500]
        assert "Actions required" in page.text, "the status page does not list the account's requirements"
        size = max(size, len(page.content))
        payouts = httpx.get(url + "/payouts", cookies={"portal_session": cookie})
        assert payouts.status_code == 200 and f"seller{number}@bench.example" in payouts.text
    return size


def write_events(path: Path, count: int, first: int) -> int:
    """`count` account.updated events across the sellers' accounts numbered from `first`, each newer
    than the last for its account (`created` grows), signed now; returns the next run's first number."""
    template = account_snapshot("acct_bench000")
    now = int(time.time())
    with path.open("w") as out:
        for n in range(first, first + count):
            account = {**template, "id": f"acct_bench{n % SELLERS:03d}", "metadata": {"n": str(n)}}
            body = json.dumps({
                "id": f"evt_bench_{n}", "object": "event", "type": "account.updated", "created": 1_700_000_000 + n,
                "livemode": False, "account": account["id"], "api_version": "2026-10-28.endive", "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None}, "data": {"object": account},
            })
            out.write(f"{signature_header(WEBHOOK_SECRET, body, now)}\t{body}\n")
    return first + count


def mirror_lag(database_url: str, timeout: float = 15.0) -> float | None:
    """Seconds from the end of the run until every account's mirror shows the newest event stored
    for it; None when it has not after `timeout`. What is stored is read again on every look: the
    requests wrk had in flight when it stopped are still being stored (a delivery whose client went
    away is kept), and a list read once would then wait for good on an event the mirror had passed."""
    db = Database(database_url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            with db.engine.connect() as connection:
                stored = connection.execute(text("SELECT id FROM stripe_event WHERE id LIKE 'evt_bench_%'")).scalars().all()
                rows = connection.execute(text("SELECT stripe_account_id, snapshot FROM connected_account")).all()
            newest: dict[str, int] = {}
            for event_id in stored:
                n = int(event_id.removeprefix("evt_bench_"))
                account = f"acct_bench{n % SELLERS:03d}"
                newest[account] = max(newest.get(account, 0), n)
            held = {account: int((json.loads(snapshot) if isinstance(snapshot, str) else snapshot)["metadata"]["n"])
                    for account, snapshot in rows}
            if all(held.get(account) == n for account, n in newest.items()):
                return time.perf_counter() - started
            time.sleep(0.01)
        return None
    finally:
        db.dispose()


# One database: the ceilings, then the portal's pages and webhooks.
def run_database(label: str, database_url: str, bare_database_url: str, seconds: float, workers: list[int],
                 only: tuple[str, ...] = (*PAGES, "webhooks")) -> dict:
    cookies = seed(database_url)
    pages = {page: path for page, path in PAGES.items() if page in only}
    results: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        sessions = {"BENCH_COOKIES": str(Path(scratch) / "cookies")}
        Path(sessions["BENCH_COOKIES"]).write_text("\n".join(cookies) + "\n")
        events = {"BENCH_EVENTS": str(Path(scratch) / "events")}
        with uvicorn_server("portal.app:app_from_environment", portal_env(database_url)) as server:
            page_bytes = check_pages(server.url, cookies)
        if pages:
            with uvicorn_server("tests.benchmarks.ceilings:page_app", {"BENCH_PAGE_BYTES": str(page_bytes)}) as server:
                results["bare page"] = wrk(server, "/", "sessions.lua", seconds, 32, sessions)
        if pages and database_url.startswith("sqlite"):
            signed_env = {"BENCH_PAGE_BYTES": str(page_bytes), "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY}
            with uvicorn_server("tests.benchmarks.ceilings:signed_in_page_app", signed_env) as server:
                results["signed-in bare page"] = wrk(server, "/", "sessions.lua", seconds, 32, sessions)
        first = write_events(Path(events["BENCH_EVENTS"]), int(seconds * EVENTS_PER_SECOND_CAP), 1)
        bare_env = {"DATABASE_URL": bare_database_url, "BENCH_WEBHOOK_SECRET": WEBHOOK_SECRET}
        if "webhooks" in only:
            with uvicorn_server("tests.benchmarks.ceilings:webhook_app", bare_env) as server:
                results["bare webhook"] = wrk(server, "/webhooks/stripe", "events.lua", seconds, 32, events)
        for count in workers:
            with uvicorn_server("portal.app:app_from_environment", portal_env(database_url), count) as server:
                for path in pages.values():  # warm, not measured: see WARM_SECONDS
                    wrk(server, path, "sessions.lua", WARM_SECONDS, 32, sessions)
                for page, path in pages.items():
                    for connections in (32, 100):
                        results[f"{page} c{connections} x{count}"] = wrk(server, path, "sessions.lua", seconds, connections, sessions)
                    results[f"{page} sellers x{count}"] = wrk(server, path, "sessions.lua", max(seconds, 10), 100,
                                                              {**sessions, "BENCH_THINK_MS": str(THINK_MS)})
                if "webhooks" not in only:
                    continue
                first = write_events(Path(events["BENCH_EVENTS"]), int(seconds * EVENTS_PER_SECOND_CAP), first)
                results[f"webhooks x{count}"] = wrk(server, "/webhooks/stripe", "events.lua", seconds, 32, events)
                results[f"lag x{count}"] = mirror_lag(database_url)
            if "webhooks" in only and database_url.startswith("postgresql"):
                # WEBHOOK_APPLIER=worker: the web processes store, one `portal worker` applies.
                env = {**portal_env(database_url), "WEBHOOK_APPLIER": "worker"}
                with uvicorn_server("portal.app:app_from_environment", env, count) as server, portal_worker(env) as worker:
                    first = write_events(Path(events["BENCH_EVENTS"]), int(seconds * EVENTS_PER_SECOND_CAP), first)
                    cpu = worker.cpu_seconds()
                    results[f"webhooks x{count} worker"] = wrk(server, "/webhooks/stripe", "events.lua", seconds, 32, events)
                    results[f"lag x{count} worker"] = mirror_lag(database_url)
                    stored = results[f"webhooks x{count} worker"].rate * seconds
                    results[f"worker cpu x{count}"] = 1000 * (worker.cpu_seconds() - cpu) / max(1.0, stored)
    print_results(label, results, workers, page_bytes, (*pages, *(("webhooks",) if "webhooks" in only else ())))
    return results


def print_results(label: str, results: dict, workers: list[int], page_bytes: int, shown: tuple[str, ...]) -> None:
    bare_page, bare_hook = results.get("bare page"), results.get("bare webhook")
    print(f"\n== {label} == (status page {page_bytes} bytes; 'cpu' is server CPU per request)")
    if bare_page:
        print(f"bare page       -c32      {_line(bare_page, 'req/s')}")
    if "signed-in bare page" in results:
        f = results["signed-in bare page"]
        print(f"signed-in bare  -c32      {_line(f, 'req/s')}{_ratio(f, bare_page)}")
    if bare_hook:
        print(f"bare webhook    -c32      {_line(bare_hook, 'ev/s ')}")
    for count in workers:
        for name in (name for name in PAGES if name in shown):
            for connections in (32, 100):
                f = results[f"{name} c{connections} x{count}"]
                ratio = _ratio(f, bare_page) if count == 1 and connections == 32 else ""
                print(f"{name:8} x{count}     -c{connections:<3}    {_line(f, 'req/s')}{ratio}")
            f = results[f"{name} sellers x{count}"]
            print(f"{name:8} x{count}     100 sellers {_line(f, 'req/s')}  (each pausing 0-{2 * THINK_MS} ms between pages)")
        if "webhooks" not in shown:
            continue
        f = results[f"webhooks x{count}"]
        print(f"webhooks x{count}     -c32      {_line(f, 'ev/s ')}{_ratio(f, bare_hook) if count == 1 else ''}; "
              + _lag(results[f"lag x{count}"]))
        if f"webhooks x{count} worker" in results:
            f = results[f"webhooks x{count} worker"]
            print(f"  applied by a worker   {_line(f, 'ev/s ')}{_ratio(f, bare_hook) if count == 1 else ''}; "
                  f"worker cpu {results[f'worker cpu x{count}']:.2f} ms per event; " + _lag(results[f"lag x{count} worker"]))
    if len(workers) > 1:
        for name in shown:
            key = (lambda count: f"{name} c32 x{count}") if name in PAGES else (lambda count: f"webhooks x{count}")
            base = results[key(workers[0])].rate
            scaling = ", ".join(f"x{count} {results[key(count)].rate / base:.2f}" for count in workers)
            print(f"scaling of {name} with processes (linear: 1, 2, 4): {scaling}")


def _lag(lag: float | None) -> str:
    return f"mirror caught up {lag:.2f} s after the run" if lag is not None else "MIRROR NEVER CAUGHT UP (events stored, not applied)"


def _line(f: Figures, unit: str) -> str:
    wrong = f"  ({f.non_2xx} non-2xx, {f.socket_errors} socket errors)" if f.non_2xx + f.socket_errors else ""
    return (f"{f.rate:7.0f} {unit}  cpu {f.cpu_ms:5.2f} ms  p50 {f.p50_ms:6.1f} ms  p99 {f.p99_ms:6.1f} ms  "
            f"peak RSS {_mb(f)}{wrong}")


def _ratio(f: Figures, bare: Figures) -> str:
    return f"  = {100 * f.rate / bare.rate:.0f}% of bare (cpu: {100 * bare.cpu_ms / f.cpu_ms:.0f}%)"


def _mb(figures: Figures) -> str:
    return "/".join(f"{mb:.0f}" for mb in figures.peak_rss_mb) + " MB"


@contextlib.contextmanager
def postgres_database():
    name = f"portal_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'CREATE DATABASE "{name}_bare"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", f"postgresql://postgres@127.0.0.1:5432/{name}_bare"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP DATABASE IF EXISTS "{name}_bare" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each wrk run")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--workers", default="1,2,4", help="web process counts on PostgreSQL")
    parser.add_argument("--only", default=",".join((*PAGES, "webhooks")), help="of status, payouts, webhooks")
    args = parser.parse_args()
    only = tuple(args.only.split(","))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"wrk -t1, {args.seconds:.0f} s per run; -c32 for the ratios, -c100 for 100 signed-in sessions")
    with tempfile.TemporaryDirectory() as var:
        if not args.skip_sqlite:
            run_database("SQLite, one process", f"sqlite:///{var}/portal.db", f"sqlite:///{var}/bare.db", args.seconds, [1], only)
    if not args.skip_postgres:
        with postgres_database() as (portal_url, bare_url):
            run_database("PostgreSQL", portal_url, bare_url, args.seconds, [int(n) for n in args.workers.split(",")], only)


if __name__ == "__main__":
    main()
