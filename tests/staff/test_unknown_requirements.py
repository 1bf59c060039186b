"""A requirement key the portal has no words or field for, fed through the sandbox's test helper
into a real account: the seller is sent to Stripe's hosted page for it, and staff see it on the
console's unknown-requirements page (which key, how many sellers, which, first seen)."""

import re

import httpx
from sqlmodel import select

from portal.connect.mirror import account_for_seller, record_account
from portal.connect.models import UnfamiliarRequirement
from portal.staff.models import StaffRole
from tests.conftest import post_form
from tests.countries.flows import onboard_individual_in
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import seller_id, staff_browser
from tests.staff.test_requirements_desk import account_id, require, sync

NEW_KEY = "individual.nationality"  # a key Stripe may start asking for: no words, no field here yet
PAGE = "/staff/requirements/unknown"


def entries(html: str) -> dict[str, str]:
    """Each key's section on the staff page, by key."""
    return dict(re.findall(r'<section class="card unknown-key"[^>]*data-key="([^"]+)">(.*?)</section>', html, re.S))


def test_an_unknown_key_sends_the_seller_to_stripes_page_for_it_and_shows_on_the_staff_page(
        sandboxed_client, sdk, seller, support, inbox, stripe_sandbox):
    assert "None: the portal has words and a field" in support.get(PAGE).text
    require(sandboxed_client, sdk, seller, NEW_KEY)

    # The seller: told plainly, and offered Stripe's page for exactly that requirement.
    status = sandboxed_client.get("/status/").text
    assert "our form doesn't collect it yet" in status
    assert f'name="requirement" value="{NEW_KEY}"' in status
    calls = sandboxed_client.app.state.stripe.calls
    handed = post_form(sandboxed_client, "/status/stripe", {"requirement": NEW_KEY}, page="/status/", follow_redirects=False)
    assert handed.status_code == 303 and sandboxed_client.app.state.stripe.calls == calls + 1
    _, sandbox_url = stripe_sandbox
    account = account_id(sandboxed_client, seller)
    # /setup/s/: an account_onboarding link (outstanding requirements), not an account_update one
    assert re.fullmatch(re.escape(sandbox_url) + f"/setup/s/{account}/\\S+", handed.headers["location"])
    hosted = httpx.get(handed.headers["location"])
    assert hosted.status_code == 200 and f"<code>{NEW_KEY}</code>" in hosted.text

    # Staff: the key, why, how many sellers and which, and when it was first seen.
    entry = entries(support.get(PAGE).text)[NEW_KEY]
    assert "No words" in entry
    assert re.search(r'class="unknown-key__sellers">1<', entry)
    assert f'href="/staff/sellers/{seller}"' in entry and account in entry
    assert "US" in entry and "not recorded" not in entry
    desk = support.get(f"/staff/sellers/{seller}/requirements/{NEW_KEY}").text
    assert "the portal has no field for it yet" in desk and "Send to Stripe for the seller" not in desk
    with sandboxed_client.app.state.db.read() as session:
        first = session.exec(select(UnfamiliarRequirement)).one()
    assert (first.key, first.seller_id) == (NEW_KEY, seller)

    # A second seller, in the UK, asked the same later: two sellers, first seen is still the first.
    other = staff_browser(sandboxed_client)
    onboard_individual_in("GB")(other, inbox, "bob@annsbakery.com")
    bob = seller_id(sandboxed_client, "bob@annsbakery.com")
    require(sandboxed_client, sdk, bob, NEW_KEY)
    sync(sandboxed_client, sdk, seller)  # a later snapshot of the first seller changes nothing
    entry = entries(support.get(PAGE).text)[NEW_KEY]
    assert re.search(r'class="unknown-key__sellers">2<', entry)
    assert "GB, US" in entry and f'href="/staff/sellers/{bob}"' in entry
    with sandboxed_client.app.state.db.read() as session:
        rows = {row.seller_id: row.first_seen_at for row in session.exec(select(UnfamiliarRequirement)).all()}
    assert rows[seller] == first.first_seen_at and rows[bob] > rows[seller]

    # Once Stripe no longer asks (here: the account as a webhook would bring it), the page follows the mirror.
    snapshot = account_for_seller(sandboxed_client.app.state.db, seller).snapshot
    for name in ("currently_due", "eventually_due", "past_due"):
        snapshot["requirements"][name] = [key for key in snapshot["requirements"].get(name) or [] if key != NEW_KEY]
    record_account(sandboxed_client.app.state.db, seller, snapshot)
    entry = entries(support.get(PAGE).text)[NEW_KEY]
    assert re.search(r'class="unknown-key__sellers">1<', entry) and f'href="/staff/sellers/{seller}"' not in entry


def test_every_staff_role_sees_the_page_and_no_one_else(sandboxed_client, seller):
    assert sandboxed_client.get(PAGE, follow_redirects=False).status_code in (302, 303, 401, 403)
    for role in StaffRole:
        staff = staff_browser(sandboxed_client)
        dev_sign_in(staff, f"{role.value}@platform.test", role)
        page = staff.get(PAGE)
        assert page.status_code == 200 and 'href="/staff/requirements/unknown"' in page.text
