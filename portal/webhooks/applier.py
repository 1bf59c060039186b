"""Applies stored events behind the webhook endpoint's 200: a task in each web process (or, with
WEBHOOK_APPLIER=worker, in `portal worker` alone). The events its own process records are handed
over as they are stored, already claimed for it (hand); it polls the table for the rest (events
other processes left behind, a claim whose holder died, failures whose backoff has passed). At
start-up it applies whatever an earlier run left unapplied."""

import asyncio
import functools
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
# Events handed over by the endpoint (hand) and waiting in memory at most: past that, the endpoint
# stores them unclaimed and they wait in the table, where a backlog costs no memory.
HANDED_AT_MOST = 2 * BATCH


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


@functools.lru_cache(maxsize=1024)
def _snapshot_kind(event_type: str) -> str | None:
    """SNAPSHOTS' kind for an event type, worked out once per type (the types are Stripe's)."""
    for prefix, kind in SNAPSHOTS.items():
        if event_type == prefix or (prefix.endswith(".") and event_type.startswith(prefix)):
            return kind
    return None


def snapshot_of(event: dict) -> tuple | None:
    """Which thing the event is the whole state of: (kind, account, object id), or None."""
    kind = _snapshot_kind(event["type"])
    return None if kind is None else (kind, event.get("account"), event["data"]["object"].get("id", ""))


def coalesce(batch: list[tuple]) -> tuple[list[tuple], list[str]]:
    """(the items to apply, the ids of those a newer one in the batch supersedes), of items whose
    first element is the event. Events of the newest second are all kept: which of them is current
    is the handlers' question to settle."""
    things = [snapshot_of(item[0]) for item in batch]
    newest: dict[tuple, int] = {}
    for item, thing in zip(batch, things):
        if thing is not None:
            newest[thing] = max(newest.get(thing, item[0]["created"]), item[0]["created"])
    keep, superseded = [], []
    for item, thing in zip(batch, things):
        if thing is None or item[0]["created"] == newest[thing]:
            keep.append(item)
        else:
            superseded.append(item[0]["id"])
    return keep, superseded


class Applier:
    def __init__(self, db: Database, context: Context, *, lease: float = LEASE_SECONDS, poll: float = POLL_SECONDS,
                 gather: float = GATHER_SECONDS):
        self.db, self.context, self.lease, self.poll, self.gather = db, context, lease, poll, gather
        self._next_claim = 0.0  # time.monotonic() before which no claim is made
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._lanes = asyncio.Semaphore(LANES)
        self._handed: list[tuple[dict, int, str, float]] = []  # (event, attempt, claim, leased until)
        self._looked_at = 0.0  # time.monotonic() of the last claim_due

    def wake(self) -> None:
        """An event was recorded: apply it now. Call on the app's event loop (request handlers are)."""
        self._wake.set()

    def takes(self, count: int) -> bool:
        """Whether `count` more events may be handed over: while the applier runs, and while those
        waiting in memory stay few (HANDED_AT_MOST)."""
        return self._task is not None and len(self._handed) + count <= HANDED_AT_MOST

    def hand(self, events: list[tuple[dict, int, str]], leased_until: float) -> None:
        """Events stored claimed for this applier until `leased_until` (queue.GroupCommit): (event,
        attempt, claim) each, applied with the next batch, without reading them back."""
        self._handed += [(event, attempts, claim, leased_until) for event, attempts, claim in events]
        self._wake.set()

    def _take_handed(self) -> list[tuple[dict, int, str]]:
        """The events handed over, but for those whose lease is half gone (a backlog held them up):
        they are left to claim_due once the lease has run out, or two appliers could hold them."""
        now, handed, self._handed = time.time(), self._handed, []
        return [(event, attempts, claim) for event, attempts, claim, until in handed if until - now > self.lease / 2]

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
        # Events handed over and not taken yet: let them go now, for the next start (or another
        # process) to apply at once rather than when their lease runs out.
        handed, self._handed = self._handed, []
        if handed:
            try:
                await run_in_threadpool(queue.release, self.db, [event["id"] for event, *_ in handed],
                                        sorted({claim for _, _, claim, _ in handed}))
            except Exception:  # their leases run out all the same
                log.exception("letting go of %d handed-over events failed", len(handed))

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
        """Apply every due event: those handed over, and the table's, oldest `created` first;
        returns how many were taken."""
        taken = 0
        while True:
            if (wait := self._next_claim - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            batch, due = self._take_handed(), []
            if not batch or time.monotonic() - self._looked_at > self.poll:
                # The table's due events as well, at least once a poll while events are handed over,
                # so other processes' leftovers, lapsed claims and retries are never starved.
                self._looked_at, claim = time.monotonic(), queue.new_claim()
                due = await run_in_threadpool(queue.claim_due, self.db, claim, now=time.time(), lease=self.lease, limit=BATCH)
                batch += [(event, attempts, claim) for event, attempts in due]
            batch.sort(key=lambda item: item[0]["created"])  # stable: as received, or as claim_due ordered them
            # A full claim means more wait in the table: no gathering then.
            self._next_claim = time.monotonic() + (self.gather if batch and len(due) < BATCH else 0.0)
            if not batch:
                return taken
            taken += len(batch)
            await self._apply_batch(batch)

    async def _apply_batch(self, batch: list[tuple[dict, int, str]]) -> None:
        """Apply claimed events, (event, attempt, claim) each in `created` order, and record what each did."""
        claims = sorted({claim for _, _, claim in batch})
        applying, superseded = coalesce(batch)
        if superseded:
            await run_in_threadpool(queue.finish_superseded, self.db, superseded, claims)
            moot = set(superseded)
            for event, _, _ in batch:
                if event["id"] in moot:
                    counters.webhook_finished(event, "ignored")
        # One lane per account, in `created` order; lanes run side by side, so one seller's
        # burst does not hold up the others and the applier keeps pace with a busy endpoint.
        lanes: dict[str | None, list] = {}
        for item in applying:
            lanes.setdefault(item[0].get("account"), []).append(item)
        renewing = asyncio.create_task(self._keep(claims))
        outcomes: list[tuple[str, str, int, str, str]] = []
        try:
            snapshots = await self._keep_accounts([lane[0][0] for lane in lanes.values()])
            await asyncio.gather(*(self._apply_in_turn(lane, outcomes, snapshots) for lane in lanes.values()))
        finally:
            renewing.cancel()
            # One write for the batch's outcomes: an event applied but not yet marked so (the
            # process died here) is applied again once the claim lapses, and the handlers
            # keep what is newer, so applying twice changes nothing.
            kept = await run_in_threadpool(queue.finish_events, self.db, outcomes, now=time.time())
        if kept < len(outcomes) and self.db.engine.dialect.supports_sane_multi_rowcount:
            log.warning("%d events were applied after their claim ran out", len(outcomes) - kept)

    async def _keep(self, claims: list[str]) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            await run_in_threadpool(queue.extend_claims, self.db, claims, now=time.time(), lease=self.lease)

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
            for event, attempts, claim in lane:
                outcomes.append(await self._apply(event, attempts, claim, snapshots))

    async def _apply(self, event: dict, attempts: int, claim: str, snapshots: dict) -> tuple[str, str, int, str, str]:
        """(id, outcome, attempt number, error, claim) for finish_events."""
        try:
            if event["id"] in snapshots:
                outcome, error = await handlers.account_kept(self.context, event, snapshots[event["id"]]), ""
            else:
                outcome, error = await apply_event(self.context, event), ""
        except Exception as exc:
            log.exception("applying %s %s failed (attempt %d); it will be tried again", event["type"], event["id"], attempts)
            # The name only: a message may quote the data it choked on; the log has the traceback.
            outcome, error = "failed", type(exc).__name__
        counters.webhook_finished(event, outcome)
        return event["id"], outcome, attempts, error, claim
