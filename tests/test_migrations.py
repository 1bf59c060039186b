"""Migrations apply cleanly on SQLite and PostgreSQL and produce exactly the models' schema."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.migration import MigrationContext
from sqlalchemy import inspect
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
