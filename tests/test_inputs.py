"""Reading input: ids in paths bounded to the database, forms that hold files only where files
belong, whole numbers in ASCII digits only; each refusal is a 4xx page that says what was wrong."""

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import portal
from portal.app import create_app
from portal.db import Database
from portal.inputs import MAX_ID, digits_up_to, read_form, whole_number
from portal.staff.models import StaffRole
from portal.staff.service import create_staff
from tests.conftest import csrf_from
from tests.staff.conftest import dev_sign_in


@pytest.mark.parametrize("limit", [0, 7, 10, 99, 100, 120, 2024, 30303, MAX_ID])
@given(number=st.integers(0, 10**12))
def test_digits_up_to_matches_exactly_the_numbers_up_to_the_limit(limit, number):
    pattern = re.compile(digits_up_to(limit))
    for candidate in (number, number % (limit + 1), limit, limit + 1):
        assert bool(pattern.fullmatch(str(candidate))) == (candidate <= limit), candidate
    assert pattern.fullmatch("000" + str(limit))


@pytest.mark.parametrize(("typed", "read"), [
    ("42", 42), ("0042", 42), ("0", 0), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("9" * 25, None),
    ("²", None), ("٣", None), ("１２", None), ("-1", None), (" 1", None), ("1.0", None), ("", None), (None, None),
])
def test_whole_number_takes_ascii_digits_within_the_limit(typed, read):
    assert whole_number(typed) == read


def test_whole_number_with_a_smaller_maximum():
    assert whole_number("31", maximum=31) == 31
    assert whole_number("32", maximum=31) is None


def test_an_id_past_the_database_range_is_not_found(client):
    for path in (f"/dev/outbox/{MAX_ID + 1}", "/dev/outbox/" + "9" * 20, "/staff/sellers/" + "9" * 20):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert "Page not found" in response.text


def test_the_largest_id_a_route_accepts_is_one_postgresql_can_hold(settings, postgres_url):
    Database(postgres_url).migrate()
    with TestClient(create_app(settings.model_copy(update={"database_url": postgres_url}))) as client:
        dev_sign_in(client, "sam@platform.test", StaffRole.admin)
        for seller_id in (MAX_ID, MAX_ID + 1, 10**20):
            assert client.get(f"/staff/sellers/{seller_id}").status_code == 404, seller_id
        assert client.get(f"/dev/outbox/{MAX_ID}").status_code == 404


def test_the_development_sign_in_refuses_odd_numbers_with_a_page(client):
    create_staff(client.app.state.db, "sam@platform.test", StaffRole.admin)
    for typed in ("²", "9" * 25, str(MAX_ID + 1), "-1"):
        token = csrf_from(client.get("/staff/sign-in").text)
        response = client.post("/staff/sign-in/development", data={"csrf_token": token, "staff_id": typed})
        assert response.status_code == 400, typed
        assert "Pick a staff member" in response.text


def test_a_file_where_text_belongs_is_refused_naming_the_field(client):
    create_staff(client.app.state.db, "sam@platform.test", StaffRole.admin)
    token = csrf_from(client.get("/staff/sign-in").text)
    response = client.post("/staff/sign-in/development", data={"csrf_token": token},
                           files={"staff_id": ("id.txt", b"1", "text/plain")})
    assert response.status_code == 400
    assert "staff_id" in response.text and "takes text, but a file was sent" in response.text
    assert "<h1" in response.text


async def _echo_form(request):
    form = await read_form(request, is_file=lambda name: name == "document")
    return PlainTextResponse(",".join(sorted(form)))


def test_read_form_wants_files_exactly_where_files_belong():
    with TestClient(Starlette(routes=[Route("/", _echo_form, methods=["POST"])])) as bare:
        pdf = ("a.pdf", b"%PDF-1.4", "application/pdf")
        assert bare.post("/", data={"name": "Ann"}, files={"document": pdf}).text == "document,name"
        text_for_file = bare.post("/", data={"name": "Ann", "document": "not a file"})
        assert text_for_file.status_code == 400 and "document" in text_for_file.text
        file_for_text = bare.post("/", files={"document": pdf, "name": ("n.txt", b"Ann", "text/plain")})
        assert file_for_text.status_code == 400 and "name" in file_for_text.text


def test_a_csrf_token_with_characters_outside_ascii_is_refused_like_any_wrong_one(client):
    client.get("/account/login")
    for sent in ("é" * 43, "\xff"):
        response = client.post("/account/login", headers={"x-csrf-token": sent.encode("latin-1")}, data={"email": "a@b.c"})
        assert response.status_code == 403
        form = client.post("/account/login", data={"csrf_token": sent, "email": "a@b.c"})
        assert form.status_code == 403


def test_handlers_read_forms_only_through_read_form():
    """Starlette's request.form() hands a file part to code expecting text; read_form refuses it."""
    package = Path(portal.__file__).parent
    direct = [f"{path.relative_to(package)}:{number}" for path in sorted(package.rglob("*.py"))
              if "sandbox" not in path.parts and path.name != "inputs.py"
              for number, line in enumerate(path.read_text().splitlines(), 1) if "request.form()" in line]
    assert not direct, direct
