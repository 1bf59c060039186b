"""Idempotency keys as Stripe keeps them: per account, for 24 hours, the first response replayed.

A key's record holds a fingerprint of the request (method, route, parameters) and the
response it got; the same key with another fingerprint is an `idempotency_error`.
"""

import hashlib
import json

from portal.sandbox.errors import StripeError

IDEMPOTENCY_TTL = 24 * 3600


def fingerprint(method: str, path: str, raw: dict) -> str:
    text = json.dumps([method, path, raw], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(sandbox, scope: str, key: str, print_: str):
    rows = sandbox.store.execute(
        "SELECT fingerprint, status, body, request_id, created FROM idempotency "
        "WHERE scope = ? AND key = ?", (scope, key),
    )
    if not rows or rows[0][4] < sandbox.clock() - IDEMPOTENCY_TTL:
        return None
    stored_print, status, body, request_id, _ = rows[0]
    if stored_print != print_:
        raise StripeError(
            400,
            "idempotency_error",
            "Keys for idempotent requests can only be used with the same parameters they were first "
            f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
        )
    return status, json.loads(body), request_id


def remember(sandbox, scope: str, key: str, print_: str, status: int, body: dict, request_id: str):
    # Stripe forgets keys after 24 hours; so does the sandbox, which keeps its file small.
    sandbox.store.execute("DELETE FROM idempotency WHERE created < ?", (sandbox.clock() - IDEMPOTENCY_TTL,))
    sandbox.store.execute(
        "INSERT OR REPLACE INTO idempotency (scope, key, fingerprint, status, body, request_id, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (scope, key, print_, status, json.dumps(body), request_id, sandbox.clock()),
    )
