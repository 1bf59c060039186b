"""The one module that sends mail. Messages are written to an outbox table in the same
transaction as the change that causes them, then delivered over SMTP; in sandbox mode the
outbox doubles as the developer's inbox (/dev/outbox)."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import func, or_, update
from sqlmodel import Field, Session, SQLModel, select
from starlette.concurrency import run_in_threadpool

from portal.db import Database, utcnow
from portal.operations import counters
from portal.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=5)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=255)
    text_body: str
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)


def queue_mail(session: Session, *, to: str, subject: str, text: str) -> OutboxMessage:
    message = OutboxMessage(to_address=to, subject=subject, text_body=text)
    session.add(message)
    return message


def _claim(db: Database, limit: int) -> list[OutboxMessage]:
    """Take unsent messages for this process; a claim older than CLAIM_TIMEOUT is taken over."""
    now = utcnow()
    claimed = []
    with db.transaction() as session:
        candidates = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
        for message in candidates:
            result = session.exec(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message.id,
                    OutboxMessage.sent_at.is_(None),
                    or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_TIMEOUT),
                )
                .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
            )
            if result.rowcount == 1:
                claimed.append(message)
    return claimed


def _record(db: Database, message_id: int, error: str | None, keep_body: bool) -> None:
    with db.transaction() as session:
        message = session.get(OutboxMessage, message_id)
        message.claimed_at = None
        if error is None:
            message.sent_at = utcnow()
            message.last_error = ""
            if not keep_body:
                # Bodies hold sign-in links; once delivered they have no business in our database.
                message.text_body = ""
        else:
            message.last_error = error[:500]
        session.add(message)


def _as_email(settings: Settings, message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.text_body)
    return email


async def deliver_pending(db: Database, settings: Settings, limit: int = 50) -> int:
    """Send what is waiting in the outbox. Returns how many messages went out."""
    if not settings.smtp_host:
        return 0
    sent = 0
    for message in await run_in_threadpool(_claim, db, limit):
        try:
            await aiosmtplib.send(
                _as_email(settings, message),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                start_tls=settings.smtp_starttls,
                timeout=15,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("mail %s to SMTP %s failed: %s", message.id, settings.smtp_host, type(exc).__name__)
            counters.MAIL_FAILED.inc()
            await run_in_threadpool(_record, db, message.id, str(exc), True)
            continue
        await run_in_threadpool(_record, db, message.id, None, settings.sandbox_mode)
        counters.MAIL_SENT.inc()
        sent += 1
    return sent


@dataclass(frozen=True)
class Backlog:
    waiting: int  # not sent yet, still to be tried
    given_up: int  # every attempt failed
    oldest_waiting: datetime | None  # when the oldest waiting message was written (UTC)


def outbox_backlog(db: Database) -> Backlog:
    unsent = OutboxMessage.sent_at.is_(None)
    with db.read() as session:
        waiting, oldest = session.exec(select(func.count(), func.min(OutboxMessage.created_at))
                                       .where(unsent, OutboxMessage.attempts < MAX_ATTEMPTS)).one()
        given_up = session.exec(select(func.count()).where(unsent, OutboxMessage.attempts >= MAX_ATTEMPTS)).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite gives back naive datetimes
        oldest = oldest.replace(tzinfo=UTC)
    return Backlog(waiting=waiting, given_up=given_up, oldest_waiting=oldest)


def recent_messages(db: Database, limit: int = 100) -> list[OutboxMessage]:
    with db.transaction() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).all())


def get_message(db: Database, message_id: int) -> OutboxMessage | None:
    with db.transaction() as session:
        return session.get(OutboxMessage, message_id)


class Mailer:
    """Delivers the outbox in the background: at once when woken, and every minute to retry."""

    def __init__(self, db: Database, settings: Settings, retry_interval: float = 60.0):
        self.db, self.settings, self.retry_interval = db, settings, retry_interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Deliver now. Safe from any thread or event loop: an asyncio.Event belongs to the loop
        the delivery task runs on, and setting it from another one would not wake that loop."""
        loop = self._loop
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is None or loop is here:
            self._wake.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 a cancel that lands as the event is set
            # is swallowed by wait_for, and shutdown would wait for this task forever.
            try:
                async with asyncio.timeout(self.retry_interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await deliver_pending(self.db, self.settings)
            except Exception:  # the loop must outlive a database hiccup; the next pass retries
                log.exception("mail delivery pass failed")

    def start(self) -> None:
        if self.settings.smtp_host and self._task is None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self._task, self._loop = self._task, None, None
        # Cancel until it ends: code the task awaits (a library's own wait_for on Python 3.11) can
        # swallow one cancel, and shutdown must not wait on a task that carried on. asyncio.wait
        # does not raise the task's cancellation, so a cancel of stop() itself still propagates.
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1)
