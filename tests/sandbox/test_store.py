"""The sandbox's document store: transactions, savepoints, privacy of private data."""

import threading

import pytest

from portal.sandbox.store import Store


@pytest.fixture
def store(tmp_path):
    opened = Store(str(tmp_path / "store.sqlite3"))
    yield opened
    opened.close()


def test_documents_round_trip_newest_first_and_by_owner(store):
    store.create({"id": "a_1", "object": "thing", "n": 1})
    store.create({"id": "a_2", "object": "thing", "n": 2}, owner="acct_1")
    store.create({"id": "b_1", "object": "other"})
    assert [o["id"] for o in store.list("thing")] == ["a_2", "a_1"]
    assert [o["id"] for o in store.list("thing", owner=None)] == ["a_1"]
    assert [o["id"] for o in store.list("thing", owner="acct_1")] == ["a_2"]
    assert [o["id"] for o in store.list("thing", where={"n": 1})] == ["a_1"]
    assert store.get("a_1", "other") is None
    assert store.owner("a_2") == "acct_1"


def test_private_data_stays_apart_from_the_public_object(store):
    store.create({"id": "ba_1", "object": "bank_account", "last4": "6789"}, private={"number": "000123456789"})
    assert store.get("ba_1") == {"id": "ba_1", "object": "bank_account", "last4": "6789"}
    assert store.private("ba_1") == {"number": "000123456789"}
    store.save({"id": "ba_1", "object": "bank_account", "last4": "6789", "status": "new"})
    assert store.private("ba_1") == {"number": "000123456789"}


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.create({"id": "x_1", "object": "thing"})
            raise RuntimeError
    assert store.get("x_1") is None


def test_a_failed_nested_transaction_undoes_only_its_own_writes(store):
    with store.transaction():
        store.create({"id": "kept", "object": "thing"})
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.create({"id": "undone", "object": "thing"})
                raise RuntimeError
        store.create({"id": "after", "object": "thing"})
    assert [o["id"] for o in store.list("thing")] == ["after", "kept"]


def test_after_commit_callbacks_run_only_on_commit(store):
    ran = []
    with store.transaction():
        store.after_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError
    assert ran == ["committed"]


def test_other_threads_never_see_a_transaction_half_done(store):
    seen = []
    inside = threading.Event()

    def reader():
        inside.wait()
        seen.append(len(store.list("thing")))

    thread = threading.Thread(target=reader)
    thread.start()
    with store.transaction():
        store.create({"id": "t_1", "object": "thing"})
        inside.set()
        thread.join(0.1)  # the reader is blocked until we commit
        store.create({"id": "t_2", "object": "thing"})
    thread.join()
    assert seen == [2]


def test_state_survives_reopening(tmp_path):
    path = str(tmp_path / "again.sqlite3")
    first = Store(path)
    first.create({"id": "p_1", "object": "thing"}, private={"secret": "s"})
    first.set_meta("clock_offset", 42.5)
    first.close()
    second = Store(path)
    assert second.get("p_1") == {"id": "p_1", "object": "thing"}
    assert second.private("p_1") == {"secret": "s"}
    assert second.meta("clock_offset") == 42.5
    second.close()
