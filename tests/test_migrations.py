"""Migrations apply cleanly on SQLite and PostgreSQL and produce exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from portal import models  # noqa: F401
from portal.db import Database


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
