"""/readyz: 200 when the database answers, its schema is the code's and mail is moving; otherwise
503 naming what failed. /healthz stays the liveness probe."""

from datetime import timedelta

from sqlalchemy import text
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database, utcnow
from portal.integrations.mail import queue_mail
from portal.operations.health import code_heads


def _unstarted(settings):
    """The app without its lifespan: no mailer delivers what a test leaves in the outbox."""
    Database(settings.database_url).migrate()
    return TestClient(create_app(settings), base_url="http://testserver")


def test_ready_when_everything_answers_and_alive_stays_alive(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["failed"] == []
    assert set(ready.json()["checks"]) == {"database", "migrations", "outbox"}
    assert ready.headers["cache-control"] == "no-store"
    assert client.get("/healthz").json()["status"] == "ok"


def test_a_database_behind_the_code_is_not_ready(settings):
    client = _unstarted(settings)
    (head,) = code_heads()
    with client.app.state.db.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["failed"] == ["migrations"]
    assert answer.json()["checks"]["migrations"]["detail"] == f"database at 0001, code at {head}"


def test_mail_stuck_in_the_outbox_is_not_ready_and_fresh_mail_is(settings):
    client = _unstarted(settings.model_copy(update={"ready_outbox_max_age": 600}))
    with client.app.state.db.transaction() as session:
        queue_mail(session, to="ann@example.com", subject="Confirm", text="link").created_at = utcnow() - timedelta(seconds=60)
    assert client.get("/readyz").status_code == 200
    with client.app.state.db.transaction() as session:
        queue_mail(session, to="bob@example.com", subject="Confirm", text="link").created_at = utcnow() - timedelta(hours=2)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failed"] == ["outbox"]
    assert "2 unsent message(s), the oldest 72" in answer.json()["checks"]["outbox"]["detail"]


def test_mail_kept_in_the_outbox_without_smtp_is_not_stuck(settings):
    client = _unstarted(settings.model_copy(update={"smtp_host": ""}))
    with client.app.state.db.transaction() as session:
        queue_mail(session, to="ann@example.com", subject="Hi", text="x").created_at = utcnow() - timedelta(days=3)
    assert client.get("/readyz").status_code == 200


def test_an_unreachable_database_is_not_ready(settings):
    unreachable = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:9/nowhere"})
    answer = TestClient(create_app(unreachable)).get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["failed"] == ["database", "migrations", "outbox"]
    assert answer.json()["checks"]["database"]["detail"].startswith("unreachable (")


def test_a_database_the_pages_cannot_read_is_not_ready(settings, monkeypatch):
    client = _unstarted(settings)

    def refused(*_args, **_kwargs):
        raise TimeoutError("no reading connection")

    monkeypatch.setattr(client.app.state.db, "fetch", refused)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and "database" in answer.json()["failed"]
    assert answer.json()["checks"]["database"]["detail"] == "unreachable (TimeoutError)"
