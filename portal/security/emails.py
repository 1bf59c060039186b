"""The mail that account security sends: new sign-ins, email changes. Composed from templates/mail/."""

from starlette.requests import Request

from portal.i18n import gettext as _, lazy_gettext as _l
from portal.accounts.links import LinkPurpose, make_token
from portal.accounts.models import Seller
from portal.db import utcnow
from portal.web import absolute_url, send_mail

LOCK_LINK_MAX_AGE = 7 * 24 * 3600
EMAIL_CHANGE_LINK_MAX_AGE = 48 * 3600
EMAIL_REVERT_LINK_MAX_AGE = 7 * 24 * 3600


def describe_device(user_agent: str) -> str:
    """A few words a person recognises ("Chrome on Windows"), not the whole user-agent string."""
    browsers = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari")]
    systems = [("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
               ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")]
    browser = next((name for marker, name in browsers if marker in user_agent), "")
    system = next((name for marker, name in systems if marker in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("an unknown browser")


async def send_new_sign_in(request: Request, seller: Seller, ip: str, user_agent: str) -> None:
    token = make_token(request.app.state.secret, LinkPurpose.lock_account, seller.id, seller.password_hash)
    await send_mail(
        request, seller.email, _l("New sign-in to your seller account"), "mail/new_sign_in.txt", locale=seller.locale,
        when=utcnow(), ip=ip or _l("an unknown address"), device=describe_device(user_agent),
        lock_link=absolute_url(request, "security:lock", token=token), days=LOCK_LINK_MAX_AGE // 86400,
    )


async def send_email_change_link(request: Request, seller: Seller, change_id: int, new_email: str) -> None:
    token = make_token(request.app.state.secret, LinkPurpose.change_email, seller.id, f"{change_id}:{new_email}")
    await send_mail(
        request, new_email, _l("Confirm your new login email address"), "mail/email_change.txt",
        link=absolute_url(request, "security:email_confirm", token=token), hours=EMAIL_CHANGE_LINK_MAX_AGE // 3600,
        old_email=seller.email,
    )


async def send_email_changed_notice(request: Request, seller_id: int, change_id: int, old_email: str, new_email: str) -> None:
    token = make_token(request.app.state.secret, LinkPurpose.revert_email, seller_id, f"{change_id}:{old_email}")
    await send_mail(
        request, old_email, _l("Your login email address was changed"), "mail/email_changed.txt",
        new_email=new_email, link=absolute_url(request, "security:email_revert", token=token),
        days=EMAIL_REVERT_LINK_MAX_AGE // 86400,
    )


async def send_passkey_notice(request: Request, seller: Seller, name: str, *, added: bool) -> None:
    """A passkey added or removed: if it was not the seller, the lock link stops whoever it was."""
    token = make_token(request.app.state.secret, LinkPurpose.lock_account, seller.id, seller.password_hash)
    await send_mail(
        request, seller.email,
        _l("A passkey was added to your seller account") if added else _l("A passkey was removed from your seller account"),
        "mail/passkey.txt", locale=seller.locale, added=added, name=name, when=utcnow(),
        lock_link=absolute_url(request, "security:lock", token=token), days=LOCK_LINK_MAX_AGE // 86400,
    )
