"""The wire protocol, through the official SDK (and raw HTTP where the SDK cannot go)."""

import httpx
import pytest
import stripe

from portal.sandbox import protocol
from portal.sandbox.app import create_sandbox
from portal.sandbox.testing import fast_config, running
from tests.sandbox.conftest import call_helper, make_client
from tests.sandbox.shapes import assert_stripe_shape

AUTH = {"Authorization": "Bearer sk_test_sandbox"}


def create_endpoint(client, **params):
    return client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/hooks", "enabled_events": ["*"], **params}
    )


def add_account(sandbox, account_id="acct_1TestAccount0001"):
    """A bare connected account, enough for Stripe-Account checks before accounts.py exists."""
    if sandbox.store.get(account_id) is None:
        sandbox.store.create({"id": account_id, "object": "account"})
    return account_id


# Authentication


def test_missing_api_key_is_a_401_in_stripes_shape(sandbox_url):
    response = httpx.get(f"{sandbox_url}/v1/webhook_endpoints")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You did not provide an API key.")
    assert response.headers["Request-Id"].startswith("req_")


def test_wrong_secret_key_is_rejected_with_the_key_masked(sandbox_url):
    client = make_client(sandbox_url, api_key="sk_test_notTheSandboxKey1234")
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.webhook_endpoints.list()
    assert caught.value.http_status == 401
    assert caught.value.user_message == "Invalid API Key provided: sk_test_****************1234"


def test_publishable_key_cannot_call_the_api(sandbox_url):
    client = make_client(sandbox_url, api_key="pk_test_sandbox")
    with pytest.raises(stripe.AuthenticationError, match="publishable API key"):
        client.v1.webhook_endpoints.list()


def test_basic_auth_with_the_key_as_user_works_like_curl_u(sandbox_url):
    assert httpx.get(f"{sandbox_url}/v1/webhook_endpoints", auth=("sk_test_sandbox", "")).status_code == 200
    assert httpx.get(f"{sandbox_url}/v1/webhook_endpoints", auth=("sk_test_other", "")).status_code == 401
    garbled = httpx.get(f"{sandbox_url}/v1/webhook_endpoints", headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 401


# Headers


def test_request_id_and_stripe_version_come_back(stripe_client, sandbox_url):
    endpoints = stripe_client.v1.webhook_endpoints.list()
    assert endpoints.last_response.request_id.startswith("req_")
    response = httpx.get(
        f"{sandbox_url}/v1/webhook_endpoints",
        headers={"Authorization": "Bearer sk_test_sandbox", "Stripe-Version": "2024-06-20"},
    )
    assert response.headers["Stripe-Version"] == "2024-06-20"
    assert httpx.get(
        f"{sandbox_url}/v1/webhook_endpoints", headers=AUTH
    ).headers["Stripe-Version"] == "2026-10-28.endive"


def test_unknown_stripe_account_is_refused_like_stripe(stripe_client):
    with pytest.raises(stripe.PermissionError) as caught:
        stripe_client.v1.events.list(options={"stripe_account": "acct_1DoesNotExist000"})
    error = caught.value.json_body["error"]
    assert caught.value.http_status == 403
    assert error["code"] == "account_invalid"
    assert "does not have access to account 'acct_1DoesNotExist000'" in error["message"]
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/account-invalid"


def test_known_stripe_account_is_accepted(stripe_client, sandbox):
    account = add_account(sandbox)
    events = stripe_client.v1.events.list(options={"stripe_account": account})
    assert events.data == []


def test_unknown_url_is_a_json_404(sandbox_url):
    response = httpx.post(f"{sandbox_url}/v1/nothing/here", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "Unrecognized request URL (POST: /v1/nothing/here). Please see https://stripe.com/docs"
    )
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_wrong_method_on_a_known_path_is_unrecognized(sandbox_url):
    response = httpx.put(f"{sandbox_url}/v1/webhook_endpoints", headers=AUTH)
    assert response.status_code == 404
    assert "(PUT: /v1/webhook_endpoints)" in response.json()["error"]["message"]


# Decoding and parameter checks


def test_bracket_notation_with_empty_and_indexed_arrays(sandbox_url, stripe_client):
    body = (
        "url=https://example.com/a&enabled_events[]=account.updated&enabled_events[]=payout.paid"
        "&metadata[order][id]=x"
    )
    response = httpx.post(
        f"{sandbox_url}/v1/webhook_endpoints", content=body,
        headers={"Authorization": "Bearer sk_test_sandbox", "Content-Type": "application/x-www-form-urlencoded"},
    )
    # metadata values must be strings: a nested map is refused, naming the bracket param.
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "metadata[order]"

    body = "url=https://example.com/a&enabled_events[0]=account.updated&enabled_events[1]=payout.paid&metadata[k]=v"
    response = httpx.post(
        f"{sandbox_url}/v1/webhook_endpoints", content=body,
        headers={"Authorization": "Bearer sk_test_sandbox", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    created = response.json()
    assert created["enabled_events"] == ["account.updated", "payout.paid"]
    assert created["metadata"] == {"k": "v"}


def test_query_params_use_bracket_notation_too(sandbox_url, sandbox):
    with sandbox.store.transaction():
        sandbox.emit("payout.paid", {"id": "po_1", "object": "payout"})
        sandbox.emit("account.updated", {"id": "acct_1", "object": "account"})
        sandbox.emit("payout.failed", {"id": "po_2", "object": "payout"})
    response = httpx.get(
        f"{sandbox_url}/v1/events?types[]=payout.paid&types[]=payout.failed&limit=5",
        headers=AUTH,
    )
    assert [e["type"] for e in response.json()["data"]] == ["payout.failed", "payout.paid"]


def test_unknown_top_level_parameter(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create_endpoint(stripe_client, colour="blue")
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "colour"
    assert caught.value.user_message == "Received unknown parameter: colour"


def test_unknown_nested_parameter_names_the_full_bracket_path(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.events.list(params={"created": {"gte": 1, "around": 5}})
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "created[around]"


def test_missing_required_parameter(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.webhook_endpoints.create(params={"enabled_events": ["*"]})
    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "url"


def test_integers_are_coerced_and_bad_ones_rejected(stripe_client, sandbox_url):
    for _ in range(3):
        create_endpoint(stripe_client)
    assert len(stripe_client.v1.webhook_endpoints.list(params={"limit": 2}).data) == 2
    response = httpx.get(f"{sandbox_url}/v1/webhook_endpoints?limit=two", headers=AUTH)
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["param"]) == (400, "parameter_invalid_integer", "limit")
    assert error["message"] == "Invalid integer: two"


def test_booleans_are_coerced_and_bad_ones_rejected(stripe_client, sandbox, sandbox_url):
    endpoint = create_endpoint(stripe_client, connect=True)
    assert sandbox.store.private(endpoint.id)["connect"] is True
    response = httpx.post(
        f"{sandbox_url}/v1/webhook_endpoints",
        data={"url": "https://e.com/x", "enabled_events[0]": "*", "connect": "yes"},
        headers=AUTH,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "connect"


def test_closed_enums_are_checked_with_stripes_wording(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create_endpoint(stripe_client, enabled_events=["account.updated", "account.exploded"])
    assert caught.value.param == "enabled_events[1]"
    assert caught.value.user_message.startswith(
        "Invalid enabled_events[1]: must be one of *, account.application.authorized"
    )


def test_empty_string_unsets_where_the_sdk_allows_it(stripe_client):
    endpoint = create_endpoint(stripe_client, description="first")
    updated = stripe_client.v1.webhook_endpoints.update(endpoint.id, params={"description": ""})
    assert updated.description is None


# Metadata


def test_metadata_merge_delete_and_clear(stripe_client):
    endpoint = create_endpoint(stripe_client, metadata={"a": "1", "b": "2"})
    updated = stripe_client.v1.webhook_endpoints.update(endpoint.id, params={"metadata": {"b": "", "c": "3"}})
    assert updated.metadata.to_dict() == {"a": "1", "c": "3"}
    cleared = stripe_client.v1.webhook_endpoints.update(endpoint.id, params={"metadata": ""})
    assert cleared.metadata.to_dict() == {}


def test_metadata_limits(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create_endpoint(stripe_client, metadata={"k" * 41: "v"})
    assert "40 characters" in caught.value.user_message


# Idempotency


def test_same_key_same_params_replays_the_first_response(stripe_client, sandbox_url):
    first = stripe_client.v1.webhook_endpoints.create(
            params={"url": "https://example.com/a", "enabled_events": ["*"]}, options={"idempotency_key": "key-1"}
        )
    again = stripe_client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/a", "enabled_events": ["*"]}, options={"idempotency_key": "key-1"}
    )
    assert again.id == first.id
    assert again.secret == first.secret
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.headers["Original-Request"] == first.last_response.request_id
    assert len(stripe_client.v1.webhook_endpoints.list().data) == 1


def test_same_key_different_params_is_an_idempotency_error(stripe_client):
    stripe_client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/a", "enabled_events": ["*"]}, options={"idempotency_key": "key-2"}
    )
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.webhook_endpoints.create(
            params={"url": "https://example.com/b", "enabled_events": ["*"]}, options={"idempotency_key": "key-2"}
        )
    assert caught.value.http_status == 400
    assert caught.value.json_body["error"]["type"] == "idempotency_error"
    assert "key-2" in caught.value.user_message


def test_concurrent_requests_with_one_key_run_once(stripe_client):
    from concurrent.futures import ThreadPoolExecutor

    def create(_):
        return stripe_client.v1.webhook_endpoints.create(
            params={"url": "https://example.com/a", "enabled_events": ["*"]}, options={"idempotency_key": "race"}
        ).id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(create, range(6)))
    assert len(ids) == 1
    assert [e.id for e in stripe_client.v1.webhook_endpoints.list().data] == list(ids)


def test_idempotency_keys_are_scoped_per_account(stripe_client, sandbox):
    account = add_account(sandbox)
    params = {"url": "https://example.com/a", "enabled_events": ["*"]}
    platform = stripe_client.v1.webhook_endpoints.create(params=params, options={"idempotency_key": "shared"})
    connected = stripe_client.v1.webhook_endpoints.create(
        params=params, options={"idempotency_key": "shared", "stripe_account": account}
    )
    assert platform.id != connected.id


def test_errors_after_validation_are_replayed_too(stripe_client):
    params = {"url": "ftp://example.com/a", "enabled_events": ["*"]}
    with pytest.raises(stripe.InvalidRequestError) as first:
        stripe_client.v1.webhook_endpoints.create(params=params, options={"idempotency_key": "bad-url"})
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.webhook_endpoints.create(params=params, options={"idempotency_key": "bad-url"})
    assert again.value.code == first.value.code == "url_invalid"
    assert again.value.headers["Idempotent-Replayed"] == "true"


def test_validation_failures_are_not_saved_so_a_fixed_retry_runs(stripe_client, sandbox_url):
    headers = {**AUTH, "Idempotency-Key": "fix-me"}
    form = {"url": "https://e.com/x", "enabled_events[0]": "*"}
    bad = httpx.post(f"{sandbox_url}/v1/webhook_endpoints", data={**form, "limit": "1"}, headers=headers)
    assert bad.status_code == 400
    good = httpx.post(f"{sandbox_url}/v1/webhook_endpoints", data=form, headers=headers)
    assert good.status_code == 200


# Pagination


def test_pagination_forward_backward_and_auto_paging(stripe_client):
    created = [create_endpoint(stripe_client, description=str(i)).id for i in range(7)]
    newest_first = list(reversed(created))

    page = stripe_client.v1.webhook_endpoints.list(params={"limit": 3})
    assert [e.id for e in page.data] == newest_first[:3]
    assert page.has_more is True
    assert page.url == "/v1/webhook_endpoints"

    page2 = stripe_client.v1.webhook_endpoints.list(params={"limit": 3, "starting_after": page.data[-1].id})
    assert [e.id for e in page2.data] == newest_first[3:6]
    page3 = stripe_client.v1.webhook_endpoints.list(params={"limit": 3, "starting_after": page2.data[-1].id})
    assert [e.id for e in page3.data] == newest_first[6:]
    assert page3.has_more is False

    back = stripe_client.v1.webhook_endpoints.list(params={"limit": 2, "ending_before": newest_first[4]})
    assert [e.id for e in back.data] == newest_first[2:4]
    assert back.has_more is True
    first = stripe_client.v1.webhook_endpoints.list(params={"limit": 5, "ending_before": newest_first[2]})
    assert [e.id for e in first.data] == newest_first[:2]
    assert first.has_more is False

    everything = stripe_client.v1.webhook_endpoints.list(params={"limit": 2}).auto_paging_iter()
    assert [e.id for e in everything] == newest_first


def test_limit_bounds_and_unknown_cursor(stripe_client):
    for limit in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.webhook_endpoints.list(params={"limit": limit})
        assert caught.value.param == "limit"
    one = create_endpoint(stripe_client)
    with pytest.raises(stripe.InvalidRequestError, match="only specify one of these parameters"):
        stripe_client.v1.webhook_endpoints.list(params={"starting_after": one.id, "ending_before": one.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.webhook_endpoints.list(params={"starting_after": "we_missing"})
    assert caught.value.http_status == 404
    assert caught.value.param == "starting_after"


# Expand


def test_expand_replaces_an_id_with_the_object_also_inside_lists(stripe_client, sandbox):
    endpoint = create_endpoint(stripe_client)
    with sandbox.store.transaction():
        event = sandbox.emit("payout.paid", {"id": "po_x", "object": "payout", "destination": endpoint.id})
    one = stripe_client.v1.events.retrieve(event["id"], params={"expand": ["data.object.destination"]})
    assert one.data.object.destination.id == endpoint.id
    assert one.data.object.destination.object == "webhook_endpoint"
    assert "secret" not in one.data.object.destination

    listed = stripe_client.v1.events.list(params={"expand": ["data.data.object.destination"]})
    assert listed.data[0].data.object.destination.url == "https://example.com/hooks"
    plain = stripe_client.v1.events.retrieve(event["id"])
    assert plain.data.object.destination == endpoint.id


def test_expanding_what_cannot_be_expanded_is_an_error(stripe_client, sandbox):
    with sandbox.store.transaction():
        event = sandbox.emit("payout.paid", {"id": "po_x", "object": "payout", "amount": 5})
    for path in ("data.object.nothing", "data.object.amount"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.events.retrieve(event["id"], params={"expand": [path]})
        assert caught.value.user_message == f"This property cannot be expanded ({path})."
    with pytest.raises(stripe.InvalidRequestError, match="more than 4 levels"):
        stripe_client.v1.events.retrieve(event["id"], params={"expand": ["a.b.c.d.e"]})


# Errors and transactions


def test_error_body_has_stripes_keys(sandbox_url):
    response = httpx.get(f"{sandbox_url}/v1/webhook_endpoints/we_nope", headers=AUTH)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error == {
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "message": "No such webhook_endpoint: 'we_nope'",
        "param": "id",
        "request_log_url": f"https://dashboard.stripe.com/test/logs/{response.headers['Request-Id']}",
        "type": "invalid_request_error",
    }


def test_a_failing_handler_leaves_no_trace(sandbox):
    def half_done(call):
        call.sandbox.store.create({"id": "we_halfdone", "object": "webhook_endpoint"})
        call.sandbox.emit("payout.paid", {"id": "po_1", "object": "payout"})
        raise protocol.invalid_request("changed my mind")

    endpoint = protocol.Endpoint("POST", "/v1/x", half_done)
    call = protocol.Call(sandbox=sandbox, account=None, params={}, path={}, request_id="req_1")
    with pytest.raises(protocol.StripeError):
        protocol.run_handler(sandbox, endpoint, call)
    assert sandbox.store.get("we_halfdone") is None
    assert sandbox.store.list("event") == []


def test_a_crashing_handler_is_a_500_api_error_and_rolls_back(sandbox):
    def crash(call):
        call.sandbox.store.create({"id": "we_crash", "object": "webhook_endpoint"})
        raise ZeroDivisionError

    call = protocol.Call(sandbox=sandbox, account=None, params={}, path={}, request_id="req_1")
    with pytest.raises(protocol.StripeError) as caught:
        protocol.run_handler(sandbox, protocol.Endpoint("POST", "/v1/x", crash), call)
    assert (caught.value.status, caught.value.type) == (500, "api_error")
    assert sandbox.store.get("we_crash") is None


# State


def test_state_and_clock_survive_a_restart(tmp_path):
    config = fast_config(db_path=str(tmp_path / "sandbox.sqlite3"))
    with running(create_sandbox(config)) as (_, url):
        client = make_client(url)
        endpoint = create_endpoint(client)
        clock = call_helper(client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=3600)
    with running(create_sandbox(config)) as (_, url):
        client = make_client(url)
        assert client.v1.webhook_endpoints.retrieve(endpoint.id).url == "https://example.com/hooks"
        now = call_helper(client, "get", "/v1/test_helpers/sandbox/clock")
    assert now["offset"] == clock["offset"] == 3600
    assert now["now"] >= clock["now"]


def test_webhook_endpoint_shape(stripe_client):
    created = create_endpoint(stripe_client)
    assert created.secret.startswith("whsec_")
    fetched = stripe_client.v1.webhook_endpoints.retrieve(created.id)
    assert "secret" not in fetched
    assert_stripe_shape(created.to_dict(), "webhook_endpoint")
    assert_stripe_shape(fetched.to_dict(), "webhook_endpoint")
    deleted = stripe_client.v1.webhook_endpoints.delete(created.id)
    assert deleted.deleted is True
    assert_stripe_shape(deleted.to_dict(), "deleted_webhook_endpoint")


def test_works_mounted_under_a_prefix(tmp_path):
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from portal.sandbox.testing import serving

    sandbox = create_sandbox(fast_config(db_path=str(tmp_path / "sandbox.sqlite3")))
    host = Starlette(routes=[Mount("/sandbox", app=sandbox.asgi)])
    sandbox.asgi, inner = host, sandbox.asgi  # serve the host app, as the portal does
    try:
        with serving(sandbox) as url:
            client = make_client(url + "/sandbox")
            created = create_endpoint(client)
            assert [e.id for e in client.v1.webhook_endpoints.list().data] == [created.id]
            call_helper(client, "post", "/v1/test_helpers/sandbox/faults",
                        faults=[{"match": "GET /v1/events", "kind": "500", "count": 1}])
            with pytest.raises(stripe.APIError):
                client.v1.events.list()
            response = httpx.get(url + "/sandbox/v1/nope", headers=AUTH)
            assert "(GET: /v1/nope)" in response.json()["error"]["message"]
    finally:
        sandbox.asgi = inner
        sandbox.store.close()


def test_a_union_of_objects_reports_the_error_of_the_one_named_by_object():
    from stripe.params import AccountExternalAccountCreateParams

    from portal.sandbox.params import validate

    bank = {"object": "bank_account", "country": "US", "currency": "usd", "account_number": "000123456789",
            "routing_number": "110000000", "nickname": "x"}
    with pytest.raises(protocol.StripeError) as caught:
        validate({"external_account": bank}, AccountExternalAccountCreateParams)
    assert caught.value.param == "external_account[nickname]"
    card = {"object": "card", "number": "4000056655665556", "exp_month": "12", "exp_year": "2030"}
    coerced = validate({"external_account": card}, AccountExternalAccountCreateParams)
    assert coerced["external_account"]["exp_month"] == 12


def test_empty_string_for_a_parameter_that_cannot_be_unset(stripe_client):
    endpoint = create_endpoint(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.webhook_endpoints.update(endpoint.id, params={"url": ""})
    assert caught.value.code == "parameter_invalid_empty"
    assert caught.value.param == "url"
    assert caught.value.user_message.startswith("You passed an empty string for 'url'.")


def test_idempotency_keys_expire_after_24_hours(stripe_client, sandbox):
    params = {"url": "https://example.com/a", "enabled_events": ["*"]}
    first = stripe_client.v1.webhook_endpoints.create(params=params, options={"idempotency_key": "day-old"})
    call_helper(stripe_client, "post", "/v1/test_helpers/sandbox/advance_clock", seconds=24 * 3600 + 1)
    second = stripe_client.v1.webhook_endpoints.create(params=params, options={"idempotency_key": "day-old"})
    assert second.id != first.id
    assert sandbox.store.execute("SELECT COUNT(*) FROM idempotency WHERE key = 'day-old'") == [(1,)]


def test_the_platform_naming_itself_in_stripe_account_acts_as_the_platform(stripe_client, sandbox):
    platform = stripe_client.v1.accounts.retrieve_current()
    mine = sandbox.emit("payout.paid", {"id": "po_1", "object": "payout"})
    as_itself = stripe_client.v1.events.list(options={"stripe_account": platform.id})
    assert [e.id for e in as_itself.data] == [mine["id"]]


def test_a_malformed_stripe_version_is_refused(sandbox_url):
    response = httpx.get(f"{sandbox_url}/v1/events", headers={**AUTH, "Stripe-Version": "latest"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid Stripe API version: latest"
    older = httpx.get(f"{sandbox_url}/v1/events", headers={**AUTH, "Stripe-Version": "2023-10-16"})
    assert older.status_code == 200


def test_mounted_in_a_busy_host_the_sandbox_still_answers(tmp_path):
    """The portal's sync handlers fill the default thread pool while each waits on the sandbox."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    from portal.sandbox.testing import serving

    sandbox = create_sandbox(fast_config(db_path=str(tmp_path / "sandbox.sqlite3")))
    base = {}
    busy = 40  # anyio's default thread limit: every worker of Starlette's pool
    all_inside = threading.Barrier(busy, timeout=10)

    def waits_on_the_sandbox(request):  # a sync endpoint: runs in Starlette's default pool
        all_inside.wait()
        response = httpx.get(base["url"] + "/sandbox/v1/events", headers=AUTH, timeout=5)
        return JSONResponse({"status": response.status_code})

    host = Starlette(routes=[Route("/proxy", waits_on_the_sandbox), Mount("/sandbox", app=sandbox.asgi)])
    sandbox.asgi, inner = host, sandbox.asgi
    try:
        with serving(sandbox) as url, ThreadPoolExecutor(max_workers=busy) as pool:
            base["url"] = url
            statuses = list(pool.map(lambda _: httpx.get(url + "/proxy", timeout=20).json()["status"], range(busy)))
        assert statuses == [200] * busy
    finally:
        sandbox.asgi = inner
        sandbox.store.close()


def test_running_sandbox_starts_fast_with_a_fresh_state():
    import time

    from portal.sandbox.testing import running_sandbox

    started = time.monotonic()
    with running_sandbox() as url:
        ready = time.monotonic() - started
        client = make_client(url)
        assert client.v1.webhook_endpoints.list().data == []
        assert client.v1.accounts.retrieve_current().object == "account"
    assert ready < 2.0  # about 0.1 s on an idle machine
