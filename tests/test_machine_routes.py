"""Requests for machines (Stripe's webhooks, the operators' probes) skip the middleware people's
requests need (portal/route_table.MachineRoutes), and which route answers a path is worked out
once (route_of): checked over the whole route table, so a route added later is covered."""

import asyncio

import pytest
from starlette.exceptions import HTTPException
from starlette.routing import Mount, Route, Router

from portal.accounts.gate import NOT_SELLER, area
from portal.app import MACHINE_AREAS
from portal.route_table import REMEMBERED, MachineRoutes, RememberingRouter, resolve, route_of
from tests.route_table import endpoints


def test_machine_areas_are_never_seller_routes_and_none_takes_a_form(client):
    names = [e for e in endpoints(client.app) if area(e.name) in MACHINE_AREAS]
    assert {area(e.name) for e in names} == set(MACHINE_AREAS), "an area named here is gone from the table"
    assert all(e.name in NOT_SELLER or area(e.name) in NOT_SELLER for e in names)


def machine_routes(app) -> MachineRoutes:
    layer = app.middleware_stack
    while not isinstance(layer, MachineRoutes):
        layer = layer.app
    return layer


def test_a_webhook_skips_the_middleware_behind_the_shortcut_and_keeps_the_security_headers(client):
    client.get("/account/login")  # the app's middleware is built on its first request

    async def people_only(scope, receive, send):
        raise AssertionError(f"{scope['path']} went through the people's middleware")

    shortcut = machine_routes(client.app)
    shortcut.app = people_only
    answer = client.post("/webhooks/stripe", content=b"{}", headers={"stripe-signature": "t=1,v1=00"})
    assert answer.status_code == 400 and answer.json() == {"error": "invalid signature"}
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["cache-control"] == "no-store"
    assert client.get("/healthz").status_code == 200
    with pytest.raises(AssertionError, match="people's middleware"):
        client.get("/account/login")


def test_the_apps_error_answers_still_apply_behind_the_shortcut(client):
    wrong_method = client.get("/webhooks/stripe")
    assert wrong_method.status_code == 405 and "allow" in {name.lower() for name in wrong_method.headers}
    assert client.get("/webhooks/nothing-here").status_code == 404
    assert client.get("/healthz").status_code == 200


def every_path(app) -> list[tuple[str, str, str]]:
    """(expected name, method, path) for every route and method, parameters filled in."""
    return [(e.name, method, e.fill({name: "7" for name in e.params})) for e in endpoints(app) for method in e.methods]


def scope_for(app, method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": "", "app": app, "headers": []}


def test_route_of_agrees_with_a_fresh_walk_of_the_table_asked_twice(client):
    app = client.app
    paths = every_path(app) + [("", "GET", "/no/such/page"), ("", "PATCH", "/account/login")]
    assert len(paths) > 100
    for _ in range(2):  # the second time from what the first remembered
        for _name, method, path in paths:
            assert route_of(scope_for(app, method, path)) == resolve(app.routes, scope_for(app, method, path)), path
    remembered = app.__dict__["_portal_routes_by_path"]
    assert all(found is None or not found[1] for found in remembered.values()), "a path with parameters was kept"
    assert not any(isinstance(route, Mount) and "{" in route.path for route in app.routes)


def test_made_up_paths_cannot_grow_what_is_remembered_past_its_bound(client):
    app = client.app
    for n in range(REMEMBERED + 50):
        route_of(scope_for(app, "GET", f"/made-up/{n}"))
    assert len(app.__dict__["_portal_routes_by_path"]) <= REMEMBERED


def test_the_remembering_router_hands_every_route_what_starlettes_search_does(client, monkeypatch):
    """For every route and method of the table (and a slashless path, a wrong method, a 404), the
    route Starlette's own search reaches and the scope it gets are what RememberingRouter gives,
    the first time and from memory."""
    app = client.app
    assert isinstance(app.router, RememberingRouter)
    reached = []

    async def record(route, scope, receive, send):
        reached.append((route, {key: value for key, value in scope.items() if key != "router"}))

    monkeypatch.setattr(Route, "handle", record)
    cases = [(method, path) for _name, method, path in every_path(app)]
    cases += [("GET", "/status"), ("PATCH", "/account/login"), ("GET", "/no/such/page")]
    remembered = 0
    for method, path in cases:
        seen = []
        for search in (Router.app, RememberingRouter.app, RememberingRouter.app):
            reached.clear()
            scope = scope_for(app, method, path)

            async def send(message):
                reached.append(("sent", message.get("status")))

            try:
                asyncio.run(search(app.router, scope, None, send))
            except HTTPException as refused:  # a 404, raised for the app's handlers
                reached.append(("raised", refused.status_code))
            seen.append(list(reached))
        assert seen[0] == seen[1] == seen[2], (method, path)
        remembered += (scope_for(app, method, path)["root_path"], path, method) in app.router._remembered
    assert remembered > 50
    assert not any("7" in path for _root, path, _method in app.router._remembered), "a path with parameters was kept"
