"""Rendered parts of pages, kept by everything they are made of.

A fragment is a template rendered from the values it is given and nothing else: no request, no
view of the database, only those values, the app's constants (`url`, `settings`) and the request's
language. So the values are its key: `key()` turns them into one hashable value (dataclasses
field by field, lists and dicts item by item, each with its type), and a page asking with equal
values gets the same text, because rendering it again would give that text. Nothing is ever
stale: any change to what a fragment shows is a change to its values, hence another key. A value
`key()` does not know how to compare (a database row, a request) is refused, and the fragment is
rendered without being kept, so a fragment cannot depend on something its key does not hold.
What is cheaper to key than to make (a form's plan from the requirements) can be `derive`d: a
function given the inputs alone, called only when the fragment is rendered.

Values of the session (its CSRF token, the seller's email, the page's own address) are private:
rendered as placeholders and put in, escaped, on the way out, so a kept fragment holds nothing of
one session to show another. A template may only print them: `{{ csrf_token }}`, never test,
transform or measure them. The store is a bounded LRU in process memory: losing it costs only
time."""

import dataclasses
import functools
import operator
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

from babel.support import LazyProxy
from jinja2 import Environment, Template, meta, pass_context
from markupsafe import Markup, escape

from portal import i18n

KEPT = 512  # fragments of a few kilobytes each
# Random per process: no page's content can write it, so only the private values' places are replaced.
PLACEHOLDER = "private-" + secrets.token_hex(16)

# Values that are themselves when compared with their type (1 == 1.0 == True, but not as keys here).
_ATOMS = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, object] = {}


class Unkeyable(TypeError):
    """A value whose equality says nothing about how it renders."""


def key(value):
    """`value` as a hashable whole: equal keys mean equal values, down to every field and type."""
    return _key(value, {})


def _key(value, seen: dict):
    kind = type(value)
    if kind is str:
        return value
    if kind in _ATOMS:
        return (kind, value)
    if kind is list or kind is tuple:
        return _items(kind, tuple(value), seen)
    fields = _FIELDS.get(kind)
    if fields is None and dataclasses.is_dataclass(kind):
        names = [f.name for f in dataclasses.fields(kind)]
        fields = _FIELDS[kind] = operator.attrgetter(*names) if len(names) > 1 else (lambda v, n=names: (getattr(v, n[0]),) if n else ())
    if fields is not None:
        # A dataclass: each once per key (a page's requirements recur in its form's fields).
        found = seen.get(id(value))
        if found is None:
            found = seen[id(value)] = (value, _items(kind, fields(value), seen))  # holding it keeps its id unique
        return found[1]
    if kind is dict:
        return (kind, _items(tuple, tuple(value), seen), _items(tuple, tuple(value.values()), seen))
    if isinstance(value, (int, float)):  # an IntEnum
        return (kind, value)
    if isinstance(value, date):  # and datetime: isoformat keeps the time zone, which == ignores
        return (kind, value.isoformat())
    if isinstance(value, str):  # Markup (not escaped again), a StrEnum
        return (kind, str(value))
    if kind is LazyProxy:  # words translated when shown: in the request's language, which is in the key
        return (kind, _key(value.value, seen))
    raise Unkeyable(f"a fragment cannot be kept by a {kind.__qualname__}")


def _items(kind: type, items: tuple, seen: dict) -> tuple:
    """The key of a sequence (or a dataclass's fields): when every item is a plain str, number,
    bool or None, the items themselves beside their types (compared in C); else item by item."""
    types = tuple(map(type, items))
    if _ATOMS.issuperset(types):
        return (kind, items, types)
    # What _key(item) gives, without the call for the plain ones.
    return (kind, tuple([item if of is str else (of, item) if of in _ATOMS else _key(item, seen)
                         for item, of in zip(items, types)]))


class Kept:
    """A bounded LRU in process memory (the least recently used goes first), for what is kept only
    to go faster: fragments here, whole pages and the sellers the gate read in kept_pages.py."""

    def __init__(self, size: int):
        self.size = size
        self.kept: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        found = self.kept.get(key)
        if found is not None:
            with self.lock:
                if key in self.kept:
                    self.kept.move_to_end(key)
        return found

    def put(self, key, value) -> None:
        with self.lock:
            self.kept[key] = value
            if len(self.kept) > self.size:
                self.kept.popitem(last=False)


class Fragments(Kept):
    """The kept fragments of one Jinja environment (the app's: web.make_templates)."""

    def __init__(self, env: Environment, size: int = KEPT):
        super().__init__(size)
        self.env = env
        self.references: dict[Template, tuple[str, ...]] = {}
        self.loaded: dict[str, tuple[Template, ...]] = {}  # without auto_reload a template never changes

    def render(self, name: str, inputs: dict, *, private: dict[str, str], url, settings, root_path: str = "",
               derive: Callable[[dict], dict] | None = None, keep: bool = True) -> Markup:
        """Template `name` rendered from `inputs`, `url`, `settings` and the `private` values (the
        session's: its CSRF token, the seller's email...), which the template may only print.
        `derive(inputs)` adds what is made from the inputs alone, only when the template renders.
        `keep=False`: a one-off (a refused form showing what was typed): rendered, never kept, so
        what a seller typed is not held in memory after their request."""
        templates = self.templates(name)
        try:
            wanted = (templates, i18n.current_locale(), root_path, key(inputs)) if keep else None
        except Unkeyable:
            wanted = None
        text = self.get(wanted) if wanted is not None else None
        if text is None:
            made = derive(dict(inputs)) if derive is not None else {}
            text = templates[0].render({**inputs, **made, **{field: placeholder(field) for field in private},
                                        "url": url, "settings": settings})
            if wanted is not None:
                self.put(wanted, text)
        for field, value in private.items():
            text = text.replace(placeholder(field), str(escape(value)))
        return Markup(text)

    @pass_context
    def for_page(self, context, name: str, private: dict | None = None, derive=None, keep: bool = True, **inputs) -> Markup:
        """The templates' `fragment(name, private={...}, derive=..., **inputs)`: the page's `url`,
        `settings` and CSRF token go with it, the last one private."""
        request = context["request"]
        return self.render(name, inputs, private={"csrf_token": context["csrf_token"], **(private or {})},
                           url=context["url"], settings=context["settings"], root_path=request.scope.get("root_path", ""),
                           derive=derive, keep=keep)

    def templates(self, name: str) -> tuple[Template, ...]:
        """The template and every one it includes or imports, as loaded now: with auto_reload
        (development) a file changed since is a new Template, so a fragment kept from the old one
        is not found again."""
        if (loaded := self.loaded.get(name)) is not None:
            return loaded
        found: dict[str, Template] = {}
        waiting = [name]
        while waiting:
            current = waiting.pop()
            if current not in found:
                template = found[current] = self.env.get_template(current)
                waiting.extend(self._references(template))
        loaded = tuple(found.values())
        if not self.env.auto_reload:
            self.loaded[name] = loaded
        return loaded

    def _references(self, template: Template) -> tuple[str, ...]:
        names = self.references.get(template)
        if names is None:
            source = self.env.loader.get_source(self.env, template.name)[0]
            names = tuple(meta.find_referenced_templates(self.env.parse(source)))
            if None in names:  # {% include some_variable %}: which template is not known before rendering
                raise ValueError(f"{template.name}: a fragment includes only templates named in it")
            with self.lock:
                if len(self.references) >= 4 * KEPT:  # templates reloaded many times over (development)
                    self.references.clear()
                self.references[template] = names
        return names


@functools.cache
def placeholder(name: str) -> str:
    """Where a private value goes: printed escaped it is itself, and no page content can write it."""
    if not name.isidentifier():
        raise ValueError(f"a private value's name is an identifier, not {name!r}")
    return f"{PLACEHOLDER}.{name}."
