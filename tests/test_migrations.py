"""Migrations apply cleanly on SQLite and PostgreSQL and produce exactly the models' schema."""

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from portal import models  # noqa: F401
from portal.db import MIGRATIONS, Database


def test_migrations_build_the_schema_the_models_describe(database_url):
    db = Database(database_url)
    db.migrate()
    db.migrate()  # applying again is a no-op, as every `portal serve` start does
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert {"seller", "login_session", "used_link", "outbox_message", "staff_member", "alembic_version"} <= tables
    db.dispose()


def test_migrations_are_one_line_and_go_down_and_up_again(database_url):
    db = Database(database_url)
    db.migrate()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with db.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    db.migrate()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    db.dispose()


def test_events_stored_before_their_payloads_moved_keep_them_both_ways(database_url):
    """0018 moves each event's body to stripe_event_payload. On SQLite the move rebuilds
    stripe_event, and dropping the old table would delete, through ON DELETE CASCADE, every payload
    already referring to it: the payloads must come through, up and down."""
    db = Database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    event = {"id": "evt_kept", "object": "event", "type": "account.updated", "data": {"object": {"id": "acct_1"}}}

    def migrate(direction, revision: str) -> None:
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            direction(config, revision)

    migrate(command.upgrade, "0017")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO stripe_event (id, type, created, livemode, payload, received_at, outcome, error, "
                                "due_at, claim, attempts) VALUES ('evt_kept', 'account.updated', 1, false, :payload, "
                                "CURRENT_TIMESTAMP, '', '', 0, '', 0)"), {"payload": json.dumps(event)})
    migrate(command.upgrade, "head")
    with db.engine.connect() as connection:
        moved = connection.execute(text("SELECT id, payload FROM stripe_event_payload")).all()
    assert [(row.id, row.payload if isinstance(row.payload, dict) else json.loads(row.payload)) for row in moved] == [
        ("evt_kept", event)]
    migrate(command.downgrade, "0017")
    with db.engine.connect() as connection:
        back = connection.execute(text("SELECT payload FROM stripe_event WHERE id = 'evt_kept'")).scalar_one()
    assert (back if isinstance(back, dict) else json.loads(back)) == event
    migrate(command.downgrade, "base")
    db.dispose()
