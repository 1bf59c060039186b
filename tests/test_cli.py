"""The `portal` command and start-up configuration checks."""

import asyncio
import os
import subprocess
import sys

import psycopg
import pytest

from portal import cli
from portal.db import Database
from portal.settings import Settings, SettingsError, load_settings
from portal.staff.service import create_staff
from portal.staff.models import StaffMember, StaffRole
from tests.conftest import POSTGRES_ADMIN_URL


def _portal(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "portal", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_stripe_mode_names_every_missing_setting(monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_123")
    for name in ("STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "SECRET_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError) as error:
        load_settings()
    for name in ("STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "SECRET_KEY", "PUBLIC_URL"):
        assert name in str(error.value)


def test_a_live_key_outside_production_is_refused():
    settings = Settings(
        stripe_secret_key="sk_live_abc", stripe_publishable_key="pk_live_abc", stripe_webhook_secret="whsec_x",
        secret_key="x" * 40, public_url="https://portal.example",
    )
    with pytest.raises(SettingsError, match="PORTAL_ENV=production"):
        settings.check()


def test_serve_refuses_to_start_with_an_incomplete_stripe_configuration(tmp_path):
    result = _portal("serve", "--port", "1", env={"STRIPE_SECRET_KEY": "sk_test_x", "PORTAL_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "configuration error" in result.stderr and "STRIPE_WEBHOOK_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_sandbox_mode_needs_no_settings_and_keeps_its_secret(tmp_path):
    settings = Settings(PORTAL_VAR_DIR=tmp_path)
    assert settings.sandbox_mode
    assert settings.database_url == f"sqlite:///{tmp_path / 'portal.db'}"
    key = settings.signing_key()
    assert len(key) > 40 and Settings(PORTAL_VAR_DIR=tmp_path).signing_key() == key


def test_migrate_and_create_staff_commands(tmp_path):
    env = {"PORTAL_VAR_DIR": str(tmp_path)}
    assert _portal("migrate", env=env).returncode == 0
    result = _portal("create-staff", "Ops@Platform.example", "--role", "risk", env=env)
    assert result.returncode == 0, result.stderr
    assert "added staff member ops@platform.example (risk)" in result.stdout
    again = _portal("create-staff", "ops@platform.example", "--role", "admin", env=env)
    assert "updated staff member ops@platform.example (admin)" in again.stdout
    bad = _portal("create-staff", "x@y.z", "--role", "owner", env=env)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_create_staff_on_both_databases(db):
    member, created = create_staff(db, "a@platform.example", StaffRole.support)
    assert created and member.role == "support"
    _, created_again = create_staff(db, "A@platform.example", StaffRole.admin)
    with db.transaction() as session:
        stored = session.get(StaffMember, member.id)
    assert not created_again and stored.role == "admin"
    assert isinstance(db, Database)


def test_sandbox_mode_refuses_several_workers(tmp_path):
    result = _portal("serve", "--workers", "2", env={"PORTAL_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0 and "sandbox mode serves one process" in result.stderr


def test_each_sync_pass_closes_its_database_connections(postgres_url, tmp_path, smtp_server):
    # `portal sync` makes an app for its pass (the worker did, for each); its connections stayed
    # open until a garbage collection.
    settings = Settings(PORTAL_VAR_DIR=tmp_path, database_url=postgres_url, secret_key="test-secret-key-not-for-production",
                        smtp_host="127.0.0.1", smtp_port=smtp_server.port)
    schema = Database(postgres_url)
    schema.migrate()
    schema.dispose()

    def connections() -> int:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                 (postgres_url.rsplit("/", 1)[1],)).fetchone()[0]

    with cli._stripe_reachable(settings) as reachable:
        for _ in range(3):
            assert asyncio.run(cli._sync_once(reachable)) == 0
            assert connections() == 0
