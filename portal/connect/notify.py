"""Tell a seller, once, when Stripe starts asking for something new or finds a problem."""

from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from portal.i18n import lazy_gettext as _l, using_locale
from portal.accounts.models import Seller
from portal.connect import negative_balances, requirements
from portal.connect.models import ConnectedAccount
from portal.db import Database
from portal.integrations.mail import queue_mail
from portal.web import queue_templated_mail, templated_mail


def _news(db: Database, seller_id: int, mail) -> tuple[Seller | None, list[requirements.Requirement]]:
    """What is new since the last mail, and remember that it has been told. The words are written
    here, in the seller's language, like the mail: one transaction reads the seller with the mirror.
    `mail(session, seller, news)` queues the mail in that same transaction, so the seller is either
    told and it is remembered, or neither (a process that died between two transactions had left
    the news remembered as told and the mail never queued)."""
    with db.transaction() as session:
        mirror = session.exec(select(ConnectedAccount).where(ConnectedAccount.seller_id == seller_id)).first()
        seller = session.get(Seller, seller_id)
        if mirror is None or seller is None:
            return None, []
        current = requirements.notice_items(mirror.snapshot)
        new = current - set(mirror.notified)
        if sorted(current) != mirror.notified:
            mirror.notified = sorted(current)
            session.add(mirror)
        # During onboarding everything is due; the seller is mailed only once they have submitted.
        if not new or not mirror.snapshot.get("details_submitted"):
            return seller, []
        keys = {item.split(":")[1] for item in new}
        with using_locale(seller.locale):
            actions = requirements.actions_required(mirror.snapshot, mirror.capabilities)
        news = [action for action in actions if keys & set(action.keys)]
        if news:
            mail(session, seller, news)
    return seller, news


async def tell_seller_about_new_requirements(state, seller_id: int, status_url: str) -> bool:
    def mail(session, seller: Seller, news: list) -> None:
        subject, text = templated_mail(state, _l("Action needed on your seller account"), "mail/requirements.txt",
                                       locale=seller.locale, items=news, link=status_url)
        queue_mail(session, to=seller.email, subject=subject, text=text)

    _seller, news = await run_in_threadpool(_news, state.db, seller_id, mail)
    if news:
        state.mailer.wake()
    return bool(news)


async def tell_sellers_about_negative_balances(state, status_url: str, now=None) -> int:
    """Mail each seller whose balance has been negative for 30, 90 or 150 days, once per mark."""
    sent = 0
    for negative in await run_in_threadpool(negative_balances.negative_balances, state.db, now):
        days = await run_in_threadpool(negative_balances.claim_notices, state.db, negative)
        if not days:
            continue
        email, locale = await run_in_threadpool(_email_of, state.db, negative.seller_id)
        await queue_templated_mail(
            state, email, _l("Your balance is negative"), "mail/negative_balance.txt", locale=locale,
            negative=negative, reserve_date=negative_balances.reserve_date(negative), link=status_url,
        )
        sent += 1
    return sent


def _email_of(db: Database, seller_id: int) -> tuple[str, str | None]:
    """Where to write to the seller, and in which language."""
    with db.transaction() as session:
        seller = session.get(Seller, seller_id)
        return (seller.email, seller.locale) if seller else ("", None)
