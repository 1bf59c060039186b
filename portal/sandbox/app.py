"""The sandbox application: every route in one list, its clock, its background work.

`create_sandbox(config)` builds a Sandbox; `.asgi` serves Stripe's API (`/v1/...`), the
hosted pages and the Connect.js stand-in; `.start()`/`.stop()` run the ticker and webhook
delivery threads. `run(host, port, config)` serves it alone (`portal sandbox`).
"""

import logging
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from portal.sandbox import (
    account_sessions,
    accounts,
    accounts_v2,
    application_fees,
    balance,
    connectjs,
    country_specs,
    disputes,
    events,
    events_v2,
    external_accounts,
    faults,
    files,
    links,
    payments,
    payouts,
    persons,
    protocol,
    refunds,
    requirements,
    transfers,
    webhooks,
)
from portal.sandbox.config import SandboxConfig
from portal.sandbox.errors import StripeError
from portal.sandbox.store import Store

log = logging.getLogger("portal.sandbox")

ID_LENGTHS = {"acct": 16}
DEFAULT_ID_LENGTH = 24

# Every API route, module by module.
ROUTES = [
    *accounts.ROUTES,
    *persons.ROUTES,
    *external_accounts.ROUTES,
    *requirements.ROUTES,
    *country_specs.ROUTES,
    *balance.ROUTES,
    *payouts.ROUTES,
    *transfers.ROUTES,
    *payments.ROUTES,
    *refunds.ROUTES,
    *application_fees.ROUTES,
    *disputes.ROUTES,
    *files.ROUTES,
    *links.ROUTES,
    *account_sessions.ROUTES,
    *connectjs.ROUTES,
    *events.ROUTES,
    *accounts_v2.ROUTES,
    *events_v2.ROUTES,
    *webhooks.ROUTES,
    *faults.ROUTES,
]

# Delayed work (verification resolving, deadlines passing, funds becoming available, payouts
# arriving, unanswered disputes closing), run at the start of every request, by the ticker,
# and after the clock moves.
TICKS = [requirements.tick, balance.tick, payouts.tick, disputes.tick]

ANY_METHOD = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]


class Sandbox:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.store = Store(config.db_path)
        self.clock_offset: float = self.store.meta("clock_offset", 0.0)
        self.deliverer = webhooks.Deliverer(self)
        self._ticker_stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.starlette = Starlette(routes=self._routes())
        self.starlette.state.sandbox = self
        self.asgi = self._asgi_app()
        self._ensure_platform()

    def _routes(self) -> list[BaseRoute]:
        api = [protocol.route(self, r) if isinstance(r, protocol.Endpoint) else r for r in ROUTES]
        pages = [*files.web_routes(self), *links.web_routes(self), *connectjs.web_routes(self)]
        return [*api, *pages, Route("/{path:path}", unrecognized, methods=ANY_METHOD)]

    def _ensure_platform(self) -> None:
        with self.store.transaction():
            accounts.ensure_platform(self)

    def _asgi_app(self):
        # A plain coroutine function, so servers that inspect the app see ASGI 3.
        async def asgi(scope, receive, send) -> None:
            if scope["type"] == "http":
                scope["sandbox"] = self
            await faults.apply(self, scope, receive, send, self.starlette)

        return asgi

    # Time and identity

    def clock(self) -> float:
        """Sandbox time in seconds: real time plus what the clock test helper added."""
        return time.time() + self.clock_offset

    def now(self) -> int:
        return int(self.clock())

    def advance_clock(self, seconds: float) -> None:
        with self.store.transaction():
            self.clock_offset += seconds
            self.store.set_meta("clock_offset", self.clock_offset)
        self.run_ticks()
        self.wake_deliveries()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_" + protocol.random_chars(ID_LENGTHS.get(prefix, DEFAULT_ID_LENGTH))

    # Work

    def emit(self, type: str, obj: dict, account: str | None = None, previous_attributes: dict | None = None) -> dict:
        return events.emit(self, type, obj, account=account, previous_attributes=previous_attributes)

    def run_ticks(self) -> None:
        # Work that falls due is Stripe's own doing: its events name no request.
        token = protocol.current_call.set(None)
        try:
            for tick in TICKS:
                try:
                    with self.store.transaction():
                        tick(self)
                except Exception:
                    log.exception("sandbox tick %s failed", getattr(tick, "__module__", tick))
        finally:
            protocol.current_call.reset(token)

    def wake_deliveries(self) -> None:
        self.deliverer.wake.set()

    def settle_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every delivery that is due has been attempted (for tests that need the
        receiver to have seen the events); False if some are still unsent at the timeout."""
        deadline = time.monotonic() + timeout
        held = self.config.webhook_reorder_window if self.config.webhook_out_of_order else 0.0
        due_by = self.clock() + held
        while time.monotonic() < deadline:
            if not webhooks.pending_until(self, due_by):
                return True
            self.wake_deliveries()
            time.sleep(0.01)
        return False

    def start(self) -> None:
        self.deliverer.start()
        self._ticker_stop.clear()
        self._ticker = threading.Thread(target=self._tick_forever, name="sandbox-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._ticker_stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None
        self.deliverer.stop()

    def _tick_forever(self) -> None:
        while not self._ticker_stop.wait(self.config.tick_interval):
            self.run_ticks()

    def reset(self, config: SandboxConfig | None = None) -> None:
        """Forget all state (and optionally swap settings, keeping the same database file)."""
        if config is not None:
            self.config = config
        with self.store.transaction():
            self.store.wipe()
            self.clock_offset = 0.0
            self._ensure_platform()


async def unrecognized(request: Request) -> Response:
    path = faults.route_path(request.scope)
    error = StripeError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({request.method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )
    request_id = protocol.new_request_id()
    return protocol.error_response(error, request_id, {"Request-Id": request_id})


def create_sandbox(config: SandboxConfig | None = None) -> Sandbox:
    return Sandbox(config or SandboxConfig())


def run(host: str, port: int, config: SandboxConfig | None = None) -> None:
    """Serve the sandbox alone until interrupted."""
    sandbox = create_sandbox(config)
    sandbox.start()
    try:
        uvicorn.run(sandbox.asgi, host=host, port=port, log_level="info")
    finally:
        sandbox.stop()
