"""The app's route table as data, for checks that must cover every route, today's and later ones."""

from starlette.routing import BaseRoute, Mount


def walk(routes: list[BaseRoute], prefix: str = ""):
    """Every route and mount, through nested Mounts, as (full path template, route)."""
    for route in routes:
        path = prefix + route.path
        yield path, route
        if isinstance(route, Mount):
            yield from walk(route.routes, path)


def path_parameters(route: BaseRoute) -> set[str]:
    return set(getattr(route, "param_convertors", {}))
