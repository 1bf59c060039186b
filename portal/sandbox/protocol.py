"""Stripe's REST dialect: one Endpoint per route, and the request path around its handler.

A request goes: decode the form or query (bracket notation) -> authenticate the secret key ->
check `Stripe-Account` -> run due background work -> replay if the `Idempotency-Key` was seen
-> validate params against the SDK's TypedDict -> handler inside one store transaction ->
expand -> JSON with `Request-Id`. Errors anywhere become Stripe's error body.
"""

import asyncio
import base64
import contextvars
import json
import logging
import re
import secrets
import string
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.sandbox import idempotency
from portal.sandbox import params as params_module
from portal.sandbox.errors import (  # noqa: F401  (re-exported for the resource modules)
    StripeError,
    authentication,
    invalid_request,
    resource_missing,
)
from portal.sandbox.expansion import expand
from portal.sandbox.forms import UploadedFile, decode_request  # noqa: F401  (UploadedFile: for files.py)

log = logging.getLogger("portal.sandbox")

ALPHABET = string.ascii_letters + string.digits
# Stripe's API versions: a date, and since 2024 a release name after it (2026-10-28.endive).
API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")


@dataclass
class Endpoint:
    method: str
    path: str
    handler: Callable
    # The SDK's TypedDict for this route; None accepts only `expand`.
    params: type | None = None
    # "secret": sk_ key required; "none": the handler authenticates (Connect.js stand-in).
    auth: str = "secret"
    status: int = 200


@dataclass
class Call:
    sandbox: object
    account: str | None
    params: dict
    path: dict
    request_id: str
    method: str = "GET"
    url_path: str = ""
    base_url: str = ""
    api_key: str | None = None
    idempotency_key: str | None = None
    headers: dict = field(default_factory=dict)


# The call being handled on this thread, so sandbox.emit() can fill an event's `request`.
current_call: contextvars.ContextVar[Call | None] = contextvars.ContextVar("current_call", default=None)


def random_chars(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_request_id() -> str:
    return "req_" + random_chars(14)


# Helpers for handlers


def list_response(call: Call, objects: list[dict], url: str) -> dict:
    """One page of `objects` (newest first) per limit / starting_after / ending_before."""
    limit = call.params.get("limit", 10)
    if not 1 <= limit <= 100:
        bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 100"
        raise invalid_request(f"This value must be {bound}.", param="limit")
    ids = [obj["id"] for obj in objects]
    after, before = call.params.get("starting_after"), call.params.get("ending_before")
    if after is not None and before is not None:
        raise invalid_request(
            "You may only specify one of these parameters: ending_before, starting_after.", param="ending_before"
        )
    if after is not None:
        start = _cursor(ids, after, "starting_after", objects) + 1
        page, has_more = objects[start : start + limit], len(objects) > start + limit
    elif before is not None:
        end = _cursor(ids, before, "ending_before", objects)
        page, has_more = objects[max(0, end - limit) : end], end - limit > 0
    else:
        page, has_more = objects[:limit], len(objects) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


# Accounts v2's conventions: RFC 3339 times, URL paging, its own error body and idempotency.


def rfc3339(seconds: int | float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(seconds * 1000) % 1000:03d}Z"


def seconds(text: str) -> int:
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise invalid_request(f"Invalid timestamp: {text} (RFC 3339 expected).") from None


def v2_page(call: "Call", objects: list[dict], path: str) -> dict:
    """v2 paging: `limit` (1..100, default 20) and an opaque `page` token; the SDK follows
    `next_page_url` verbatim."""
    limit = call.params.get("limit", 20)
    if not 1 <= limit <= 100:
        raise invalid_request("`limit` must be between 1 and 100.", param="limit")
    start = 0
    if call.params.get("page"):
        token = call.params["page"]
        ids = [obj["id"] for obj in objects]
        if not token.startswith("after_") or token[6:] not in ids:
            raise invalid_request("The page token is not valid.", param="page")
        start = ids.index(token[6:]) + 1
    chunk = objects[start:start + limit]
    more = len(objects) > start + limit
    return {"data": chunk, "next_page_url": f"{path}?limit={limit}&page=after_{chunk[-1]['id']}" if more else None,
            "previous_page_url": None}


def is_v2(path: str) -> bool:
    return path.startswith("/v2/")


def v2_error_body(error: StripeError) -> dict:
    """v2's error object: type, code, message (and the parameter where there is one)."""
    body = {"type": error.type, "code": error.code or error.type, "message": error.message}
    if error.param:
        body["param"] = error.param
    return {"error": body}


def _cursor(ids: list[str], id: str, param: str, objects: list[dict]) -> int:
    if id not in ids:
        noun = objects[0]["object"] if objects else "object"
        raise resource_missing(noun, id, param=param)
    return ids.index(id)


def owned(call: "Call", object_id: str, object: str, noun: str | None = None, param: str = "id") -> dict:
    """The object `object_id` of type `object` if the caller (platform or `Stripe-Account`) owns it;
    otherwise Stripe's 404, as if it did not exist."""
    found = call.sandbox.store.get(object_id, object)
    if found is None or call.sandbox.store.owner(object_id) != call.account:
        raise resource_missing(noun or object, object_id, param=param)
    return found


def apply_metadata(obj: dict, params: dict) -> None:
    """Stripe's metadata semantics: "" for the whole map clears it, "" for a key deletes it."""
    if "metadata" not in params:
        return
    given = params["metadata"]
    if given == "":
        obj["metadata"] = {}
        return
    merged = dict(obj.get("metadata") or {})
    for key, value in given.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise invalid_request("You can have at most 50 metadata keys.", param="metadata")
    for key, value in merged.items():
        if len(key) > 40:
            raise invalid_request("Metadata keys can have up to 40 characters.", param=f"metadata[{key}]")
        if len(value) > 500:
            raise invalid_request("Metadata values can have up to 500 characters.", param=f"metadata[{key}]")
    obj["metadata"] = merged


# Authentication


def authenticate(sandbox, header: str | None) -> str:
    config = sandbox.config
    if not header:
        raise authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization "
            "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
            "https://stripe.com/docs/api#authentication for details, or we can help at "
            "https://support.stripe.com/."
        )
    scheme, _, key = header.partition(" ")
    key = _basic_auth_user(key) if scheme.lower() == "basic" else key.strip()
    if scheme.lower() not in ("bearer", "basic") or not key:
        raise authentication("Invalid API Key provided: " + mask_key(key or header))
    if key in config.secret_keys:
        return key
    if key == config.publishable_key:
        raise authentication(
            "This API call cannot be made with a publishable API key. Please use a secret API key. "
            "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
        )
    raise authentication("Invalid API Key provided: " + mask_key(key))


def _basic_auth_user(credentials: str) -> str:
    # `curl -u sk_test_...:` sends the key as the Basic auth user name, which Stripe accepts.
    try:
        return base64.b64decode(credentials.strip(), validate=True).decode().partition(":")[0]
    except (ValueError, UnicodeDecodeError):
        return ""


def mask_key(key: str) -> str:
    prefix = key[:8] if key.startswith(("sk_test_", "pk_test_", "rk_test_")) else key[:3]
    return prefix + "*" * max(0, len(key) - len(prefix) - 4) + key[-4:]


def check_account(sandbox, api_key: str, account: str | None) -> None:
    if account is None:
        return
    if sandbox.store.get(account, "account") is None:
        raise StripeError(
            403,
            "invalid_request_error",
            f"The provided key '{mask_key(api_key)}' does not have access to account '{account}' "
            "(or that account does not exist). Application access may have been revoked.",
            code="account_invalid",
        )


def check_version(version: str | None) -> None:
    if version is not None and not API_VERSION.fullmatch(version):
        raise invalid_request(f"Invalid Stripe API version: {version}", param="Stripe-Version")


# The request path


def json_response(status: int, body: dict, headers: dict) -> Response:
    return Response(json.dumps(body, indent=2), status_code=status, media_type="application/json", headers=headers)


def error_response(error: StripeError, request_id: str, headers: dict, *, v2: bool = False) -> Response:
    log_url = f"https://dashboard.stripe.com/test/logs/{request_id}"
    body = v2_error_body(error) if v2 else error.body(log_url)
    return json_response(error.status, body, {**headers, **error.headers})


# Worker threads of the sandbox's own, per event loop: mounted in the portal's process, the
# sandbox must answer even while the portal's own thread pool is busy waiting on it.
SANDBOX_THREADS = 20
_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _threads() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = anyio.CapacityLimiter(SANDBOX_THREADS)
    return _limiters[loop]


async def in_sandbox_thread(function, *args):
    """Run blocking sandbox work off the event loop, within the sandbox's own thread budget."""
    return await anyio.to_thread.run_sync(function, *args, limiter=_threads())


def route(sandbox, endpoint: Endpoint) -> Route:
    async def serve(request: Request) -> Response:
        request_id = new_request_id()
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("stripe-version") or sandbox.config.api_version,
        }
        if key := request.headers.get("idempotency-key"):
            headers["Idempotency-Key"] = key
        try:
            check_version(request.headers.get("stripe-version"))
            raw = await decode_request(request, json_body=is_v2(endpoint.path))
            call = Call(
                sandbox=sandbox,
                account=request.headers.get("stripe-account") or None,
                params=raw,
                path=dict(request.path_params),
                request_id=request_id,
                method=request.method,
                url_path=request.url.path,
                # The mount point, not Starlette's app_root_path: mounted at /sandbox in the portal,
                # URLs the sandbox hands out (links, file contents) must keep the prefix.
                base_url=f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}",
                idempotency_key=key,
                headers=dict(request.headers),
            )
            status, body, extra = await in_sandbox_thread(process, sandbox, endpoint, call)
        except StripeError as error:
            return error_response(error, request_id, headers, v2=is_v2(endpoint.path))
        return json_response(status, body, {**headers, **extra})

    return Route(endpoint.path, serve, methods=[endpoint.method])


def process(sandbox, endpoint: Endpoint, call: Call) -> tuple[int, dict, dict]:
    if endpoint.auth == "secret":
        call.api_key = authenticate(sandbox, call.headers.get("authorization"))
        check_account(sandbox, call.api_key, call.account)
        if call.account is not None and call.account == sandbox.store.meta("platform_account"):
            call.account = None  # the platform naming itself acts as itself, as on Stripe
    sandbox.run_ticks()
    if call.method in ("POST", "DELETE") and call.idempotency_key and is_v2(endpoint.path):
        with sandbox.store.lock:
            return process_idempotent(sandbox, endpoint, call, keep_failures=False)
    if call.method == "POST" and call.idempotency_key:
        # Under the store's lock, so a concurrent retry with the same key waits for this
        # request and then replays it instead of running twice.
        with sandbox.store.lock:
            return process_idempotent(sandbox, endpoint, call)
    call.params = params_module.validate(call.params, endpoint.params)
    return endpoint.status, run_handler(sandbox, endpoint, call), {}


def process_idempotent(sandbox, endpoint: Endpoint, call: Call, *, keep_failures: bool = True) -> tuple[int, dict, dict]:
    """v1 replays the first outcome, errors included; v2 ("retries don't repeat successful
    operations; Stripe retries failed or partially failed work") replays only a success and runs
    a retry of a failure again (docs.stripe.com/api/idempotent_requests, v2)."""
    scope, key = f"{call.api_key}|{call.account or ''}", call.idempotency_key
    print_ = idempotency.fingerprint(call.method, endpoint.path + "|" + call.url_path, call.params)
    seen = idempotency.replay(sandbox, scope, key, print_)
    if seen:
        status, body, original = seen
        return status, body, {"Idempotent-Replayed": "true", "Original-Request": original}
    # Invalid parameters are not saved: nothing began executing, so a corrected retry runs.
    call.params = params_module.validate(call.params, endpoint.params)
    try:
        body = run_handler(sandbox, endpoint, call)
    except StripeError as error:
        # v1 saves the outcome of any request that began executing, errors included.
        if not keep_failures:
            raise
        logged = error.body(f"https://dashboard.stripe.com/test/logs/{call.request_id}")
        idempotency.remember(sandbox, scope, key, print_, error.status, logged, call.request_id)
        raise
    idempotency.remember(sandbox, scope, key, print_, endpoint.status, body, call.request_id)
    return endpoint.status, body, {}


def run_handler(sandbox, endpoint: Endpoint, call: Call) -> dict:
    token = current_call.set(call)
    try:
        with sandbox.store.transaction():
            try:
                result = endpoint.handler(call)
            except StripeError as error:
                if not error.keep_changes:
                    raise
                kept = error
            else:
                return expand(sandbox, result, call.params.get("expand") or [])
        # The request fails but what it did stays, e.g. a declined payment is recorded.
        raise kept
    except StripeError:
        raise
    except Exception:
        log.exception("sandbox handler crashed: %s %s", call.method, call.url_path)
        raise StripeError(500, "api_error", "An unknown error occurred", headers={"Stripe-Should-Retry": "false"})
    finally:
        current_call.reset(token)
