"""A balance an event moved is read again from Stripe; while that read is under way or has failed,
the staff pages say the figure may be out of date instead of showing it as current."""

import time

from sqlmodel import select

from portal.connect import mirror
from portal.connect.models import AccountBalance
from portal.staff.models import StaffRole
from tests.sandbox.conftest import call_helper
from tests.connect.sellers import deliver, mirrored_seller
from tests.sandbox.money import on, pay
from tests.staff.conftest import dev_sign_in
from tests.webhooks.test_endpoint import SECRET, _event

FAULTS = "/v1/test_helpers/sandbox/faults"


def _balance(db, account_id: str) -> AccountBalance:
    with db.transaction() as session:
        return session.exec(select(AccountBalance).where(AccountBalance.stripe_account_id == account_id)).one()


def test_a_failed_read_after_a_dispute_is_shown_then_cleared_by_the_next_read(sandboxed_client, sdk):
    client, db = sandboxed_client, sandboxed_client.app.state.db
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    seller_id, seller = mirrored_seller(db, sdk)
    mirror.record_balance(db, seller.id, {"available": [{"amount": 2_000, "currency": "usd"}], "pending": []},
                          as_of=time.time() - 60)
    pi = pay(sdk, 4_000, "pm_card_createDispute", account=seller.id)
    dispute = sdk.v1.disputes.list(params={"payment_intent": pi.id}, options=on(seller.id)).data[0].to_dict()
    dev_sign_in(client, "risk@platform.example", StaffRole.risk)

    call_helper(sdk, "post", FAULTS, faults=[{"match": "GET /v1/balance", "kind": "500"}])
    moment = int(time.time())
    deliver(client, _event("evt_dp1", "charge.dispute.created", dispute, account=seller.id, created=moment))
    stored = _balance(db, seller.id)
    assert stored.stale_since is not None and stored.refresh_failed
    assert stored.available == [{"amount": 2_000, "currency": "usd"}]  # the last figure read, kept but flagged
    page = client.get(f"/staff/sellers/{seller_id}").text
    assert 'data-balance="refresh-failed"' in page and "could not be reached" in page
    listing = client.get("/staff/negative-balances").text
    assert 'id="balances-not-read"' in listing and "No seller has a negative balance" in listing

    call_helper(sdk, "post", FAULTS, faults=[])
    deliver(client, _event("evt_dp2", "charge.dispute.funds_withdrawn", dispute, account=seller.id, created=moment))
    truth = sdk.v1.balance.retrieve(options=on(seller.id)).available[0].amount
    stored = _balance(db, seller.id)
    assert (stored.stale_since, stored.refresh_failed) == (None, False)
    assert stored.available == [{"amount": truth, "currency": "usd"}] and truth < 0
    page = client.get(f"/staff/sellers/{seller_id}").text
    assert "data-balance=" not in page and "Balance as of" in page
    listing = client.get("/staff/negative-balances").text
    assert 'id="balances-not-read"' not in listing and f'data-account="{seller.id}"' in listing
