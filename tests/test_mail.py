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
