"""Account links and login links through the SDK, and the pages their URLs open."""

import re

import httpx
import pytest
import stripe
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from tests.sandbox.shapes import assert_stripe_shape

PLATFORM_COLLECTED = {
    "requirement_collection": "application",
    "losses": {"payments": "application"},
    "fees": {"payer": "application"},
    "stripe_dashboard": {"type": "none"},
}
EXPRESS = {
    "requirement_collection": "stripe",
    "losses": {"payments": "application"},
    "fees": {"payer": "application"},
    "stripe_dashboard": {"type": "express"},
}
REFRESH, RETURN = "https://platform.example/refresh", "https://platform.example/return"


def create_account(client, controller=PLATFORM_COLLECTED) -> str:
    account = client.v1.accounts.create(params={
        "country": "US",
        "controller": controller,
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    })
    return account.id


def create_link(client, account, type="account_onboarding", **params):
    return client.v1.account_links.create(params={
        "account": account, "type": type, "refresh_url": REFRESH, "return_url": RETURN, **params,
    })


def test_onboarding_link_opens_once_then_sends_to_refresh_url(stripe_client, sandbox, sandbox_url):
    account = create_account(stripe_client)
    link = create_link(stripe_client, account)

    assert_stripe_shape(link.last_response.data)
    assert link.object == "account_link"
    assert link.expires_at - link.created == 300
    assert link.url.startswith(f"{sandbox_url}/setup/s/{account}/")

    page = httpx.get(link.url)
    assert page.status_code == 200
    assert account in page.text
    assert f'href="{RETURN}"' in page.text or f"href='{RETURN}'" in page.text
    again = httpx.get(link.url)
    assert again.status_code == 302
    assert again.headers["location"] == REFRESH


def test_expired_link_sends_to_refresh_url(stripe_client, sandbox):
    link = create_link(stripe_client, create_account(stripe_client))
    sandbox.advance_clock(301)
    expired = httpx.get(link.url)
    assert expired.status_code == 302
    assert expired.headers["location"] == REFRESH


def test_tampered_link_is_not_valid(stripe_client):
    link = create_link(stripe_client, create_account(stripe_client))
    assert httpx.get(link.url[:-1] + ("A" if link.url[-1] != "A" else "B")).status_code == 404
    # An onboarding token does not open the update flow.
    assert httpx.get(link.url.replace("/setup/s/", "/setup/e/")).status_code == 404


def test_page_lists_what_the_collection_options_ask_for(stripe_client, sandbox):
    account = create_account(stripe_client)
    stored = sandbox.store.get(account, "account")
    stored["requirements"]["currently_due"] = ["individual.dob.day"]
    stored["requirements"]["eventually_due"] = ["individual.dob.day", "individual.id_number"]
    with sandbox.store.transaction():
        sandbox.store.save(stored)

    currently = httpx.get(create_link(stripe_client, account).url).text
    assert "individual.dob.day" in currently
    assert "individual.id_number" not in currently
    eventually = httpx.get(create_link(
        stripe_client, account, collection_options={"fields": "eventually_due"}).url).text
    assert "individual.id_number" in eventually


def test_update_links_only_for_platform_collected_accounts(stripe_client, sandbox_url):
    custom = create_account(stripe_client)
    assert create_link(stripe_client, custom, "account_update").url.startswith(f"{sandbox_url}/setup/e/{custom}/")

    express = create_account(stripe_client, EXPRESS)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_link(stripe_client, express, "account_update")
    assert raised.value.param == "type"
    assert "account_onboarding" in raised.value.user_message
    assert create_link(stripe_client, express).object == "account_link"


@pytest.mark.parametrize("params, param, code", [
    ({"refresh_url": None}, "refresh_url", "parameter_missing"),
    ({"return_url": "not a url"}, "return_url", "url_invalid"),
    ({"type": "account_management"}, "type", None),
    ({"collect": "eventually_due", "collection_options": {"fields": "eventually_due"}}, "collect", None),
    ({"collection_options": {"fields": "everything"}}, "collection_options[fields]", None),
])
def test_invalid_link_requests_are_refused(stripe_client, params, param, code):
    account = create_account(stripe_client)
    request = {"account": account, "type": "account_onboarding", "refresh_url": REFRESH, "return_url": RETURN}
    request.update(params)
    request = {key: value for key, value in request.items() if value is not None}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.account_links.create(params=request)
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert raised.value.code == code


def test_link_for_unknown_or_platform_account_is_missing(stripe_client, sandbox):
    for account in ("acct_1NoSuchAccount00", sandbox.store.meta("platform_account") or "acct_platform"):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            create_link(stripe_client, account)
        assert raised.value.http_status == 404
        assert raised.value.param == "account"


def test_login_link_for_express_account_is_single_use(stripe_client):
    account = create_account(stripe_client, EXPRESS)
    link = stripe_client.v1.accounts.login_links.create(account)
    assert_stripe_shape(link.last_response.data)
    assert link.object == "login_link"
    first = httpx.get(link.url)
    assert first.status_code == 200
    assert account in first.text
    assert httpx.get(link.url).status_code == 410


def test_login_link_refused_without_express_dashboard(stripe_client):
    account = create_account(stripe_client)  # stripe_dashboard.type = none
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.login_links.create(account)
    assert raised.value.http_status == 400
    assert raised.value.user_message == (
        f"Cannot create an edit link for the account {account}, which is not an Express account."
    )


def test_links_work_under_a_mount_prefix(sandbox):
    """Mounted inside the portal at /sandbox, link URLs and pages stay under the prefix."""
    host = Starlette(routes=[Mount("/sandbox", app=sandbox.asgi)])
    with TestClient(host, base_url="http://portal.test") as client:
        auth = {"Authorization": "Bearer sk_test_sandbox"}
        created = client.post("/sandbox/v1/accounts", headers=auth, data={
            "country": "US",
            **{f"controller[{k}]": v for k, v in (("requirement_collection", "application"),)},
            "controller[losses][payments]": "application", "controller[fees][payer]": "application",
            "controller[stripe_dashboard][type]": "none",
        })
        account = created.json()["id"]
        link = client.post("/sandbox/v1/account_links", headers=auth, data={
            "account": account, "type": "account_onboarding", "refresh_url": REFRESH, "return_url": RETURN,
        }).json()
        assert link["url"].startswith(f"http://portal.test/sandbox/setup/s/{account}/")
        assert client.get(link["url"]).status_code == 200
        assert client.get(link["url"], follow_redirects=False).headers["location"] == REFRESH
        assert client.get("/sandbox/connect.js").headers["content-type"].startswith("text/javascript")


def test_the_hosted_page_answers_risk_interventions(stripe_client):
    """Only a hosted flow can answer an `interv_...` requirement: the page takes the answer."""
    account = create_account(stripe_client)
    stripe_client.raw_request("post", f"/v1/test_helpers/accounts/{account}/interventions")
    due = stripe_client.v1.accounts.retrieve(account).requirements.currently_due
    intervention = next(key for key in due if key.startswith("interv_"))

    link = create_link(stripe_client, account, "account_update")
    page = httpx.get(link.url)
    assert intervention in page.text
    visit = re.search(r"name='visit' value='([^']+)'", page.text).group(1)

    unconfirmed = httpx.post(link.url, data={"visit": visit})
    assert (unconfirmed.status_code, unconfirmed.headers["location"]) == (303, REFRESH)
    page = httpx.get(create_link(stripe_client, account, "account_update").url)
    visit = re.search(r"name='visit' value='([^']+)'", page.text).group(1)
    url = str(page.url)
    done = httpx.post(url, data={"visit": visit, "confirm": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, RETURN)
    assert intervention not in stripe_client.v1.accounts.retrieve(account).requirements.currently_due
    # One answer per visit: the same form again goes to refresh_url.
    assert httpx.post(url, data={"visit": visit, "confirm": "yes"}).headers["location"] == REFRESH
