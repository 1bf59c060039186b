"""Production never runs the sandbox's shortcuts: it refuses to start without Stripe, and its route
table holds nothing development-only (the dev package's routes, the offline Stripe)."""

import os
import subprocess
import sys

import pytest
from starlette.routing import Mount
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from portal.dev import routes as dev
from portal.settings import Settings, SettingsError, load_settings
from tests.conftest import csrf_from
from portal.logs import route_table as walk

STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "SECRET_KEY", "PUBLIC_URL")
PRODUCTION = {
    "PORTAL_ENV": "production", "stripe_secret_key": "sk_live_abc123", "stripe_publishable_key": "pk_live_abc123",
    "stripe_webhook_secret": "whsec_abc123", "secret_key": "k" * 40, "public_url": "https://portal.example",
}


def _development_only(route, dev_endpoints: set) -> bool:
    """A route the dev package hands out, or code from the dev package or the sandbox."""
    handler = getattr(route, "endpoint", None) or getattr(route, "app", None)
    if any(handler is endpoint for endpoint in dev_endpoints):
        return True
    module = getattr(handler, "__module__", "") or type(handler).__module__
    owner = getattr(handler, "__self__", None)  # a bound method's object (the sandbox's ASGI entry)
    modules = {module, type(owner).__module__ if owner is not None else ""}
    return any(name.startswith(("portal.dev", "portal.sandbox")) for name in modules)


def test_production_without_stripe_settings_refuses_to_start_naming_each(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_VAR_DIR", str(tmp_path))
    for name in STRIPE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert all(name in str(error.value) for name in STRIPE_SETTINGS)
    with pytest.raises(SettingsError):  # a Settings built around load_settings still can't become an app
        create_app(Settings(PORTAL_VAR_DIR=tmp_path, PORTAL_ENV="production"))


def test_portal_serve_in_production_without_stripe_exits_naming_what_is_missing(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in STRIPE_SETTINGS}
    result = subprocess.run(
        [sys.executable, "-m", "portal", "serve", "--port", "1"], capture_output=True, text=True, timeout=60,
        env={**env, "PORTAL_ENV": "production", "PORTAL_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "configuration error" in result.stderr and "Traceback" not in result.stderr
    assert all(name in result.stderr for name in STRIPE_SETTINGS), result.stderr
    assert not (tmp_path / "portal.db").exists()


@pytest.mark.parametrize("unsafe, named", [
    ({"stripe_secret_key": "sk_test_sandbox"}, "sandbox's key"),
    ({"stripe_api_base": "http://127.0.0.1:8000/sandbox"}, "STRIPE_API_BASE"),
    ({"stripe_api_base": "https://sandbox.example/v1"}, "STRIPE_API_BASE"),
    ({"stripe_api_base": "https://api.stripe.com.evil.example"}, "STRIPE_API_BASE"),
])
def test_production_refuses_the_sandboxs_key_and_any_other_stripe(tmp_path, unsafe, named):
    with pytest.raises(SettingsError, match=named):
        Settings(PORTAL_VAR_DIR=tmp_path, **{**PRODUCTION, **unsafe}).check()
    Settings(PORTAL_VAR_DIR=tmp_path, **{**PRODUCTION, "stripe_api_base": "https://api.stripe.com"}).check()
    Settings(PORTAL_VAR_DIR=tmp_path, **{**PRODUCTION, "stripe_secret_key": "sk_test_abc"}).check()  # a staging site


def test_the_dev_package_refuses_to_hand_its_routes_to_production(tmp_path):
    production = Settings(PORTAL_VAR_DIR=tmp_path, **PRODUCTION)
    for routes_for in (dev.routes_for, dev.staff_routes_for):
        with pytest.raises(SettingsError, match="never in production"):
            routes_for(production.model_copy(update={"stripe_secret_key": None}))
    assert not production.staff_dev_sign_in


def test_a_production_app_serves_nothing_development_only(tmp_path):
    sandbox = Settings(PORTAL_VAR_DIR=tmp_path / "dev")
    development = create_app(sandbox)
    dev_endpoints = {route.endpoint for route in [*dev.routes_for(sandbox), *dev.staff_routes_for(sandbox)]}
    in_development = [(path, route) for path, route in walk(development.routes)]
    # The check recognises what development mounts (else it would pass on anything).
    assert {path for path, route in in_development if _development_only(route, dev_endpoints)} >= {
        "/dev/outbox", "/dev/outbox/{message_id:int}", "/staff/sign-in/development", "/sandbox"}

    settings = Settings(PORTAL_VAR_DIR=tmp_path / "prod", **PRODUCTION)
    app = create_app(settings)
    table = list(walk(app.routes))
    assert len(table) > 50
    for path, route in table:
        assert not _development_only(route, dev_endpoints), path
        assert not path.startswith(("/dev", "/sandbox")), path
        assert not (isinstance(route, Mount) and route.name in ("dev", "sandbox")), path

    Database(settings.database_url).migrate()
    with TestClient(app, base_url="https://testserver") as client:
        token = csrf_from(client.get("/account/login").text)
        assert client.post("/staff/sign-in/development", data={"csrf_token": token, "staff_id": "1"}).status_code == 404
        assert client.get("/dev/outbox").status_code == 404
        assert client.get("/sandbox/v1/accounts", headers={"Authorization": "Bearer sk_test_sandbox"}).status_code == 404
        assert client.get("/healthz").json()["mode"] == "stripe"
        assert "Development sign-in" not in client.get("/staff/sign-in").text
