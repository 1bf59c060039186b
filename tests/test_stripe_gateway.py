"""The gateway's HTTP client across event loops: the server's loop, and another beside it (a test's
asyncio.run, a command's pass) share one StripeGateway."""

import asyncio
import threading

from portal.integrations.stripe import StripeGateway


def test_one_gateway_serves_several_event_loops_one_after_another_and_at_once(stripe_sandbox):
    gateway = StripeGateway("sk_test_sandbox", api_base=stripe_sandbox[1], max_network_retries=0)

    async def balances(count: int) -> list[str]:
        return [(await gateway._call(gateway.client.v1.balance.retrieve_async))["object"] for _ in range(count)]

    # The SDK's single client kept the first loop's connections: the second loop's call failed.
    assert asyncio.run(balances(2)) == ["balance"] * 2
    assert asyncio.run(balances(2)) == ["balance"] * 2

    results: list = []

    def on_its_own_loop() -> None:
        try:
            results.append(asyncio.run(asyncio.wait_for(balances(50), 30)))
        except BaseException as failure:  # noqa: BLE001 - reported by the assert below
            results.append(failure)

    threads = [threading.Thread(target=on_its_own_loop) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [["balance"] * 50] * 3
