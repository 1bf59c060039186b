"""Fragments kept by their inputs (portal/fragments.py): the key holds every value and type, a
fragment reads nothing but its inputs, an edited template is not served from before, and one
seller's page never carries another's session values. The status page, the seller's menu and the
footer are fragments: a change to anything they show shows at once."""

import base64
import dataclasses
import json
import os
from datetime import UTC, datetime, timedelta, timezone

import itsdangerous
import pytest
from jinja2 import Environment, FileSystemLoader, meta
from markupsafe import Markup

from portal import fragments, i18n
from portal.accounts import service
from portal.accounts.auth import TWO_STEP_ON_KEY
from portal.accounts.models import Seller
from portal.accounts.passwords import hash_password
from portal.audit import Actor, record
from portal.connect import mirror, payout_holds
from portal.connect.requirements import Requirement
from portal.db import utcnow
from portal.onboarding.models import BusinessEmail
from portal.security import codes
from portal.security.models import TwoFactor
from portal.web import make_templates
from tests.conftest import PASSWORD

# The key ------------------------------------------------------------------------------------------

def _requirement(**changes) -> Requirement:
    base = Requirement(keys=["individual.dob.day"], path="individual.dob", words="your date of birth", bucket="currently_due",
                       label="Due now", deadline=None, person=None, errors=[], capabilities=["card payments"])
    return dataclasses.replace(base, **changes)


def test_equal_values_give_equal_keys_and_a_type_is_part_of_the_value():
    assert fragments.key({"a": [_requirement()], "b": None}) == fragments.key({"a": [_requirement()], "b": None})
    different = [1, True, 1.0, "1", Markup("1"), None, [1], (1,), {"1": 1}, {1: "1"}]
    keys = [fragments.key(value) for value in different]
    assert len(set(keys)) == len(different)
    assert fragments.key(Markup("<b>")) != fragments.key("<b>")
    moment = datetime(2026, 12, 6, 15, 4, tzinfo=UTC)
    assert fragments.key(moment) != fragments.key(moment.astimezone(timezone(timedelta(hours=1))))  # equal, shown apart
    assert fragments.key({"a": 1, "b": 2}) != fragments.key({"b": 2, "a": 1})  # a loop shows them in this order


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Requirement)])
def test_every_field_of_a_dataclass_is_in_its_key(name):
    before = _requirement()
    changed = {"keys": ["individual.dob.month"], "deadline": 1_900_000_000, "person": "person_1", "errors": ["expired"],
               "capabilities": [], "collectable": False, "staff_words": "the seller's birthday"}.get(name, "other")
    after = dataclasses.replace(before, **{name: changed})
    assert fragments.key([before]) != fragments.key([after])
    before.errors.append("in place")  # a list changed in place is a changed value
    assert fragments.key(before) != fragments.key(_requirement())


def test_a_value_that_cannot_be_compared_is_refused_and_its_fragment_rendered_not_kept(tmp_path):
    with pytest.raises(fragments.Unkeyable):
        fragments.key({"row": object()})
    (tmp_path / "part.html").write_text("{{ thing.name }}")
    kept = fragments.Fragments(Environment(loader=FileSystemLoader(tmp_path), autoescape=True))

    class Row:
        name = "a row"

    assert kept.render("part.html", {"thing": Row()}, private={}, url=None, settings=None) == "a row"
    assert not kept.kept


# Fragments --------------------------------------------------------------------------------------

def _env(folder, **templates) -> fragments.Fragments:
    for name, text in templates.items():
        (folder / name).write_text(text)
    env = Environment(loader=FileSystemLoader(folder), autoescape=True, auto_reload=True, extensions=["jinja2.ext.i18n"])
    i18n.install(env)
    return fragments.Fragments(env, size=2)


def test_private_values_are_printed_escaped_and_never_kept(tmp_path):
    kept = _env(tmp_path, **{"menu.html": '<span title="{{ email }}">{{ email }}</span> {{ csrf_token }} {{ words }}'})
    first = kept.render("menu.html", {"words": "<hi>"}, private={"email": "ann&<x>@example.com", "csrf_token": "tok-1"},
                        url=None, settings=None)
    assert first == '<span title="ann&amp;&lt;x&gt;@example.com">ann&amp;&lt;x&gt;@example.com</span> tok-1 &lt;hi&gt;'
    second = kept.render("menu.html", {"words": "<hi>"}, private={"email": "bo@example.com", "csrf_token": "tok-2"},
                         url=None, settings=None)
    assert second == '<span title="bo@example.com">bo@example.com</span> tok-2 &lt;hi&gt;'
    assert len(kept.kept) == 1  # one rendering served both
    stored = "".join(kept.kept.values())
    assert "ann" not in stored and "bo@" not in stored and "tok-" not in stored


def test_the_store_is_bounded_and_the_language_is_in_the_key(tmp_path):
    kept = _env(tmp_path, **{"words.html": "{{ n }} {{ _('Log out') }}"})
    for n in range(3):
        assert kept.render("words.html", {"n": n}, private={}, url=None, settings=None) == f"{n} Log out"
    assert len(kept.kept) == 2
    with i18n.using_locale("de"):
        assert kept.render("words.html", {"n": 2}, private={}, url=None, settings=None) == "2 Abmelden"
    assert kept.render("words.html", {"n": 2}, private={}, url=None, settings=None) == "2 Log out"


def test_what_is_derived_is_made_from_the_inputs_alone_and_only_when_rendered(tmp_path):
    kept = _env(tmp_path, **{"double.html": "{{ n }} x 2 = {{ twice }}"})
    given = []

    def double(inputs: dict) -> dict:
        given.append(inputs)
        return {"twice": inputs["n"] * 2}

    def render(n: int) -> str:
        return kept.render("double.html", {"n": n}, private={}, url=None, settings=None, derive=double)

    assert render(2) == "2 x 2 = 4" and render(2) == "2 x 2 = 4" and render(3) == "3 x 2 = 6"
    assert given == [{"n": 2}, {"n": 3}]


def test_an_edited_template_or_one_it_includes_is_not_served_from_before(tmp_path):
    kept = _env(tmp_path, **{"outer.html": "[{% include 'inner.html' %}]", "inner.html": "one"})
    assert kept.render("outer.html", {}, private={}, url=None, settings=None) == "[one]"
    (tmp_path / "inner.html").write_text("two")
    later = (tmp_path / "inner.html").stat().st_mtime + 5
    os.utime(tmp_path / "inner.html", (later, later))
    assert kept.render("outer.html", {}, private={}, url=None, settings=None) == "[two]"


def test_in_production_the_templates_of_a_fragment_are_looked_up_once(tmp_path):
    (tmp_path / "outer.html").write_text("[{% include 'inner.html' %}]")
    (tmp_path / "inner.html").write_text("one")
    kept = fragments.Fragments(Environment(loader=FileSystemLoader(tmp_path), autoescape=True, auto_reload=False))
    first = kept.templates("outer.html")
    assert [template.name for template in first] == ["outer.html", "inner.html"]
    assert kept.templates("outer.html") is first
    assert kept.render("outer.html", {}, private={}, url=None, settings=None) == "[one]"


# The portal's fragments read nothing but their inputs ------------------------------------------

FRAGMENTS = {  # name -> what base.html or status.html gives it (and what its includes read)
    "connect/_status_content.html": {"view", "country", "focus_key", "values", "errors", "progress", "date_locale",
                                     "plan", "focus"},  # the last two derived from the others (connect.routes._form)
    "_seller_menu.html": {"has_account", "here", "email"},
    "_footer.html": {"picker", "next_page"},
}
# Every page's context that a fragment is also given; `file` and `staff` are the staff console's
# (undefined in a fragment, by design); `ignored` and `summary` are set inside the templates (Jinja's
# meta counts a name set in an {% if %} as read).
ALWAYS = {"url", "settings", "csrf_token", "file", "staff", "ignored", "summary", "picker_id"}
# Globals a fragment may call: they read their arguments, constants and the request's language only.
PURE_GLOBALS = {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "gettext", "ngettext", "pgettext",
                "npgettext", "_", "current_locale", "html_lang", "language_choices", "language_label", "script_words",
                "script_words_json", "connect_locale", "subdivisions", "fragment"}


def _reads(env, name: str, seen: set) -> set:
    seen.add(name)
    tree = env.parse(env.loader.get_source(env, name)[0])
    names = set(meta.find_undeclared_variables(tree))
    for included in meta.find_referenced_templates(tree):
        assert included is not None, f"{name} includes a template named at render time"
        if included not in seen:
            names |= _reads(env, included, seen)
    return names


@pytest.mark.parametrize("name", FRAGMENTS)
def test_a_fragment_reads_only_its_inputs(name):
    env = make_templates()
    assert _reads(env, name, set()) <= FRAGMENTS[name] | ALWAYS
    assert set(env.globals) <= PURE_GLOBALS, "a new global: may a kept fragment call it? (portal/fragments.py)"


# Through the app -------------------------------------------------------------------------------

CURRENTLY_DUE = ["individual.verification.document", "individual.dob.day", "individual.address.line1",
                 "individual.address.state", "individual.phone", "business_profile.url", "external_account"]


def _snapshot(account_id: str, country: str = "US", due: list[str] | None = None, **changes) -> dict:
    due = CURRENTLY_DUE if due is None else due
    return {"id": account_id, "object": "account", "country": country, "business_type": "individual",
            "charges_enabled": False, "payouts_enabled": False, "details_submitted": True, "capabilities": {},
            "tos_acceptance": {"date": 1_700_000_000, "ip": "203.0.113.9"},
            "requirements": {"currently_due": due, "eventually_due": due, "past_due": [], "pending_verification": [],
                             "errors": [], "current_deadline": None, "disabled_reason": None, "alternatives": []},
            "future_requirements": {}, "settings": {"payouts": {"schedule": {"interval": "daily", "delay_days": 2}}},
            **changes}


class SignedIn:
    """A seller with two-step sign-in, signed in as the benchmark does it (a login session, a signed
    cookie), whose account the mirror holds as `account` (None: no Stripe account yet)."""

    def __init__(self, client, email: str, account: dict | None, *, locale: str | None = None):
        db, settings = client.app.state.db, client.app.state.settings
        with db.transaction() as session:
            seller = Seller(email=email, password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow(), locale=locale)
            session.add(seller)
            session.flush()
            session.add(BusinessEmail(seller_id=seller.id, email="owner@" + email.split("@")[1], confirmed_at=utcnow()))
            session.add(TwoFactor(seller_id=seller.id, sealed_secret=codes.seal(codes.new_secret(), settings.secret_key.get_secret_value()),
                                  confirmed_at=utcnow()))
            self.id = seller.id
        self.client, self.email = client, email
        if account is not None:
            self.record(account)
        self.csrf = "csrf-of-" + email.split("@")[0]
        self.session_id = service.open_session(db, self.id, "127.0.0.1", "test")
        data = {"sid": self.session_id, "_csrf": self.csrf, TWO_STEP_ON_KEY: True}
        signer = itsdangerous.TimestampSigner(str(settings.signing_key()))
        self.cookie = signer.sign(base64.b64encode(json.dumps(data).encode())).decode()

    def record(self, account: dict) -> None:
        """What Stripe answers now (a read), as the status page's "Check again" keeps it."""
        mirror.record_account(self.client.app.state.db, self.id, account)

    def page(self, path: str = "/status/", **headers) -> str:
        response = self.client.get(path, headers={"cookie": f"portal_session={self.cookie}", **headers})
        assert response.status_code == 200, response.text[:500]
        return response.text


def _kept(client) -> str:
    return "".join(client.app.state.templates.globals["fragment"].__self__.kept.values())


def test_sellers_in_the_same_state_share_the_kept_page_and_each_sees_only_their_own(client):
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    bo = SignedIn(client, "bo@bosbikes.com", _snapshot("acct_bo"))
    for _ in range(2):
        ann_page, bo_page = ann.page(), bo.page()
        assert ann.email in ann_page and ann.csrf in ann_page
        assert bo.email in bo_page and bo.csrf in bo_page
        assert bo.email not in ann_page and bo.csrf not in ann_page
        assert ann.email not in bo_page and ann.csrf not in bo_page
    # The same requirements, so the same content, kept once; the sessions' values are not in it.
    strip = lambda page, seller: page.replace(seller.email, "EMAIL").replace(seller.csrf, "CSRF")  # noqa: E731
    assert strip(ann_page, ann) == strip(bo_page, bo)
    kept = _kept(client)
    assert "Actions required" in kept
    assert not [value for value in (ann.email, bo.email, ann.csrf, bo.csrf) if value in kept]

    cy = SignedIn(client, "cy@cyscafe.com", _snapshot("acct_cy", due=["external_account"]))
    cy_page = cy.page()
    assert "A bank account for your payouts" in cy_page and "Your date of birth" not in cy_page
    assert "Your date of birth" in ann.page()


def test_whatever_the_status_page_shows_changes_as_soon_as_it_does(client):
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    first = ann.page()
    assert "Your date of birth" in first and 'value="AL"' in first  # the US states

    ann.record(_snapshot("acct_ann", due=[key for key in CURRENTLY_DUE if key != "individual.dob.day"]))
    resolved = ann.page()
    assert "Your date of birth" not in resolved and "Your home address" in resolved

    ann.record(_snapshot("acct_ann", due=CURRENTLY_DUE[1:], requirements={
        "currently_due": CURRENTLY_DUE[1:], "eventually_due": CURRENTLY_DUE[1:], "past_due": [], "pending_verification": [],
        "errors": [], "current_deadline": 1_900_000_000, "disabled_reason": None, "alternatives": []}))
    dated = ann.page()
    assert "Mar 17, 2030" in dated  # a deadline, dated the US way

    ann.record(_snapshot("acct_ann", country="GB", due=CURRENTLY_DUE[1:], requirements={
        "currently_due": CURRENTLY_DUE[1:], "eventually_due": CURRENTLY_DUE[1:], "past_due": [], "pending_verification": [],
        "errors": [], "current_deadline": 1_900_000_000, "disabled_reason": None, "alternatives": []}))
    british = ann.page()
    assert "17 Mar 2030" in british and 'value="AL"' not in british  # the account's country: its dates, its areas

    assert "Our team asked you to fix this" not in british
    assert "Our team asked you to fix this" in ann.page("/status/?requirement=individual.phone")

    payout_holds.place_hold(client.app.state.db, ann.id, payout_holds.RISK_PAUSE, note="check", placed_by="risk@platform")
    assert "Our team has paused your payouts" in ann.page()

    record(client.app.state.db, actor=Actor.staff(1, "dana@platform"), action="staff.profile_update", seller_id=ann.id,
           details={"changes": [{"field": "URL"}]})
    assert "Our team updated your business profile: url." in ann.page()

    german = ann.page(**{"cookie": f"portal_session={ann.cookie}; portal_locale=de"})
    assert '<html lang="de">' in german and "Ihr Konto" in german and "Abmelden" in german
    assert "Log out" in ann.page()


def test_the_menu_and_footer_follow_the_page_and_the_account(client):
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    status = ann.page("/status/?a=1&b=2")
    assert '<a href="/status/" aria-current="page">' in status
    assert 'name="next" value="/status/?a=1&amp;b=2"' in status
    payouts = ann.page("/payouts")
    assert '<a href="/payouts" aria-current="page">' in payouts and '<a href="/status/" >' in payouts
    assert 'name="next" value="/payouts"' in payouts

    new = SignedIn(client, "new@newshop.com", None)  # no Stripe account yet: no money pages
    assert 'href="/payouts"' not in new.page("/dashboard") and new.email in new.page("/dashboard")
    assert 'href="/payouts"' in ann.page("/dashboard")


def test_a_refused_form_shows_what_was_typed_and_its_errors_and_the_next_view_does_not(client):
    ann = SignedIn(client, "ann@annsbakery.com", _snapshot("acct_ann"))
    assert "field--error" not in ann.page()
    refused = client.post("/status/fix", headers={"cookie": f"portal_session={ann.cookie}"},
                          data={"csrf_token": ann.csrf, "individual.dob": "31/02/1990", "individual.phone": "typed-by-ann"})
    assert refused.status_code == 400
    assert "field--error" in refused.text and 'value="typed-by-ann"' in refused.text
    assert "typed-by-ann" not in _kept(client), "what a seller typed stays in memory after the request"
    again = ann.page()
    assert "field--error" not in again and "typed-by-ann" not in again
