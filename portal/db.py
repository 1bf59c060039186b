"""Engine, sessions, a transaction helper, pages' reads (fetch, read_rows: prepared SELECTs on the driver), and
migrations (Alembic, applied by `portal migrate`)."""

import asyncio
import functools
import threading
from collections import namedtuple
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

import anyio
import anyio.to_thread
import psycopg
from alembic import command
from alembic.config import Config
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from sqlalchemy import Row, Select, Table, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works; it keeps concurrent `portal serve` processes from migrating at once.
MIGRATION_LOCK_ID = 7_402_118_311
READ_CONNECTIONS = 40  # anyio's default thread pool size, which Starlette runs sync work in
# PostgreSQL connections per process, at most (each pool opens them as it needs them): pages' reads
# on the event loop (Database.read_rows), fetch's in threads, and the engine's for writes and what
# reads through the ORM; and a web process's one listening connection (accounts/sessions_seen.py):
# 23 at most, 14 for `portal worker` (README, Operations).
READS_ON_THE_LOOP, READS_IN_THREADS = 8, 4
# How long a PostgreSQL read waits for a connection of its pool (psycopg_pool's default is 30 s):
# pages this busy, or a database this far gone, answer an error instead of hanging on.
READ_WAIT = 5.0
# What fetch's PostgreSQL connections are: in autocommit (a single statement is its own snapshot;
# several are sent with BEGIN_READING and COMMIT), every transaction read-only.
READING_CONNECTIONS = {"autocommit": True, "options": "-c default_transaction_read_only=on"}
BEGIN_READING = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
PREPARED_STATEMENTS = 256  # Database.fetch's statements: the constants modules build once
WRITE_POOL_SIZE, WRITE_POOL_OVERFLOW = 5, 5
POOL_SIZE = WRITE_POOL_SIZE + WRITE_POOL_OVERFLOW  # run_read's threads at once: more would wait in a pool
# Set while Database.run_read runs a reader: a write there would hold every request on SQLite.
_reading_on_the_loop: ContextVar[bool] = ContextVar("reading_on_the_loop", default=False)
# The tables read while a page is made (kept_pages.py): by name, or UNKNOWN_READ for a read through
# an ORM session, whose tables are not known.
_noted_reads: ContextVar[set | None] = ContextVar("noted_reads", default=None)
UNKNOWN_READ = "?"


@contextmanager
def noting_reads(into: set):
    """Adds to `into` the tables read in this context (threads it hands work to included)."""
    token = _noted_reads.set(into)
    try:
        yield into
    finally:
        _noted_reads.reset(token)


class WriteInRead(RuntimeError):
    """A function handed to run_read tried to write."""


def utcnow() -> datetime:
    return datetime.now(UTC)


# Per thread, one flag per Database.transaction open in it (the innermost last): whether it has run
# a statement other than a SELECT. A transaction that only read (an applier or a mailer finding
# nothing to do) then leaves what the process keeps alone (Database.after_commit).
_writes = threading.local()


def _writes_here() -> list:
    found = getattr(_writes, "open", None)
    if found is None:
        found = _writes.open = []
    return found


def _note_writes(_connection, _cursor, statement: str, *_more) -> None:
    found = getattr(_writes, "open", None)
    if found and statement.lstrip()[:6].upper() != "SELECT":
        found[-1] = True


def create_postgresql_trigger(connection, name: str, table: str, operations: str, statement: str) -> None:
    """(Re)creates, on PostgreSQL, a row trigger `name` that runs `statement` (PL/pgSQL, NEW and OLD
    as the operation has them) after `operations` ("INSERT", "UPDATE OR DELETE"...) on `table`."""
    connection.exec_driver_sql(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                               f"$$ BEGIN {statement}; RETURN NULL; END $$")
    connection.exec_driver_sql(f"CREATE OR REPLACE TRIGGER {name} AFTER {operations} ON {table} "
                               f"FOR EACH ROW EXECUTE FUNCTION {name}()")


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
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=WRITE_POOL_SIZE, max_overflow=WRITE_POOL_OVERFLOW)
    event.listen(engine, "before_cursor_execute", _note_writes)
    return engine


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


class _Prepared:
    """A SELECT compiled once for a dialect and run on the driver's own cursor. What SQLAlchemy does
    on every execution (the compiled cache's lookup, parameters built and processed, an execution
    context, a result's metadata) is done once here; each run only fills in the caller's parameters
    and converts the columns that need it (dates, JSON) as SQLAlchemy would. Rows are named tuples
    of the selected columns (a name selected twice is renamed after the first, as namedtuple does)."""

    def __init__(self, statement: Select, dialect):
        compiled = statement.compile(dialect=dialect)
        supplied = {bind.key for bind in compiled.binds.values() if bind.required}
        values = compiled.construct_params({key: None for key in supplied}, escape_names=False, _check=False)
        processors = dict(compiled._bind_processors)
        sql, positions = compiled.string, compiled.positiontup
        expanding = (*compiled.literal_execute_params, *compiled.post_compile_params)
        if expanding:  # IN (...) of a list given when the statement was built: its SQL is fixed too
            if any(bind.key in supplied for bind in expanding):
                raise TypeError("Database.fetch takes no parameter that changes the statement's SQL (an expanding IN)")
            expanded = compiled._process_parameters_for_postcompile(values)
            sql, positions, values = expanded.statement, expanded.positiontup, expanded.parameters
            processors.update(expanded.processors)
        self.sql = sql
        self._positions = positions  # None where the driver takes parameters by name
        self._escaped = compiled.escaped_bind_names or {}
        self._fixed = {key: processors[key](value) if key in processors else value
                       for key, value in values.items() if key not in supplied}
        self._supplied = {key: processors.get(key) for key in supplied}
        self._columns = [(column[0], column[3]) for column in compiled._result_columns]
        self._dialect = dialect
        self._make = self._convert = None
        self.tables = frozenset(table.name for table in find_tables(statement, include_joins=True))

    def parameters(self, given: dict):
        values = dict(self._fixed)
        for key, process in self._supplied.items():
            values[key] = given[key] if process is None else process(given[key])
        if self._positions is not None:
            return tuple(values[key] for key in self._positions)
        return {self._escaped.get(key, key): value for key, value in values.items()}

    def rows(self, cursor, fetched: list) -> list:
        """The named rows of what the driver fetched with `cursor`."""
        if self._make is None:  # the first run: what converts each column, given what the driver says it is
            self._make = namedtuple("Row", [name for name, _type in self._columns], rename=True)._make
            # (psycopg builds the description anew each time it is asked: only here)
            self._convert = [(n, processor) for n, ((_name, type_), described) in enumerate(zip(self._columns, cursor.description))
                             if (processor := type_._cached_result_processor(self._dialect, described[1])) is not None]
        make, convert = self._make, self._convert
        if not convert:
            return [make(found) for found in fetched]
        rows = []
        for found in fetched:
            found = list(found)
            for n, processor in convert:
                found[n] = processor(found[n])
            rows.append(make(found))
        return rows


def _dropped(connection, attempt: int, pool) -> bool:
    """Whether a PostgreSQL read that failed should run again. A pooled connection the server
    dropped (a restart, an idle timeout) fails at its first use and the pool then replaces it; after
    a restart every one of them fails so. A read changes nothing, so it runs again while the
    connection it was given turns out broken, at most once per pooled connection: what SQLAlchemy's
    pre-ping buys with a round trip on every checkout, at no cost while nothing fails. Any other
    error, or a server still down, goes to the caller."""
    return connection is not None and connection.broken and attempt < pool.max_size


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
        self._prepared: dict[int, tuple[Select, _Prepared]] = {}  # id(statement) -> it, prepared: fetch's
        self._read_pool = None  # PostgreSQL: fetch's connections, opened at its first read
        self._read_pool_lock = threading.Lock()
        self._loop_connection = None  # SQLite: read_rows' connection (_read_on_the_loop)
        self._loop_reading = threading.Lock()
        self._async_pool: tuple | None = None  # (event loop, psycopg's AsyncConnectionPool): read_rows'
        # Called after every transaction this object commits that wrote (ran anything but a SELECT),
        # in the thread that committed it: what the process keeps of the database
        # (accounts/sessions_seen.py) forgets what may have changed.
        self.after_commit: list = []

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
        writes = _writes_here()
        writes.append(False)
        try:
            with self._turns, Session(self.engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            wrote = writes.pop()
        if wrote:
            for committed in self.after_commit:
                committed()

    @contextmanager
    def read(self):
        """A read-only unit of work, for pages: it takes no turn, so readers never queue behind a
        writer or each other (SQLite's WAL and PostgreSQL both let readers go on while one writes),
        and sees one consistent snapshot. A write through it is refused by the database."""
        if (noted := _noted_reads.get()) is not None:
            noted.add(UNKNOWN_READ)
        with Session(self.reader) as session:  # closing it ends the transaction and keeps what was read
            yield session

    def fetch(self, statement: Select, parameters: dict | None = None) -> list:
        """The rows of one SELECT on tables, built once (a module's constant), for a page: named
        tuples of its columns, read-only, converted as SQLAlchemy would. On PostgreSQL one round
        trip; a single statement is its own snapshot."""
        return self.fetch_all((statement, parameters))[0]

    def fetch_all(self, *reads: tuple[Select, dict | None]) -> list[list]:
        """fetch for several SELECTs seen in one snapshot, as a page shows them together. On
        PostgreSQL one round trip (a pipeline: BEGIN REPEATABLE READ, READ ONLY, the statements,
        COMMIT); SQLAlchemy's session and connection take one per statement and several more per
        checkout, each ~75 us of CPU. The database refuses a write made through either."""
        if self.reads_on_the_loop:
            with self.reader.connect() as connection, connection.begin():
                return self._read_sqlite(connection.connection.dbapi_connection, reads)
        runs = self._runs(reads)
        pool = self._postgresql_reads()
        for attempt in range(pool.max_size + 1):  # see _dropped
            connection = None
            try:
                with pool.connection() as connection:
                    if len(runs) == 1:
                        cursors = [connection.execute(runs[0][0].sql, runs[0][1], prepare=True)]
                    else:
                        with connection.pipeline():
                            connection.execute(BEGIN_READING)
                            cursors = [connection.execute(prepared.sql, parameters, prepare=True) for prepared, parameters in runs]
                            connection.execute("COMMIT")
                    return [prepared.rows(cursor, cursor.fetchall()) for (prepared, _), cursor in zip(runs, cursors)]
            except psycopg.OperationalError:
                if not _dropped(connection, attempt, pool):
                    raise

    async def read_rows(self, *reads: tuple[Select, dict | None]) -> list[list]:
        """fetch_all for a page, on the event loop: SQLite's reads take tens of microseconds there
        (run_read), PostgreSQL's go through psycopg's asynchronous pool, so a page waits on the
        network without a worker thread (a trip to one, with the GIL handed over and back, cost more
        CPU than the read)."""
        if self.reads_on_the_loop:
            return self._read_on_the_loop(reads)
        runs = self._runs(reads)
        pool = await self._postgresql_reads_here()
        for attempt in range(pool.max_size + 1):  # see _dropped
            connection = None
            try:
                async with pool.connection() as connection:
                    if len(runs) == 1:
                        cursors = [await connection.execute(runs[0][0].sql, runs[0][1], prepare=True)]
                    else:
                        async with connection.pipeline():
                            await connection.execute(BEGIN_READING)
                            cursors = [await connection.execute(prepared.sql, parameters, prepare=True) for prepared, parameters in runs]
                            await connection.execute("COMMIT")
                    return [prepared.rows(cursor, await cursor.fetchall()) for (prepared, _), cursor in zip(runs, cursors)]
            except psycopg.OperationalError:
                if not _dropped(connection, attempt, pool):
                    raise

    def _read_on_the_loop(self, reads) -> list[list]:
        """SQLite's read_rows: on one reading connection kept for the event loop, which runs one
        read at a time, several statements with BEGIN and COMMIT of their own (a checkout from
        SQLAlchemy's pool, its events and its commit cost more than the statements of a gate's read).
        Where that connection is in use (another loop, as tests start several), through fetch_all."""
        if not self._loop_reading.acquire(blocking=False):
            return self.fetch_all(*reads)
        try:
            if self._loop_connection is None:
                self._loop_connection = self.reader.raw_connection()  # query_only, like every reader's
            driver = self._loop_connection.dbapi_connection
            if len(reads) == 1:  # one statement is its own snapshot
                return self._read_sqlite(driver, reads)
            driver.execute("BEGIN")
            try:
                return self._read_sqlite(driver, reads)
            finally:
                driver.execute("COMMIT")
        finally:
            self._loop_reading.release()

    def _read_sqlite(self, driver, reads) -> list[list]:
        """The rows of each read, one statement after another on SQLite's connection `driver`."""
        found = []
        for prepared, parameters in self._runs(reads):
            cursor = driver.execute(prepared.sql, parameters)
            found.append(prepared.rows(cursor, cursor.fetchall()))
        return found

    def _runs(self, reads) -> list[tuple["_Prepared", tuple | dict]]:
        """Each read's statement, prepared at its first run, and its parameters for the driver."""
        runs = []
        noted = _noted_reads.get()
        for statement, parameters in reads:
            kept = self._prepared.get(id(statement))
            if kept is None or kept[0] is not statement:
                if not isinstance(statement, Select):
                    raise TypeError(f"Database.fetch reads with a SELECT, not {type(statement).__name__}")
                if len(self._prepared) >= PREPARED_STATEMENTS:
                    raise RuntimeError("Database.fetch takes statements built once (a module's constants), "
                                       f"and has been handed over {PREPARED_STATEMENTS}")
                kept = self._prepared[id(statement)] = (statement, _Prepared(statement, self.engine.dialect))
            if noted is not None:
                noted.update(kept[1].tables)
            runs.append((kept[1], kept[1].parameters(parameters or {})))
        return runs

    def _postgresql_reads(self):
        """psycopg's own pool of connections that read and never write (the server refuses it), in
        autocommit: no ping, BEGIN or ROLLBACK per checkout as SQLAlchemy's pool sends. For threads."""
        if self._read_pool is None:
            with self._read_pool_lock:
                if self._read_pool is None:
                    self._read_pool = ConnectionPool(self.driver_url(), min_size=1, max_size=READS_IN_THREADS, open=True,
                                                     name="portal-reads", kwargs=READING_CONNECTIONS, timeout=READ_WAIT)
        return self._read_pool

    async def _postgresql_reads_here(self):
        """The same for the event loop: one pool per loop (a web process has one; tests start several)."""
        loop = asyncio.get_running_loop()
        if self._async_pool is None or self._async_pool[0] is not loop:
            pool = AsyncConnectionPool(self.driver_url(), min_size=1, max_size=READS_ON_THE_LOOP, open=False,
                                       name="portal-reads-async", kwargs=READING_CONNECTIONS, timeout=READ_WAIT)
            await pool.open()
            if self._async_pool is not None and self._async_pool[0] is loop:  # another request opened one meanwhile
                await pool.close()
            else:
                self._async_pool = (loop, pool)
        return self._async_pool[1]

    async def close_reads(self) -> None:
        """Closes the event loop's pool of reading connections, on the loop that opened it."""
        if self._async_pool is not None and self._async_pool[0] is asyncio.get_running_loop():
            _loop, pool = self._async_pool
            self._async_pool = None
            await pool.close()

    def driver_url(self) -> str:
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            from portal import kept_pages  # the schema's, on every start (they import this module)
            from portal.accounts import sessions_seen

            kept_pages.install(connection)
            sessions_seen.install(connection)

    def dispose(self) -> None:
        with self._loop_reading:
            if self._loop_connection is not None:
                self._loop_connection.close()  # back to the reader's pool, which closes it below
                self._loop_connection = None
        self.engine.dispose()
        self.reader.dispose()
        if self._read_pool is not None:
            self._read_pool.close()
            self._read_pool = None
