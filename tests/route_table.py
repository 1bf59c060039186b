"""The app's route table as data, for checks that walk every route (a route added later is covered
by the same check): each route's full name, path template and methods, through Mounts."""

import re
from dataclasses import dataclass

from starlette.routing import Mount, Route

from portal.accounts.gate import NOT_SELLER, area


@dataclass(frozen=True)
class Endpoint:
    name: str  # as url_for knows it: "security:two_factor_setup"
    path: str  # a template: "/staff/sellers/{seller_id}/requirements/{key}"
    methods: tuple[str, ...]

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def fill(self, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)}", lambda found: str(values[found.group(1)]), self.path)

    @property
    def seller_route(self) -> bool:
        return self.name not in NOT_SELLER and area(self.name) not in NOT_SELLER


def endpoints(app) -> list[Endpoint]:
    return list(_walk(app.routes, "", ""))


def _walk(routes, prefix: str, names: str):
    for route in routes:
        name = f"{names}:{route.name}" if names else route.name
        if isinstance(route, Mount) and route.routes:
            yield from _walk(route.routes, prefix + route.path, name)
        elif isinstance(route, Mount):  # files or another ASGI app: one endpoint for all it serves
            yield Endpoint(name, prefix + route.path + "/{path}", ("GET",))
        elif isinstance(route, Route):
            yield Endpoint(name, prefix + route.path_format, tuple(sorted((route.methods or {"GET"}) - {"HEAD"})))
