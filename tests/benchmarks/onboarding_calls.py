"""Benchmark: how many Stripe API calls one completed onboarding costs, and how long it takes.

Run: .venv/bin/python -m tests.benchmarks.onboarding_calls
Drives the portal's pages over HTTP (Starlette's test client) against the offline sandbox, the
same way the tests do, and prints the calls made by the portal's one door to Stripe."""

import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from portal.sandbox.testing import fast_config, running_sandbox
from portal.settings import Settings
from tests.conftest import Inbox, free_port
from tests.countries.flows import onboard_company_in, onboard_individual_in
from tests.onboarding.flows import onboard_company, onboard_individual

RUNS = int(__import__("os").environ.get("BENCH_RUNS", "5"))


def measure(journey, sandbox_url: str, inbox: Inbox) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as var:
        settings = Settings(
            PORTAL_VAR_DIR=Path(var), secret_key="bench", smtp_host="127.0.0.1", smtp_port=inbox.port,
            stripe_api_base=sandbox_url, sandbox_embedded=False,
        )
        Database(settings.database_url).migrate()
        app = create_app(settings)
        with TestClient(app, client=("203.0.113.9", 50000)) as client:
            started = time.perf_counter()
            journey(client, inbox)
            elapsed = time.perf_counter() - started
        return app.state.stripe.calls, elapsed


def main() -> None:
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        journeys = [("individual", onboard_individual), ("company with one owner", onboard_company)]
        journeys += [(f"individual in {code}", onboard_individual_in(code)) for code in ("GB", "DE", "JP")]
        journeys += [(f"company in {code} (owner-director)", onboard_company_in(code)) for code in ("GB", "DE", "JP")]
        for name, journey in journeys:
            calls, times = set(), []
            for _ in range(RUNS):
                with contextlib.ExitStack() as stack:
                    url = stack.enter_context(running_sandbox(fast_config()))
                    count, elapsed = measure(journey, url, inbox)
                    inbox.clear()
                calls.add(count)
                times.append(elapsed)
            print(f"{name}: {sorted(calls)} Stripe API calls per completed onboarding; "
                  f"whole journey {statistics.median(times) * 1000:.0f} ms median over {RUNS} runs")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
