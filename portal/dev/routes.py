"""Developer-only pages, mounted in sandbox mode only: the mail outbox."""

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from portal.integrations import mail
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
