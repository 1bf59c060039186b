"""In sandbox mode the portal registers its own webhook endpoints with the sandbox it mounts,
as a platform does once in Stripe's Dashboard: one for connected accounts' events, one for the
platform's. Their secrets live only in memory; each start registers afresh."""

import asyncio
import logging

from portal.integrations.stripe import StripeFailure, StripeGateway

log = logging.getLogger(__name__)


async def register(gateway: StripeGateway, url: str, secrets: list[str], attempts: int = 100) -> None:
    """Runs in the background at start: the sandbox answers on our own port once serving begins."""
    for _ in range(attempts):
        try:
            for endpoint in await gateway.list_webhook_endpoints():
                if endpoint["url"] == url:
                    await gateway.delete_webhook_endpoint(endpoint["id"])
            for connect in (True, False):
                created = await gateway.create_webhook_endpoint(url, connect=connect)
                secrets.append(created["secret"])
            log.info("webhook endpoints registered with the sandbox for %s", url)
            return
        except StripeFailure as failure:
            if not failure.temporary:
                log.error("could not register webhook endpoints: %s", failure)
                return
        await asyncio.sleep(0.1)
    log.error("the sandbox did not answer; webhooks are not registered")
