"""The seller gate (portal/accounts/gate.py), checked over the whole route table: no seller route,
page or JSON, answers someone who has not finished signing in, whatever was added since."""

import pytest

from portal.accounts.gate import BEFORE_ENROLMENT, BEFORE_SIGN_IN, SECURITY_PAGES_WHILE_VIEWING
from tests.conftest import csrf_from, log_in, post_form, sign_up
from tests.onboarding.flows import asked_for_two_step
from tests.route_table import endpoints
from tests.security.helpers import enrol

EMAIL = "ann@annsbakery.com"
LOGIN, ENROL = "/account/login", "/account/security/two-factor"


def gated(app, exempt: frozenset) -> list[tuple[str, str, str]]:
    """(name, method, path) of every seller route and method the gate must stop; path params are
    placeholders, since the gate answers before any handler reads them."""
    found = [(e.name, method, e.fill({name: "1" for name in e.params}))
             for e in endpoints(app) if e.seller_route and e.name not in exempt for method in e.methods]
    assert len(found) > 20, found  # the walk found the table
    return found


def ask(client, method: str, path: str, token: str, *, as_script: bool):
    """As a browser does (a page, a form post) or as the embedded components' script does (JSON)."""
    if as_script:
        return client.request(method, path, headers={"x-csrf-token": token, "accept": "application/json"},
                              follow_redirects=False)
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.request(method, path, data={"csrf_token": token}, follow_redirects=False)


def assert_stopped(client, routes, *, page_goes_to: str, json_status: int):
    token = csrf_from(client.get(LOGIN if page_goes_to == LOGIN else ENROL).text)
    for name, method, path in routes:
        page = ask(client, method, path, token, as_script=False)
        assert page.status_code == 303 and page.headers["location"].split("?")[0] == page_goes_to, (name, method, page.status_code)
        script = ask(client, method, path, token, as_script=True)
        assert script.status_code == json_status, (name, method, script.status_code, script.text[:200])
        assert script.headers["content-type"] == "application/json" and "client_secret" not in script.json(), name


def test_every_seller_route_but_the_named_ones_sends_a_stranger_to_sign_in(client):
    assert_stopped(client, gated(client.app, BEFORE_SIGN_IN), page_goes_to=LOGIN, json_status=401)


def test_with_only_the_password_a_seller_who_must_enrol_reaches_nothing_but_enrolment(sandboxed_client, inbox):
    client = sandboxed_client
    asked_for_two_step(client, inbox, EMAIL)  # a Stripe account: two factors are required from now on
    post_form(client, "/account/logout", {}, page="/account/security/two-factor")
    assert log_in(client, EMAIL).headers["location"] == ENROL

    assert_stopped(client, gated(client.app, BEFORE_SIGN_IN | BEFORE_ENROLMENT), page_goes_to=ENROL, json_status=403)

    # Not a gate that stops everyone: once the second factor is set up, the same requests get through.
    enrol(client)
    token = csrf_from(client.get("/dashboard").text)
    session = client.post("/account-session", headers={"x-csrf-token": token, "accept": "application/json"})
    assert session.status_code == 200 and session.json()["client_secret"].startswith("accs_")
    assert client.get("/payouts", follow_redirects=False).status_code == 200


def test_an_unconfirmed_email_opens_no_onboarding_route(client, inbox):
    sign_up(client, EMAIL)
    assert log_in(client, EMAIL).status_code == 303
    token = csrf_from(client.get("/dashboard").text)
    onboarding = [route for route in gated(client.app, BEFORE_SIGN_IN) if route[0].startswith("onboarding:")]
    assert onboarding

    for name, method, path in onboarding:
        response = ask(client, method, path, token, as_script=False)
        assert response.status_code == 303 and response.headers["location"] == "/dashboard", (name, method)


@pytest.mark.parametrize("names", [BEFORE_SIGN_IN, BEFORE_ENROLMENT, SECURITY_PAGES_WHILE_VIEWING])
def test_the_named_exemptions_are_routes_of_the_table(app, names):
    assert names <= {endpoint.name for endpoint in endpoints(app)}
