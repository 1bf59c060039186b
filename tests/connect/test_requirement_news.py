"""A seller is told of what Stripe newly asks for once: the news is remembered as told in the same
transaction that queues its mail, so a failure between the two can neither lose the mail nor send it twice."""

import pytest
from sqlalchemy import text

from portal import i18n
from portal.connect import mirror
from portal.connect.notify import tell_seller_about_new_requirements
from tests.staff.helpers import onboarded_seller


def test_news_whose_mail_could_not_be_queued_is_not_remembered_as_told(sandboxed_client, inbox):
    seller = onboarded_seller(sandboxed_client, inbox)
    state = sandboxed_client.app.state
    held = mirror.account_for_seller(state.db, seller)
    snapshot = {**held.snapshot, "details_submitted": True,
                "requirements": {**held.snapshot["requirements"], "currently_due": ["individual.verification.document"]}}
    mirror.record_account(state.db, seller, snapshot, as_of=held.snapshot_at + 60)
    told_before = mirror.account_for_seller(state.db, seller).notified

    async def tell() -> bool:
        with i18n.using_locale("en"):
            return await tell_seller_about_new_requirements(state, seller, "https://portal/status/")

    with state.db.engine.begin() as connection:  # the outbox refuses every mail, as a full disk would
        connection.execute(text("CREATE TRIGGER refuse_mail BEFORE INSERT ON outbox_message "
                                "BEGIN SELECT RAISE(ABORT, 'no room'); END"))
    with pytest.raises(Exception, match="no room"):
        sandboxed_client.portal.call(tell)
    assert mirror.account_for_seller(state.db, seller).notified == told_before

    with state.db.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse_mail"))
    assert sandboxed_client.portal.call(tell)
    sandboxed_client.get("/healthz")
    assert len(inbox.wait_for("ann@annsbakery.com", subject="Action needed on your seller account")) == 1
    assert not sandboxed_client.portal.call(tell)  # told once
    told = set(mirror.account_for_seller(state.db, seller).notified) - set(told_before)
    assert {item.split(":")[1] for item in told} == {"individual.verification.document"}
