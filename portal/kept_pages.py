"""Whole seller pages, kept by the seller's version.

Fragments (fragments.py) are kept by their values, which a page still reads and works out on every
view. A page kept here skips that too: it is kept by a number per seller, their version, which the
database itself raises in the same transaction as any change to a row of a WATCHED table that names
the seller (triggers, installed by Database.migrate from this module). The gate reads the version
in its one read (accounts/auth.py), so a page of a seller with no change since it was made is
served with no other read and no rendering.

What makes a kept page equal to the page made anew:
- It is kept only if every read made while making it went through Database.fetch/read_rows on
  WATCHED tables (the database notes them, db.noting_reads). A read through an ORM session, or of
  any other table, makes the page a one-off: rendered every time, correct but slower.
- Its key holds the rest of what it is made of: the seller, their version, the language, the path
  and query, and what the route adds (`parts`, such as a recent re-authentication). What the
  layout takes from the gate (whether there is a Stripe account, whether the form was sent) comes
  from WATCHED tables, so the version covers it. A test walks the kept templates for what they read
  of the request.
- The session's values are private, as in fragments: the CSRF token and the seller's email are
  placeholders, filled in (escaped) on the way out.
- Not kept: staff viewing as the seller, a page with messages to flash, anything but a 200 to a GET.
- Time: a page is good until `until` (when a payout hold ends), and a template changed since
  (development's auto-reload) is a miss.

Versions only ever rise (a seller's row in seller_version is never deleted), so a page kept under an
older version is never found again; one made from rows newer than the version its key names is
only ever shown to requests that read that older version, which raced the change anyway.

The store is a bounded LRU in process memory: losing it costs only time."""

import re
from datetime import datetime

from markupsafe import escape
from sqlmodel import Field, SQLModel
from starlette.requests import Request
from starlette.responses import HTMLResponse

from portal import i18n
from portal.db import UNKNOWN_READ, create_postgresql_trigger, noting_reads, utcnow
from portal.fragments import Kept, placeholder

KEPT = 1024  # pages of ~20 kB: ~20 MB at most per process
SELLERS_SEEN = 4096  # what the gate reads of a seller (accounts/auth.py): a row each

# The tables a kept page may read. A row names its seller by a `seller_id` column, or by
# `stripe_account_id` through the connected account (a balance); the seller's own row is `id`.
WATCHED = ("seller", "connected_account", "account_balance", "business_email", "payout_hold", "onboarding_person",
           "audit_event", "account_closure")
PRIVATE = ("csrf_token", "email")
_PLACES = {name: placeholder(name).encode() for name in PRIVATE}


class SellerVersion(SQLModel, table=True):
    """Raised by the database on every change to a WATCHED row of the seller's (see `install`)."""

    __tablename__ = "seller_version"

    seller_id: int = Field(primary_key=True)  # no foreign key: a deleted seller's number stays, and only rises
    version: int = Field(default=0)


def _seller_of(table, row: str) -> str:
    """SQL naming the seller of `row` (NEW or OLD) of `table`, the same on SQLite and PostgreSQL."""
    if table.name == "seller":
        return f"{row}.id"
    if "seller_id" in table.c:
        return f"{row}.seller_id"
    if "stripe_account_id" in table.c:
        return f"(SELECT seller_id FROM connected_account WHERE stripe_account_id = {row}.stripe_account_id)"
    raise ValueError(f"{table.name}: a watched table names its seller by seller_id or stripe_account_id")


def _raise(sellers: str) -> str:
    return ("INSERT INTO seller_version (seller_id, version) SELECT DISTINCT seller, 1 FROM (" + sellers +
            ") AS found WHERE seller IS NOT NULL "
            "ON CONFLICT (seller_id) DO UPDATE SET version = seller_version.version + 1")


def triggers(metadata) -> list[tuple[str, str, str, str]]:
    """(name, table, operation, statement) of every trigger that raises a version."""
    made = []
    for name in WATCHED:
        table = metadata.tables[name]
        new, old = _seller_of(table, "NEW"), _seller_of(table, "OLD")
        for operation, sellers in (("INSERT", f"SELECT {new} AS seller"), ("DELETE", f"SELECT {old} AS seller"),
                                   ("UPDATE", f"SELECT {new} AS seller UNION SELECT {old}")):
            made.append((f"seller_version_{name}_{operation.lower()}", name, operation, _raise(sellers)))
    return made


def install(connection) -> None:
    """(Re)creates the triggers, on every migrate: a migration that rebuilds a table on SQLite
    (batch_alter_table) drops its triggers, and this puts them back in the same transaction."""
    from portal import models  # noqa: F401  (every table, for their columns)

    postgresql = connection.dialect.name == "postgresql"
    for name, table, operation, statement in triggers(SQLModel.metadata):
        if postgresql:
            create_postgresql_trigger(connection, name, table, operation, statement)
        else:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN {statement}; END")


def uninstall(connection) -> None:
    from portal import models  # noqa: F401

    postgresql = connection.dialect.name == "postgresql"
    for name, table, _operation, _statement in triggers(SQLModel.metadata):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")


class KeptPages(Kept):
    """The app's kept pages: key -> (the page encoded as sent, cut at its private values (_pieces);
    its template's name and templates as loaded then; good until)."""

    def __init__(self, size: int = KEPT):
        super().__init__(size)

    def page(self, key, fragments) -> tuple | None:
        found = self.get(key)
        if found is None:
            return None
        text, name, templates, until = found
        if (until is not None and utcnow() >= until) or fragments.templates(name) != templates:
            with self.lock:
                self.kept.pop(key, None)
            return None
        return text


class Keeping:
    """One request's page, kept or to keep. A route opens it after the gate, answers `kept` when
    there is one, and makes its page inside (so its reads are noted) with web.render(keep=...)."""

    def __init__(self, request: Request, *parts):
        self.request = request
        self.key = _key(request, parts)
        self.reads: set = set()
        self._noting = None

    def __enter__(self) -> "Keeping":
        self._noting = noting_reads(self.reads)
        self._noting.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._noting.__exit__(*exc)

    @property
    def kept(self) -> HTMLResponse | None:
        if self.key is None:
            return None
        state = self.request.app.state
        pieces = state.kept_pages.page(self.key, state.templates.fragments)
        return None if pieces is None else HTMLResponse(self.fill(pieces))

    def keeps(self) -> bool:
        """Whether the page being made can be kept: its key is known, and it read WATCHED tables only."""
        return self.key is not None and UNKNOWN_READ not in self.reads and self.reads.issubset(WATCHED)

    def keep(self, name: str, text: str, until: datetime | None) -> HTMLResponse:
        state = self.request.app.state
        pieces = _pieces(text.encode())
        state.kept_pages.put(self.key, (pieces, name, state.templates.fragments.templates(name), until))
        return HTMLResponse(self.fill(pieces))

    def fill(self, pieces: tuple) -> bytes:
        """The page's bytes from its pieces: the text between the private values, and which goes where."""
        values = {name: str(escape(value)).encode() for name, value in private_values(self.request).items()}
        parts = list(pieces)
        parts[1::2] = [values[name] for name in pieces[1::2]]
        return b"".join(parts)


def private_values(request: Request) -> dict[str, str]:
    from portal.web import csrf_token  # web imports this module's users

    seller = getattr(request.state, "seller", None)
    return {"csrf_token": csrf_token(request), "email": seller.email if seller is not None else ""}


def _key(request: Request, parts: tuple):
    state = request.state
    version = getattr(state, "seller_version", None)  # the gate's read; not set for staff viewing as the seller
    seller = getattr(state, "seller", None)
    if (request.method != "GET" or seller is None or version is None or getattr(state, "view_as", None)
            or request.session.get("_flashes")):
        return None
    scope = request.scope
    return (seller.id, version, i18n.current_locale(), scope.get("root_path", ""), scope["path"],
            scope.get("query_string", b""), *parts)


_PRIVATE_PLACE = re.compile(b"|".join(re.escape(place) for place in _PLACES.values()))
_NAMES = {place: name for name, place in _PLACES.items()}


def _pieces(text: bytes) -> tuple:
    """`text` cut at its private values' places: (text, name, text, name, ..., text), so that
    filling them in is one join, not a pass over the page for each value."""
    pieces, at = [], 0
    for found in _PRIVATE_PLACE.finditer(text):
        pieces += [text[at:found.start()], _NAMES[found.group()]]
        at = found.end()
    return (*pieces, text[at:])


def until_holds_end(holds) -> datetime | None:
    """When the first of these (active) payout holds ends by itself, if one does."""
    return min((hold.until for hold in holds if hold.until is not None), default=None)
