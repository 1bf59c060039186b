"""Alerts staff set on the platform's figures: a line above which a seller's dispute rate, the age of
a negative balance, or the verification backlog alerts. Crossing a line opens one alert in the
console and mails the staff chosen for it, once per crossing; the alert clears, and the line
re-arms, when the figure comes back under it.

`evaluate` runs on every scheduled pass (`portal worker`, `portal sync`, the sandbox's own pass)
and right after staff change a line; `check_seller` runs the per-seller lines for one seller right
after the mirror applies an event that moved their disputes or balance (webhooks/handlers.py), so a
crossing is seen at once rather than at the next pass. Several processes may run them at once: an
open crossing is a row with a unique `open_key`, inserted with ON CONFLICT DO NOTHING, and only the
process whose insert landed queues the mail, in the same transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from portal import audit
from portal.db import Database, utcnow
from portal.integrations.mail import queue_mail
from portal.operations import counters
from portal.staff import overview, states
from portal.staff.models import AlertThreshold, StaffAlert, StaffMember

DISPUTE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Metric:
    name: str
    words: str  # what the line is drawn on
    unit: str
    largest: float  # the largest line that makes sense
    per_seller: bool

    def shown(self, value: float) -> str:
        return f"{value:g}%" if self.unit == "%" else f"{value:g} {self.unit}"


METRICS = {metric.name: metric for metric in (
    Metric("dispute_rate", f"A seller's dispute rate over {DISPUTE_WINDOW_DAYS} days", "%", 100, True),
    Metric("negative_balance_days", "How long a seller's balance has been negative", "days", 3650, True),
    Metric("backlog_count", "Submitted accounts waiting for verification", "accounts", 1_000_000, False),
    Metric("backlog_days", "How long the oldest submitted account has waited for verification", "days", 3650, False),
)}


@dataclass(frozen=True)
class Reading:
    subject: str  # the Stripe account, or "" for a platform figure
    seller_id: int | None
    value: float


def readings(db: Database, metric: str, now: datetime, account: str = "") -> list[Reading]:
    """The figure's present value(s), from the mirror; a per-seller figure for one account alone
    when `account` is given."""
    if metric == "dispute_rate":
        rows = overview.dispute_rates(db, until=now, days=DISPUTE_WINDOW_DAYS, account=account)
        return [Reading(row.stripe_account_id, row.seller_id, round(row.rate * 100, 4)) for row in rows]
    if metric == "negative_balance_days":
        return [Reading(row.stripe_account_id, row.seller_id, row.days) for row in overview.negative_ages(db, now=now, account=account)]
    backlog = states.verification_backlog(db, now)
    return [Reading("", None, backlog.count if metric == "backlog_count" else round(backlog.oldest_days, 1))]


def crossed(above: float, found: list[Reading]) -> list[Reading]:
    """The readings past the line (strictly above it). Pure."""
    return [reading for reading in found if reading.value > above]


def open_key(metric: str, subject: str) -> str:
    return f"{metric}:{subject}"


def thresholds(db: Database) -> dict[str, AlertThreshold]:
    with db.read() as session:
        return {row.metric: row for row in session.exec(select(AlertThreshold)).all()}


def _lines(db: Database, metrics) -> dict[str, AlertThreshold]:
    """The lines set (a value above which to alert) among `metrics`."""
    with db.read() as session:
        rows = session.exec(select(AlertThreshold).where(AlertThreshold.metric.in_(list(metrics)),
                                                         AlertThreshold.above.is_not(None))).all()
    return {row.metric: row for row in rows if row.metric in METRICS}


def save_thresholds(db: Database, chosen: dict[str, tuple[float | None, list[int]]], *, actor: audit.Actor, reason: str,
                    ip: str) -> dict:
    """Replace the lines and their recipients; audited with what changed. Returns the changes."""
    changes = {}
    with db.transaction() as session:
        for metric, (above, recipients) in chosen.items():
            row = session.get(AlertThreshold, metric) or AlertThreshold(metric=metric)
            before = {"above": row.above, "recipients": list(row.recipients or [])}
            after = {"above": above, "recipients": sorted(recipients)}
            if before != after:
                changes[metric] = {"before": before, "after": after}
            row.above, row.recipients, row.updated_by, row.updated_at = above, sorted(recipients), actor.email, utcnow()
            session.add(row)
    audit.record(db, actor=actor, action="alerts.thresholds", reason=reason, details={"changes": changes}, ip=ip)
    return changes


def _insert_ignoring_duplicates(session, values: dict) -> int | None:
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StaffAlert).values(**values)
    found = session.execute(statement.on_conflict_do_nothing().returning(StaffAlert.id)).first()
    return found[0] if found else None


def _mail(metric: Metric, reading: Reading, above: float, console_url: str) -> tuple[str, str]:
    who = f"Seller {reading.seller_id} ({reading.subject})" if reading.subject else "The platform"
    subject = f"Alert: {metric.words.lower()} is above {metric.shown(above)}"
    text = (f"{who}: {metric.words.lower()} is {metric.shown(reading.value)}, above the line of {metric.shown(above)} "
            f"set in the staff console.\n\nSee and acknowledge it: {console_url}\n\n"
            "You will not be mailed again about this until the figure has gone back under the line and crossed it again.\n")
    return subject, text


def evaluate(db: Database, *, now: datetime | None = None, console_url: str = "") -> list[int]:
    """Open an alert (and mail its recipients) for each new crossing; clear those back under (or
    whose line was turned off). The ids of the alerts opened now."""
    now = now or utcnow()
    lines = _lines(db, METRICS)
    found = {metric: crossed(row.above, readings(db, metric, now)) for metric, row in lines.items()}
    return _record(db, lines, found, now=now, console_url=console_url)


SELLER_METRICS = tuple(name for name, metric in METRICS.items() if metric.per_seller)


def check_seller(db: Database, account: str, metrics=SELLER_METRICS, *, now: datetime | None = None,
                 console_url: str = "") -> list[int]:
    """`evaluate` for one seller's account and the per-seller lines among `metrics`, right after an
    event moved its figures: opens (and mails) a new crossing, clears this seller's alert when back
    under. One small read of the lines and nothing more when none of them is set."""
    lines = _lines(db, [metric for metric in metrics if metric in SELLER_METRICS])
    if not lines:
        return []
    now = now or utcnow()
    found = {metric: crossed(row.above, readings(db, metric, now, account=account)) for metric, row in lines.items()}
    return _record(db, lines, found, now=now, console_url=console_url,
                   among={open_key(metric, account) for metric in lines})


def _record(db: Database, lines: dict[str, AlertThreshold], found: dict[str, list[Reading]], *, now: datetime,
            console_url: str, among: set[str] | None = None) -> list[int]:
    """Open the new crossings in `found`, mailing once; clear the open alerts (all, or those keyed
    in `among`) no longer over their line."""
    opened = []
    with db.transaction() as session:
        emails = {member.id: member.email for member in session.exec(select(StaffMember).where(StaffMember.active)).all()}
        for metric, over in found.items():
            line = lines[metric]
            recipients = [emails[member] for member in line.recipients if member in emails]
            for reading in over:
                alert_id = _insert_ignoring_duplicates(session, {
                    "metric": metric, "subject": reading.subject, "seller_id": reading.seller_id, "threshold": line.above,
                    "value": reading.value, "open_key": open_key(metric, reading.subject), "opened_at": now,
                    "mailed_to": recipients, "acknowledged_by": "", "acknowledgement": ""})
                if alert_id is None:
                    continue  # this crossing is already open (here or in another process): no second mail
                opened.append(alert_id)
                counters.STAFF_ALERTS_OPENED.labels(metric=metric).inc()
                subject, text = _mail(METRICS[metric], reading, line.above, f"{console_url}/staff/alerts#alert-{alert_id}")
                for email in recipients:
                    queue_mail(session, to=email, subject=subject, text=text)
        still_over = {open_key(metric, reading.subject) for metric, over in found.items() for reading in over}
        open_query = select(StaffAlert.open_key).where(StaffAlert.open_key.is_not(None))
        if among is not None:
            open_query = open_query.where(StaffAlert.open_key.in_(sorted(among)))
        back_under = [key for key in session.exec(open_query).all() if key not in still_over]
        if back_under:
            session.execute(update(StaffAlert).where(StaffAlert.open_key.in_(back_under))
                            .values(open_key=None, cleared_at=now))
    return opened


def alerts(db: Database, *, cleared_within: timedelta = timedelta(days=30)) -> tuple[list[StaffAlert], list[StaffAlert]]:
    """(the open ones, those cleared in the last `cleared_within`), the newest first."""
    with db.read() as session:
        open_ = session.exec(select(StaffAlert).where(StaffAlert.cleared_at.is_(None))
                             .order_by(StaffAlert.opened_at.desc(), StaffAlert.id.desc())).all()
        cleared = session.exec(select(StaffAlert).where(StaffAlert.cleared_at >= utcnow() - cleared_within)
                               .order_by(StaffAlert.cleared_at.desc(), StaffAlert.id.desc()).limit(200)).all()
    return list(open_), list(cleared)


def find(db: Database, alert_id: int) -> StaffAlert | None:
    with db.read() as session:
        return session.get(StaffAlert, alert_id)


def acknowledge(db: Database, alert_id: int, *, actor: audit.Actor, reason: str, ip: str) -> StaffAlert | None:
    """Mark the alert seen and why (once; None when it does not exist or was already acknowledged)."""
    with db.transaction() as session:
        done = session.execute(update(StaffAlert).where(StaffAlert.id == alert_id, StaffAlert.acknowledged_at.is_(None))
                               .values(acknowledged_at=utcnow(), acknowledged_by=actor.email, acknowledgement=reason))
        alert = session.get(StaffAlert, alert_id) if done.rowcount else None
    if alert is not None:
        audit.record(db, actor=actor, action="alerts.acknowledge", seller_id=alert.seller_id, reason=reason,
                     details={"alert": alert_id, "metric": alert.metric, "value": alert.value, "threshold": alert.threshold},
                     ip=ip)
    return alert
