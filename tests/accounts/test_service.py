"""The account functions on both databases (PostgreSQL when one is reachable)."""

import threading

from sqlmodel import select

from portal.accounts import service
from portal.accounts.links import LinkProblem, LinkPurpose
from portal.accounts.models import LoginSession, Seller

SECRET = "service-test-secret"
PASSWORD = "violet tractor salad 42"


def test_sign_up_stores_only_an_argon2_hash(db):
    seller = service.sign_up(db, " Ana@Example.COM ", PASSWORD)
    assert seller.email == "ana@example.com"
    assert seller.password_hash.startswith("$argon2id$") and PASSWORD not in seller.password_hash
    assert service.authenticate(db, "ana@example.com", PASSWORD).id == seller.id
    assert service.authenticate(db, "ana@example.com", "wrong") is None
    assert service.authenticate(db, "nobody@example.com", PASSWORD) is None


def test_duplicate_email_is_refused_by_the_database(db):
    service.sign_up(db, "dup@example.com", PASSWORD)
    try:
        service.sign_up(db, "DUP@example.com", PASSWORD)
    except service.EmailTaken:
        pass
    else:
        raise AssertionError("a second account with the same email was created")


def test_sessions_open_resolve_and_close(db):
    seller = service.sign_up(db, "s@example.com", PASSWORD)
    session_id = service.open_session(db, seller.id, "127.0.0.1", "pytest")
    assert service.session_seller(db, session_id, max_age=3600).id == seller.id
    with db.transaction() as session:
        stored = session.exec(select(LoginSession)).one()
    assert stored.id != session_id  # only a digest of the cookie's id is kept
    service.close_session(db, session_id)
    assert service.session_seller(db, session_id, max_age=3600) is None


def test_links_work_once_even_when_used_concurrently(db):
    seller = service.sign_up(db, "race@example.com", PASSWORD)
    token = service.confirmation_token(SECRET, seller)
    results = []
    barrier = threading.Barrier(4)

    def use() -> None:
        barrier.wait()
        results.append(service.confirm_email(db, SECRET, token, 3600))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(result, Seller) for result in results) == 1
    assert all(result is LinkProblem.used for result in results if not isinstance(result, Seller))


def test_a_link_for_one_purpose_does_not_work_for_another(db):
    seller = service.sign_up(db, "purpose@example.com", PASSWORD)
    confirm = service.confirmation_token(SECRET, seller)
    assert service.check_link(db, SECRET, LinkPurpose.reset_password, confirm, 3600) is LinkProblem.invalid
    assert service.check_link(db, "another-secret", LinkPurpose.confirm_email, confirm, 3600) is LinkProblem.invalid


def test_reset_replaces_the_hash_and_ends_every_session(db):
    seller = service.sign_up(db, "r@example.com", PASSWORD)
    sessions = [service.open_session(db, seller.id, "10.0.0.1", "a"), service.open_session(db, seller.id, "10.0.0.2", "b")]
    token = service.reset_token(SECRET, seller)
    assert isinstance(service.reset_password(db, SECRET, token, 3600, "brand new pass phrase"), Seller)
    assert all(service.session_seller(db, sid, 3600) is None for sid in sessions)
    assert service.authenticate(db, "r@example.com", "brand new pass phrase") is not None
    assert service.reset_password(db, SECRET, token, 3600, "another new phrase!!") is LinkProblem.used
