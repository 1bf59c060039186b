"""Hold a sandbox response to the shape of Stripe's published example of the same resource.

The three rules of /work/shared/stripe/README.md, applied to the object and recursively to
everything nested in it:
1. every key of the fixture is present, with the same type, or null where the fixture is
   null or the SDK declares the attribute Optional;
2. every other key is one the SDK's resource class (or nested class) declares;
3. so nothing else: no sandbox bookkeeping ever reaches a response.
A nested dict carrying its own `object` (an expanded id, a list's items, an event's
`data.object`) is checked against that resource's fixture and class.
"""

import functools
import json
import types
import typing
from pathlib import Path

import stripe
from stripe._object_classes import OBJECT_CLASSES, get_object_class
from stripe._stripe_object import StripeObject

FIXTURES = Path(__file__).parent / "data" / "fixtures3.json"

# Nested classes whose keys are names rather than fields: an account's `capabilities` holds only
# the requested ones (Stripe drops an unrequested capability from the map), a balance's
# `source_types` only the kinds of funds it has. Their keys must be declared, not all present.
MAPS_KEYED_BY_NAME = {"Capabilities", "SourceTypes"}


@functools.cache
def fixtures() -> dict:
    return json.loads(FIXTURES.read_text())["resources"]


def assert_stripe_shape(obj: dict, resource: str | None = None) -> None:
    """Fail with every shape problem of `obj` as the resource named like a fixture key."""
    resource = resource or obj["object"]
    problems: list[str] = []
    _check_object(obj, resource, problems, resource)
    assert not problems, f"{resource} differs from Stripe's shape:\n  " + "\n  ".join(problems)


def _resource_class(resource: str):
    name = resource.removeprefix("deleted_")
    if name not in OBJECT_CLASSES:
        return None
    return get_object_class("V1", name)


def _check_object(obj: dict, resource: str, problems: list[str], path: str) -> None:
    fixture = fixtures().get(resource)
    if fixture is None:
        problems.append(f"{path}: no fixture for resource {resource!r}")
        return
    if obj.get("object") != fixture.get("object"):
        problems.append(f"{path}.object: {obj.get('object')!r}, the fixture says {fixture.get('object')!r}")
    _check_dict(obj, fixture, _resource_class(resource), problems, path)


def _check_dict(value: dict, fixture, cls, problems: list[str], path: str) -> None:
    fixture = fixture if isinstance(fixture, dict) else {}
    declared = _annotations(cls) if cls is not None else {}
    keyed_by_name = cls is not None and cls.__name__ in MAPS_KEYED_BY_NAME
    for key, expected in fixture.items():
        if key not in value and key != _other_variant(value, fixture) and not keyed_by_name:
            problems.append(f"{path}.{key}: missing (the fixture has it)")
    if cls is None and not fixture:
        return  # a free-form map (metadata, capabilities by name...): keys are data
    for key, item in value.items():
        if key not in fixture and key not in declared:
            problems.append(f"{path}.{key}: not a key Stripe sends for this object")
            continue
        hint = declared.get(key)
        _check_value(item, fixture.get(key), hint, key in fixture, problems, f"{path}.{key}")


def _other_variant(value: dict, fixture: dict) -> str | None:
    # Type-discriminated objects (payment_method_details, a charge's source...) carry one key
    # named after their `type`: a different type than the fixture's has a different key.
    variant = fixture.get("type")
    if isinstance(variant, str) and variant in fixture and value.get("type") != variant:
        return variant
    return None


def _check_value(value, expected, hint, in_fixture: bool, problems: list[str], path: str) -> None:
    if value is None:
        if in_fixture and expected is not None and hint is not None and not _nullable(hint):
            problems.append(f"{path}: null, but the fixture has {type(expected).__name__} and Stripe never nulls it")
        return
    if isinstance(value, dict) and _own_resource(value):
        if value["object"] == "list":
            _check_list_object(value, expected, hint, problems, path)
        else:
            resource = "deleted_" + value["object"] if value.get("deleted") is True else value["object"]
            _check_object(value, resource, problems, path)
        return
    if isinstance(value, str) and isinstance(expected, dict) and {"id", "object"} <= set(expected):
        return  # an expandable field left as its id; the fixture shows it expanded
    if in_fixture and expected is not None and _kind(value) != _kind(expected):
        problems.append(f"{path}: {_kind(value)}, the fixture has {_kind(expected)}")
        return
    if hint is None and not in_fixture:
        return
    if isinstance(value, dict) and _free_form(hint):
        return  # metadata and other maps: their keys are data, not shape
    if isinstance(value, dict):
        _check_dict(value, expected, _class_in(hint), problems, path)
    elif isinstance(value, list):
        sample = expected[0] if isinstance(expected, list) and expected else None
        item_hint = _list_item(hint)
        for index, item in enumerate(value):
            _check_value(item, sample, item_hint, sample is not None, problems, f"{path}[{index}]")


def _check_list_object(value: dict, expected, hint, problems: list[str], path: str) -> None:
    for key in ("object", "data", "has_more", "url"):
        if key not in value:
            problems.append(f"{path}.{key}: missing from the list object")
    extra = set(value) - {"object", "data", "has_more", "url", "total_count"}
    if extra:
        problems.append(f"{path}: unexpected list keys {sorted(extra)}")
    for index, item in enumerate(value.get("data") or []):
        if isinstance(item, dict) and "object" in item:
            _check_object(item, item["object"], problems, f"{path}.data[{index}]")
        else:
            problems.append(f"{path}.data[{index}]: list items must be Stripe objects")


def _own_resource(value: dict) -> bool:
    # A nested dict naming a known resource in `object` is that resource (an expansion, a
    # list item, an event's data.object); other nested dicts follow their parent's class.
    name = value.get("object")
    return isinstance(name, str) and (name == "list" or (name in OBJECT_CLASSES and name in fixtures()))


def _kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


@functools.cache
def _annotations(cls) -> dict:
    merged: dict = {}
    for klass in reversed(cls.__mro__):
        merged.update(getattr(klass, "__annotations__", {}) if "__annotations__" in vars(klass) else {})
    return merged


def _args(hint) -> tuple:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _nullable(hint) -> bool:
    return any(arg is type(None) for arg in _args(hint))


def _resolve(hint):
    if isinstance(hint, typing.ForwardRef):
        return getattr(stripe, hint.__forward_arg__, None)
    if isinstance(hint, str):
        return getattr(stripe, hint, None)
    return hint


def _class_in(hint):
    """The StripeObject class a (possibly Optional/Union/expandable) annotation points to."""
    if hint is None:
        return None
    for arg in _args(hint):
        arg = _resolve(arg)
        if isinstance(arg, type) and issubclass(arg, StripeObject) and arg.__annotations__:
            return arg
        if typing.get_origin(arg) is not None and typing.get_origin(arg) is not list:
            origin = typing.get_origin(arg)
            untyped = getattr(origin, "__name__", "") == "UntypedStripeObject"
            if isinstance(origin, type) and issubclass(origin, StripeObject) and not untyped:
                return origin
    return None


def _free_form(hint) -> bool:
    if hint is None:
        return False
    for arg in _args(hint):
        origin = typing.get_origin(arg) or arg
        if origin in (dict, typing.Dict) or getattr(origin, "__name__", "") == "UntypedStripeObject":
            return True
    return False


def _list_item(hint):
    if hint is None:
        return None
    for arg in _args(hint):
        if typing.get_origin(arg) in (list, typing.List):
            return typing.get_args(arg)[0]
    return None
