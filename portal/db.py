"""Engine, sessions, a transaction helper, and migrations (Alembic, applied by `portal migrate`)."""

import functools
import threading
from collections import namedtuple
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

import anyio
import anyio.to_thread
from alembic import command
from alembic.config import Config
from sqlalchemy import Row, Table, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works; it keeps concurrent `portal serve` processes from migrating at once.
MIGRATION_LOCK_ID = 7_402_118_311
READ_CONNECTIONS = 40  # anyio's default thread pool size, which Starlette runs sync work in
POOL_SIZE, POOL_OVERFLOW = 10, 10  # PostgreSQL connections per process
# Set while Database.run_read runs a reader: a write there would hold every request on SQLite.
_reading_on_the_loop: ContextVar[bool] = ContextVar("reading_on_the_loop", default=False)


class WriteInRead(RuntimeError):
    """A function handed to run_read tried to write."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_read_engine(engine: Engine) -> Engine:
    """Where read-only units of work run; the database itself refuses a write made through it.

    PostgreSQL: the same pool, each transaction begun REPEATABLE READ, READ ONLY. SQLite: connections of their own
    with query_only set, each unit of work one explicit transaction, so the several queries of a
    page see one snapshot (Python's sqlite3 would otherwise run each SELECT on its own)."""
    if engine.dialect.name != "sqlite":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    if engine.url.database in (None, "", ":memory:"):
        return engine  # a private in-memory database: a second engine would open another one
    # As many connections as Starlette's thread pool has threads, kept open: a new SQLite
    # connection costs more than the queries of a page.
    reader = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=READ_CONNECTIONS, max_overflow=0)

    @event.listens_for(reader, "connect")
    def _read_only(dbapi_connection, record):
        _sqlite_pragmas(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA query_only=ON")
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" below says when a transaction starts

    @event.listens_for(reader, "begin")
    def _begin(connection):
        connection.connection.dbapi_connection.execute("BEGIN")  # beneath SQLAlchemy: it runs per page

    return reader


@functools.cache
def row_type(table: Table) -> type:
    """A read-only row of `table`: its columns as attributes, as the model's objects have them."""
    return namedtuple(f"{table.name.title().replace('_', '')}Row", [column.name for column in table.columns])


def take_row(found: Row, start: int, table: Table) -> tuple[tuple | None, int]:
    """`table`'s row among the columns of a joined statement's `found`, from `start` (its columns
    selected whole, in order): (the row, or None where an outer join found none, since a key column
    is never null in a row the table holds; the position after it)."""
    end = start + len(table.columns)
    values = found[start:end]
    key = list(table.columns).index(next(iter(table.primary_key.columns)))
    return (row_type(table)(*values) if values[key] is not None else None), end


def _read_only(function, /, *args, **kwargs):
    token = _reading_on_the_loop.set(True)
    try:
        return function(*args, **kwargs)
    finally:
        _reading_on_the_loop.reset(token)


class Database:
    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        # SQLite lets one connection write at a time and makes the others poll with growing sleeps;
        # taking turns in the process instead keeps concurrent requests fast. PostgreSQL needs none.
        self._turns = threading.RLock() if self.url.startswith("sqlite") else nullcontext()
        self.reader = make_read_engine(self.engine)
        # A SQLite read in WAL mode never waits for a writer and takes tens of microseconds: handing
        # it to a worker thread (a queue, a wake-up, the GIL handed over and back) costs more than
        # the read. PostgreSQL's reads wait on the network, so they keep to the thread pool.
        self.reads_on_the_loop = self.url.startswith("sqlite")
        # On PostgreSQL, pages' reads take at most as many threads as the pool keeps connections:
        # more would only wait in the pool's checkout, each a thread contending for the GIL.
        self._read_threads: anyio.CapacityLimiter | None = None

    async def run_read(self, function, /, *args, **kwargs):
        """`function(*args, **kwargs)`, which reads through read() and writes nothing, where it costs
        least: on SQLite right here on the event loop, on PostgreSQL in the thread pool. A write
        attempted inside it raises WriteInRead, on either (on the loop it would hold every request)."""
        if not self.reads_on_the_loop:
            if self._read_threads is None:  # made on the loop that uses it
                self._read_threads = anyio.CapacityLimiter(POOL_SIZE)
            return await anyio.to_thread.run_sync(functools.partial(_read_only, function, *args, **kwargs),
                                                  limiter=self._read_threads)
        return _read_only(function, *args, **kwargs)

    @contextmanager
    def transaction(self):
        """One unit of work: commits on success, rolls back on any exception."""
        if _reading_on_the_loop.get():
            raise WriteInRead("a write inside Database.run_read: run it with run_in_threadpool instead")
        with self._turns, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self):
        """A read-only unit of work, for pages: it takes no turn, so readers never queue behind a
        writer or each other (SQLite's WAL and PostgreSQL both let readers go on while one writes),
        and sees one consistent snapshot. A write through it is refused by the database."""
        with Session(self.reader) as session:  # closing it ends the transaction and keeps what was read
            yield session

    @contextmanager
    def rows(self):
        """read() for a page that only shows what it reads: a connection instead of an ORM session,
        for statements on tables (`select(Model.__table__)`) whose rows carry the columns as
        attributes, as the model's objects do, for a fraction of the cost of building those objects
        (the status page's reads: ~0.9 -> ~0.4 ms). Same snapshot, same refusal of writes."""
        with self.reader.connect() as connection, connection.begin():
            yield connection

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()
        self.reader.dispose()
