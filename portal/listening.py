"""PostgreSQL's LISTEN, kept up for as long as a task runs: what a process hears of other processes'
commits (NOTIFY is sent when the transaction that asks for it commits, to every session listening).

Used for what a process keeps or waits for only to go faster (accounts/sessions_seen.py: sessions
kept by the gate; cli.py: a worker woken when web processes store events). A notification sent
while the connection was down is never delivered, so each user is told when listening starts and
stops, and must act as if anything could have been missed."""

import asyncio
import logging
from collections.abc import Callable

import psycopg

log = logging.getLogger(__name__)

CHECK_EVERY = 30.0  # a quiet listening connection is asked to answer this often: a dead one is found
RETRY_AFTER = (0.1, 0.5, 1.0, 5.0)  # seconds before listening again, by failures in a row


async def listen(url: str, channel: str, heard: Callable[[str], None], listening: Callable[[bool], None]) -> None:
    """Calls `heard(payload)` for each notification on `channel`, on this event loop, for as long as
    it runs (cancel it to stop), connecting again when the connection fails. `listening(True)` once
    each connection listens, `listening(False)` whenever none does (and when it stops)."""
    failures = 0
    try:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {channel}")
                    listening(True)
                    failures = 0
                    while True:
                        async for notify in connection.notifies(timeout=CHECK_EVERY):
                            heard(notify.payload)
                        await connection.execute("SELECT 1")
            except (psycopg.Error, OSError) as error:
                listening(False)
                wait = RETRY_AFTER[min(failures, len(RETRY_AFTER) - 1)]
                failures += 1
                log.warning("not listening on %s (%s); trying again in %.1f s", channel, error, wait)
                await asyncio.sleep(wait)
    finally:
        listening(False)
