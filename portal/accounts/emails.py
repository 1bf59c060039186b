"""The mail a seller's account sends: composed from templates/mail/, queued in the outbox."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from portal.accounts import service
from portal.accounts.models import Seller
from portal.integrations.mail import queue_mail
from portal.web import render_text


def absolute_url(request: Request, name: str, **params) -> str:
    """Links in mail use PUBLIC_URL when set, never a Host header an attacker could choose."""
    base = request.app.state.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return base + request.url_for(name, **params).path


async def _send(request: Request, to: str, subject: str, template: str, **context) -> None:
    settings = request.app.state.settings
    text = render_text(request.app.state.templates, template, platform=settings.platform_name, **context)

    def write() -> None:
        with request.app.state.db.transaction() as session:
            queue_mail(session, to=to, subject=subject, text=text)

    await run_in_threadpool(write)
    request.app.state.mailer.wake()


async def send_confirmation(request: Request, seller: Seller) -> None:
    token = service.confirmation_token(request.app.state.secret, seller)
    hours = request.app.state.settings.confirm_link_max_age // 3600
    await _send(
        request, seller.email, "Confirm your email address", "mail/confirm.txt",
        link=absolute_url(request, "accounts:confirm", token=token), hours=hours,
    )


async def send_already_registered(request: Request, seller: Seller) -> None:
    await _send(
        request, seller.email, "You already have an account", "mail/already_registered.txt",
        login=absolute_url(request, "accounts:login"), forgot=absolute_url(request, "accounts:forgot"),
    )


async def send_password_reset(request: Request, seller: Seller) -> None:
    token = service.reset_token(request.app.state.secret, seller)
    minutes = request.app.state.settings.reset_link_max_age // 60
    await _send(
        request, seller.email, "Reset your password", "mail/reset.txt",
        link=absolute_url(request, "accounts:reset", token=token), minutes=minutes,
    )
