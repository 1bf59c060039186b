"""Admins manage the staff table: add someone with a role, change it, deactivate them."""

from portal.staff.models import StaffRole
from tests.conftest import csrf_from, post_form
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import staff_browser

ADMIN_ROUTES = [("GET", "/staff/team"), ("POST", "/staff/team"), ("POST", "/staff/team/1/deactivate")]


def test_only_admins_reach_the_staff_table(client):
    dev_sign_in(client, "rita@platform.test", StaffRole.risk)
    token = csrf_from(client.get("/staff/").text)

    for method, path in ADMIN_ROUTES:
        data = {"csrf_token": token, "email": "x@y.com", "role": "admin"} if method == "POST" else None
        response = client.request(method, path, data=data)
        assert response.status_code == 403 and "Your role cannot do this" in response.text, path
    assert "x@y.com" not in client.get("/staff/").text
    anonymous = staff_browser(client)
    assert anonymous.get("/staff/team", follow_redirects=False).headers["location"].startswith("/staff/sign-in")


def test_an_admin_adds_a_member_changes_the_role_and_deactivates_them(client):
    dev_sign_in(client, "ada@platform.test", StaffRole.admin)

    bad = post_form(client, "/staff/team", {"email": "not an email", "role": "risk"})
    assert bad.status_code == 400 and 'id="email-error"' in bad.text and 'value="not an email"' in bad.text
    post_form(client, "/staff/team", {"email": "Sam@Platform.example", "role": "support"})
    post_form(client, "/staff/team", {"email": "sam@platform.example", "role": "risk"})
    page = client.get("/staff/team").text
    assert "sam@platform.example" in page and page.count("sam@platform.example") == 1
    assert ">risk" in page

    colleague = staff_browser(client)
    dev_sign_in(colleague, "sam@platform.example", StaffRole.risk)
    member_id = int(page.split("/staff/team/")[1].split("/")[0])
    post_form(client, f"/staff/team/{member_id}/deactivate", {}, page="/staff/team")

    assert colleague.get("/staff/", follow_redirects=False).status_code == 303  # signed out at once
    assert "deactivated" in client.get("/staff/team").text
