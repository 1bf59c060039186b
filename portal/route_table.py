"""Which route of the table answers a request, found before the router runs, for the middleware
that decides by route name (the seller gate, view-as refusals)."""

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope


def resolve(routes: list[BaseRoute], scope: Scope) -> tuple[str, dict] | None:
    """(name, path params) of the route the router will pick, with Mount names joined by ':'
    as in url_for; a route that matches the path but not the method counts (it answers 405)."""
    partial = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        params = child.get("path_params", {})
        if isinstance(route, Mount) and route.routes:  # the mount answers, with a route of its own or a 404
            inner = resolve(route.routes, {**scope, **child})
            return (f"{route.name}:{inner[0]}" if route.name else inner[0], inner[1]) if inner else None
        if match is Match.FULL:
            return route.name or "", params
        partial = partial or (route.name or "", params)
    return partial


def masked_path(path: str, params: dict) -> str:
    """The path with its single-use link tokens hidden, for the audit trail."""
    for name, value in params.items():
        if "token" in name and value:
            path = path.replace(str(value), "[token]")
    return path
