"""The staff console by country: sellers searched and filtered by country, the country shown in the
list and on the seller's page, and the forms staff submit for a seller (the requirements desk, the
profile, the people) in the seller's country's fields, words and checks, as the seller's own."""

import re

from portal.staff.models import StaffRole
from tests.countries.flows import onboard_company_in, onboard_individual_in
from tests.staff.conftest import dev_sign_in
from tests.staff.helpers import seller_id, staff_browser
from tests.staff.test_account_admin import events, field_errors, form_values, send
from tests.staff.test_requirements_desk import account_id, errors_in, page_of, require
from tests.staff.test_requirements_desk import send as send_requirement

BOB = "bob@annsbakery.com"


def uk_seller(client, inbox) -> int:
    """An individual in the United Kingdom, onboarded in their own browser beside the US seller's."""
    onboard_individual_in("GB")(staff_browser(client), inbox, BOB)
    return seller_id(client, BOB)


def rows(html: str) -> dict[str, str]:
    """Result rows: seller email -> the country cell's code."""
    found = re.findall(r"<td>([^<@]+@[^<]+)</td>\s*<td class=\"seller-country\">(?:<abbr title=\"[^\"]+\">(\w+)</abbr>)?", html)
    return dict(found)


def test_staff_filter_and_search_sellers_by_country(sandboxed_client, inbox, seller, support):
    bob = uk_seller(sandboxed_client, inbox)

    everyone = support.get("/staff/", params={"q": ""}).text
    assert rows(everyone) == {"ann@annsbakery.com": "US", BOB: "GB"}
    assert '<abbr title="United Kingdom">GB</abbr>' in everyone
    uk = support.get("/staff/", params={"country": "gb"}).text
    assert rows(uk) == {BOB: "GB"} and "1 seller in United Kingdom" in uk
    assert '<option value="GB" selected>United Kingdom</option>' in uk
    assert rows(support.get("/staff/", params={"country": "US", "filter": "rejected"}).text) == {}
    assert rows(support.get("/staff/", params={"country": "US"}).text) == {"ann@annsbakery.com": "US"}
    # The country's name is searchable text too.
    assert rows(support.get("/staff/", params={"q": "united kingdom"}).text) == {BOB: "GB"}

    page = support.get(f"/staff/sellers/{bob}").text
    assert '<span id="seller-country">United Kingdom</span>' in page


def test_a_country_not_in_the_list_is_refused_beside_the_field(sandboxed_client, seller, support):
    for bad in ("ZZ", "united", "<script>", "g" * 300, "\x00"):
        response = support.get("/staff/", params={"country": bad})
        assert response.status_code == 400
        assert field_errors(response.text) == {"country": "Choose a country from the list."}
    assert support.get("/staff/", params={"country": ""}).status_code == 200


def test_the_requirements_desk_asks_a_uk_address_in_uk_words_and_checks_its_postcode(sandboxed_client, sdk, inbox,
                                                                                     seller, support):
    bob = uk_seller(sandboxed_client, inbox)
    require(sandboxed_client, sdk, bob, "individual.address.line1")
    key = "individual.address.line1"
    page = support.get(page_of(bob, key)).text
    labels = re.findall(r'<label for="individual\.address\.(\w+)">([^<]+)', page)
    assert [(part, label.strip()) for part, label in labels] == [
        ("line1", "Street address"), ("line2", "Apartment, suite or unit"), ("city", "Town or city"), ("postal_code", "Postcode")]
    assert "ZIP" not in page and "State" not in page

    typed = {"individual.address.line1": "address_full_match", "individual.address.city": "London",
             "individual.address.postal_code": "90210", "reason": "The seller moved; confirmed by phone"}
    refused = send_requirement(support, bob, key, typed)
    assert refused.status_code == 400
    assert "postcode" in errors_in(refused.text)["individual.address.postal_code"].lower()
    assert 'value="London"' in refused.text and 'value="The seller moved; confirmed by phone"' in refused.text

    sent = send_requirement(support, bob, key, {**typed, "individual.address.postal_code": "sw1a 1aa"})
    assert sent.status_code == 303, errors_in(sent.text)
    account = sdk.v1.accounts.retrieve(account_id(sandboxed_client, bob))
    assert (account.individual.address.city, account.individual.address.postal_code) == ("London", "SW1A 1AA")


def test_the_staff_profile_form_has_the_sellers_address_layout(sandboxed_client, inbox, seller, support):
    bob = uk_seller(sandboxed_client, inbox)
    path = f"/staff/sellers/{bob}/profile"
    page = support.get(path).text
    assert '<label for="postal_code">Postcode' in page and '<label for="city">Town or city' in page
    assert "ZIP code" not in page and '<label for="state">' not in page and "IRS" not in page
    typed = {**form_values(page), "mcc": "5462", "product_description": "Bread, cakes and pastries for offices in London.",
             "postal_code": "12345", "reason": "Seller asked by phone"}
    response = send(support, path, typed)
    assert response.status_code == 400 and "postcode" in field_errors(response.text)["postal_code"].lower()
    us_page = support.get(f"/staff/sellers/{seller}/profile").text
    assert '<label for="postal_code">ZIP code' in us_page and '<label for="state">State' in us_page


def test_the_staff_person_form_asks_a_canadian_representatives_sin_and_checks_it(sandboxed_client, sdk, inbox):
    onboard_company_in("CA")(sandboxed_client, inbox)
    company = seller_id(sandboxed_client, "jenny@rocketrides.io")
    staff = staff_browser(sandboxed_client)
    dev_sign_in(staff, "sam@platform.test", StaffRole.support)
    path = f"/staff/sellers/{company}/people/new"
    page = staff.get(path).text
    assert '<label for="id_number">Social Insurance Number (SIN)' in page and '<label for="state">Province' in page
    assert "Social Security" not in page and "ZIP" not in page
    attempt = re.search(r'name="attempt" value="([^"]+)"', page).group(1)
    typed = {"attempt": attempt, "representative": "on", "title": "CEO", "percent_ownership": "0",
             "first_name": "Jenny", "last_name": "Rosen", "dob": "1901-01-01", "line1": "address_full_match",
             "city": "Toronto", "state": "ON", "postal_code": "M5V 3L9", "phone": "0000000000",
             "email": "jenny2@rocketrides.io", "id_number": "123 456 789", "reason": "Seller asked by phone"}
    response = send(staff, path, typed)
    assert response.status_code == 400
    assert "SIN" in field_errors(response.text)["id_number"]
    assert 'value="123 456 789"' not in response.text and 'value="Toronto"' in response.text

    added = send(staff, path, {**typed, "id_number": "000 000 000"})  # Stripe's test SIN
    assert added.status_code == 303, field_errors(added.text)
    [event] = events(sandboxed_client, company, "staff.person_added")
    assert {"field": "SIN", "old": "", "new": "sent to Stripe"} in event.details["changes"]
    assert not re.search(r"(?<!\d)000 ?000 ?000(?!\d)", str(event.details))  # the SIN itself goes to Stripe only
    person = next(p for p in sdk.v1.accounts.persons.list(account_id(sandboxed_client, company)).data
                  if p.email == "jenny2@rocketrides.io")
    assert person.id_number_provided and person.address.state == "ON"
