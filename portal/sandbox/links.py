"""Account links and login links: single-use, short-lived URLs to pages the sandbox hosts.

An account link opens a minimal stand-in for Stripe's hosted onboarding: what Stripe would
collect, a form for the one thing only a hosted flow can answer (risk interventions,
`interv_...` requirements), and a way back to `return_url`. Once visited, or after it
expires, the same URL sends the browser to `refresh_url`, as Stripe's do, so the platform
mints a new one. A login
link opens a stand-in Express Dashboard page, and only for accounts that have one.

Only a digest of each link's token is stored: the URL is handed out once.
"""

import hashlib
import html
import secrets
import string
from urllib.parse import urlsplit

import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from portal.sandbox import requirements
from portal.sandbox.errors import invalid_request, missing_parameter, resource_missing
from portal.sandbox.protocol import Call, Endpoint

# Stripe's links stop working a few minutes after they are created.
ACCOUNT_LINK_LIFETIME = 300
LOGIN_LINK_LIFETIME = 300
# How long the page, once opened, takes answers.
REVIEW_LIFETIME = 30 * 60

LINK_PATHS = {"account_onboarding": "s", "account_update": "e"}


def _token() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))


def _record_id(prefix: str, token: str) -> str:
    return prefix + hashlib.sha256(token.encode()).hexdigest()[:40]


def _connected_account(call: Call, id: str, param: str) -> dict:
    account = call.sandbox.store.get(id, "account")
    if account is None or id == call.sandbox.store.meta("platform_account"):
        raise resource_missing("account", id, param=param)
    return account


def _controller(account: dict, *path: str):
    value = account.get("controller") or {}
    for key in path:
        value = (value or {}).get(key)
    return value


def _check_url(params: dict, name: str) -> str:
    if name not in params:
        raise missing_parameter(name)
    parts = urlsplit(params[name])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_request("Not a valid URL", param=name, code="url_invalid")
    return params[name]


def _collection(params: dict) -> dict:
    if "collect" in params and "collection_options" in params:
        raise invalid_request(
            "You may only specify one of these parameters: collect, collection_options.", param="collect"
        )
    # params.py has held `collect` and `collection_options` to their enums already.
    options = params.get("collection_options") or {}
    fields = options.get("fields") or params.get("collect") or "currently_due"
    future = options.get("future_requirements") or "omit"
    return {"fields": fields, "future_requirements": future}


def create_account_link(call: Call) -> dict:
    params = call.params
    account = _connected_account(call, params["account"], "account")
    link_type = params["type"]
    # Stripe offers account_update only where the platform collects requirements (Custom-like
    # accounts); everyone else gets onboarding links or embedded components.
    if link_type == "account_update" and _controller(account, "requirement_collection") != "application":
        raise invalid_request('Invalid type: must be one of ["account_onboarding"]', param="type")
    refresh_url = _check_url(params, "refresh_url")
    return_url = _check_url(params, "return_url")
    collection = _collection(params)
    token = _token()
    created = int(call.sandbox.now())
    record = {
        "id": _record_id("alink_", token),
        "object": "account_link",
        "account": account["id"],
        "type": link_type,
        "created": created,
        "expires_at": created + ACCOUNT_LINK_LIFETIME,
    }
    private = {"refresh_url": refresh_url, "return_url": return_url, "collection": collection, "used": False}
    call.sandbox.store.create(record, owner=account["id"], private=private)
    url = f"{call.base_url}/setup/{LINK_PATHS[link_type]}/{account['id']}/{token}"
    return {"object": "account_link", "created": created, "expires_at": record["expires_at"], "url": url}


def create_login_link(call: Call) -> dict:
    account = _connected_account(call, call.path["account"], "account")
    if _controller(account, "stripe_dashboard", "type") != "express":
        raise invalid_request(
            f"Cannot create an edit link for the account {account['id']}, which is not an Express account."
        )
    token = _token()
    created = int(call.sandbox.now())
    record = {
        "id": _record_id("llink_", token),
        "object": "login_link",
        "account": account["id"],
        "created": created,
        "expires_at": created + LOGIN_LINK_LIFETIME,
    }
    call.sandbox.store.create(record, owner=account["id"], private={"used": False})
    return {"object": "login_link", "created": created, "url": f"{call.base_url}/express/{account['id']}/{token}"}


# --- the hosted pages ---------------------------------------------------------------------------


def _spend(sandbox, record_id: str, account: str) -> tuple[dict | None, dict | None, bool]:
    """(record, private, fresh): marks the link used; `fresh` is False if it already was or expired."""
    with sandbox.store.transaction():
        record = sandbox.store.get(record_id)
        if record is None or record["account"] != account:
            return None, None, False
        private = sandbox.store.private(record_id)
        fresh = not private["used"] and sandbox.now() < record["expires_at"]
        if fresh:
            private["used"] = True
            sandbox.store.set_private(record_id, private)
        return record, private, fresh


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem'>"
        f"<p><small>Stripe Connect sandbox</small></p><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _requirement_keys(account: dict, collection: dict) -> list[str]:
    requirements = account.get("requirements") or {}
    keys = list(requirements.get("past_due") or []) + list(requirements.get("currently_due") or [])
    if collection["fields"] == "eventually_due":
        keys += requirements.get("eventually_due") or []
    if collection["future_requirements"] == "include":
        future = account.get("future_requirements") or {}
        keys += (future.get("currently_due") or []) + (future.get("eventually_due") or [])
    return list(dict.fromkeys(keys))


def _interventions(keys: list[str]) -> dict[str, str]:
    """Risk interventions among the requirement keys: {interv_ id: key}, answerable only here."""
    return {key.split(".")[0]: key for key in keys if key.startswith("interv_")}


def account_link_page(sandbox, request: Request) -> Response:
    account_id, token = request.path_params["account"], request.path_params["token"]
    record_id = _record_id("alink_", token)
    record, private, fresh = _spend(sandbox, record_id, account_id)
    if record is None or LINK_PATHS[record["type"]] != request.path_params["kind"]:
        return _page("This link is not valid", "<p>Ask the platform for a new link.</p>", status=404)
    if not fresh:
        return RedirectResponse(private["refresh_url"], status_code=302)
    account = sandbox.store.get(account_id, "account") or {}
    keys = _requirement_keys(account, private["collection"])
    items = "".join(f"<li><code>{html.escape(key)}</code></li>" for key in keys)
    needed = f"<p>Stripe would ask for:</p><ul id='requirements'>{items}</ul>" if keys else (
        "<p id='requirements'>Nothing is due for this account right now.</p>"
    )
    heading = "Update your account" if record["type"] == "account_update" else "Set up your account"
    body = f"<p>Account <code>{html.escape(account_id)}</code></p>{needed}"
    if _interventions(keys):
        body += _review_form(sandbox, record_id)
    body += f"<p><a id='return' href='{html.escape(private['return_url'], quote=True)}'>Return to the platform</a></p>"
    return _page(heading, body)


def _review_form(sandbox, record_id: str) -> str:
    """The one thing this page collects: answers to Stripe's risk reviews, for this visit only."""
    visit = _token()
    with sandbox.store.transaction():
        private = sandbox.store.private(record_id)
        private["visit"] = hashlib.sha256(visit.encode()).hexdigest()
        private["visit_until"] = sandbox.now() + REVIEW_LIFETIME
        sandbox.store.set_private(record_id, private)
    return (
        "<form method='post' id='review'>"
        f"<input type='hidden' name='visit' value='{visit}'>"
        "<p><label><input type='checkbox' name='confirm' value='yes' required> "
        "The information I gave about my business is accurate</label></p>"
        "<p><button type='submit'>Submit to Stripe</button></p></form>"
    )


def submit_review(sandbox, request: Request, form: dict) -> Response:
    """Answer the account's risk interventions, then back to the platform's `return_url`."""
    account_id, token = request.path_params["account"], request.path_params["token"]
    record_id = _record_id("alink_", token)
    with sandbox.store.transaction():
        record = sandbox.store.get(record_id)
        if record is None or record["account"] != account_id:
            return _page("This link is not valid", "<p>Ask the platform for a new link.</p>", status=404)
        private = sandbox.store.private(record_id)
        visit = hashlib.sha256(str(form.get("visit", "")).encode()).hexdigest()
        if private.get("visit") != visit or sandbox.now() >= private["visit_until"] or form.get("confirm") != "yes":
            return RedirectResponse(private["refresh_url"], status_code=303)
        private["visit"] = None  # one submission per visit
        sandbox.store.set_private(record_id, private)
        account = sandbox.store.get(account_id, "account")
        for intervention in _interventions(_requirement_keys(account, private["collection"])):
            requirements.resolve_intervention(sandbox, account_id, intervention)
    return RedirectResponse(private["return_url"], status_code=303)


def login_link_page(sandbox, request: Request) -> Response:
    account_id, token = request.path_params["account"], request.path_params["token"]
    record, _, fresh = _spend(sandbox, _record_id("llink_", token), account_id)
    if record is None or not fresh:
        return _page("This login link has expired", "<p>Ask the platform for a new link.</p>", status=410)
    return _page("Express Dashboard", f"<p>Signed in to <code>{html.escape(account_id)}</code>.</p>")


def web_routes(sandbox) -> list[Route]:
    def bind(page):
        async def serve(request: Request) -> Response:
            return await run_in_threadpool(page, sandbox, request)

        return serve

    async def submit(request: Request) -> Response:
        form = dict(await request.form())
        return await run_in_threadpool(submit_review, sandbox, request, form)

    return [
        Route("/setup/{kind:str}/{account:str}/{token:str}", bind(account_link_page), methods=["GET"]),
        Route("/setup/{kind:str}/{account:str}/{token:str}", submit, methods=["POST"]),
        Route("/express/{account:str}/{token:str}", bind(login_link_page), methods=["GET"]),
    ]


ROUTES = [
    Endpoint(method="POST", path="/v1/account_links", handler=create_account_link,
             params=stripe.params.AccountLinkCreateParams),
    Endpoint(method="POST", path="/v1/accounts/{account}/login_links", handler=create_login_link,
             params=stripe.params.AccountLoginLinkCreateParams),
]
