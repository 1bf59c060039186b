"""CPU per request, in one process, without a server or a load generator: the portal's app (built as
pages_and_webhooks builds it, over the same seeded sellers) is called directly as an ASGI app, one
request after another, and the process's CPU time is divided by the requests. On a machine shared
with other work this is the steadiest figure to compare before and after a change, and the loop is
what a profiler should watch (run it under `py-spy record -o profile.svg -- python -m ...`, which
sees the thread pool's threads too).

`--only bare,signed-in` measures the ceilings (tests/benchmarks/ceilings.py) the same way, the page
padded to the status page's size: what the same loop costs with only Starlette and Jinja2 at work;
`bare-webhook` the bare verify-and-insert endpoint, over a database of its own, with the same
events as `webhooks`.

Run: .venv/bin/python -m tests.benchmarks.cpu_per_request [--requests 2000]
     [--only status,payouts,webhooks,bare,signed-in,bare-webhook] [--database postgresql]"""

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.benchmarks import pages_and_webhooks as bench

PATHS = {"status": "/status/", "payouts": "/payouts"}
CEILINGS = {"bare": "page_app", "signed-in": "signed_in_page_app"}
BATCH = 50


async def call(app, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> tuple[int, bytes]:
    """One request through the app as uvicorn would hand it over."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), *headers], "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000), "state": {}}
    sent = False
    status = 0
    chunks = []

    async def receive():
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(app, label: str, requests, count: int, concurrency: int) -> None:
    async def one(n: int) -> None:
        method, path, headers, body = requests(n)
        status, content = await call(app, method, path, headers, body)
        assert 200 <= status < 300, (status, content[:300])

    for n in range(50):  # warm: compiled templates, pooled connections, cached paths
        await one(n)
    # In batches: other work on the machine only ever adds CPU time (cache misses, switches), so the
    # cheapest batch is the steadiest figure; the median says what a typical batch cost.
    batches = []
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        cpu = time.process_time()
        for first in range(start, min(count, start + BATCH), concurrency):
            await asyncio.gather(*(one(n) for n in range(first, min(count, start + BATCH, first + concurrency))))
        batches.append(1000 * (time.process_time() - cpu) / (min(count, start + BATCH) - start))
    wall = time.perf_counter() - started
    print(f"{label:10} {min(batches):6.3f} ms CPU per request, cheapest batch (median {statistics.median(batches):6.3f}; "
          f"{count} requests, {concurrency} at a time, {count / wall:5.0f} req/s wall)")


def signed_events(count: int):
    """`count` + 50 signed account.updated deliveries, as (method, path, headers, body) by number."""
    events = Path(tempfile.mkdtemp()) / "events"
    bench.write_events(events, count + 50, 1)
    lines = events.read_text().splitlines()

    def event(n: int):
        signature, body = lines[n].split("\t", 1)
        return "POST", "/webhooks/stripe", [(b"stripe-signature", signature.encode()),
                                            (b"content-type", b"application/json")], body.encode()
    return event


async def run(database_url: str, bare_database_url: str, only: list[str], count: int, concurrency: int) -> None:
    cookies = bench.seed(database_url)
    for key, value in bench.portal_env(database_url).items():
        os.environ[key] = value
    from portal.app import app_from_environment

    app = app_from_environment()
    async with app.router.lifespan_context(app):
        def session(n: int) -> list[tuple[bytes, bytes]]:
            return [(b"cookie", b"portal_session=" + cookies[n % len(cookies)].encode())]

        for name in only:
            if name in CEILINGS:
                _status, page = await call(app, "GET", PATHS["status"], session(0))
                os.environ["BENCH_PAGE_BYTES"] = str(len(page))
                from tests.benchmarks import ceilings

                ceiling = getattr(ceilings, CEILINGS[name])()
                await measure(ceiling, name, lambda n: ("GET", "/", session(n), b""), count, concurrency)
            elif name in PATHS:
                def page(n: int, path=PATHS[name]):
                    return "GET", path, session(n), b""
                await measure(app, name, page, count, concurrency)
            elif name == "bare-webhook":
                from tests.benchmarks import ceilings

                os.environ.update(BENCH_WEBHOOK_SECRET=bench.WEBHOOK_SECRET, DATABASE_URL=bare_database_url)
                try:
                    ceiling = ceilings.webhook_app()
                finally:
                    os.environ["DATABASE_URL"] = database_url
                await measure(ceiling, name, signed_events(count), count, concurrency)
            elif name == "webhooks":
                cpu = time.process_time()
                await measure(app, name, signed_events(count), count, concurrency)
                wait = time.perf_counter()
                lag = await asyncio.to_thread(bench.mirror_lag, database_url)
                # A batch's figure leaves out most of the applying, which goes on behind the 200s.
                print(f"           mirror caught up {lag} s after the loop ({time.perf_counter() - wait:.2f} s); "
                      f"{1000 * (time.process_time() - cpu) / (count + 50):.3f} ms CPU per event until then, applying included")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", default="status,payouts,webhooks", help="of status, payouts, webhooks, bare, signed-in, bare-webhook")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    only = args.only.split(",")
    with contextlib.ExitStack() as stack:
        if args.database == "sqlite":
            var = stack.enter_context(tempfile.TemporaryDirectory())
            url, bare = f"sqlite:///{var}/portal.db", f"sqlite:///{var}/bare.db"
        else:
            url, bare = stack.enter_context(bench.postgres_database())
        asyncio.run(run(url, bare, only, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
