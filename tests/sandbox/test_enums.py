"""Every closed enum of every sandbox route refuses a value Stripe does not list.

The walk reads the route table and the SDK's typed params, so a route added later, or a
parameter the SDK gains, is covered without touching this file. Each request carries
valid values for everything required beside the enum, so only the enum can be refused.
"""

import types
import typing
from typing import Literal, Union

import pytest
import stripe
from typing_extensions import is_typeddict

from portal.sandbox import app as app_module
from portal.sandbox.params import enum_values, fields
from portal.sandbox.protocol import Endpoint
from tests.sandbox.test_links import create_account
from tests.sandbox.test_routes import concrete

BAD = "not_a_stripe_value"


def _members(hint) -> tuple:
    if typing.get_origin(hint) in (Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _containers(hint) -> list:
    return [m for m in _members(hint) if is_typeddict(m) or typing.get_origin(m) in (list, typing.List)]


def sample(hint):
    """A valid value for `hint`, as small as the SDK allows (what a request needs beside the enum)."""
    allowed = enum_values(hint)
    if allowed is not None:
        return next(value for value in allowed if value != "")
    for member in _members(hint):
        if is_typeddict(member):
            return {key: sample(fields(member).types[key]) for key in sorted(fields(member).required)}
        if typing.get_origin(member) in (list, typing.List):
            return [sample(typing.get_args(member)[0])]
        if member in (int, float):
            return 1
        if member is bool:
            return True
    return "x"


def enum_paths(hint, path: tuple = (), depth: int = 0):
    """(path, allowed values) of every closed enum reachable inside `hint`."""
    allowed = enum_values(hint)
    if allowed is not None:
        yield path, allowed
    if depth > 8:
        return
    for member in _containers(hint):
        if is_typeddict(member):
            for key, inner in fields(member).types.items():
                yield from enum_paths(inner, (*path, (member, key)), depth + 1)
        else:
            yield from enum_paths(typing.get_args(member)[0], (*path, (list, 0)), depth + 1)


def request_with(path: tuple, value):
    """The smallest valid body holding `value` at `path`."""
    (container, key), rest = path[0], path[1:]
    inner = value if not rest else request_with(rest, value)
    if container is list:
        return [inner]
    body = sample(container)
    body[key] = inner
    return body


def bracket(path: tuple) -> str:
    keys = [str(key) for _, key in path]
    return keys[0] + "".join(f"[{key}]" for key in keys[1:])


def cases():
    for route in app_module.ROUTES:
        if isinstance(route, Endpoint) and route.params is not None and is_typeddict(route.params):
            seen = set()
            for path, allowed in enum_paths(route.params):
                name = bracket(path)
                if name not in seen:
                    seen.add(name)
                    yield pytest.param(route, path, allowed, id=f"{route.method} {route.path} {name}")


CASES = list(cases())


def test_the_walk_finds_the_enums_stripe_checks():
    names = {(c.values[0].path, bracket(c.values[1])) for c in CASES}
    for expected in [
        ("/v1/payment_intents", "capture_method"),
        ("/v1/payment_intents", "confirmation_method"),
        ("/v1/payment_intents", "setup_future_usage"),
        ("/v1/payment_intents", "automatic_payment_methods[allow_redirects]"),
        ("/v1/refunds", "reason"),
        ("/v1/accounts/{account}/external_accounts", "external_account[account_holder_type]"),
        ("/v1/account_links", "collect"),
    ]:
        assert expected in names
    assert len(CASES) > 100


@pytest.mark.parametrize("route, path, allowed", CASES)
def test_every_enum_refuses_a_value_stripe_does_not_list(stripe_client, route, path, allowed):
    body, name = request_with(path, BAD), bracket(path)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.raw_request(route.method.lower(), concrete(route.path), **body)
    error = raised.value.error
    assert raised.value.http_status == 400
    assert error.param == name
    listed = [value for value in allowed if value != ""]
    assert error.message.startswith(f"Invalid {name}: must be one of {listed[0]}")
    assert all(value in error.message for value in listed)


@pytest.mark.parametrize("params, param, message", [
    ({"capture_method": "later"}, "capture_method",
     "Invalid capture_method: must be one of automatic, automatic_async, or manual"),
    ({"confirmation_method": "auto"}, "confirmation_method",
     "Invalid confirmation_method: must be one of automatic or manual"),
    ({"setup_future_usage": "always"}, "setup_future_usage",
     "Invalid setup_future_usage: must be one of off_session or on_session"),
    ({"automatic_payment_methods": {"enabled": True, "allow_redirects": "sometimes"}},
     "automatic_payment_methods[allow_redirects]",
     "Invalid automatic_payment_methods[allow_redirects]: must be one of always or never"),
])
def test_payment_intent_enums_are_not_stored(stripe_client, params, param, message):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", **params})
    assert (raised.value.error.param, raised.value.error.message) == (param, message)
    assert stripe_client.v1.payment_intents.list().data == []


def test_enum_values_stripe_lists_are_taken(stripe_client):
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 1000, "currency": "usd", "capture_method": "manual", "confirmation_method": "manual",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
    })
    assert (intent.capture_method, intent.confirmation_method) == ("manual", "manual")


def test_an_invalid_collect_names_collect(stripe_client):
    account = create_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.account_links.create(params={
            "account": account, "type": "account_onboarding", "collect": "everything",
            "refresh_url": "https://example.com/r", "return_url": "https://example.com/b",
        })
    assert raised.value.error.param == "collect"
    assert raised.value.error.message == "Invalid collect: must be one of currently_due or eventually_due"


def test_an_unsettable_free_text_is_no_enum():
    # `Literal[''] | str`: an empty value unsets it, and any text is taken.
    assert enum_values(Union[Literal[""], str]) is None
    assert enum_values(Union[Literal["a", "b"], str]) == ("a", "b")
