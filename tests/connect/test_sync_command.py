"""`portal sync` on a sandbox-mode deployment: it reaches the sandbox's own file, repairs drift
in the mirror and says what it repaired."""

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta

from portal.connect import mirror, payout_holds
from portal.connect.sync import reconcile
from portal.db import utcnow
from portal.onboarding.models import BusinessEmail
from tests.conftest import eventually
from tests.onboarding.flows import onboard_individual
from tests.webhooks.test_live import _quiet


def test_portal_sync_repairs_and_reports_drift(served_portal, browser_client, inbox, tmp_path):
    app, _ = served_portal
    onboard_individual(browser_client, inbox)
    assert eventually(lambda: mirror.account_for_seller(app.state.db, 1).snapshot.get("payouts_enabled"))
    _quiet(app)  # a re-read already under way for a late webhook would undo the drift below
    stored = mirror.account_for_seller(app.state.db, 1)
    mirror.record_account(app.state.db, 1, {**stored.snapshot, "charges_enabled": False}, as_of=time.time() + 3600)  # even a snapshot dated later

    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE_URL", "SANDBOX_"))}
    env.update(PORTAL_VAR_DIR=str(tmp_path), SECRET_KEY="served-portal-secret")
    result = subprocess.run([sys.executable, "-m", "portal", "sync"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"repaired {stored.stripe_account_id}: charges_enabled was False, is True" in result.stdout
    assert f"repaired {stored.stripe_account_id}: balance was 'missing', is [{{'amount': 0, 'currency': 'usd'}}]" in result.stdout
    assert "2 difference(s) repaired, 0 account(s) could not be read, 0 negative-balance notice(s) sent" in result.stdout
    assert mirror.account_for_seller(app.state.db, 1).snapshot["charges_enabled"] is True


def test_sync_gives_the_schedule_back_when_a_hold_has_run_out(served_portal, browser_client, inbox):
    app, _ = served_portal
    onboard_individual(browser_client, inbox)
    db = app.state.db
    assert _interval(app) == "manual"  # the business email is not confirmed yet
    with db.transaction() as session:
        record = session.get(BusinessEmail, 1)
        record.confirmed_at = utcnow()
        session.add(record)
    payout_holds.place_hold(db, 1, payout_holds.COOLING_OFF, note="bank changed", placed_by="test",
                            until=utcnow() + timedelta(seconds=1))
    time.sleep(1.2)
    asyncio.run(reconcile(db, app.state.stripe, secret=app.state.secret))
    assert _interval(app) == "daily"


def _interval(app) -> str:
    return mirror.account_for_seller(app.state.db, 1).snapshot["settings"]["payouts"]["schedule"]["interval"]
