"""The sandbox's state: Stripe-shaped JSON documents in their own SQLite file.

Every object is a row holding the public JSON (what the API returns) and a private JSON
(sandbox bookkeeping that is never returned). One re-entrant lock serialises access, so a
request's handler runs as one transaction that other threads cannot observe half-done.
"""

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

ANY_OWNER = ...

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    object TEXT NOT NULL,
    owner TEXT,
    body TEXT NOT NULL,
    private TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS objects_by_kind ON objects (object, owner, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    request_id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_status INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_at);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

TABLES = ("objects", "idempotency", "deliveries", "meta")


class Store:
    def __init__(self, path: str):
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; a nested one is a savepoint: its failure undoes only its own writes."""
        with self.lock:
            if self._depth:
                savepoint = f"nested_{self._depth}"
                self._db.execute(f"SAVEPOINT {savepoint}")
                self._depth += 1
                try:
                    yield
                except BaseException:
                    self._db.execute(f"ROLLBACK TO {savepoint}")
                    raise
                finally:
                    self._depth -= 1
                    self._db.execute(f"RELEASE {savepoint}")
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._after_commit.clear()
                raise
            finally:
                self._depth = 0
            self._db.execute("COMMIT")
            callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the current transaction commits (at once outside one)."""
        with self.lock:
            if self._depth:
                self._after_commit.append(callback)
                return
        callback()

    def execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.transaction():
            return self._db.execute(sql, args).fetchall()

    # Documents

    def create(self, obj: dict, owner: str | None = None, private: dict | None = None) -> dict:
        self.execute(
            "INSERT INTO objects (id, object, owner, body, private) VALUES (?, ?, ?, ?, ?)",
            (obj["id"], obj["object"], owner, json.dumps(obj), json.dumps(private or {})),
        )
        return obj

    def get(self, id: str, object: str | None = None) -> dict | None:
        rows = self.execute("SELECT object, body FROM objects WHERE id = ?", (id,))
        if not rows or (object is not None and rows[0][0] != object):
            return None
        return json.loads(rows[0][1])

    def owner(self, id: str) -> str | None:
        rows = self.execute("SELECT owner FROM objects WHERE id = ?", (id,))
        return rows[0][0] if rows else None

    def save(self, obj: dict) -> dict:
        with self.transaction():
            cursor = self._db.execute(
                "UPDATE objects SET body = ? WHERE id = ?", (json.dumps(obj), obj["id"])
            )
            if cursor.rowcount != 1:
                raise KeyError(obj["id"])
        return obj

    def private(self, id: str) -> dict:
        rows = self.execute("SELECT private FROM objects WHERE id = ?", (id,))
        if not rows:
            raise KeyError(id)
        return json.loads(rows[0][0])

    def set_private(self, id: str, data: dict) -> None:
        with self.transaction():
            cursor = self._db.execute(
                "UPDATE objects SET private = ? WHERE id = ?", (json.dumps(data), id)
            )
            if cursor.rowcount != 1:
                raise KeyError(id)

    def delete(self, id: str) -> None:
        self.execute("DELETE FROM objects WHERE id = ?", (id,))

    def list(self, object: str, owner=ANY_OWNER, where: dict | Callable | None = None) -> list[dict]:
        """Objects of one kind, newest first; `where` is {dotted.key: value} or a predicate."""
        if owner is ANY_OWNER:
            rows = self.execute(
                "SELECT body FROM objects WHERE object = ? ORDER BY seq DESC", (object,)
            )
        else:
            rows = self.execute(
                "SELECT body FROM objects WHERE object = ? AND owner IS ? ORDER BY seq DESC",
                (object, owner),
            )
        objects = [json.loads(row[0]) for row in rows]
        if where is None:
            return objects
        keep = where if callable(where) else _matcher(where)
        return [obj for obj in objects if keep(obj)]

    # Small key/value state (the clock offset)

    def meta(self, key: str, default=None):
        rows = self.execute("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_meta(self, key: str, value) -> None:
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def wipe(self) -> None:
        """Forget everything (tests start each case from an empty sandbox)."""
        with self.transaction():
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")


def dig(obj, dotted: str):
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _matcher(conditions: dict) -> Callable[[dict], bool]:
    return lambda obj: all(dig(obj, key) == value for key, value in conditions.items())
