"""State lives under the folder a command runs from (or PORTAL_VAR_DIR), never beside the code."""

import os
import subprocess
import sys
from pathlib import Path

from portal.settings import PROJECT_ROOT, Settings

PACKAGE = Path(__import__("portal").__file__).resolve().parent


def _places(settings: Settings) -> list[Path]:
    """Every file-system place a setting names: paths, and SQLite database URLs."""
    found = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, Path):
            found.append(value)
        elif isinstance(value, str) and value.startswith("sqlite:///"):
            found.append(Path(value.removeprefix("sqlite:///")))
    return found


def _inside_code(place: Path) -> bool:
    place = place.resolve()
    return any(place == root or root in place.parents for root in (PROJECT_ROOT, PACKAGE))


def test_default_state_is_under_the_working_folder(tmp_path, monkeypatch):
    for name in ("PORTAL_VAR_DIR", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.var_dir == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'portal.db'}"
    places = _places(settings)
    assert places and not any(_inside_code(place) for place in places), places
    settings.signing_key()
    assert (tmp_path / "var" / "secret_key").exists()
    monkeypatch.chdir(PROJECT_ROOT.parent)  # moving afterwards does not move the state
    assert settings.var_dir == tmp_path / "var"


def test_a_relative_var_dir_is_taken_from_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings(PORTAL_VAR_DIR="state").var_dir == tmp_path / "state"


def test_commands_run_elsewhere_write_their_state_there(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in ("PORTAL_VAR_DIR", "DATABASE_URL")}
    code_state = PROJECT_ROOT / "var" / "portal.db"
    before = code_state.stat().st_mtime_ns if code_state.exists() else None
    result = subprocess.run([sys.executable, "-m", "portal", "migrate"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "portal.db").exists()
    assert (code_state.stat().st_mtime_ns if code_state.exists() else None) == before
