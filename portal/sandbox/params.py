"""Check decoded request parameters against the stripe-python SDK's typed params.

The SDK's TypedDicts (`stripe.params.*`) declare every parameter an endpoint accepts, with
its type: nested TypedDicts, Literal enums, List[...], Dict[str, str] for metadata, and
`Literal['']` in a Union for "unset this". Form values arrive as strings, so ints and
booleans are coerced here; anything undeclared is `parameter_unknown`, as Stripe answers.
"""

import functools
import sys
import types
import typing
from typing import Any, List, Literal, NotRequired, Required, Union

import stripe._request_options
from stripe._stripe_context import StripeContext
from stripe._stripe_object import UntypedStripeObject
from typing_extensions import is_typeddict

from portal.sandbox.errors import StripeError, invalid_request, missing_parameter, unknown_parameter

# Keys of the SDK's per-request options, which some list params inherit; they travel as
# headers, never as parameters.
REQUEST_OPTION_KEYS = frozenset(stripe._request_options.RequestOptions.__annotations__)
_OPTION_NAMES = {**vars(stripe._request_options), "StripeContext": StripeContext}
_EXPAND = List[str]


class Fields(typing.NamedTuple):
    types: dict[str, Any]
    required: frozenset[str]


@functools.cache
def fields(spec) -> Fields:
    """Declared parameters of a TypedDict (without the request-option keys)."""
    hints = typing.get_type_hints(
        spec, globalns=dict(vars(sys.modules[spec.__module__])), localns=_OPTION_NAMES,
        include_extras=True,
    )
    declared, required = {}, set()
    for name, hint in hints.items():
        if name in REQUEST_OPTION_KEYS:
            continue
        origin = typing.get_origin(hint)
        if origin in (NotRequired, Required):
            hint = typing.get_args(hint)[0]
        elif name in spec.__required_keys__:
            required.add(name)
        declared[name] = hint
    return Fields(declared, frozenset(required))


def validate(params: dict, spec) -> dict:
    """Coerced parameters, or StripeError naming the first offending bracket param."""
    if spec is None:
        declared = Fields({"expand": _EXPAND}, frozenset())
    else:
        declared = fields(spec)
        if "expand" not in declared.types:
            declared = Fields({**declared.types, "expand": _EXPAND}, declared.required)
    return _typed_dict(params, declared, "")


def _name(prefix: str, key) -> str:
    return f"{prefix}[{key}]" if prefix else str(key)


def _typed_dict(value, declared: Fields, prefix: str) -> dict:
    if not isinstance(value, dict):
        raise invalid_request("Invalid object", param=prefix or None)
    for key in value:
        if key not in declared.types:
            raise unknown_parameter(_name(prefix, key))
    for key in sorted(declared.required):
        if key not in value:
            raise missing_parameter(_name(prefix, key))
    return {key: coerce(item, declared.types[key], _name(prefix, key)) for key, item in value.items()}


def coerce(value, hint, name: str):
    origin = typing.get_origin(hint)
    if hint is Any or hint is UntypedStripeObject or origin is UntypedStripeObject:
        return value
    if value == "" and not _accepts_empty(hint):
        raise invalid_request(
            f"You passed an empty string for '{name}'. We assume empty values are an attempt to unset a "
            f"parameter; however '{name}' cannot be unset. You should remove '{name}' from your request "
            "or supply a non-empty value.",
            param=name, code="parameter_invalid_empty",
        )
    if is_typeddict(hint):
        return _typed_dict(value, fields(hint), name)
    if origin is Literal:
        return _literal(value, typing.get_args(hint), name)
    if origin in (Union, types.UnionType):
        return _union(value, typing.get_args(hint), name)
    if origin in (list, List):
        return _list(value, typing.get_args(hint)[0], name)
    if origin in (dict, typing.Dict, typing.Mapping):
        return _mapping(value, name)
    return SCALARS.get(hint, _string)(value, name)


def _accepts_empty(hint) -> bool:
    # Only parameters the SDK types with Literal[''] can be unset with an empty string.
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "" in typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return any(_accepts_empty(member) for member in typing.get_args(hint))
    return False


def _string(value, name: str):
    if isinstance(value, str):
        return value
    raise invalid_request(f"Invalid string: {_show(value)}", param=name, code="parameter_invalid_string")


def _integer(value, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise invalid_request(f"Invalid integer: {_show(value)}", param=name, code="parameter_invalid_integer")


def _decimal(value, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise invalid_request(f"Invalid decimal: {_show(value)}", param=name) from None


def _boolean(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise invalid_request(f"Invalid boolean: {_show(value)}", param=name)


SCALARS = {str: _string, int: _integer, float: _decimal, bool: _boolean}


def _literal(value, allowed: tuple, name: str):
    if value in allowed:
        return value
    raise invalid_enum(allowed, name)


def invalid_enum(allowed, name: str) -> StripeError:
    """Stripe's answer to a value outside an enum: "must be one of a, b, or c" ("a or b")."""
    words = [str(a) for a in allowed if a != ""] or ["''"]
    listed = words[0] if len(words) == 1 else " or ".join(words) if len(words) == 2 else (
        ", ".join(words[:-1]) + f", or {words[-1]}")
    return invalid_request(f"Invalid {name}: must be one of {listed}", param=name)


def enum_values(hint) -> tuple | None:
    """The values a closed enum allows, or None where the parameter is no enum.

    The SDK types each enum `Literal[...] | str` so that a value Stripe adds later still
    type-checks; Stripe itself accepts only the values it currently lists. So a Literal, or a
    union holding Literals, is a closed enum; `Literal[''] | str` (unset it, or say anything)
    is not.
    """
    origin = typing.get_origin(hint)
    if origin is Literal:
        return typing.get_args(hint)
    if origin not in (Union, types.UnionType):
        return None
    members = typing.get_args(hint)
    values = tuple(v for m in members if typing.get_origin(m) is Literal for v in typing.get_args(m))
    return values if any(v != "" for v in values) else None


def _union(value, members: tuple, name: str):
    allowed = enum_values(Union[members])
    if allowed is not None:
        if value in allowed:
            return value
        # The free text the SDK adds to an enum is its forward compatibility, not Stripe's.
        members = tuple(m for m in members if m is not str and typing.get_origin(m) is not Literal)
    elif value == "" and any(typing.get_origin(m) is Literal and "" in typing.get_args(m) for m in members):
        return ""
    containers = [m for m in members if _is_container(m)]
    if isinstance(value, (dict, list)):
        if not containers:
            raise invalid_request(f"Invalid string: {_show(value)}", param=name, code="parameter_invalid_string")
        return _first_fitting(value, containers, name)
    scalars = sorted((m for m in members if not _is_container(m)), key=_scalar_rank)
    first_error = None if allowed is None else invalid_enum(allowed, name)
    if not scalars and first_error is None:
        raise invalid_request("Invalid object", param=name)
    for member in scalars:
        try:
            return coerce(value, member, name)
        except StripeError as error:
            first_error = first_error or error
    raise first_error


def _first_fitting(value, containers: list, name: str):
    """The first shape that takes `value` (a card and a bank account are both objects).

    Failing all, the error of the shape its `object` names, else of the first: a nested
    object's own error (an unknown key inside it) is the useful one.
    """
    errors = []
    for member in containers:
        try:
            return coerce(value, member, name)
        except StripeError as error:
            errors.append((member, error))
    for member, error in errors:
        kinds = fields(member).types.get("object") if is_typeddict(member) else None
        if kinds is not None and isinstance(value, dict) and value.get("object") in typing.get_args(kinds):
            raise error
    raise errors[0][1]


def _is_container(hint) -> bool:
    return is_typeddict(hint) or typing.get_origin(hint) in (list, List, dict, typing.Dict, typing.Mapping)


def _scalar_rank(hint) -> int:
    # Exact enum values first, then numbers and booleans, and free text last: it takes anything.
    if typing.get_origin(hint) is Literal:
        return 0
    return {int: 1, float: 2, bool: 3}.get(hint, 4)


def _list(value, item_hint, name: str) -> list:
    if isinstance(value, dict) and all(str(k).isdigit() for k in value):
        value = [value[k] for k in sorted(value, key=int)]
    if not isinstance(value, list):
        raise invalid_request("Invalid array", param=name)
    return [coerce(item, item_hint, f"{name}[{i}]") for i, item in enumerate(value)]


def _mapping(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise invalid_request("Invalid object", param=name)
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid_request(
                f"Invalid string: {_show(item)}", param=f"{name}[{key}]", code="parameter_invalid_string"
            )
    return dict(value)


def _show(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)
