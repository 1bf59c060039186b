"""Database.read: pages read without waiting for writers, see one snapshot, and cannot write."""

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import bindparam, select as select_rows
from sqlalchemy.exc import DBAPIError
from sqlmodel import func, select

from portal.accounts.models import Seller
from portal.connect.models import AccountClosure
from portal.db import POOL_SIZE, WriteInRead, take_row


def add_seller(db, email: str) -> None:
    with db.transaction() as session:
        session.add(Seller(email=email, password_hash="x"))


def count_sellers(session) -> int:
    return session.exec(select(func.count()).select_from(Seller)).one()


def test_a_write_through_a_read_is_refused_by_the_database(db):
    with pytest.raises(DBAPIError):
        with db.read() as session:
            session.add(Seller(email="sneaky@example.com", password_hash="x"))
            session.flush()
    with db.read() as session:
        assert count_sellers(session) == 0


def test_a_read_does_not_wait_for_a_writer_in_the_middle_of_its_transaction(db):
    add_seller(db, "first@example.com")
    writing, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with db.transaction() as session:
            session.add(Seller(email="second@example.com", password_hash="x"))
            session.flush()  # the write is made (SQLite's write lock taken) but not committed
            writing.set()
            release.wait(10)

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert writing.wait(10)
        started = time.monotonic()
        with db.read() as session:
            seen = count_sellers(session)
        took = time.monotonic() - started
    finally:
        release.set()
        writer.join()
    assert seen == 1  # not the uncommitted row
    assert took < 5  # it did not queue behind the writer, which held on for up to 10 s
    with db.read() as session:
        assert count_sellers(session) == 2


def test_the_queries_of_one_read_see_one_snapshot(db):
    add_seller(db, "first@example.com")
    with db.read() as session:
        before = count_sellers(session)
        committed = threading.Thread(target=add_seller, args=(db, "second@example.com"))
        committed.start()
        committed.join()
        after = count_sellers(session)
    assert before == after == 1
    with db.read() as session:
        assert count_sellers(session) == 2


def test_what_a_read_loaded_stays_readable_after_it_ends(db):
    add_seller(db, "first@example.com")
    with db.read() as session:
        seller = session.exec(select(Seller)).one()
    assert seller.email == "first@example.com" and seller.created_at is not None


def read_emails(db) -> list[str]:
    with db.read() as session:
        return list(session.exec(select(Seller.email).order_by(Seller.email)).all())


async def test_run_read_reads_on_the_loop_on_sqlite_and_in_a_worker_thread_on_postgresql(db):
    add_seller(db, "first@example.com")
    where = []

    def reader() -> list[str]:
        where.append(threading.current_thread() is threading.main_thread())
        return read_emails(db)

    assert await db.run_read(reader) == ["first@example.com"]
    assert where == [db.engine.dialect.name == "sqlite"]


async def test_a_write_inside_run_read_is_refused_before_it_starts_and_writes_work_after(db):
    def sneaky() -> None:
        add_seller(db, "sneaky@example.com")

    with pytest.raises(WriteInRead):  # on PostgreSQL too: a reader must behave the same on both
        await db.run_read(sneaky)
    add_seller(db, "after@example.com")  # the guard ended with the read
    assert await db.run_read(read_emails, db) == ["after@example.com"]


def test_rows_are_read_only_and_carry_the_models_columns_as_attributes(db):
    add_seller(db, "first@example.com")
    sellers = Seller.__table__
    with pytest.raises(DBAPIError):
        with db.read() as session:
            session.execute(sellers.insert().values(email="sneaky@example.com", password_hash="x"))
    [row] = db.fetch(sellers.select())
    with db.read() as session:
        model = session.exec(select(Seller)).one()
    assert {column.name: getattr(row, column.name) for column in sellers.columns} == model.model_dump()


async def test_reads_on_postgresql_take_no_more_threads_than_the_pool_has_connections(db):
    if db.reads_on_the_loop:
        pytest.skip("SQLite reads run on the event loop, one at a time")
    running, most = 0, 0
    lock = threading.Lock()

    def reader() -> list[str]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.02)
            return read_emails(db)
        finally:
            with lock:
                running -= 1

    assert await asyncio.gather(*(db.run_read(reader) for _ in range(3 * POOL_SIZE))) == [[]] * (3 * POOL_SIZE)
    assert 1 < most <= POOL_SIZE


def test_take_row_splits_a_joined_row_by_table_and_gives_none_where_the_outer_join_found_none(db):
    add_seller(db, "first@example.com")
    sellers, closures = Seller.__table__, AccountClosure.__table__
    joined = (select_rows(*sellers.columns, *closures.columns).select_from(sellers)
              .outerjoin(closures, closures.c.seller_id == sellers.c.id))
    [found] = db.fetch(joined)
    seller, at = take_row(found, 0, sellers)
    assert seller.email == "first@example.com" and at == len(sellers.columns)
    assert take_row(found, at, closures) == (None, len(found))


def test_fetch_reads_what_sqlalchemy_reads_for_every_statement_pages_fetch(db):
    """Database.fetch runs a statement prepared once on the driver's cursor: rows, dates, JSON,
    an outer join's missing row, an IN list and a LIMIT come out as SQLAlchemy's own execution
    gives them, for each statement the pages hand it."""
    from datetime import timedelta

    from portal.accounts import auth
    from portal.accounts.models import LoginSession
    from portal.audit import AuditEvent
    from portal.connect import account_settings, payout_holds, views
    from portal.connect.models import AccountBalance, ConnectedAccount
    from portal.connect.payout_holds import PayoutHold
    from portal.db import utcnow
    from portal.onboarding.models import BusinessEmail, DraftPerson

    add_seller(db, "first@example.com")
    add_seller(db, "second@example.com")  # no account, email, holds or people: outer joins find none
    now = utcnow()
    with db.transaction() as session:
        first, second = (seller.id for seller in session.exec(select(Seller).order_by(Seller.id)))
        session.add(LoginSession(id="a" * 64, seller_id=first, created_at=now - timedelta(hours=1)))
        session.add(LoginSession(id="b" * 64, seller_id=second))
        session.add(ConnectedAccount(seller_id=first, stripe_account_id="acct_1", snapshot={"tos_acceptance": {"date": 1700000000},
                                     "requirements": {"currently_due": ["external_account"]}}, snapshot_at=1.5,
                                     capabilities={"transfers": "active"}, verified_at=now))
        session.add(AccountBalance(stripe_account_id="acct_1", available=[{"amount": -5, "currency": "usd"}], as_of=2.5))
        session.add(BusinessEmail(seller_id=first, email="me@shop.example", confirmed_at=now))
        session.add(PayoutHold(seller_id=first, reason="staff", note="checking", until=now + timedelta(days=1)))
        session.add(PayoutHold(seller_id=first, reason="staff", released_at=now))
        session.add(DraftPerson(seller_id=first, stripe_person_id="person_1", answers={"first_name": "Ada", "last_name": "Lé"}))
        session.add(AccountClosure(seller_id=first, stripe_account_id="acct_1", erase_after=now))
        for n, action in enumerate([*["staff.capability"] * 6, "seller.sign_in", "staff.payout_schedule"]):
            session.add(AuditEvent(actor_kind="staff", action=action, seller_id=first, details={"n": n}, at=now + timedelta(seconds=n)))
    reads = [(auth.LOGIN_AND_VERSION, {"digest": "a" * 64}), (auth.LOGIN_AND_VERSION, {"digest": "b" * 64}),
             (auth.LOGIN_AND_VERSION, {"digest": "none"}), (auth.SELLER_AND_STANDING, {"seller_id": first}),
             (auth.SELLER_AND_STANDING, {"seller_id": second}), (auth.SELLER_AND_STANDING, {"seller_id": 999})]
    for seller_id in (first, second):
        by_seller = {"seller_id": seller_id}
        reads += [(views.ACCOUNT_BALANCE_EMAIL, by_seller), (payout_holds.UNRELEASED_HOLDS, by_seller),
                  (payout_holds.EMAIL_OF_SELLER, by_seller), (views.PEOPLE, by_seller),
                  (account_settings.STAFF_CHANGES, {**by_seller, "limit": 5})]
    fetched = db.fetch_all(*reads)
    with db.read() as session:  # SQLAlchemy's own execution
        expected = [[tuple(row) for row in session.execute(statement, parameters)] for statement, parameters in reads]
    assert [[tuple(row) for row in rows] for rows in fetched] == expected
    assert [db.fetch(statement, parameters) for statement, parameters in reads] == fetched
    assert [row.details["n"] for row in fetched[10]] == [7, 5, 4, 3, 2]  # newest first, staff changes only, 5
    assert fetched[6][0].snapshot["requirements"] == {"currently_due": ["external_account"]}  # by column name
    assert fetched[0][0].last_seen_at.tzinfo is not None and fetched[2] == [] and fetched[5] == []
    assert fetched[3][0].stripe_account_id == "acct_1" and fetched[4][0].stripe_account_id is None


def test_fetch_takes_only_selects_and_the_database_refuses_a_write_through_it(db):
    with pytest.raises(TypeError):
        db.fetch(Seller.__table__.insert().values(email="sneaky@example.com", password_hash="x"))
    if db.engine.dialect.name == "postgresql":
        import psycopg

        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            db.fetch(select_rows(func.nextval("seller_id_seq")))
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            db.fetch_all((select_rows(func.nextval("seller_id_seq")), None), (select_rows(Seller.__table__), None))
    add_seller(db, "after@example.com")  # the pool's connections are fine after a refused read
    assert [row.email for row in db.fetch(select_rows(Seller.__table__))] == ["after@example.com"]


async def test_read_rows_reads_on_the_event_loop_what_fetch_all_reads_in_a_thread(db):
    add_seller(db, "first@example.com")
    sellers = Seller.__table__
    by_email = select_rows(sellers).where(sellers.c.email == bindparam("email"))
    reads = [(by_email, {"email": "first@example.com"}), (select_rows(func.count()).select_from(sellers), None)]
    on_the_loop = await db.read_rows(*reads)
    assert on_the_loop == await asyncio.to_thread(db.fetch_all, *reads)
    assert on_the_loop[0][0].email == "first@example.com" and on_the_loop[1][0][0] == 1
    assert await db.read_rows(reads[0]) == [on_the_loop[0]]
    await db.close_reads()
    assert await db.read_rows(reads[1]) == [on_the_loop[1]]  # a closed pool is opened again when needed
    if db.engine.dialect.name == "postgresql":
        import psycopg

        for refused in ([(select_rows(func.nextval("seller_id_seq")), None)], [(select_rows(func.nextval("seller_id_seq")), None), reads[0]]):
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                await db.read_rows(*refused)
            assert await db.read_rows(*reads) == on_the_loop  # the connection went back to the pool usable
    await db.close_reads()


async def test_a_read_on_postgresql_survives_the_server_dropping_the_pools_connections(db, postgres_server):
    """What SQLAlchemy's pre-ping is for, without its round trip per checkout: a dropped pooled
    connection fails once, is discarded, and the read runs again on a new one."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pooled connections only")
    import psycopg

    add_seller(db, "first@example.com")
    emails = select_rows(Seller.__table__.c.email)
    assert [db.fetch(emails)] == await db.read_rows((emails, None)) == [[("first@example.com",)]]
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        dropped = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = %s AND pid <> pg_backend_pid()", (db.engine.url.database,)).fetchone()[0]
    assert dropped >= 2  # at least the one connection of each reading pool
    try:
        assert db.fetch(emails) == [("first@example.com",)]
        assert await db.read_rows((emails, None), (emails, None)) == [[("first@example.com",)]] * 2
    finally:
        await db.close_reads()


def test_after_commit_is_called_for_a_transaction_that_wrote_and_only_then(db):
    called = []
    db.after_commit.append(lambda: called.append(1))
    with db.transaction() as session:
        session.exec(select(Seller)).all()
    assert called == [], "a transaction that only read"
    with db.transaction() as session:
        session.add(Seller(email="first@example.com", password_hash="x"))  # flushed by the commit
    assert called == [1]
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(Seller(email="second@example.com", password_hash="x"))
        session.flush()
        raise RuntimeError("rolled back")
    assert called == [1], "nothing was committed"
    with db.transaction() as outer:
        outer.exec(select(Seller)).all()
        add_seller(db, "third@example.com")  # its own transaction, inside
        assert called == [1, 1]
        outer.exec(select(Seller)).all()
    assert called == [1, 1], "the outer one only read"


async def test_sqlite_reads_on_the_loop_keep_one_read_only_connection_and_step_aside_when_it_is_busy(db):
    if not db.reads_on_the_loop:
        pytest.skip("SQLite's event-loop reads")
    add_seller(db, "first@example.com")
    emails = (select_rows(Seller.__table__.c.email), None)
    assert await db.read_rows(emails) == [[("first@example.com",)]]
    kept = db._loop_connection.dbapi_connection
    with pytest.raises(sqlite3.OperationalError):  # query_only, as every reading connection
        kept.execute("INSERT INTO seller (email, password_hash) VALUES ('sneaky@example.com', 'x')")
    assert await db.read_rows(emails) == [[("first@example.com",)]] and db._loop_connection.dbapi_connection is kept
    with db._loop_reading:  # in use by another event loop: this read goes through the pool
        assert await db.read_rows(emails) == [[("first@example.com",)]]
    add_seller(db, "second@example.com")  # each read is its own transaction: it sees what was committed
    assert await db.read_rows(emails) == [[("first@example.com",), ("second@example.com",)]]
