"""Fault injection and the sandbox clock: sandbox-only test helpers for reliability tests.

Rules come from `SandboxConfig.faults` or `POST /v1/test_helpers/sandbox/faults`; each
answers a share of matching requests with a 500 `api_error`, a 429 `rate_limit` (or
`lock_timeout`, which Stripe marks retryable), a delay, or a connection dropped mid-response:
before the request runs (`drop`) or after it ran and committed (`drop_after`, the lost
response that idempotency keys exist for).
The sandbox's own test-helper routes are never faulted, so a test can always switch faults off.
"""

import asyncio
import fnmatch
import random
from typing import List, Literal, NotRequired, TypedDict

from portal.sandbox.config import FaultRule
from portal.sandbox.errors import StripeError
from portal.sandbox.protocol import Call, Endpoint, error_response, invalid_request, new_request_id

EXEMPT_PREFIX = "/v1/test_helpers/sandbox/"

FAILURES = {
    "500": StripeError(500, "api_error", "An unknown error occurred"),
    "429": StripeError(
        429,
        "invalid_request_error",
        "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
        code="rate_limit",
    ),
    "lock_timeout": StripeError(
        429,
        "invalid_request_error",
        "This object cannot be accessed right now because another API request or Stripe process is "
        "currently accessing it. If you see this error intermittently, retry the request. If you see "
        "this error frequently and are making multiple concurrent requests to a single object, make "
        "your requests serially or at a lower rate.",
        code="lock_timeout",
        headers={"Stripe-Should-Retry": "true"},
    ),
}
KINDS = (*FAILURES, "delay", "drop", "drop_after")
# Headers that promise a body which never comes; the server then closes the connection.
BROKEN_START = {"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")]}


def pick(rules: list[FaultRule], method: str, path: str) -> FaultRule | None:
    if path.startswith(EXEMPT_PREFIX):
        return None
    for rule in rules:
        if rule.count == 0 or not fnmatch.fnmatchcase(f"{method} {path}", rule.match):
            continue
        if random.random() >= rule.rate:
            continue
        if rule.count is not None:
            rule.count -= 1
        return rule
    return None


def route_path(scope) -> str:
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


async def apply(sandbox, scope, receive, send, app) -> None:
    """Serve the request through `app` unless a fault rule takes it."""
    rule = None
    if scope["type"] == "http":
        rule = pick(sandbox.config.faults, scope["method"], route_path(scope))
    if rule is None:
        await app(scope, receive, send)
    elif rule.kind == "delay":
        await asyncio.sleep(rule.delay)
        await app(scope, receive, send)
    elif rule.kind == "drop":
        await send(BROKEN_START)
    elif rule.kind == "drop_after":
        await app(scope, receive, _swallow)
        await send(BROKEN_START)
    else:
        request_id = new_request_id()
        response = error_response(FAILURES[rule.kind], request_id, {"Request-Id": request_id})
        await response(scope, receive, send)


async def _swallow(message) -> None:
    """The response that never reaches the client."""


# Test helpers


class FaultParams(TypedDict):
    match: str
    kind: Literal["500", "429", "lock_timeout", "delay", "drop", "drop_after"]
    rate: NotRequired[float]
    count: NotRequired[int]
    delay: NotRequired[float]


class SetFaultsParams(TypedDict):
    faults: NotRequired[List[FaultParams]]


class AdvanceClockParams(TypedDict):
    seconds: NotRequired[int]
    to: NotRequired[int]


def faults_object(sandbox) -> dict:
    rules = [vars(rule).copy() for rule in sandbox.config.faults]
    return {"object": "sandbox.faults", "faults": rules}


def set_faults(call: Call) -> dict:
    """Replace the fault rules (an empty list switches faults off)."""
    rules = [FaultRule(**given) for given in call.params.get("faults", [])]
    for rule in rules:
        if not 0 <= rule.rate <= 1:
            raise invalid_request("rate must be between 0 and 1.", param="faults")
    call.sandbox.config.faults = rules
    return faults_object(call.sandbox)


def get_faults(call: Call) -> dict:
    return faults_object(call.sandbox)


def clear_faults(call: Call) -> dict:
    call.sandbox.config.faults = []
    return faults_object(call.sandbox)


def clock_object(sandbox) -> dict:
    return {"object": "sandbox.clock", "now": sandbox.now(), "offset": sandbox.clock_offset}


def advance_clock(call: Call) -> dict:
    """Move the sandbox clock forward (never back) and run the work that became due."""
    params, sandbox = call.params, call.sandbox
    if ("seconds" in params) == ("to" in params):
        raise invalid_request("Pass exactly one of seconds or to.", param="seconds")
    seconds = params["seconds"] if "seconds" in params else params["to"] - sandbox.now()
    if seconds < 0:
        raise invalid_request("The sandbox clock can only move forward.", param="seconds")
    sandbox.advance_clock(seconds)
    return clock_object(sandbox)


def get_clock(call: Call) -> dict:
    return clock_object(call.sandbox)


ROUTES = [
    Endpoint("GET", "/v1/test_helpers/sandbox/faults", get_faults),
    Endpoint("POST", "/v1/test_helpers/sandbox/faults", set_faults, SetFaultsParams),
    Endpoint("DELETE", "/v1/test_helpers/sandbox/faults", clear_faults),
    Endpoint("GET", "/v1/test_helpers/sandbox/clock", get_clock),
    Endpoint("POST", "/v1/test_helpers/sandbox/advance_clock", advance_clock, AdvanceClockParams),
]
