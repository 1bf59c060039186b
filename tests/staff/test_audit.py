"""The audit trail keeps who, what, which seller, why and from where, never a secret."""

from portal import audit
from portal.accounts.models import Seller


def _seller(db, email="shop@example.com") -> int:
    with db.transaction() as session:
        seller = Seller(email=email, password_hash="x")
        session.add(seller)
        session.flush()
        return seller.id


def test_a_recorded_event_is_on_the_sellers_trail_newest_first(db):
    seller_id, other_id = _seller(db), _seller(db, "other@example.com")
    staff = audit.Actor.staff(7, "risk@platform.test")
    audit.record(db, actor=staff, action="risk.pause_payouts", seller_id=seller_id, reason="chargebacks", ip="198.51.100.4")
    audit.record(db, actor=audit.Actor.system(), action="security.cooling_off_lifted", seller_id=seller_id)
    audit.record(db, actor=staff, action="risk.pause_payouts", seller_id=other_id, reason="someone else")

    trail = audit.for_seller(db, seller_id)

    assert [event.action for event in trail] == ["security.cooling_off_lifted", "risk.pause_payouts"]
    paused = trail[1]
    assert (paused.actor_kind, paused.actor_id, paused.actor_email) == ("staff", 7, "risk@platform.test")
    assert (paused.reason, paused.ip) == ("chargebacks", "198.51.100.4")
    assert paused.at is not None
    assert trail[0].actor_kind == "system"


def test_details_never_keep_secrets_even_nested(db):
    seller_id = _seller(db)
    audit.record(db, actor=audit.Actor.seller(seller_id, "shop@example.com"), action="seller.bank_changed", seller_id=seller_id,
                 details={"last4": "6789", "account_number": "000123456789", "nested": {"client_secret": "cs_x", "ok": 1},
                          "reset_token": "abc", "password": "hunter2"})

    details = audit.for_seller(db, seller_id)[0].details

    assert details == {"last4": "6789", "nested": {"ok": 1}}
