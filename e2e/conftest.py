"""Browser journeys run in Debian's Chromium; Playwright's own browser download cannot work here."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
from tests.conftest import free_port, smtp_server  # noqa: F401  (smtp_server is a fixture)

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def artifacts_dir():
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def smtp_inbox(smtp_server):
    """The real SMTP server on loopback (tests/conftest.py) that the portal under test mails to."""
    return smtp_server


# Which Accounts API the served portals use. PORTAL_E2E_ACCOUNTS_API=v2 runs the whole suite on
# Accounts v2; by default it runs on v1, and the journeys marked `both_accounts_apis` run on both
# (the main onboarding journey and a staff journey: a full second pass would double e2e time).
ACCOUNTS_API = os.environ.get("PORTAL_E2E_ACCOUNTS_API", "v1")
# Seconds `portal serve` may take to answer (a loaded machine may need more than the default).
START_TIMEOUT = float(os.environ.get("PORTAL_E2E_START_TIMEOUT", "90"))


def pytest_configure(config):
    config.addinivalue_line("markers", "both_accounts_apis: run this journey on Accounts v1 and on v2")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A journey that fails says where the browser was and what it showed: CI keeps the output, not
    screenshots."""
    report = yield
    page = item.funcargs.get("page")
    if report.when == "call" and report.failed and page is not None:
        try:
            shown = page.locator("main").inner_text(timeout=2000)
        except Exception as failure:  # noqa: BLE001 - the page may be gone; the report says so
            shown = f"(the page could not be read: {type(failure).__name__})"
        report.sections.append(("the page when it failed", f"{page.url}\n{shown[:4000]}"))
    return report


def pytest_generate_tests(metafunc):
    if "portal_url" not in metafunc.fixturenames:
        return
    both = metafunc.definition.get_closest_marker("both_accounts_apis") is not None and ACCOUNTS_API == "v1"
    metafunc.parametrize("accounts_api", ["v1", "v2"] if both else [ACCOUNTS_API], indirect=False,
                         ids=lambda api: f"accounts_{api}")


@pytest.fixture
def portal_env():
    """Extra environment for the served portal (a test module may override this fixture)."""
    return {}


@pytest.fixture
def portal_url(tmp_path, smtp_inbox, portal_env, accounts_api):
    """The portal as a new user starts it (`portal serve`), on a free loopback port, in sandbox mode,
    its mail going to the test SMTP server and the sandbox verifying at once."""
    smtp_inbox.clear()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STRIPE_", "DATABASE_URL", "SMTP_", "SANDBOX_"))}
    env["PORTAL_VAR_DIR"] = str(tmp_path / "var")
    env["SMTP_HOST"], env["SMTP_PORT"] = "127.0.0.1", str(smtp_inbox.port)
    env["SANDBOX_VERIFICATION_DELAY"] = "0"
    env["SELLER_TERMS_URL"] = "https://platform.example/seller-terms"
    env["STRIPE_ACCOUNTS_API"] = accounts_api
    env.update(portal_env)
    # Its output goes to a file: a pipe nobody reads while the journey runs fills up (64 KiB) and
    # then blocks the portal's next log line, which hangs whatever request was logging.
    log_path = tmp_path / "portal-serve.log"
    log_file = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log_file, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("portal serve exited:\n" + log_path.read_text()[-5000:])
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"portal serve did not answer in {START_TIMEOUT:g} s")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log_file.close()
