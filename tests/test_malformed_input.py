"""Malformed input at every route of the app's route table, by every kind of visitor: the answer is
a page or a 4xx that says what was wrong, never a server error.

The routes come from walking app.routes (through Mounts), and the field names from the forms the
GET pages render, so a route or form added later is fuzzed by this same test."""

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from sqlmodel import select

from portal.inputs import MAX_ID, DatabaseId
from portal.integrations.mail import OutboxMessage
from portal.onboarding.models import DraftPerson
from portal.staff.models import StaffRole
from portal.staff.service import create_staff
from tests.conftest import csrf_from
from tests.onboarding.flows import reauthenticate
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import onboarded_seller, staff_browser

# Examples per endpoint, fixed (and derandomized) so a run is reproducible and bounded: a GET has
# only its path and query to get wrong, a form has every field.
EXAMPLES = {"GET": 3, "other": 10}


@dataclass(frozen=True, eq=False)
class Endpoint:
    template: str  # "/staff/sellers/{seller_id}"
    convertors: dict  # parameter name -> Starlette convertor
    method: str


def endpoints(routes, prefix: str = "", skip=()) -> list[Endpoint]:
    """Every route and method of a route table, through Mounts; apps mounted whole (the sandbox,
    static files) are not ours to fuzz."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            if isinstance(route.app, StaticFiles) or route.app in skip or not route.routes:
                continue
            found += endpoints(route.routes, prefix + route.path, skip)
        elif isinstance(route, Route):
            template = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", prefix + route.path)
            found += [Endpoint(template, route.param_convertors, method) for method in sorted(route.methods or ["GET"])
                      if method != "HEAD"]
    return found


def all_endpoints(app) -> list[Endpoint]:
    sandbox = app.state.sandbox.asgi if app.state.sandbox is not None else None
    return endpoints(app.routes, skip=(sandbox,))


def test_the_walk_sees_every_route_and_bounds_every_id(sandboxed_client):
    found = all_endpoints(sandboxed_client.app)
    templates = {endpoint.template for endpoint in found}
    # One from each mounted package, the dev pages included, and nothing from the static files.
    for expected in ("/", "/account/login", "/staff/sellers/{seller_id}", "/dev/outbox/{message_id}",
                     "/onboarding/people/{person_id}", "/account/security/two-factor"):
        assert expected in templates
    assert not any(template.startswith("/static") for template in templates)
    # Every integer path parameter is the bounded one: a route module built before portal.web
    # registered it would have Starlette's unbounded convertor.
    ints = [c for e in found for c in e.convertors.values() if type(c).__name__ in ("IntegerConvertor", "DatabaseId")]
    assert ints and all(isinstance(c, DatabaseId) for c in ints)


# What is thrown. Text of every kind, and the values that broke handlers before.
NASTY = ["", " ", "0", "-1", "²", "٣٤٥", "１２", "1e309", "NaN", "9" * 25, str(MAX_ID + 1), str(2**63), "0x1F", "1.5",
         "on", "../../etc/passwd", "<script>alert(1)</script>", "\x00", "%00", "\ud7ff", "a" * 3000, "null", "[]", "{}",
         "2024-02-30", "person_does_not_exist", "acct_1", "' OR 1=1 --"]
nasty = st.sampled_from(NASTY)
text = st.one_of(nasty, nasty, st.text(max_size=30), st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
bad_ids = st.one_of(st.integers(MAX_ID + 1, 10**25).map(str), st.sampled_from(["²", "٣", "１", "00000000000000000000001", "-1"]))
upload = st.tuples(st.sampled_from(["a.pdf", "", "../x.png", "\u202egnp.exe"]), st.binary(max_size=64),
                   st.sampled_from(["application/pdf", "image/png", "text/plain", ""]))
# A CSRF token mostly valid (so requests reach the handlers), else anything a header can carry.
header_text = st.text(alphabet=st.characters(max_codepoint=255, exclude_categories=("Cc", "Cs")), max_size=40)
WRONG_TYPES = ["application/json", "text/plain", "multipart/form-data", "multipart/form-data; boundary=x", "",
               "application/x-www-form-urlencoded; charset=utf-16", "image/png"]


def path_value(convertor, known: list[str]):
    """Mostly what exists (so the request reaches the handler with its malformed form), else what can't."""
    bad = st.one_of(bad_ids, text) if re.fullmatch(convertor.regex, "7") else text
    return st.one_of(st.sampled_from(known), bad) if known else bad


@dataclass
class Visitor:
    name: str
    client: object
    cookies: dict
    token: str

    def restore(self) -> None:
        """Back to the signed-in state: a fuzzed sign-out or view-as must not change who the next request is."""
        self.client.cookies.clear()
        for name, value in self.cookies.items():
            self.client.cookies.set(name, value)


def visitor(name: str, client, page: str) -> Visitor:
    html = client.get(page).text
    return Visitor(name, client, dict(client.cookies), csrf_from(html))


@dataclass
class PageForm:
    action: str
    method: str
    fields: dict = field(default_factory=dict)  # name -> the value the page put there
    files: set = field(default_factory=set)


class FormReader(HTMLParser):
    """The forms of a page, as a browser would submit them untouched."""

    def __init__(self, page: str):
        super().__init__()
        self.page, self.forms, self.open, self.select = page, [], False, None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page, attrs.get("action") or self.page)).path
            self.forms.append(PageForm(unquote(action), (attrs.get("method") or "GET").upper()))
            self.open = True
        elif tag == "option" and self.select:
            self.forms[-1].fields.setdefault(self.select, attrs.get("value", ""))
        elif self.open and tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            name = attrs["name"]
            if attrs.get("type") == "file":
                self.forms[-1].files.add(name)
            elif tag == "select":
                self.select = name
            else:
                self.forms[-1].fields.setdefault(name, attrs.get("value", "on" if attrs.get("type") == "checkbox" else ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = False
        elif tag == "select":
            self.select = None


@dataclass
class Target:
    endpoint: Endpoint
    visitors: list  # who reaches it: saw its form, or was shown its page
    forms: list
    known: dict  # path parameter name -> values that exist


@pytest.fixture
def targets(sandboxed_client, inbox) -> list[Target]:
    """Every endpoint, with who reaches it and the forms that post to it: anonymous, a seller past
    onboarding and two-step enrolment, and one staff member per role, all on one portal."""
    seller = onboarded_seller(sandboxed_client, inbox)  # two-step sign-in set up when asked, on the way
    reauthenticate(sandboxed_client)  # as the enrolment at sign-in did: sensitive pages are reached too
    visitors = [visitor("seller", sandboxed_client, "/status/"), visitor("anonymous", staff_browser(sandboxed_client), "/account/login")]
    for role in StaffRole:
        staff = staff_browser(sandboxed_client)
        dev_sign_in(staff, f"{role}@platform.test", role)
        visitors.append(visitor(role.value, staff, "/staff/"))
    # The staff member team actions act on: an admin deactivating a visitor would end its session.
    colleague, _ = create_staff(sandboxed_client.app.state.db, "colleague@platform.test", StaffRole.support)
    with sandboxed_client.app.state.db.transaction() as session:
        people = session.exec(select(DraftPerson)).all()
        messages = session.exec(select(OutboxMessage.id)).all()
    known = {"seller_id": [str(seller)], "staff_id": [str(colleague.id)], "message_id": [str(i) for i in messages[-2:]],
             "person_id": [str(p.id) for p in people] + [p.stripe_person_id for p in people if p.stripe_person_id],
             "key": ["individual.verification.document", "individual.dob.day"], "kind": ["payouts", "email"]}
    found = all_endpoints(sandboxed_client.app)
    seen = _harvest(found, visitors, known)
    return [Target(e, sorted({v.name: v for v, _ in seen[e]}.values(), key=lambda v: v.name) or visitors,
                   [form for _, form in seen[e] if form is not None], known) for e in found]


def _harvest(found: list[Endpoint], visitors: list[Visitor], known: dict) -> dict:
    """Endpoint -> [(visitor, form posting to it, or None for a page they were shown)], from every
    GET page each visitor can open with ids that exist."""
    seen = {endpoint: [] for endpoint in found}
    pattern = {e: re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(e.template)) + "$") for e in found}
    for endpoint in found:
        if endpoint.method != "GET" or any(not known.get(p) for p in endpoint.convertors):
            continue
        path = endpoint.template.format(**{p: known[p][0] for p in endpoint.convertors})
        for each in visitors:
            each.restore()
            response = each.client.get(path, follow_redirects=False)
            if response.status_code != 200:
                continue
            seen[endpoint].append((each, None))
            reader = FormReader(path)
            reader.feed(response.text)
            for form in reader.forms:
                for target in found:
                    if target.method == form.method and pattern[target].match(form.action):
                        seen[target].append((each, form))
    return seen


@st.composite
def bodies(draw, forms: list[PageForm]):
    """Keyword arguments for the request: one of the route's own forms (or none) with some fields
    made malformed, and sent as a file where text belongs, text where a file belongs, with broken
    encodings or under the wrong content type."""
    form = draw(st.sampled_from(forms)) if forms else PageForm("", "POST")
    data = dict(form.fields)  # its csrf_token too: mutated, it tests the form-token check
    for name in draw(st.lists(st.sampled_from(sorted(data)), max_size=4, unique=True)) if data else []:
        data[name] = draw(text)
    data.update(draw(st.dictionaries(text, text, max_size=2)))
    files = {name: draw(upload) for name in sorted(form.files)}
    how = draw(st.sampled_from(["form", "multipart", "file instead of text", "text instead of file", "bad bytes", "wrong type"]))
    if how == "form":
        return {"data": data}
    if how == "multipart":
        return {"data": data, "files": files or {draw(text): draw(upload)}}
    if how == "file instead of text":
        moved = draw(st.sampled_from(sorted(data))) if data else draw(text)
        data.pop(moved, None)
        return {"data": data, "files": {**files, moved: draw(upload)}}
    if how == "text instead of file":
        return {"data": {**data, **{name: draw(text) for name in files}}}
    if how == "bad bytes":
        raw = "&".join(f"{quote(k)}={quote(v)}" for k, v in data.items()).encode()
        return {"content": raw + draw(st.sampled_from([b"&a=%ff%fe%00", b"=&=&&", b"&\xff\xfe=\xc3\x28", b"%" * 50]))
                + draw(st.binary(max_size=40)), "headers": {"content-type": "application/x-www-form-urlencoded"}}
    return {"content": draw(st.one_of(st.binary(max_size=200), st.just(json.dumps(data).encode()))),
            "headers": {"content-type": draw(st.sampled_from(WRONG_TYPES))}}


def boundary_examples(target: Target) -> list[dict]:
    """Tried first at every endpoint, then the random ones: ids past each database's largest integer
    in every integer path parameter, and every field of each of its forms as a file part, as "²", and as 25 nines."""
    endpoint, who = target.endpoint, target.visitors[0]
    ids = {p: (target.known.get(p) or ["1"])[0] for p in endpoint.convertors}
    found = [dict(who=who, values={**ids, **{p: str(huge) for p, c in endpoint.convertors.items() if re.fullmatch(c.regex, "7")}},
                  query={}, sent={"data": {}}, csrf=None) for huge in (MAX_ID + 1, 10**20)]  # PostgreSQL's limit; SQLite's
    for form in target.forms[:1] if endpoint.method != "GET" else []:
        names = [name for name in form.fields if name != "csrf_token"] + sorted(form.files)
        found += [dict(who=who, values=ids, query={}, csrf=None, sent={"data": {}, "files": {n: ("a.pdf", b"%PDF", "application/pdf") for n in names}}),
                  dict(who=who, values=ids, query={}, csrf=None, sent={"data": dict.fromkeys(names, "²")}),
                  dict(who=who, values=ids, query={}, csrf=None, sent={"data": dict.fromkeys(names, "9" * 25)})]
    return found if endpoint.convertors or len(found) > 2 else []


def test_no_route_answers_malformed_input_with_a_server_error(targets):
    failures = []
    for target in targets:
        endpoint = target.endpoint
        fuzz = settings(max_examples=EXAMPLES.get(endpoint.method, EXAMPLES["other"]), derandomize=True, database=None,
                        deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        params = st.fixed_dictionaries({p: path_value(c, target.known.get(p, [])) for p, c in endpoint.convertors.items()})

        def throw(who, values, query, sent, csrf):
            who.restore()
            path = endpoint.template.format(**{p: quote(v, safe="") for p, v in values.items()})
            token = who.token if csrf is None else csrf
            headers = {**({"x-csrf-token": token.encode("latin-1")} if token else {}), "accept": "text/html",
                       **sent.get("headers", {})}
            kwargs = {k: v for k, v in sent.items() if k != "headers"} if endpoint.method != "GET" else {}
            response = who.client.request(endpoint.method, path, params=query, headers=headers, follow_redirects=False,
                                          **kwargs)
            assert response.status_code < 500, (who.name, endpoint.method, path, query, sent, response.status_code)
            if response.status_code >= 400:  # says what was wrong: a page for a browser, words for a machine
                assert "<h1" in response.text if "text/html" in response.headers.get("content-type", "") else response.text.strip()

        test = fuzz(given(who=st.sampled_from(target.visitors), values=params, query=st.dictionaries(text, text, max_size=3),
                          sent=bodies(target.forms), csrf=st.one_of(st.none(), st.none(), st.none(), header_text))(throw))
        for boundary in boundary_examples(target):
            test = example(**boundary)(test)
        try:
            test()
        except Exception as failure:  # the test client re-raises the handler's exception: the 500 it caused
            example_text = " ".join(getattr(failure, "__notes__", []))
            failures.append(f"{endpoint.method} {endpoint.template}: {type(failure).__name__}: {str(failure)[:300]}\n{example_text[:1500]}")
    assert not failures, "\n\n".join(failures)
