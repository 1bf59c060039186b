"""Several processes write the mirror at once (PostgreSQL, several web processes): the first
insert of the same object from many threads at once raises nothing and leaves one row."""

import threading

from sqlmodel import func, select

from portal.accounts import service
from portal.connect import mirror
from portal.connect.models import AccountBalance, ChargeRecord, ConnectedAccount, DisputeRecord, PayoutRecord
from portal.db import Database

RACERS = 8


def _race(write, rounds: int = 10) -> None:
    """Run write(round, racer) from RACERS threads released together, `rounds` times; no errors."""
    errors = []
    for round_ in range(rounds):
        gate = threading.Barrier(RACERS)

        def run(racer: int):
            gate.wait()
            try:
                write(round_, racer)
            except Exception as exc:  # noqa: BLE001 - the test is that there are none
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(racer,)) for racer in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


def _count(db: Database, model, **where) -> int:
    with db.transaction() as session:
        return session.exec(select(func.count()).select_from(model).filter_by(**where)).one()


def test_first_inserts_racing_leave_one_row_each_and_no_error(database_url):
    # Each thread has its own engine, as separate processes would.
    engines = [Database(database_url) for _ in range(RACERS)]
    engines[0].migrate()
    sellers = [service.sign_up(engines[0], f"race{n}@example.com", "violet tractor salad 42").id for n in range(10)]

    def write(n: int, racer: int) -> None:
        database, account = engines[racer], f"acct_race{n}"
        mirror.record_account(database, sellers[n], {"id": account, "object": "account"}, as_of=100)
        mirror.record_payout(database, account, {"id": f"po_{n}", "amount": 500, "currency": "usd", "status": "pending",
                                                 "created": 1}, as_of=100)
        mirror.record_dispute(database, account, {"id": f"dp_{n}", "amount": 500, "currency": "usd", "charge": "ch_1",
                                                  "status": "needs_response", "created": 1}, as_of=100)
        mirror.record_balance(database, account, {"available": [{"amount": -5, "currency": "usd"}]}, as_of=100)
        mirror.mark_balance_stale(database, account)
        mirror.record_charge(database, account, {"id": f"ch_{n}", "amount": 500, "currency": "usd", "created": 1})

    _race(write)
    check = engines[0]
    for n in range(10):
        account = f"acct_race{n}"
        assert _count(check, ConnectedAccount, stripe_account_id=account) == 1
        assert _count(check, PayoutRecord, id=f"po_{n}") == 1
        assert _count(check, DisputeRecord, id=f"dp_{n}") == 1
        assert _count(check, AccountBalance, stripe_account_id=account) == 1
        assert _count(check, ChargeRecord, id=f"ch_{n}") == 1
    for engine in engines:
        engine.dispose()
