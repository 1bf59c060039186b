"""Fixtures for driving the sandbox through the official SDK over real HTTP.

One server per test module (starting uvicorn is the slow part); every test still starts
from an empty sandbox, because the `sandbox` fixture wipes the store and installs that
test's `sandbox_config`. Override `sandbox_config` in a module, or change `sandbox.config`
inside a test, to try other settings.
"""

import json

import pytest
import stripe

from portal.sandbox.app import create_sandbox
from portal.sandbox.testing import fast_config, running

SECRET_KEY = "sk_test_sandbox"


@pytest.fixture(scope="module")
def _served_sandbox(tmp_path_factory):
    path = tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3"
    with running(create_sandbox(fast_config(db_path=str(path)))) as served:
        yield served


@pytest.fixture
def sandbox_config():
    return fast_config()


@pytest.fixture
def sandbox(_served_sandbox, sandbox_config):
    served, _ = _served_sandbox
    served.reset(sandbox_config)
    yield served
    # Leave nothing running into the next test: no faults, no pending deliveries.
    served.config.faults = []


@pytest.fixture
def sandbox_url(sandbox, _served_sandbox):
    return _served_sandbox[1]


def make_client(base_url: str, **options) -> stripe.StripeClient:
    return stripe.StripeClient(
        options.pop("api_key", SECRET_KEY),
        base_addresses={"api": base_url, "files": base_url, "connect": base_url},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
        max_network_retries=options.pop("max_network_retries", 0),
        **options,
    )


@pytest.fixture
def stripe_client(sandbox_url):
    return make_client(sandbox_url)


def call_helper(client: stripe.StripeClient, method: str, path: str, **params) -> dict:
    """Reach a route the SDK has no method for (test helpers); returns the decoded JSON."""
    return json.loads(client.raw_request(method, path, **params).body)
