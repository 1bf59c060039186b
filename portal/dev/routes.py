"""Development-only routes, mounted in sandbox mode only and never in production: the mail
outbox, and the staff sign-in that picks a staff member without a provider. Whatever only a
developer may reach belongs here, where create_app asks for it and production is refused."""

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from portal.integrations import mail
from portal.settings import Settings, SettingsError
from portal.staff import sign_in
from portal.web import render


async def outbox(request: Request):
    messages = await run_in_threadpool(mail.recent_messages, request.app.state.db)
    return render(request, "dev/outbox.html", {"messages": messages})


async def message(request: Request):
    found = await run_in_threadpool(mail.get_message, request.app.state.db, request.path_params["message_id"])
    if found is None:
        raise HTTPException(404)
    return render(request, "dev/message.html", {"message": found})


routes = [
    Route("/outbox", outbox, name="outbox"),
    Route("/outbox/{message_id:int}", message, name="message"),
]


def routes_for(settings: Settings) -> list[Route]:
    """The outbox, for the /dev mount."""
    _refuse_production(settings)
    return routes


def staff_routes_for(settings: Settings) -> list[Route]:
    """The pick-a-staff-member sign-in, for the /staff mount, when no provider is configured."""
    _refuse_production(settings)
    if not settings.staff_dev_sign_in:
        return []
    return [Route("/sign-in/development", sign_in.dev_sign_in, methods=["POST"], name="dev_sign_in")]


def _refuse_production(settings: Settings) -> None:
    if settings.production or not settings.sandbox_mode:
        raise SettingsError("development-only routes are served in sandbox mode only, never in production")
