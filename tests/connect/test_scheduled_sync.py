"""In sandbox mode (one process, no worker) `portal serve` reconciles on a schedule itself."""

import time

import pytest

from portal.connect import mirror
from tests.conftest import eventually
from tests.onboarding.flows import onboard_individual


@pytest.fixture
def served_portal_settings():
    return {"sandbox_sync_interval": 0.5}


def test_serve_repairs_drift_on_its_own_schedule(served_portal, browser_client, inbox):
    app, _ = served_portal
    onboard_individual(browser_client, inbox)
    assert eventually(lambda: mirror.account_for_seller(app.state.db, 1).snapshot.get("payouts_enabled"))
    stored = mirror.account_for_seller(app.state.db, 1)
    mirror.record_account(app.state.db, 1, {**stored.snapshot, "payouts_enabled": False}, as_of=time.time(), read=True)
    assert eventually(lambda: mirror.account_for_seller(app.state.db, 1).snapshot.get("payouts_enabled")), "the scheduled pass never repaired the mirror"
