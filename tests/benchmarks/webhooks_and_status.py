"""Benchmark: webhook ingestion (events verified, stored and applied per second) and status-page
requests per second, against the portal served by uvicorn on loopback.

Run: .venv/bin/python -m tests.benchmarks.webhooks_and_status"""

import asyncio
import json
import tempfile
import multiprocessing
import time
from pathlib import Path

import httpx
import pyotp
import uvicorn

from portal.accounts import service
from portal.app import create_app
from portal.connect import mirror
from portal.db import Database
from portal.sandbox.webhooks import signature_header
from portal.security import service as security
from portal.settings import Settings
from tests.conftest import PASSWORD, csrf_from, free_port

FIXTURES = Path(__file__).resolve().parents[1] / "sandbox" / "data" / "fixtures3.json"
SECRET = "whsec_benchmark"
EVENTS, CONCURRENCY, PAGE_SECONDS = 3000, 16, 5.0


def serve(settings: Settings, port: int) -> multiprocessing.Process:
    """The portal in a process of its own, as `portal serve` runs it: the load generator in this
    process must not compete with it for the interpreter."""
    def run() -> None:
        uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)

    process = multiprocessing.get_context("fork").Process(target=run, daemon=True)
    process.start()
    for _ in range(500):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz")
            return process
        except httpx.TransportError:
            time.sleep(0.02)
    raise RuntimeError("the portal did not start")


def account_snapshot(account_id: str) -> dict:
    account = json.loads(FIXTURES.read_text())["resources"]["account"]
    account["id"] = account_id
    account["requirements"]["currently_due"] = ["individual.verification.document", "individual.dob.day"]
    return account


async def post_events(url: str, account_id: str) -> float:
    snapshot = account_snapshot(account_id)
    bodies = []
    for number in range(EVENTS):
        event = {"id": f"evt_bench_{number}", "object": "event", "type": "account.updated", "created": 1_700_000_000 + number,
                 "livemode": False, "account": account_id, "api_version": "2026-10-28.endive", "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None},
                 "data": {"object": {**snapshot, "metadata": {"n": str(number)}}}}
        bodies.append(json.dumps(event))
    queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post("/webhooks/stripe", content=body, headers={
                "Stripe-Signature": signature_header(SECRET, body, int(time.time())), "Content-Type": "application/json"})
            assert response.status_code == 200, response.text

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(CONCURRENCY)))
        return EVENTS / (time.perf_counter() - started)


async def status_pages(url: str, cookies: httpx.Cookies) -> float:
    done = 0
    deadline = time.perf_counter() + PAGE_SECONDS

    async def reader(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await client.get("/status/")
            assert response.status_code == 200 and "account-status" in response.text
            done += 1

    async with httpx.AsyncClient(base_url=url, cookies=cookies, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(reader(client) for _ in range(CONCURRENCY)))
        return done / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as var:
        port = free_port()
        settings = Settings(PORTAL_VAR_DIR=Path(var), secret_key="bench", sandbox_embedded=False,
                            stripe_api_base="http://127.0.0.1:9/unused", stripe_webhook_secret=SECRET)
        db = Database(settings.database_url)
        db.migrate()
        seller = service.sign_up(db, "bench@example.com", PASSWORD)
        with db.transaction() as session:
            stored = session.get(type(seller), seller.id)
            stored.email_confirmed_at = stored.created_at
            session.add(stored)
        mirror.record_account(db, seller.id, account_snapshot("acct_bench"), as_of=1)
        # A seller with an account signs in with two factors.
        totp = pyotp.TOTP(security.start_enrolment(db, seller.id, settings.signing_key()))
        security.confirm_enrolment(db, seller.id, totp.now(), settings.signing_key())
        db.dispose()
        server = serve(settings, port)
        url = f"http://127.0.0.1:{port}"
        try:
            rate = asyncio.run(post_events(url, "acct_bench"))
            print(f"webhook ingestion: {rate:.0f} events/s verified, stored and applied "
                  f"({EVENTS} account.updated events, {CONCURRENCY} concurrent senders, SQLite)")
            with httpx.Client(base_url=url) as client:
                token = csrf_from(client.get("/account/login").text)
                signed = client.post("/account/login", data={"csrf_token": token, "email": "bench@example.com", "password": PASSWORD})
                assert signed.headers.get("location") == "/account/security/sign-in/code", signed.headers.get("location")
                time.sleep(max(0.0, 30 - time.time() % 30) + 0.1)  # a fresh time step: the enrolment code can't be reused
                page = client.get("/account/security/sign-in/code")
                client.post("/account/security/sign-in/code", data={"csrf_token": csrf_from(page.text), "code": totp.now()})
                assert "account-status" in client.get("/status/").text, "the benchmark seller could not sign in"
                cookies = client.cookies
            pages = asyncio.run(status_pages(url, cookies))
            print(f"status page: {pages:.0f} requests/s ({CONCURRENCY} concurrent readers for {PAGE_SECONDS:.0f} s)")
        finally:
            server.terminate()


if __name__ == "__main__":
    main()
