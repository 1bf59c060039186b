"""Start and stop the test OpenID Connect provider (tests/oidc/provider.mjs, panva/oidc-provider).

Needs `npm ci --prefix tests/oidc` once; tests that use it are skipped with that hint otherwise."""

import json
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENT_ID, CLIENT_SECRET = "portal-staff", "test-client-secret-not-for-production"
TESTSERVER_CLIENT = {
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "redirect_uris": ["http://testserver/staff/auth/callback"],
    "post_logout_redirect_uris": ["http://testserver/staff/signed-out"],
}
# For the browser tests: a native client on loopback may come back to any port (RFC 8252).
LOOPBACK_CLIENT = {
    "client_id": "portal-staff-loopback",
    "client_secret": CLIENT_SECRET,
    "application_type": "native",
    "redirect_uris": ["http://127.0.0.1/staff/auth/callback"],
    "post_logout_redirect_uris": ["http://127.0.0.1/staff/signed-out"],
}


@dataclass(frozen=True)
class Provider:
    issuer: str

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"


def installed() -> bool:
    return shutil.which("node") is not None and (HERE / "node_modules" / "oidc-provider").is_dir()


@contextmanager
def running_provider(port: int, clients=(TESTSERVER_CLIENT, LOOPBACK_CLIENT)):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as config:
        json.dump({"clients": list(clients)}, config)
    process = subprocess.Popen(["node", str(HERE / "provider.mjs"), str(port), config.name],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        issuer = None
        while time.monotonic() < deadline and issuer is None:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError("the test OIDC provider exited")
            if line.startswith("ready "):
                issuer = line.split()[1]
        if issuer is None:
            raise RuntimeError("the test OIDC provider did not start in 20 s")
        yield Provider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        Path(config.name).unlink(missing_ok=True)
