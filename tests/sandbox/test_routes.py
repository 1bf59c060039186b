"""Every API route keeps the protocol's promises, whoever wrote its handler."""

import re

import httpx
import pytest

from portal.sandbox import app as app_module
from portal.sandbox.protocol import Endpoint

AUTH = {"Authorization": "Bearer sk_test_sandbox"}
SECRET_ROUTES = [r for r in app_module.ROUTES if isinstance(r, Endpoint) and r.auth == "secret"]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "xx_doesnotexist", path)


def ids(route: Endpoint) -> str:
    return f"{route.method} {route.path}"


def send(url: str, route: Endpoint, headers: dict, **params) -> httpx.Response:
    target = url + concrete(route.path)
    if route.method in ("GET", "DELETE"):
        return httpx.request(route.method, target, params=params, headers=headers)
    if route.path.startswith("/v2/"):  # v2 bodies are JSON
        return httpx.request(route.method, target, json=params, headers=headers)
    return httpx.request(route.method, target, data=params, headers=headers)


def test_routes_are_unique():
    seen = [ids(r) for r in SECRET_ROUTES]
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("route", SECRET_ROUTES, ids=ids)
def test_every_route_wants_the_secret_key(sandbox_url, route):
    response = send(sandbox_url, route, {})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.headers["Request-Id"].startswith("req_")


@pytest.mark.parametrize("route", SECRET_ROUTES, ids=ids)
def test_every_route_refuses_an_unknown_parameter(sandbox_url, route):
    response = send(sandbox_url, route, AUTH, zz_bogus="1")
    error = response.json()["error"]
    outcome = (response.status_code, error.get("code"), error.get("param"))
    assert outcome == (400, "parameter_unknown", "zz_bogus"), error


TOP_LEVEL_GETS = [r for r in SECRET_ROUTES if r.method == "GET" and "{" not in r.path and "test_helpers" not in r.path]


@pytest.mark.parametrize("route", TOP_LEVEL_GETS, ids=ids)
def test_top_level_lists_name_their_own_url(sandbox_url, route):
    response = send(sandbox_url, route, AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    if route.path.startswith("/v2/"):  # v2 lists page by URL
        assert isinstance(body["data"], list) and "next_page_url" in body
    elif body["object"] == "list":
        assert body["url"] == route.path
        assert isinstance(body["has_more"], bool) and isinstance(body["data"], list)
