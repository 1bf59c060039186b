"""The bare ceilings the portal is measured against, served by the same uvicorn as the portal:

- page_app: a Starlette page rendering a Jinja2 template (a loop of rows inside a layout) padded
  to BENCH_PAGE_BYTES, the byte size of the portal's page it stands for;
- signed_in_page_app: the same page behind what any signed-in page needs at the least: Starlette's
  signed session cookie (itsdangerous), then one indexed read of the login session and its seller
  (SQLite, the portal's database) on the event loop, as the portal reads SQLite, the seller's email
  on the page. Not a
  ceiling the issue names: it shows how much of the gap to the bare page a signed-in page cannot
  close whatever the portal does;
- webhook_app: verify a Stripe signature on the raw body, INSERT OR IGNORE / ON CONFLICT DO
  NOTHING the event on its id (committed before the 200), acknowledge. DATABASE_URL says where.

Nothing here imports the portal: it is what the machine allows, not what our code does."""

import asyncio
import hashlib
import hmac
import json
import os
import sqlite3
import time

import psycopg
from jinja2 import DictLoader, Environment, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

LAYOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><header><nav>{% for item in nav %}<a href="/{{ item }}">{{ item }}</a> {% endfor %}</nav></header>
<main><h1>{{ title }}</h1><table>{% for row in rows %}<tr><td>{{ row.label }}</td><td>{{ row.text }}</td></tr>{% endfor %}
</table><p>{{ padding }}</p></main></body></html>"""
SCHEMA = "CREATE TABLE IF NOT EXISTS event (id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL)"


def page_app() -> Starlette:
    env = Environment(loader=DictLoader({"page.html": LAYOUT}), autoescape=select_autoescape(["html"]), auto_reload=False)
    template = env.get_template("page.html")
    context = {"title": "Account", "nav": ["home", "account", "payouts", "payments", "disputes", "settings"],
               "rows": [{"label": f"Requirement {n}", "text": "Provide this so Stripe can verify the business."} for n in range(12)]}
    unpadded = len(template.render(padding="", **context).encode())
    context["padding"] = "x" * max(0, int(os.environ["BENCH_PAGE_BYTES"]) - unpadded)

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(template.render(**context))

    return Starlette(routes=[Route("/", page)])


def signed_in_page_app() -> Starlette:
    env = Environment(loader=DictLoader({"page.html": LAYOUT}), autoescape=select_autoescape(["html"]), auto_reload=False)
    template = env.get_template("page.html")
    context = {"nav": ["home", "account", "payouts", "payments", "disputes", "settings"],
               "rows": [{"label": f"Requirement {n}", "text": "Provide this so Stripe can verify the business."} for n in range(12)]}
    unpadded = len(template.render(padding="", title="seller0@bench.example", **context).encode())
    context["padding"] = "x" * max(0, int(os.environ["BENCH_PAGE_BYTES"]) - unpadded)
    path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def seller_email(session_id: str) -> str | None:
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        row = connection.execute("SELECT seller.email FROM login_session JOIN seller ON seller.id = login_session.seller_id "
                                 "WHERE login_session.id = ?", (digest,)).fetchone()
        return row[0] if row else None

    async def page(request: Request) -> HTMLResponse:
        email = seller_email(request.session.get("sid", ""))
        if email is None:
            return HTMLResponse("signed out", status_code=403)
        return HTMLResponse(template.render(title=email, **context))

    return Starlette(routes=[Route("/", page)], middleware=[
        Middleware(SessionMiddleware, secret_key=os.environ["SECRET_KEY"], session_cookie="portal_session")])


def verified(secret: bytes, body: bytes, header: str, tolerance: int = 300) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = parts.get("t", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def webhook_app() -> Starlette:
    secret = os.environ["BENCH_WEBHOOK_SECRET"].encode()
    url = os.environ["DATABASE_URL"]
    insert = _sqlite_insert(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else _postgres_insert(url)

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        if not verified(secret, body, request.headers.get("stripe-signature", "")):
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        event = json.loads(body)
        await insert(event["id"], event["type"], body.decode())
        return JSONResponse({"received": True})

    return Starlette(routes=[Route("/webhooks/stripe", receive, methods=["POST"])])


def _sqlite_insert(path: str):
    """One connection, used on the event loop: SQLite writes one at a time anyway, and a commit in
    WAL mode with synchronous=NORMAL (the portal's settings) takes tens of microseconds."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(SCHEMA)

    async def insert(event_id: str, event_type: str, payload: str) -> None:
        connection.execute("INSERT OR IGNORE INTO event VALUES (?, ?, ?)", (event_id, event_type, payload))

    return insert


def _postgres_insert(url: str):
    """A few connections shared by the requests in flight, each insert its own committed transaction."""
    url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(SCHEMA)
    idle: asyncio.Queue | None = None

    async def insert(event_id: str, event_type: str, payload: str) -> None:
        nonlocal idle
        if idle is None:
            idle = asyncio.Queue()
            for _ in range(8):
                idle.put_nowait(await psycopg.AsyncConnection.connect(url, autocommit=True))
        connection = await idle.get()
        try:
            await connection.execute("INSERT INTO event VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
                                     (event_id, event_type, payload))
        finally:
            idle.put_nowait(connection)

    return insert
