"""The gate's read, kept on PostgreSQL for as long as the database says nothing of it changed.

Every seller page begins with one read (accounts/auth.py, LOGIN_AND_VERSION): the session's row and
the seller's version (kept_pages.py). On SQLite it takes tens of microseconds on the event loop. On
PostgreSQL it is a round trip, ~0.2 ms of CPU between psycopg and the server on the same cores: more
than serving the kept page it leads to. So a web process on PostgreSQL keeps what it read, by the
session's digest, and forgets it:
- when the database notifies that the seller's sessions or version changed: triggers (`install`,
  on every migrate) send the seller's id on CHANNEL when such a change commits, to every process
  that listens (`listen`, one connection per web process: portal/listening.py);
- when this process commits a transaction that wrote (Database.after_commit), so that its own
  changes are seen by its next request without waiting for their notification;
- when the listening connection is lost: nothing is kept until it listens again, as what was
  notified meanwhile never arrives;
- KEPT_FOR seconds after it was read, whatever happens.

A read in flight when anything is forgotten is not kept (`heard` moved meanwhile), so what is kept
was read after the last change this process heard of. What is left is the way a notification takes
from another process's commit to this one: on one machine, under a millisecond. For that long,
another process may still take a session that was just signed out elsewhere; the session cookie's
own browser has dropped it already.

Nothing here is needed for correctness: losing it, or a process that never listens (SQLite, `portal
sync`), costs only the read."""

import threading
import time

from portal import listening
from portal.db import create_postgresql_trigger

CHANNEL = "portal_sessions"
KEPT = 4096  # sessions kept per process: a row of five values each
KEPT_FOR = 30.0  # seconds

# (name, table, operations, the seller's id as the trigger sees it)
_TRIGGERS = (
    ("portal_sessions_login", "login_session", "UPDATE OR DELETE", "OLD.seller_id"),
    ("portal_sessions_version", "seller_version", "INSERT OR UPDATE", "NEW.seller_id"),
)


def install(connection) -> None:
    """(Re)creates the triggers that notify CHANNEL, on PostgreSQL (SQLite runs in one process)."""
    if connection.dialect.name != "postgresql":
        return
    for name, table, operations, seller in _TRIGGERS:
        create_postgresql_trigger(connection, name, table, operations, f"PERFORM pg_notify('{CHANNEL}', {seller}::text)")


class SessionsSeen:
    """Session digest -> the gate's row for it (with `seller_id`), while listening. Read on the event
    loop; forgotten from any thread (commits run in the thread pool)."""

    def __init__(self, size: int = KEPT):
        self.size = size
        self.kept: dict[str, tuple[tuple, float]] = {}  # digest -> (row, kept until), oldest first
        self.of_seller: dict[int, set[str]] = {}
        self.heard = 0  # how many times something was forgotten: a read begun before is not kept
        self.listening = False
        self.lock = threading.Lock()

    def get(self, digest: str):
        if not self.listening:
            return None
        found = self.kept.get(digest)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def token(self) -> int:
        """Taken before a read, handed to `put` with what it read."""
        return self.heard

    def put(self, digest: str, row, token: int) -> None:
        with self.lock:
            if not self.listening or token != self.heard:
                return
            self.kept.pop(digest, None)
            self.kept[digest] = (row, time.monotonic() + KEPT_FOR)
            self.of_seller.setdefault(row.seller_id, set()).add(digest)
            if len(self.kept) > self.size:
                self._drop(next(iter(self.kept)))

    def forget(self, seller_id: int) -> None:
        with self.lock:
            self.heard += 1
            for digest in self.of_seller.pop(seller_id, ()):
                self.kept.pop(digest, None)

    def forget_all(self) -> None:
        with self.lock:
            self.heard += 1
            self.kept.clear()
            self.of_seller.clear()

    def trust(self, listening: bool) -> None:
        """Listening has (re)started or stopped: either way what was kept may have missed a change."""
        with self.lock:
            self.listening = listening
        self.forget_all()

    def _drop(self, digest: str) -> None:
        row, _until = self.kept.pop(digest)
        digests = self.of_seller.get(row.seller_id)
        if digests is not None:
            digests.discard(digest)
            if not digests:
                del self.of_seller[row.seller_id]


async def listen(url: str, seen: SessionsSeen) -> None:
    """Listens on CHANNEL for as long as it runs (cancel it to stop); `seen` keeps sessions only
    while a connection listens."""
    await listening.listen(url, CHANNEL, lambda payload: _heard(seen, payload), seen.trust)


def _heard(seen: SessionsSeen, payload: str) -> None:
    try:
        seen.forget(int(payload))
    except ValueError:  # not one of ours: forget everything rather than guess
        seen.forget_all()
