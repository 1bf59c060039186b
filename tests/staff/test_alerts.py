"""Staff alerts: a line crossed opens one alert and one round of mail, however many times or processes
evaluate it, clears when the figure comes back under and opens again on the next crossing; lines
and acknowledgements are set by risk staff, with a reason, on the audit trail."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from portal import audit
from portal.accounts import service
from portal.connect import mirror
from portal.connect.models import AccountBalance, ChargeRecord, DisputeRecord
from portal.integrations.mail import OutboxMessage
from portal.staff import alerts
from portal.staff.alerts_pages import read_line
from portal.staff.models import AlertThreshold, StaffAlert, StaffRole
from portal.staff.service import all_members, create_staff
from tests.conftest import post_form
from tests.connect.sellers import deliver, mirrored_seller
from tests.sandbox.money import on, pay
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser
from tests.webhooks.test_endpoint import SECRET, _event

DAY = 86400
ADMIN = audit.Actor.staff(None, "ada@platform.test")


def _seller_with_disputes(db, account: str, charges: int, disputes: int) -> int:
    seller = service.sign_up(db, f"{account}@example.com", "violet tractor salad 42")
    mirror.record_account(db, seller.id, {"id": account, "object": "account", "country": "US"}, as_of=100)
    _charge(db, account, charges, disputes)
    return seller.id


def _charge(db, account: str, charges: int, disputes: int, start: int = 0) -> None:
    now = int(time.time())
    with db.transaction() as session:
        for n in range(start, start + charges):
            session.add(ChargeRecord(id=f"ch_{account}_{n}", stripe_account_id=account, amount=1000, currency="usd",
                                     created=now - DAY))
        for n in range(start, start + disputes):
            session.add(DisputeRecord(id=f"dp_{account}_{n}", stripe_account_id=account, charge=f"ch_{account}_{n}",
                                      amount=1000, currency="usd", status="needs_response", created=now - DAY))


def _mails(db) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _alerts(db) -> list[StaffAlert]:
    with db.read() as session:
        return list(session.exec(select(StaffAlert).order_by(StaffAlert.id)).all())


def test_a_crossing_is_one_alert_and_one_mail_until_the_figure_goes_back_under(db):
    watcher, _ = create_staff(db, "ria@platform.test", StaffRole.risk)
    create_staff(db, "quiet@platform.test", StaffRole.risk)
    _seller_with_disputes(db, "acct_hot", 100, 2)  # 2%
    _seller_with_disputes(db, "acct_cool", 100, 1)  # 1%
    alerts.save_thresholds(db, {"dispute_rate": (1.5, [watcher.id])}, actor=ADMIN, reason="watch disputes", ip="")

    first = alerts.evaluate(db, console_url="https://portal.test")
    assert len(first) == 1 and alerts.evaluate(db) == [] and alerts.evaluate(db) == []
    [alert] = _alerts(db)
    assert (alert.metric, alert.subject, alert.value, alert.threshold) == ("dispute_rate", "acct_hot", 2.0, 1.5)
    assert alert.open_key == "dispute_rate:acct_hot" and alert.mailed_to == ["ria@platform.test"]
    [mail] = _mails(db)  # only the chosen member, once
    assert mail.to_address == "ria@platform.test" and "acct_hot" in mail.text_body and "is 2%," in mail.text_body
    assert f"https://portal.test/staff/alerts#alert-{alert.id}" in mail.text_body

    _charge(db, "acct_hot", 100, 0, start=100)  # 2 of 200: 1%, back under the line
    assert alerts.evaluate(db) == []
    [alert] = _alerts(db)
    assert alert.open_key is None and alert.cleared_at is not None
    assert len(_mails(db)) == 1

    _charge(db, "acct_hot", 0, 2, start=200)  # 4 of 200: 2% again, a new crossing
    again = alerts.evaluate(db)
    assert len(again) == 1 and len(_alerts(db)) == 2 and len(_mails(db)) == 2
    assert alerts.evaluate(db) == [] and len(_mails(db)) == 2


def test_turning_a_line_off_clears_its_alert_and_platform_figures_alert_too(db):
    create_staff(db, "ria@platform.test", StaffRole.risk)
    seller = service.sign_up(db, "late@example.com", "violet tractor salad 42")
    submitted = int(time.time()) - 10 * DAY
    mirror.record_account(db, seller.id, {"id": "acct_wait", "country": "GB", "tos_acceptance": {"date": submitted},
                                          "requirements": {"pending_verification": ["individual.verification.document"]}},
                          as_of=100)
    with db.transaction() as session:
        session.add(AccountBalance(stripe_account_id="acct_wait", available=[{"amount": -500, "currency": "gbp"}],
                                   negative_since=datetime.now(UTC) - timedelta(days=40)))
    alerts.save_thresholds(db, {"backlog_count": (0, []), "backlog_days": (7, []), "negative_balance_days": (30, [])},
                           actor=ADMIN, reason="watch the backlog", ip="")
    alerts.evaluate(db)
    opened = {(alert.metric, alert.subject, alert.value) for alert in _alerts(db)}
    assert opened == {("backlog_count", "", 1), ("backlog_days", "", 10.0), ("negative_balance_days", "acct_wait", 40)}
    assert _mails(db) == []  # no one chosen: the console entry alone

    alerts.save_thresholds(db, {"backlog_count": (None, []), "backlog_days": (7, []), "negative_balance_days": (60, [])},
                           actor=ADMIN, reason="quieter", ip="")
    alerts.evaluate(db)
    assert {alert.metric for alert in _alerts(db) if alert.open_key} == {"backlog_days"}


def test_processes_evaluating_at_once_open_one_alert(db):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("one writer at a time on SQLite: the race is PostgreSQL's")
    watcher, _ = create_staff(db, "ria@platform.test", StaffRole.risk)
    _seller_with_disputes(db, "acct_race", 100, 5)
    alerts.save_thresholds(db, {"dispute_rate": (1, [watcher.id])}, actor=ADMIN, reason="race", ip="")
    start, opened = threading.Barrier(4), []

    def evaluate():
        start.wait()
        opened.extend(alerts.evaluate(db))

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1 and len(_alerts(db)) == 1 and len(_mails(db)) == 1


def test_a_line_is_read_as_a_number_in_range():
    rate, days = alerts.METRICS["dispute_rate"], alerts.METRICS["backlog_days"]
    assert read_line("", rate) == (None, None) and read_line("0.75", rate) == (0.75, None)
    assert read_line("0,9 %", rate) == (0.9, None)
    for bad in ("abc", "-1", "101", "nan", "inf", "1e400"):
        assert read_line(bad, rate)[1], bad
    assert read_line("2.5", days)[1] == "Enter a whole number of days."


def test_risk_staff_set_lines_get_the_alert_and_the_mail_and_acknowledge_it(sandboxed_client, risk, support, inbox):
    db = sandboxed_client.app.state.db
    seller_id = _seller_with_disputes(db, "acct_hot", 100, 3)
    rita = next(member for member in all_members(db) if member.email == "rita@platform.test")

    refused = post_form(risk, "/staff/alerts/settings", {"above_dispute_rate": "lots", "recipients_dispute_rate": str(rita.id)},
                        page="/staff/alerts")
    assert refused.status_code == 400
    assert "Enter a number from 0 to 100" in refused.text and "Give a reason" in refused.text
    assert 'value="lots"' in refused.text  # what was typed is kept
    assert _alerts(db) == []

    saved = post_form(risk, "/staff/alerts/settings", {"above_dispute_rate": "2", "recipients_dispute_rate": str(rita.id),
                                                       "reason": "Sellers above 2% need a look this week"},
                      page="/staff/alerts", follow_redirects=True)
    assert saved.status_code == 200 and "1 new alert." in saved.text
    assert 'id="open-alerts"' in saved.text and "acct_hot" in saved.text and "above the line of 2%" in saved.text
    [mail] = inbox.wait_for("rita@platform.test")
    assert mail["Subject"] == "Alert: a seller's dispute rate over 30 days is above 2%"
    [event] = [event for event in audit.by_actor(db, audit.STAFF, rita.id) if event.action == "alerts.thresholds"]
    assert event.reason == "Sellers above 2% need a look this week"
    assert event.details["changes"]["dispute_rate"]["after"] == {"above": 2.0, "recipients": [rita.id]}

    [alert] = _alerts(db)
    assert post_form(risk, f"/staff/alerts/{alert.id}/acknowledge", {"reason": ""}, page="/staff/alerts").status_code == 400
    done = post_form(risk, f"/staff/alerts/{alert.id}/acknowledge", {"reason": "Called the seller; refunds under way"},
                     page="/staff/alerts", follow_redirects=True)
    assert "Acknowledged by rita@platform.test" in done.text and "refunds under way" in done.text
    trail = [(event.action, event.reason) for event in audit.for_seller(db, seller_id)]
    assert ("alerts.acknowledge", "Called the seller; refunds under way") in trail
    assert post_form(risk, "/staff/alerts/999999/acknowledge", {"reason": "x"}, page="/staff/alerts").status_code == 404
    # Acknowledged is not cleared: the line stays crossed, no second mail.
    assert alerts.evaluate(db) == [] and len(inbox.wait_for("rita@platform.test")) == 1

    assert support.get("/staff/alerts").status_code == 403
    assert post_form(support, "/staff/alerts/settings", {"above_dispute_rate": "0", "reason": "x"},
                     page="/staff/").status_code == 403
    with db.read() as session:
        assert session.get(AlertThreshold, "dispute_rate").above == 2.0


def test_a_recipient_must_be_a_staff_member(sandboxed_client, risk):
    answer = post_form(risk, "/staff/alerts/settings", {"above_backlog_count": "5", "recipients_backlog_count": "424242",
                                                        "reason": "backlog"}, page="/staff/alerts")
    assert answer.status_code == 400 and "Choose staff members from the list." in answer.text


def test_admins_set_lines_too(sandboxed_client):
    admin = staff_browser(sandboxed_client)
    dev_sign_in(admin, "ada@platform.test", StaffRole.admin)
    answer = post_form(admin, "/staff/alerts/settings", {"above_backlog_days": "14", "reason": "two weeks is too long"},
                       page="/staff/alerts", follow_redirects=True)
    assert answer.status_code == 200 and 'value="14"' in answer.text


def test_a_dispute_webhook_that_pushes_a_seller_over_the_line_alerts_at_once(sandboxed_client, sdk, inbox, monkeypatch):
    client, db = sandboxed_client, sandboxed_client.app.state.db
    client.app.state.sandbox_webhook_secrets.append(SECRET)
    monkeypatch.setattr(alerts, "evaluate", lambda *args, **kwargs: pytest.fail("no scheduled pass here"))
    watcher, _ = create_staff(db, "ria@platform.test", StaffRole.risk)
    _, seller = mirrored_seller(db, sdk)
    _charge(db, seller.id, 99, 1)  # 1 of 99 mirrored: about 1%
    pi = pay(sdk, 4_000, "pm_card_createDispute", account=seller.id)
    dispute = sdk.v1.disputes.list(params={"payment_intent": pi.id}, options=on(seller.id)).data[0].to_dict()
    charge = sdk.v1.charges.retrieve(dispute["charge"], options=on(seller.id)).to_dict()

    # No line set: the event is applied and nothing is read for alerts.
    with monkeypatch.context() as quiet:
        quiet.setattr(alerts, "readings", lambda *args, **kwargs: pytest.fail("no line, no reading"))
        deliver(client, _event("evt_ch", "charge.succeeded", charge, account=seller.id))
    alerts.save_thresholds(db, {"dispute_rate": (1.5, [watcher.id])}, actor=ADMIN, reason="watch disputes", ip="")
    assert _alerts(db) == []

    deliver(client, _event("evt_dp", "charge.dispute.created", dispute, account=seller.id))  # 2 of 100: 2%
    [alert] = _alerts(db)
    assert (alert.metric, alert.subject, alert.value, alert.open_key) == ("dispute_rate", seller.id, 2.0, f"dispute_rate:{seller.id}")
    [mail] = inbox.wait_for("ria@platform.test", subject="Alert: a seller's dispute rate over 30 days is above 1.5%")
    assert seller.id in mail.get_content() and f"/staff/alerts#alert-{alert.id}" in mail.get_content()

    # The same crossing again, by a later event on the same dispute: no second alert, no second mail.
    deliver(client, _event("evt_dp2", "charge.dispute.updated", {**dispute, "status": "under_review"}, account=seller.id,
                           created=int(time.time()) + 1))
    assert len(_alerts(db)) == 1 and len(_mails(db)) == 1
