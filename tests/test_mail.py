"""Mail goes out over real SMTP; a server that is down leaves the message queued for a retry."""

import asyncio

from aiosmtpd.controller import Controller

from portal.db import Database
from portal.integrations.mail import OutboxMessage, deliver_pending, queue_mail
from portal.settings import Settings
from tests.conftest import Inbox, free_port


def test_undeliverable_mail_stays_queued_and_goes_out_when_the_server_is_back(tmp_path):
    port = free_port()
    settings = Settings(PORTAL_VAR_DIR=tmp_path, smtp_host="127.0.0.1", smtp_port=port)
    db = Database(settings.database_url)
    db.migrate()
    with db.transaction() as session:
        queue_mail(session, to="seller@example.com", subject="Hello", text="Body with a link https://x.example/a")

    assert asyncio.run(deliver_pending(db, settings)) == 0  # nobody listening on the port
    with db.transaction() as session:
        message = session.get(OutboxMessage, 1)
    assert message.sent_at is None and message.attempts == 1 and message.last_error

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert asyncio.run(deliver_pending(db, settings)) == 1
        received = inbox.wait_for("seller@example.com")[0]
        assert received["Subject"] == "Hello" and "https://x.example/a" in received.get_content()
        assert asyncio.run(deliver_pending(db, settings)) == 0  # sent once, not again
    finally:
        controller.stop()
    with db.transaction() as session:
        message = session.get(OutboxMessage, 1)
    assert message.sent_at is not None and message.attempts == 2
    # Sandbox mode keeps the body for the developer outbox.
    assert message.text_body


def test_a_wake_from_another_thread_delivers_at_once(tmp_path, inbox):
    """Mail queued by code running on another event loop (another thread) goes out without waiting
    for the minute's retry: the delivery loop is woken on its own loop."""
    import threading
    import time

    from portal.integrations.mail import Mailer

    settings = Settings(PORTAL_VAR_DIR=tmp_path, smtp_host="127.0.0.1", smtp_port=inbox.port)
    db = Database(settings.database_url)
    db.migrate()
    mailer = Mailer(db, settings, retry_interval=3600)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    finished = asyncio.Event()

    async def serve():
        mailer.start()
        started.set()
        await finished.wait()
        await mailer.stop()

    runner = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    runner.start()
    started.wait(5)
    time.sleep(0.2)  # the delivery task is waiting on its event
    with db.transaction() as session:
        queue_mail(session, to="seller@example.com", subject="Woken", text="Body")

    async def wake_here():  # from this thread's own loop, as a second TestClient's request would
        mailer.wake()
    asyncio.run(wake_here())

    try:
        assert inbox.wait_for("seller@example.com", subject="Woken")
    finally:
        loop.call_soon_threadsafe(finished.set)
        runner.join(5)
        loop.close()


def test_stopping_right_after_a_wake_ends_the_delivery_task(tmp_path):
    """A shutdown that lands as the delivery task wakes must still end it (Python 3.11's wait_for
    swallowed that cancel, and app shutdown waited forever)."""
    from portal.integrations.mail import Mailer

    settings = Settings(PORTAL_VAR_DIR=tmp_path, smtp_host="127.0.0.1", smtp_port=free_port())
    db = Database(settings.database_url)
    db.migrate()

    async def wake_then_stop() -> None:
        mailer = Mailer(db, settings, retry_interval=3600)
        mailer.start()
        await asyncio.sleep(0.05)  # waiting on its event
        mailer.wake()
        await asyncio.sleep(0)  # the event's waiter is done; the task has not run on yet
        async with asyncio.timeout(5):
            await mailer.stop()

    for _ in range(20):
        asyncio.run(wake_then_stop())
