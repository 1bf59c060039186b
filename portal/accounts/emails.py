"""The mail a seller's account sends: composed from templates/mail/, queued in the outbox."""

from starlette.requests import Request

from portal.i18n import lazy_gettext as _l
from portal.accounts import service
from portal.accounts.models import Seller
from portal.web import absolute_url
from portal.web import send_mail as _send


async def send_confirmation(request: Request, seller: Seller) -> None:
    token = service.confirmation_token(request.app.state.secret, seller)
    hours = request.app.state.settings.confirm_link_max_age // 3600
    await _send(
        request, seller.email, _l("Confirm your email address"), "mail/confirm.txt", locale=seller.locale,
        link=absolute_url(request, "accounts:confirm", token=token), hours=hours,
    )


async def send_already_registered(request: Request, seller: Seller) -> None:
    await _send(
        request, seller.email, _l("You already have an account"), "mail/already_registered.txt", locale=seller.locale,
        login=absolute_url(request, "accounts:login"), forgot=absolute_url(request, "accounts:forgot"),
    )


async def send_password_reset(request: Request, seller: Seller) -> None:
    token = service.reset_token(request.app.state.secret, seller)
    minutes = request.app.state.settings.reset_link_max_age // 60
    await _send(
        request, seller.email, _l("Reset your password"), "mail/reset.txt", locale=seller.locale,
        link=absolute_url(request, "accounts:reset", token=token), minutes=minutes,
    )
