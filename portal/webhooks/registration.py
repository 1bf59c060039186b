"""The two webhook endpoints a platform registers, and the events each needs (the README lists
them; a test keeps the list and this table equal). In sandbox mode the portal registers both with
the sandbox it mounts, as a platform does once in Stripe's Dashboard. Their secrets live only in
memory; each start registers afresh."""

import asyncio
import logging

from portal.integrations.stripe import StripeFailure, StripeGateway
from portal.webhooks.handlers import HANDLERS

log = logging.getLogger(__name__)

# The Connect endpoint receives connected accounts' events: every type we handle.
CONNECT_EVENTS = sorted(kind for kind in HANDLERS if not kind.startswith("v2."))
# The platform endpoint receives the platform's own. Destination charges are made on the platform,
# so their charges and disputes arrive here, and the charge names the seller it pays.
PLATFORM_EVENTS = sorted(kind for kind in HANDLERS if kind.startswith("charge."))


# Accounts v2's thin events, to an event destination of its own (its own secret): the account and
# its people changed; the portal fetches them and keeps what Stripe holds now.
THIN_EVENTS = sorted(kind for kind in HANDLERS if kind.startswith("v2."))


async def register(gateway: StripeGateway, url: str, secrets: list[str], attempts: int = 100, *,
                   thin_url: str | None = None, thin_secrets: list[str] | None = None) -> None:
    """Runs in the background at start: the sandbox answers on our own port once serving begins."""
    for _ in range(attempts):
        try:
            for endpoint in await gateway.list_webhook_endpoints():
                if endpoint["url"] == url:
                    await gateway.delete_webhook_endpoint(endpoint["id"])
            for connect, events in ((True, CONNECT_EVENTS), (False, PLATFORM_EVENTS)):
                created = await gateway.create_webhook_endpoint(url, connect=connect, events=events)
                secrets.append(created["secret"])
            if thin_url and getattr(gateway, "accounts_api", "v1") == "v2":
                for destination in await gateway.list_event_destinations():
                    if destination["webhook_endpoint"]["url"] == thin_url:
                        await gateway.delete_event_destination(destination["id"])
                made = await gateway.create_event_destination(thin_url, events=THIN_EVENTS)
                thin_secrets.append(made["webhook_endpoint"]["signing_secret"])
            log.info("webhook endpoints registered with the sandbox for %s", url)
            return
        except StripeFailure as failure:
            if not failure.temporary:
                log.error("could not register webhook endpoints: %s", failure)
                return
        await asyncio.sleep(0.1)
    log.error("the sandbox did not answer; webhooks are not registered")
