"""Staff console fixtures: the real test OIDC provider on loopback, and signed-in staff clients."""

from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from portal.staff.models import StaffRole
from portal.staff.service import create_staff
from tests.conftest import free_port, post_form
from tests.oidc import launcher
from tests.staff.helpers import onboarded_seller, staff_browser


@pytest.fixture(scope="session")
def oidc_provider():
    if not launcher.installed():
        pytest.skip("the test OIDC provider is not installed: npm ci --prefix tests/oidc")
    with launcher.running_provider(free_port()) as provider:
        yield provider


@pytest.fixture
def sso_settings(settings, oidc_provider):
    return settings.model_copy(update={
        "staff_oidc_discovery_url": oidc_provider.discovery_url,
        "staff_oidc_client_id": launcher.CLIENT_ID,
        "staff_oidc_client_secret": SecretStr(launcher.CLIENT_SECRET),
        "staff_oidc_scope": "openid email profile roles",
    })


@pytest.fixture
def sso_client(sso_settings):
    Database(sso_settings.database_url).migrate()
    with TestClient(create_app(sso_settings), base_url="http://testserver", client=("198.51.100.4", 50000)) as client:
        yield client


def provider_redirect(client, next_path: str = ""):
    """Press 'Sign in with single sign-on': the portal's redirect to the provider."""
    response = client.get("/staff/sign-in/start", params={"next": next_path} if next_path else None, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def log_in_at_provider(authorize_url: str, login: str) -> str:
    """Play the browser at the provider: its login form, then back to the portal. Returns the callback URL."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorize_url)
        while True:
            location = response.headers.get("location", "")
            if location.startswith("http://testserver/"):
                return location
            if response.status_code in (302, 303):
                response = browser.get(httpx.URL(str(response.url)).join(location))
                continue
            assert response.status_code == 200, response.text
            assert 'name="login"' in response.text, response.text
            action = response.text.split('action="', 1)[1].split('"', 1)[0]
            response = browser.post(httpx.URL(str(response.url)).join(action),
                                    data={"prompt": "login", "login": login, "password": "any"})


def sso_sign_in(client, login: str, next_path: str = ""):
    callback = log_in_at_provider(provider_redirect(client, next_path), login)
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def dev_sign_in(client, email: str, role: StaffRole = StaffRole.support):
    """Sandbox mode without a provider: the development sign-in, as `portal create-staff` then the page."""
    member, _ = create_staff(client.app.state.db, email, role)
    response = post_form(client, "/staff/sign-in/development", {"staff_id": str(member.id)}, page="/staff/sign-in",
                         follow_redirects=False)
    assert response.status_code == 303, response.text
    return member


# A seller onboarded through the portal against the sandbox, and staff browsers beside them.


@pytest.fixture
def seller(sandboxed_client, inbox) -> int:
    return onboarded_seller(sandboxed_client, inbox)


@pytest.fixture
def support(sandboxed_client):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test", StaffRole.support)
    return staff


@pytest.fixture
def risk(sandboxed_client):
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "rita@platform.test", StaffRole.risk)
    return staff
