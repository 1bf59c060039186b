"""Which route of the table answers a request, found before the router runs, for the middleware
that decides by route name (the seller gate, view-as refusals)."""

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

SCOPE_KEY = "portal.route"
# Paths remembered per app: the table's own paths (no parameters) and the 404s asked for most;
# the dict starts over when full, so a scan of made-up paths costs memory only up to here.
REMEMBERED = 2048


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


def route_of(scope: Scope) -> tuple[str, dict] | None:
    """resolve() for the request, once per request whichever middleware asks first, and once per
    path for routes without parameters: what matches depends only on the path and the method
    (no route here looks at the host), and the table does not change once the app is built.
    Paths with parameters (ids, mailed links' tokens) are worked out each time, never kept."""
    if SCOPE_KEY in scope:
        return scope[SCOPE_KEY]
    app = scope["app"]
    known: dict = app.__dict__.setdefault("_portal_routes_by_path", {})
    key = (scope["type"], scope.get("root_path", ""), scope["path"], scope.get("method"))
    if key in known:
        found = known[key]
    else:
        found = resolve(app.routes, scope)
        if found is None or not found[1]:
            if len(known) >= REMEMBERED:
                known.clear()
            known[key] = found
    scope[SCOPE_KEY] = found
    return found


class MachineRoutes:
    """Requests for `areas` (route names' first part: Stripe's signed webhooks, the operators'
    probes) go from here straight to the router, past the middleware that only people's requests
    need (language, session cookie, CSRF, view-as, the seller gate): a webhook carries no cookie
    and no form, and is checked by its signature. What is in front of this (the security headers,
    the 500 page) still applies, and so do the app's exception handlers."""

    def __init__(self, app: ASGIApp, *, areas: tuple[str, ...]):
        self.app = app
        self.areas = frozenset(areas)
        self._direct: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (found := route_of(scope)) and found[0].split(":", 1)[0] in self.areas:
            await self._router(scope["app"])(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _router(self, app) -> ASGIApp:
        """The app's router behind its exception handlers, as Starlette stacks them last."""
        if self._direct is None:
            handlers = {key: handler for key, handler in app.exception_handlers.items() if key not in (500, Exception)}
            self._direct = ExceptionMiddleware(app.router, handlers=handlers, debug=app.debug)
        return self._direct


class RememberingRouter(Router):
    """Starlette's router, which for a path it answered before goes straight to the route that
    answered it. Starlette tries each route in turn, at each level of mounts (~13 us of a page's
    ~250 us here); what it finds depends only on the path, the method and the root path, so when
    that is a plain route behind plain routers (no middleware on a mount) and no path parameters,
    the scope changes on the way and the route are remembered and replayed. Anything else (path
    parameters, a 404, a 405, a redirect to the slashed path) goes through Starlette's own search."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._remembered: dict = {}  # (root path, path, method) -> (route, scope changes)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            known = self._remembered
            key = (scope.get("root_path", ""), scope["path"], scope["method"])
            found = known.get(key)
            if found is None and (found := _chain(self.routes, scope)) is not None:
                if len(known) >= REMEMBERED:
                    known.clear()
                known[key] = found
            if found is not None:
                route, changes = found
                scope.setdefault("router", self)
                scope.update(changes)
                scope["path_params"] = {}
                await route.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)


def _chain(routes: list[BaseRoute], scope: Scope) -> tuple[Route, dict] | None:
    """The route that fully matches `scope` through plain routers, and the scope changes made on
    the way (what Router.app and Mount.matches do), when there is one without path parameters."""
    scope, changes = dict(scope), {}
    while True:
        for route in routes:
            match, child = route.matches(scope)
            if match is not Match.NONE:
                break
        else:
            return None
        if match is not Match.FULL or child.get("path_params"):
            return None
        scope.update(child, route=route)
        changes.update(child, route=route)
        if isinstance(route, Mount):
            if type(route.app) is not Router or route.app.middleware_stack != route.app.app:
                return None
            routes = route.app.routes
            continue
        return (route, changes) if type(route) is Route else None
