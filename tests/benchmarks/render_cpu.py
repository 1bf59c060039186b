"""Render CPU per page: of cpu_per_request's pages (the same app over the same seeded sellers, in one
process), the CPU spent inside Jinja's Template.render of the page, kept fragments included: the
templates' share of a request, apart from the gate, the reads and the middleware.

Run: .venv/bin/python -m tests.benchmarks.render_cpu [--requests 1000] [--only status,payouts]"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time

import jinja2

from tests.benchmarks import pages_and_webhooks as bench
from tests.benchmarks.cpu_per_request import BATCH, PATHS, call


class RenderClock:
    """Thread CPU time inside the outermost Template.render (a fragment renders inside its page)."""

    def __init__(self):
        self.spent = 0.0
        self.depth = 0
        self.original = jinja2.Template.render

    def __enter__(self):
        clock = self

        def render(template, *args, **kwargs):
            clock.depth += 1
            started = time.thread_time()
            try:
                return clock.original(template, *args, **kwargs)
            finally:
                clock.depth -= 1
                if clock.depth == 0:
                    clock.spent += time.thread_time() - started

        jinja2.Template.render = render
        return self

    def __exit__(self, *exc):
        jinja2.Template.render = self.original


async def run(database_url: str, only: list[str], count: int) -> None:
    cookies = bench.seed(database_url)
    for key, value in bench.portal_env(database_url).items():
        os.environ[key] = value
    from portal.app import app_from_environment

    app = app_from_environment()
    async with app.router.lifespan_context(app):
        with RenderClock() as clock:
            for name in only:
                def get(n: int, path=PATHS[name]):
                    return call(app, "GET", path, [(b"cookie", b"portal_session=" + cookies[n % len(cookies)].encode())])

                for n in range(50):  # warm: compiled templates, kept fragments, cached paths
                    await get(n)
                batches = []
                for start in range(0, count, BATCH):
                    clock.spent = 0.0
                    for n in range(start, min(count, start + BATCH)):
                        status, content = await get(n)
                        assert status == 200, content[:300]
                    batches.append(1000 * clock.spent / (min(count, start + BATCH) - start))
                print(f"{name:10} {min(batches):6.3f} ms render CPU per request, cheapest batch "
                      f"(median {statistics.median(batches):6.3f}; {count} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--only", default="status,payouts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        asyncio.run(run(f"sqlite:///{var}/portal.db", args.only.split(","), args.requests))


if __name__ == "__main__":
    main()
