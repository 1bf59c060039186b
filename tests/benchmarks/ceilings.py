"""The bare ceilings the portal is measured against, served by the same uvicorn as the portal:

- page_app: a Starlette page rendering a Jinja2 template (a loop of rows inside a layout) padded
  to BENCH_PAGE_BYTES, the byte size of the portal's page it stands for;
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
