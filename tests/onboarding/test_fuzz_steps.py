"""Random input at every onboarding step: always a page, never a traceback or a server error."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_from, post_form
from tests.onboarding.flows import BANK, COMPANY, IDENTITY, OWNER, PROFILE, signed_in_seller, submit

FIELDS = sorted({*PROFILE, *IDENTITY, *BANK, *COMPANY, *OWNER, "country", "business_type", "structure", "business_email",
                 "id_number", "accept_stripe", "accept_platform", "owners_provided", "directors_provided",
                 "executives_provided", "director"})
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "9" * 40, "on", "../../etc", "<script>", "\x00", "٣٤٥", "2024-02-30"]),
)
forms = st.dictionaries(st.sampled_from(FIELDS), text, max_size=len(FIELDS))


@pytest.fixture
def seller_on_every_step(sandboxed_client, inbox):
    """A company seller who has reached every step, so each one can be posted to."""
    client = sandboxed_client
    signed_in_seller(client, inbox, "fuzz@rocketrides.io")
    submit(client, "business", {"country": "US", "business_type": "company", "structure": "multi_member_llc"})
    submit(client, "profile", {**PROFILE, "legal_name": "Rocket Rides LLC", "url": "https://rocketrides.io",
                               "statement_descriptor": "ROCKET RIDES", "support_email": "help@rocketrides.io"})
    submit(client, "business-email", {"business_email": "fuzz@rocketrides.io"})
    submit(client, "company", COMPANY)
    post_form(client, "/onboarding/people/new", OWNER)
    submit(client, "people", {"owners_provided": "on", "directors_provided": "on", "executives_provided": "on"})
    submit(client, "bank", BANK)
    return client


PATHS = ["business", "profile", "business-email", "company", "people", "bank", "review", "people/new", "people/1"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=forms, path=st.sampled_from(PATHS))
def test_any_input_gets_a_page_not_a_traceback(seller_on_every_step, form, path):
    client = seller_on_every_step
    token = csrf_from(client.get("/status/").text)
    response = client.post(f"/onboarding/{path}", data={"csrf_token": token, **form}, follow_redirects=False)
    assert response.status_code in (200, 303, 400), (path, form, response.status_code)
    assert "Traceback" not in response.text
    if response.status_code == 400:
        assert 'class="field-error"' in response.text or 'role="alert"' in response.text
