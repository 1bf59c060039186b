"""Applies stored events behind the webhook endpoint's 200: a task in each web process, woken by
the events that process records and polling for the rest (events other processes left behind, a
claim whose holder died, failures whose backoff has passed). At start-up it applies whatever an
earlier run left unapplied."""

import asyncio
import logging
import time

from starlette.concurrency import run_in_threadpool

from portal.connect import mirror
from portal.db import Database
from portal.operations import counters
from portal.webhooks import handlers, queue
from portal.webhooks.handlers import HANDLERS, Context

log = logging.getLogger(__name__)

# Long enough for any application (the holder renews it meanwhile), short enough that events a
# killed process held are applied soon after.
LEASE_SECONDS = 10.0
POLL_SECONDS = 1.0
# After a claim that found some events but not a full batch, the next waits this long from it: a
# busy endpoint's events gather meanwhile, and coalesce() keeps only the newest state of each thing
# among them, so the applier does less work per event the busier it is. A quiet endpoint's event
# is applied at once (nothing was claimed just before it); a backlog (full batches) is not held up.
GATHER_SECONDS = 0.2
# Events claimed at a time. A backlog (a storm, a restart) is taken in large batches, in which
# coalesce() drops every state a newer one of the same thing supersedes; a quiet endpoint's
# batches are as small as what came in.
BATCH = 500
# Accounts applied side by side: enough to overlap the waits on the database, few enough to leave
# connections and threads for the requests.
LANES = 8
# account.updated events kept in one transaction at most (mirror.apply_account_events): one thread
# hop and one commit for many, while a transaction stays short enough not to hold up the endpoint's
# writes (SQLite has one writer) or other processes' appliers (PostgreSQL's row locks) for long.
TOGETHER = 50


async def apply_event(ctx: Context, event: dict) -> str:
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    return await handler(ctx, event)


# Events whose object is the whole current state of one thing: of several in a batch about the
# same thing, only the newest can matter (an older one would be ignored after it, or overwritten
# by it). Persons, charges and bank accounts (a deletion must stay one) are applied one by one.
SNAPSHOTS = {"account.updated": "account", "capability.updated": "capability", "balance.available": "balance",
             "payout.": "payout", "charge.dispute.": "dispute"}


def snapshot_of(event: dict) -> tuple | None:
    """Which thing the event is the whole state of: (kind, account, object id), or None."""
    for prefix, kind in SNAPSHOTS.items():
        if event["type"] == prefix or (prefix.endswith(".") and event["type"].startswith(prefix)):
            return kind, event.get("account"), event["data"]["object"].get("id", "")
    return None


def coalesce(batch: list[tuple[dict, int]]) -> tuple[list[tuple[dict, int]], list[str]]:
    """(the events to apply, the ids of those a newer one in the batch supersedes). Events of the
    newest second are all kept: which of them is current is the handlers' question to settle."""
    newest: dict[tuple, int] = {}
    for event, _ in batch:
        if (thing := snapshot_of(event)) is not None:
            newest[thing] = max(newest.get(thing, event["created"]), event["created"])
    keep, superseded = [], []
    for event, attempts in batch:
        thing = snapshot_of(event)
        if thing is None or event["created"] == newest[thing]:
            keep.append((event, attempts))
        else:
            superseded.append(event["id"])
    return keep, superseded


class Applier:
    def __init__(self, db: Database, context: Context, *, lease: float = LEASE_SECONDS, poll: float = POLL_SECONDS,
                 gather: float = GATHER_SECONDS):
        self.db, self.context, self.lease, self.poll, self.gather = db, context, lease, poll, gather
        self._next_claim = 0.0  # time.monotonic() before which no claim is made
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._lanes = asyncio.Semaphore(LANES)

    def wake(self) -> None:
        """An event was recorded: apply it now. Call on the app's event loop (request handlers are)."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        # Stopping mid-application is safe: the claim's lease runs out and the event is applied
        # again by the next run (the handlers keep what is newer).
        task, self._task = self._task, None
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
            except Exception:  # a database hiccup must not end the loop; the next pass retries
                log.exception("applying stored webhook events failed")
            try:
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def drain(self) -> int:
        """Apply every due event, oldest `created` first; returns how many were taken."""
        taken = 0
        while True:
            claim = queue.new_claim()
            if (wait := self._next_claim - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            batch = await run_in_threadpool(queue.claim_due, self.db, claim, now=time.time(), lease=self.lease, limit=BATCH)
            self._next_claim = time.monotonic() + (self.gather if 0 < len(batch) < BATCH else 0.0)
            if not batch:
                return taken
            taken += len(batch)
            kept, superseded = coalesce(batch)
            if superseded:
                await run_in_threadpool(queue.finish_superseded, self.db, superseded, claim)
                for event, _ in batch:
                    if event["id"] in superseded:
                        counters.webhook_finished(event, "ignored")
            batch = kept
            # One lane per account, in `created` order; lanes run side by side, so one seller's
            # burst does not hold up the others and the applier keeps pace with a busy endpoint.
            lanes: dict[str | None, list] = {}
            for event, attempts in batch:
                lanes.setdefault(event.get("account"), []).append((event, attempts))
            renewing = asyncio.create_task(self._keep(claim))
            outcomes: list[tuple[str, str, int, str]] = []
            try:
                snapshots = await self._keep_accounts([lane[0][0] for lane in lanes.values()])
                await asyncio.gather(*(self._apply_in_turn(lane, outcomes, snapshots) for lane in lanes.values()))
            finally:
                renewing.cancel()
                # One write for the batch's outcomes: an event applied but not yet marked so (the
                # process died here) is applied again once the claim lapses, and the handlers
                # keep what is newer, so applying twice changes nothing.
                kept = await run_in_threadpool(queue.finish_events, self.db, claim, outcomes, now=time.time())
            if kept < len(outcomes) and self.db.engine.dialect.supports_sane_multi_rowcount:
                log.warning("%d events were applied after their claim ran out", len(outcomes) - kept)

    async def _keep(self, claim: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            await run_in_threadpool(queue.extend_claim, self.db, claim, now=time.time(), lease=self.lease)

    async def _keep_accounts(self, firsts: list[dict]) -> dict[str, mirror.AccountEvent | None]:
        """The account.updated events that come first in their account's lane, kept in the mirror
        TOGETHER at a time: event id -> the mirror's answer, for _apply to finish each in its turn.
        Nothing precedes them in their lane, so the order of every account's events is kept. A
        group whose transaction fails is left out: its events are applied one by one, each
        failing or not on its own. Only while HANDLERS has the handler this stands for."""
        if HANDLERS.get("account.updated") is not handlers.account_updated:
            return {}
        events = [event for event in firsts if event["type"] == "account.updated"]
        kept: dict[str, mirror.AccountEvent | None] = {}
        for start in range(0, len(events), TOGETHER):
            group = events[start:start + TOGETHER]
            try:
                results = await run_in_threadpool(mirror.apply_account_events, self.db,
                                                  [(event["data"]["object"], float(event["created"])) for event in group])
            except Exception:
                log.exception("keeping %d account snapshots together failed; each is applied alone", len(group))
                continue
            kept.update((event["id"], result) for event, result in zip(group, results))
        return kept

    async def _apply_in_turn(self, lane: list, outcomes: list, snapshots: dict) -> None:
        async with self._lanes:
            for event, attempts in lane:
                outcomes.append(await self._apply(event, attempts, snapshots))

    async def _apply(self, event: dict, attempts: int, snapshots: dict | None = None) -> tuple[str, str, int, str]:
        """(id, outcome, attempt number, error) for finish_events."""
        try:
            if snapshots is not None and event["id"] in snapshots:
                outcome, error = await handlers.account_kept(self.context, event, snapshots[event["id"]]), ""
            else:
                outcome, error = await apply_event(self.context, event), ""
        except Exception as exc:
            log.exception("applying %s %s failed (attempt %d); it will be tried again", event["type"], event["id"], attempts)
            # The name only: a message may quote the data it choked on; the log has the traceback.
            outcome, error = "failed", type(exc).__name__
        counters.webhook_finished(event, outcome)
        return event["id"], outcome, attempts, error
