"""Negative balances over time: the staff list, the 30/90/150-day mails once each, and repayment
arrangements on the record."""

import asyncio
from datetime import timedelta

import time_machine
from sqlmodel import select

from portal.accounts import service
from portal.audit import AuditEvent
from portal.connect import mirror, negative_balances
from portal.connect.models import AccountBalance
from portal.connect.notify import tell_sellers_about_negative_balances
from portal.db import utcnow
from portal.staff.models import StaffRole
from tests.conftest import post_form
from tests.staff.conftest import dev_sign_in

PASSWORD = "violet tractor salad 42"


def _seller_below_zero(db, email: str, account_id: str, amount: int, days_ago: int) -> int:
    seller = service.sign_up(db, email, PASSWORD)
    mirror.record_account(db, seller.id, {"id": account_id, "object": "account"}, as_of=1)
    mirror.record_balance(db, account_id, {"available": [{"amount": amount, "currency": "usd"}], "pending": []}, as_of=1)
    with db.transaction() as session:
        balance = session.get(AccountBalance, account_id)
        balance.negative_since = utcnow() - timedelta(days=days_ago)
        session.add(balance)
    return seller.id


def test_notice_days_are_due_once_each():
    assert negative_balances.notices_due(10, set()) == []
    assert negative_balances.notices_due(31, set()) == [30]
    assert negative_balances.notices_due(95, {30}) == [90]
    assert negative_balances.notices_due(200, {30, 90}) == [150]
    assert negative_balances.notices_due(200, {30, 90, 150}) == []


def test_the_list_is_longest_first_with_days_left(db):
    _seller_below_zero(db, "new@example.com", "acct_new", -500, 3)
    _seller_below_zero(db, "old@example.com", "acct_old", -12000, 100)
    back = service.sign_up(db, "back@example.com", PASSWORD)
    mirror.record_account(db, back.id, {"id": "acct_back", "object": "account"}, as_of=1)
    mirror.record_balance(db, "acct_back", {"available": [{"amount": -100, "currency": "usd"}], "pending": []}, as_of=1)
    # Back above zero later (clearly later: a different state within AMBIGUITY_SECONDS waits for a read).
    mirror.record_balance(db, "acct_back", {"available": [{"amount": 300, "currency": "usd"}], "pending": []}, as_of=10)
    rows = negative_balances.negative_balances(db)
    assert [(r.stripe_account_id, r.amount, r.days, r.days_left) for r in rows] == [
        ("acct_old", -12000, 100, 80), ("acct_new", -500, 3, 177)]


def test_sellers_are_mailed_at_30_90_and_150_days_once_each(client, inbox):
    db = client.app.state.db
    _seller_below_zero(db, "owes@example.com", "acct_owes", -2500, 31)
    state = client.app.state

    assert asyncio.run(tell_sellers_about_negative_balances(state, "http://portal.example/status/")) == 1
    mail = inbox.wait_for("owes@example.com", subject="Your balance is negative")[0]
    assert "-$25.00" in mail.get_content() and "31 days" in mail.get_content()
    assert asyncio.run(tell_sellers_about_negative_balances(state, "http://portal.example/status/")) == 0
    with time_machine.travel(utcnow() + timedelta(days=60)):
        assert asyncio.run(tell_sellers_about_negative_balances(state, "http://portal.example/status/")) == 1
        assert asyncio.run(tell_sellers_about_negative_balances(state, "http://portal.example/status/")) == 0
    assert len(inbox.wait_for("owes@example.com", 2, subject="Your balance is negative")) == 2


def test_risk_staff_see_the_list_and_record_an_arrangement(client):
    seller_id = _seller_below_zero(client.app.state.db, "owes@example.com", "acct_owes", -2500, 40)
    dev_sign_in(client, "support@platform.example", StaffRole.support)
    assert client.get("/staff/negative-balances", follow_redirects=False).status_code == 403
    dev_sign_in(client, "risk@platform.example", StaffRole.risk)
    page = client.get("/staff/negative-balances")
    assert page.status_code == 200 and "acct_owes" in page.text and "-$25.00" in page.text and ">140<" in page.text
    empty = post_form(client, f"/staff/sellers/{seller_id}/repayment-arrangement", {"terms": ""}, page="/staff/negative-balances")
    assert empty.status_code == 400 and "Say what was agreed" in empty.text
    post_form(client, f"/staff/sellers/{seller_id}/repayment-arrangement", {"terms": "$50 a week from Dec 1"},
              page="/staff/negative-balances")
    with client.app.state.db.transaction() as session:
        recorded = session.exec(select(AuditEvent).where(AuditEvent.action == "staff.repayment_arrangement")).one()
    assert recorded.seller_id == seller_id and recorded.reason == "$50 a week from Dec 1"
    assert recorded.actor_email == "risk@platform.example"
