"""Fixtures for the portal: a real SMTP server on loopback, SQLite and (when reachable) PostgreSQL
databases made and dropped per test, and the app driven over HTTP."""

import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import httpx
import psycopg
import pytest
import stripe
import uvicorn
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from portal.sandbox.app import create_sandbox
from portal.sandbox.testing import fast_config, running
from portal.settings import Settings
from portal.webhooks.queue import unapplied_count

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Inbox:
    """What the SMTP server received."""

    messages: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def wait_for(self, to: str, count: int = 1, timeout: float = 10.0, subject: str | None = None) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for m in self.messages if m["To"] == to and subject in (None, m["Subject"])]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s) to {to}, got {len(found)}")

    def last_link(self, to: str, count: int = 1) -> str:
        body = self.wait_for(to, count)[-1].get_content()
        return re.findall(r"https?://\S+", body)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def inbox(smtp_server):
    smtp_server.clear()
    return smtp_server


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_server():
    if not postgres_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server):
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Tests that take this fixture run on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path, smtp_server):
    return Settings(
        PORTAL_VAR_DIR=tmp_path,
        secret_key="test-secret-key-not-for-production",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
    )


@pytest.fixture
def app(settings):
    Database(settings.database_url).migrate()
    return create_app(settings)


@pytest.fixture
def any_client(database_url, tmp_path, smtp_server):
    """`client`, on each database `database_url` gives (both, unless a module narrows it)."""
    settings = Settings(PORTAL_VAR_DIR=tmp_path, secret_key="test-secret-key-not-for-production", smtp_host="127.0.0.1",
                        smtp_port=smtp_server.port, database_url=database_url)
    Database(settings.database_url).migrate()
    with TestClient(create_app(settings), base_url="http://testserver", client=("203.0.113.7", 50000)) as client:
        yield client


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver", client=("203.0.113.7", 50000)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def _portal_sandbox(tmp_path_factory):
    path = tmp_path_factory.mktemp("stripe-sandbox") / "sandbox.sqlite3"
    with running(create_sandbox(fast_config(db_path=str(path)))) as served:
        yield served


@pytest.fixture
def stripe_sandbox(_portal_sandbox):
    """An empty offline Stripe served over loopback; (Sandbox, base URL)."""
    sandbox, url = _portal_sandbox
    sandbox.reset(fast_config(db_path=sandbox.config.db_path))
    return sandbox, url


@pytest.fixture
def sdk(stripe_sandbox):
    """The official SDK, synchronous, on the sandbox a `sandboxed_client` portal talks to: what the
    seller's customers and Stripe itself do, and what a test reads back."""
    _, url = stripe_sandbox
    return stripe.StripeClient("sk_test_sandbox", base_addresses={"api": url, "files": url, "connect": url},
                               http_client=stripe.HTTPXClient(allow_sync_methods=True), max_network_retries=0)


@pytest.fixture
def sandboxed_settings(settings, stripe_sandbox):
    return settings.model_copy(update={"stripe_api_base": stripe_sandbox[1], "sandbox_embedded": False})


@pytest.fixture
def sandboxed_client(sandboxed_settings):
    Database(sandboxed_settings.database_url).migrate()
    with TestClient(create_app(sandboxed_settings), base_url="http://testserver", client=("203.0.113.9", 50000)) as test_client:
        yield test_client


@pytest.fixture
def served_portal_settings():
    """Overrides for the served portal's settings (a test module may override this fixture)."""
    return {}


@pytest.fixture
def served_portal(tmp_path, smtp_server, served_portal_settings):
    """The portal as `portal serve` runs it (the sandbox mounted at /sandbox, webhooks over real
    HTTP), in a thread on a free loopback port. Yields (app, base URL)."""
    port = free_port()
    settings = Settings(
        PORTAL_VAR_DIR=tmp_path, secret_key="served-portal-secret", smtp_host="127.0.0.1", smtp_port=smtp_server.port,
        stripe_api_base=f"http://127.0.0.1:{port}/sandbox", sandbox_verification_delay=0,
        **served_portal_settings,
    )
    Database(settings.database_url).migrate()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not (server.started and len(app.state.sandbox_webhook_secrets) == 2):
        assert time.monotonic() < deadline, "the served portal did not start"
        time.sleep(0.01)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser_client(served_portal):
    """An HTTP client with its own cookie jar, talking to the served portal."""
    _, url = served_portal
    with httpx.Client(base_url=url, timeout=30) as http:
        yield http


def eventually(check, timeout: float = 10.0):
    """Poll `check` until it is truthy or `timeout` passes; returns its last result (for webhooks,
    scheduled passes and other work that lands on its own time)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def all_heard(client, monkeypatch, timeout: float = 10.0) -> None:
    """On PostgreSQL, once the app listens for session changes, wait until it has heard every one
    notified so far (accounts/sessions_seen.py). Notifications arrive after their commits, in commit
    order: one from a write made before a test counts the gate's reads would otherwise arrive during
    it and make the gate read again. A sentinel notified now is heard after all of them."""
    from portal.accounts import sessions_seen

    db = client.app.state.db
    if db.engine.dialect.name != "postgresql":
        return
    assert eventually(lambda: client.app.state.sessions_seen.listening, timeout), "the app never listened"
    heard, original = threading.Event(), sessions_seen._heard

    def hearing(seen, payload: str) -> None:
        original(seen, payload)
        if payload == "all heard":
            heard.set()

    monkeypatch.setattr(sessions_seen, "_heard", hearing)
    with psycopg.connect(db.driver_url(), autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, 'all heard')", (sessions_seen.CHANNEL,))
    assert heard.wait(timeout), "the sentinel notification was never heard"


def wait_until_applied(db: Database, timeout: float = 10.0) -> None:
    """Webhook events are applied behind the endpoint's 200: wait until none is left unapplied."""
    assert eventually(lambda: unapplied_count(db) == 0, timeout), "stored webhook events were not applied"


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post_form(client, path: str, data: dict, *, page: str | None = None, **kwargs):
    """Submit a form the way a browser does: load the page first (following redirects) for its CSRF token."""
    token = csrf_from(client.get(page or path, follow_redirects=True).text)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def link_page(link_path: str) -> str:
    """Where a mailed link's page lives once opened: the link without its token (web.link_routes)."""
    return link_path.rsplit("/", 1)[0]


def press_link_button(client, link_path: str, data: dict | None = None, **kwargs):
    """Open a mailed link and press the button on the page it leads to."""
    return post_form(client, link_page(link_path), data or {}, page=link_path, **kwargs)


PASSWORD = "violet tractor salad 42"


def sign_up(client, email: str, password: str = PASSWORD):
    return post_form(
        client, "/account/signup",
        {"email": email, "password": password, "password_confirm": password},
        follow_redirects=False,
    )


def confirm_link_path(inbox, email: str, count: int = 1) -> str:
    link = inbox.last_link(email, count)
    return "/" + link.split("/", 3)[3]


def log_in(client, email: str, password: str = PASSWORD):
    return post_form(client, "/account/login", {"email": email, "password": password}, follow_redirects=False)
