"""`expand`: replace an id in a response by the object it names, along a dotted path.

Generic on purpose: any field holding an id the store knows can be expanded, lists are
walked item by item (`data.x` on a list response), and Stripe's limit of four levels holds.
"""

from portal.sandbox.errors import invalid_request

MAX_EXPAND_DEPTH = 4


def expand(sandbox, obj, paths: list[str]):
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_EXPAND_DEPTH:
            raise invalid_request(
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                f"Property: {path}", param="expand"
            )
        _expand(sandbox, obj, parts, path)
    return obj


def _expand(sandbox, node, parts: list[str], path: str) -> None:
    if isinstance(node, list):
        for item in node:
            _expand(sandbox, item, parts, path)
        return
    if not isinstance(node, dict):
        return
    key, rest = parts[0], parts[1:]
    if key not in node:
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    value = node[key]
    if isinstance(value, str):
        found = sandbox.store.get(value)
        if found is None:
            raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
        node[key] = value = found
    elif not rest and not isinstance(value, dict) and value is not None:
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    if rest:
        _expand(sandbox, value, rest, path)
