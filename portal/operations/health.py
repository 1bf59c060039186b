"""GET /readyz: may this process take traffic? The database answers, its schema is the code's
(Alembic's head is applied), and mail is not stuck (the oldest unsent message is younger than
READY_OUTBOX_MAX_AGE). 200 or 503, with a JSON body naming each check and what failed.
/healthz (portal/home.py) only says the process is alive and reaches the database."""

import logging
from datetime import timedelta

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import literal_column, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from portal.db import MIGRATIONS, Database, utcnow
from portal.integrations.mail import outbox_backlog

log = logging.getLogger(__name__)
# Read the way pages read (Database.fetch: on PostgreSQL psycopg's own pool, not the engine's).
PROBE = select(literal_column("1").label("one"))


def code_heads() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


def readiness(db: Database, outbox_max_age: int, *, sends_mail: bool) -> dict[str, dict]:
    """Each check's name -> {"ok": bool, "detail": words for an operator (no data)}."""
    try:
        with db.engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
        db.fetch(PROBE)
    except Exception as exc:  # an unreachable database fails every check that needs it
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        unknown = _check(False, "not checked: the database is unreachable")
        return {"database": _check(False, f"unreachable ({type(exc).__name__})"), "migrations": unknown, "outbox": unknown}
    expected = code_heads()
    checks = {
        "database": _check(True, "reachable"),
        "migrations": _check(applied == expected, f"database at {', '.join(sorted(applied)) or 'no revision'}, "
                                                  f"code at {', '.join(sorted(expected))}"),
    }
    if not sends_mail:
        checks["outbox"] = _check(True, "no SMTP_HOST: mail stays in the outbox")
        return checks
    backlog = outbox_backlog(db)
    age = utcnow() - backlog.oldest_waiting if backlog.oldest_waiting else timedelta(0)
    checks["outbox"] = _check(age <= timedelta(seconds=outbox_max_age),
                              f"{backlog.waiting} unsent message(s), the oldest {int(age.total_seconds())} s old "
                              f"(limit {outbox_max_age} s)")
    return checks


def _check(ok: bool, detail: str) -> dict:
    return {"ok": ok, "detail": detail}


async def readyz(request: Request):
    settings = request.app.state.settings
    checks = await run_in_threadpool(readiness, request.app.state.db, settings.ready_outbox_max_age,
                                     sends_mail=bool(settings.smtp_host))
    failed = sorted(name for name, check in checks.items() if not check["ok"])
    return JSONResponse({"status": "not ready" if failed else "ready", "failed": failed, "checks": checks},
                        status_code=503 if failed else 200, headers={"cache-control": "no-store"})
