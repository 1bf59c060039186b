"""Passkeys: registering, signing in without a password or as the second step, confirming it's you,
removing; and the refusals (a replayed or expired challenge, another origin or relying party, no
user verification, a counter going backwards, another seller's passkey). The answers are made by a
software authenticator (tests/security/authenticator.py) and checked by py_webauthn, unmocked."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from portal.accounts.models import Seller
from portal.db import Database
from portal.security import passkeys
from portal.security.models import Passkey, SignInEvent
from portal.security.passkeys import Owner, Purpose, Refusal, RelyingParty
from tests.conftest import csrf_from, log_in, post_form
from tests.onboarding.flows import signed_in_seller
from tests.security.authenticator import SoftAuthenticator

EMAIL = "ann@annsbakery.com"
OTHER = "bob@bobsbikes.com"
SECURITY = "/account/security/"
RP = RelyingParty("localhost", "Test platform", ("http://localhost:8000",))
SECRET = "test-secret"


# Over HTTP, as static/passkeys.js does it.
def _call(client, path: str, body: dict, page: str = SECURITY):
    token = csrf_from(client.get(page, follow_redirects=True).text)
    return client.post(path, content=json.dumps(body),
                       headers={"x-csrf-token": token, "accept": "application/json", "content-type": "application/json"})


def add_passkey(client, authenticator: SoftAuthenticator, name: str = "Work laptop", page: str = SECURITY):
    options = _call(client, SECURITY + "passkeys/options", {}, page)
    assert options.status_code == 200, options.text
    done = _call(client, SECURITY + "passkeys", {"credential": authenticator.create(options.json()), "name": name}, page)
    assert done.status_code == 200, done.text
    return done


def passkey_sign_in(client, authenticator: SoftAuthenticator, page: str = "/account/login", **lie):
    options = _call(client, SECURITY + "sign-in/passkey/options", {}, page).json()
    return _call(client, SECURITY + "sign-in/passkey", {"credential": authenticator.get(options, **lie)}, page)


def passkey_reauth(client, authenticator: SoftAuthenticator, next_path: str = SECURITY):
    options = _call(client, SECURITY + "confirm/passkey/options", {}).json()
    return _call(client, SECURITY + "confirm/passkey", {"credential": authenticator.get(options), "next": next_path})


def log_out(client):
    post_form(client, "/account/logout", {}, page="/dashboard")


def _methods(app) -> list[str]:
    with app.state.db.transaction() as session:
        return [event.method for event in session.exec(select(SignInEvent).where(SignInEvent.success.is_(True))
                                                       .order_by(SignInEvent.id)).all()]


def test_a_seller_adds_a_passkey_and_signs_in_with_it_without_a_password(app, client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    device = SoftAuthenticator()
    assert add_passkey(client, device).json() == {"redirect": SECURITY}
    assert "A passkey was added" in inbox.wait_for(EMAIL, subject="A passkey was added to your seller account")[0]["Subject"]
    overview = client.get(SECURITY).text
    assert "Work laptop" in overview and "Not yet" in overview
    with app.state.db.transaction() as session:
        stored = session.exec(select(Passkey)).one()
    # Only the public key: the COSE key the authenticator made, not anything that could sign.
    assert passkeys.webauthn.base64url_to_bytes(stored.public_key) == device._cose_key()

    log_out(client)
    signed_in = passkey_sign_in(client, device)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json() == {"redirect": "/dashboard"}
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    assert _methods(app)[-1] == "passkey"
    assert "Last used" in client.get(SECURITY).text and "Not yet" not in client.get(SECURITY).text


def test_a_passkey_is_the_second_step_after_the_password_and_counts_as_two_step_sign_in(app, client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    device = SoftAuthenticator()
    add_passkey(client, device)
    assert passkeys.has_passkeys(app.state.db, 1)
    log_out(client)
    assert log_in(client, EMAIL).headers["location"] == SECURITY + "sign-in/code"
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/account/login")
    assert "Use a passkey" in client.get(SECURITY + "sign-in/code").text
    done = passkey_sign_in(client, device, page=SECURITY + "sign-in/code")
    assert done.status_code == 200 and done.json() == {"redirect": "/dashboard"}
    assert _methods(app)[-1] == "password_and_passkey"
    assert "Password and passkey" in client.get(SECURITY).text


def test_a_replayed_answer_is_refused(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    device = SoftAuthenticator()
    add_passkey(client, device)
    log_out(client)
    options = _call(client, SECURITY + "sign-in/passkey/options", {}, "/account/login").json()
    answer = device.get(options)
    assert _call(client, SECURITY + "sign-in/passkey", {"credential": answer}, "/account/login").status_code == 200
    log_out(client)
    # The same signed answer again, even after this browser asked for a new challenge.
    _call(client, SECURITY + "sign-in/passkey/options", {}, "/account/login")
    replayed = _call(client, SECURITY + "sign-in/passkey", {"credential": answer}, "/account/login")
    assert replayed.status_code == 400 and "already used" in replayed.json()["error"]
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_the_passkey_sign_in_endpoints_take_json_with_the_csrf_header_only(client):
    client.get("/account/login")
    assert client.post(SECURITY + "sign-in/passkey/options", json={}).status_code == 403
    token = csrf_from(client.get("/account/login").text)
    for body in (b"not json", b"[1, 2]", json.dumps({"credential": "x"}).encode(),
                 json.dumps({"credential": {"response": {"clientDataJSON": "!!"}}}).encode()):
        answer = client.post(SECURITY + "sign-in/passkey", content=body,
                             headers={"x-csrf-token": token, "content-type": "application/json"})
        assert answer.status_code == 400, body


def test_confirming_it_is_you_with_a_passkey_opens_the_sensitive_pages(client, inbox):
    signed_in_seller(client, inbox, EMAIL)
    device = SoftAuthenticator()
    add_passkey(client, device)
    assert client.get(SECURITY + "password", follow_redirects=False).headers["location"].startswith(SECURITY + "confirm")
    assert "Confirm with a passkey" in client.get(SECURITY + "confirm?next=/account/security/password").text
    confirmed = passkey_reauth(client, device, SECURITY + "password")
    assert confirmed.status_code == 200 and confirmed.json() == {"redirect": SECURITY + "password"}
    assert client.get(SECURITY + "password", follow_redirects=False).status_code == 200


def test_another_sellers_passkey_is_refused(client, inbox, app):
    theirs = SoftAuthenticator()
    signed_in_seller(client, inbox, OTHER)
    add_passkey(client, theirs)
    log_out(client)
    signed_in_seller(client, inbox, EMAIL)
    add_passkey(client, SoftAuthenticator())
    # Confirming it's you with Bob's passkey while signed in as Ann.
    refused = passkey_reauth(client, theirs, SECURITY + "password")
    assert refused.status_code == 400 and "another account" in refused.json()["error"]
    assert client.get(SECURITY + "password", follow_redirects=False).status_code == 303
    # Ann's password, then Bob's passkey as the second step.
    log_out(client)
    log_in(client, EMAIL)
    refused = passkey_sign_in(client, theirs, page=SECURITY + "sign-in/code")
    assert refused.status_code == 400 and "another account" in refused.json()["error"]
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_removing_a_passkey_needs_a_recent_confirmation_and_sends_a_mail(client, inbox, app):
    signed_in_seller(client, inbox, EMAIL)
    device = SoftAuthenticator()
    add_passkey(client, device, name="Old phone")
    add_passkey(client, SoftAuthenticator(), name="New phone")
    with app.state.db.transaction() as session:
        old = session.exec(select(Passkey).where(Passkey.name == "Old phone")).one()
    remove = f"{SECURITY}passkeys/{old.id}/remove"
    asked = post_form(client, remove, {}, page=SECURITY, follow_redirects=False, headers={"referer": "http://testserver" + SECURITY})
    assert asked.headers["location"].startswith(SECURITY + "confirm")
    assert passkeys.has_passkeys(app.state.db, 1) and len(passkeys.passkeys_of(app.state.db, Owner.seller(1))) == 2
    passkey_reauth(client, device)
    assert post_form(client, remove, {}, page=SECURITY, follow_redirects=False).headers["location"] == SECURITY
    assert [passkey.name for passkey in passkeys.passkeys_of(app.state.db, Owner.seller(1))] == ["New phone"]
    mail = inbox.wait_for(EMAIL, subject="A passkey was removed from your seller account")[0].get_content()
    assert '"Old phone"' in mail and "/account/security/lock/" in mail
    log_out(client)
    assert passkey_sign_in(client, device).json()["error"].startswith("We don't know that passkey")


def test_another_seller_cannot_remove_a_passkey(client, inbox, app):
    signed_in_seller(client, inbox, OTHER)
    add_passkey(client, SoftAuthenticator())
    log_out(client)
    signed_in_seller(client, inbox, EMAIL)
    mine = SoftAuthenticator()
    add_passkey(client, mine)
    passkey_reauth(client, mine)
    post_form(client, f"{SECURITY}passkeys/1/remove", {}, page=SECURITY)
    assert len(passkeys.passkeys_of(app.state.db, Owner.seller(1))) == 1


def test_a_locked_account_loses_its_passkeys(client, inbox, app):
    from portal.accounts.links import LinkPurpose, make_token

    signed_in_seller(client, inbox, EMAIL)
    device = SoftAuthenticator()
    add_passkey(client, device)
    with app.state.db.transaction() as session:
        seller = session.get(Seller, 1)
    token = make_token(app.state.secret, LinkPurpose.lock_account, seller.id, seller.password_hash)
    post_form(client, f"{SECURITY}lock", {}, page=f"{SECURITY}lock/{token}")
    assert not passkeys.has_passkeys(app.state.db, 1)
    assert passkey_sign_in(client, device).status_code == 400


# The checks themselves, on SQLite and PostgreSQL.
@pytest.fixture
def seller_ids(db: Database) -> tuple[int, int]:
    with db.transaction() as session:
        sellers = [Seller(email=email, password_hash="x") for email in (EMAIL, OTHER)]
        session.add_all(sellers)
    return sellers[0].id, sellers[1].id


def _register(db: Database, seller_id: int, device: SoftAuthenticator, **lie):
    options, digest = passkeys.registration_options(db, RP, Owner.seller(seller_id), EMAIL, SECRET)
    return passkeys.finish_registration(db, RP, Owner.seller(seller_id), device.create(json.loads(options), **lie),
                                        "Laptop", digest)


def _answer(db: Database, device: SoftAuthenticator, purpose: Purpose, seller_id: int | None, **lie):
    options, digest = passkeys.authentication_options(db, RP, purpose, Owner.seller(seller_id) if seller_id else None)
    return passkeys.finish_authentication(db, RP, device.get(json.loads(options), **lie), digest, {purpose}, SECRET)


def test_registration_refuses_another_origin_or_relying_party_or_no_user_verification(db, seller_ids):
    ann, _ = seller_ids
    assert _register(db, ann, SoftAuthenticator(), origin="https://portal-login.example") is Refusal.failed
    assert _register(db, ann, SoftAuthenticator(), rp_id="portal-login.example") is Refusal.failed
    assert _register(db, ann, SoftAuthenticator(), verified=False) is Refusal.failed
    assert passkeys.passkeys_of(db, Owner.seller(ann)) == []
    device = SoftAuthenticator()
    assert isinstance(_register(db, ann, device), Passkey)
    assert _register(db, ann, device) is Refusal.already_registered


def test_sign_in_refuses_another_origin_or_relying_party_or_no_user_verification(db, seller_ids):
    ann, _ = seller_ids
    device = SoftAuthenticator()
    _register(db, ann, device)
    assert _answer(db, device, Purpose.sign_in, None, origin="https://portal-login.example") is Refusal.failed
    assert _answer(db, device, Purpose.sign_in, None, rp_id="portal-login.example") is Refusal.failed
    assert _answer(db, device, Purpose.sign_in, None, verified=False) is Refusal.failed
    answered = _answer(db, device, Purpose.sign_in, None)
    assert answered.passkey.seller_id == ann and answered.purpose is Purpose.sign_in


def test_a_challenge_is_used_once_for_its_purpose_for_this_browser_and_briefly(db, seller_ids):
    ann, _ = seller_ids
    device = SoftAuthenticator()
    _register(db, ann, device)
    options, digest = passkeys.authentication_options(db, RP, Purpose.sign_in, None)
    answer = device.get(json.loads(options))
    # Another browser's session holds another challenge's digest.
    _, elsewhere = passkeys.authentication_options(db, RP, Purpose.sign_in, None)
    assert passkeys.finish_authentication(db, RP, answer, elsewhere, {Purpose.sign_in}, SECRET) is Refusal.challenge
    # Asked for signing in, not for confirming a change.
    assert passkeys.finish_authentication(db, RP, answer, digest, {Purpose.reauth}, SECRET) is Refusal.challenge
    assert isinstance(passkeys.finish_authentication(db, RP, answer, digest, {Purpose.sign_in}, SECRET), passkeys.Answered)
    assert passkeys.finish_authentication(db, RP, answer, digest, {Purpose.sign_in}, SECRET) is Refusal.challenge
    # Answered after five minutes: too late.
    options, digest = passkeys.authentication_options(db, RP, Purpose.sign_in, None)
    with time_machine.travel(datetime.now(UTC) + passkeys.CHALLENGE_MAX_AGE + timedelta(seconds=5)):
        late = passkeys.finish_authentication(db, RP, device.get(json.loads(options)), digest, {Purpose.sign_in}, SECRET)
    assert late is Refusal.challenge


def test_a_counter_that_goes_backwards_is_refused_but_two_zeros_are_not(db, seller_ids):
    ann, _ = seller_ids
    device = SoftAuthenticator()
    _register(db, ann, device)
    assert isinstance(_answer(db, device, Purpose.reauth, ann, count=5), passkeys.Answered)
    assert _answer(db, device, Purpose.reauth, ann, count=3) is Refusal.counter
    assert _answer(db, device, Purpose.reauth, ann, count=5) is Refusal.counter
    assert _answer(db, device, Purpose.reauth, ann, count=0) is Refusal.counter
    assert isinstance(_answer(db, device, Purpose.reauth, ann, count=6), passkeys.Answered)
    with db.transaction() as session:
        assert session.exec(select(Passkey.sign_count)).one() == 6
    # An authenticator that keeps no counter says 0 every time, and that is allowed.
    uncounted = SoftAuthenticator(counts=False)
    _register(db, ann, uncounted)
    assert isinstance(_answer(db, uncounted, Purpose.reauth, ann), passkeys.Answered)
    assert isinstance(_answer(db, uncounted, Purpose.reauth, ann), passkeys.Answered)


def test_another_sellers_passkey_cannot_answer_for_this_seller(db, seller_ids):
    ann, bob = seller_ids
    bobs = SoftAuthenticator()
    _register(db, bob, bobs)
    assert _answer(db, bobs, Purpose.reauth, ann) is Refusal.not_yours
    assert _answer(db, bobs, Purpose.second_step, ann) is Refusal.not_yours
    # Nor register itself for Ann with Bob's challenge.
    options, digest = passkeys.registration_options(db, RP, Owner.seller(bob), OTHER, SECRET)
    assert passkeys.finish_registration(db, RP, Owner.seller(ann), SoftAuthenticator().create(json.loads(options)), "x",
                                        digest) is Refusal.challenge
    # A user handle that is not the owner's is refused too (the passkey would speak for another account).
    options, digest = passkeys.authentication_options(db, RP, Purpose.sign_in, None)
    answer = bobs.get(json.loads(options))
    answer["response"]["userHandle"] = passkeys.bytes_to_base64url(passkeys.user_handle(Owner.seller(ann), SECRET))
    assert passkeys.finish_authentication(db, RP, answer, digest, {Purpose.sign_in}, SECRET) is Refusal.not_yours


def test_the_relying_party_is_the_public_address_or_localhost_in_the_sandbox():
    from portal.settings import Settings

    public = passkeys.relying_party(Settings(public_url="https://sellers.platform.example/", stripe_secret_key="sk_live_x"))
    assert public.id == "sellers.platform.example" and public.origins == ("https://sellers.platform.example",)
    sandbox = passkeys.relying_party(Settings(stripe_api_base="http://127.0.0.1:8123/sandbox"))
    assert sandbox.id == "localhost" and sandbox.origins == ("http://localhost:8123",)


def test_a_passkey_satisfies_required_two_step_sign_in_and_removing_the_last_one_asks_again(settings, inbox):
    from starlette.testclient import TestClient

    from portal.app import create_app

    required = settings.model_copy(update={"two_factor_for_all": True})
    Database(required.database_url).migrate()
    with TestClient(create_app(required), base_url="http://testserver") as client:
        signed_in_seller(client, inbox, EMAIL)
        setup = SECURITY + "two-factor"
        assert client.get("/dashboard", follow_redirects=False).headers["location"] == setup
        assert "Add a passkey" in client.get(setup).text
        device = SoftAuthenticator()
        add_passkey(client, device, page=setup)
        assert client.get("/dashboard", follow_redirects=False).status_code == 200
        assert "You sign in with a passkey" in client.get(SECURITY).text
        # Signing in again: the password is followed by the passkey, not by an app never set up.
        log_out(client)
        log_in(client, EMAIL)
        assert "Use your passkey" in client.get(SECURITY + "sign-in/code").text
        assert passkey_sign_in(client, device, page=SECURITY + "sign-in/code").status_code == 200
        assert client.get("/dashboard", follow_redirects=False).status_code == 200
        # Confirming it's you offers the passkey only: there is no code to type.
        page = client.get(SECURITY + "confirm").text
        assert "Confirm with a passkey" in page and 'name="password"' not in page
        passkey_reauth(client, device)
        removed = post_form(client, f"{SECURITY}passkeys/1/remove", {}, page=SECURITY, follow_redirects=False)
        assert removed.headers["location"] == setup
        assert client.get("/dashboard", follow_redirects=False).headers["location"] == setup


def test_the_sign_in_history_says_how_each_sign_in_was_made(app, client, inbox):
    from tests.security.helpers import code, enrol

    signed_in_seller(client, inbox, EMAIL)
    key, recovery = enrol(client, step_offset=-1)
    log_out(client)
    log_in(client, EMAIL)
    post_form(client, SECURITY + "sign-in/code", {"code": code(key)})
    log_out(client)
    log_in(client, EMAIL)
    post_form(client, SECURITY + "sign-in/code", {"code": recovery[0]})
    assert _methods(app) == ["password", "password_and_code", "password_and_recovery_code"]
    assert "Password and recovery code" in client.get(SECURITY).text


def test_a_staff_members_passkey_never_signs_a_seller_in_and_answers_only_for_its_movement(db, seller_ids):
    from portal.staff.models import StaffRole
    from portal.staff.service import create_staff

    staff = Owner.staff(create_staff(db, "adam@platform.test", StaffRole.admin)[0].id)
    device = SoftAuthenticator()
    options, digest = passkeys.registration_options(db, RP, staff, "adam@platform.test", SECRET)
    assert isinstance(passkeys.finish_registration(db, RP, staff, device.create(json.loads(options)), "Key", digest), Passkey)
    assert _answer(db, device, Purpose.sign_in, None) is Refusal.unknown
    options, digest = passkeys.authentication_options(db, RP, Purpose.approve, staff, "funds:7")
    answer = device.get(json.loads(options))
    assert passkeys.finish_authentication(db, RP, answer, digest, {Purpose.approve}, SECRET, "funds:8") is Refusal.challenge
    options, digest = passkeys.authentication_options(db, RP, Purpose.approve, staff, "funds:7")
    answered = passkeys.finish_authentication(db, RP, device.get(json.loads(options)), digest, {Purpose.approve}, SECRET, "funds:7")
    assert staff.of(answered.passkey)
