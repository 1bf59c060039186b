"""In sandbox mode (one process, no worker) `portal serve` reconciles on a schedule itself."""

import time

import pytest

from portal.connect import mirror
from tests.onboarding.flows import onboard_individual


@pytest.fixture
def served_portal_settings():
    return {"sandbox_sync_interval": 0.5}


def test_serve_repairs_drift_on_its_own_schedule(served_portal, browser_client, inbox):
    app, _ = served_portal
    onboard_individual(browser_client, inbox)
    deadline = time.monotonic() + 10
    while not mirror.account_for_seller(app.state.db, 1).snapshot.get("payouts_enabled"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stored = mirror.account_for_seller(app.state.db, 1)
    mirror.record_account(app.state.db, 1, {**stored.snapshot, "payouts_enabled": False}, as_of=time.time())
    deadline = time.monotonic() + 10
    while not mirror.account_for_seller(app.state.db, 1).snapshot.get("payouts_enabled"):
        assert time.monotonic() < deadline, "the scheduled pass never repaired the mirror"
        time.sleep(0.1)
