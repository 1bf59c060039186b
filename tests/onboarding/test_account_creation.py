"""One seller, one connected account: a creation whose answer is lost is found, never repeated.

The sandbox's `drop_after` fault runs the create and commits it, then loses the answer, on
every retry the SDK makes; Stripe forgets idempotency keys after 24 hours, as the sandbox
does on its own clock."""

import asyncio

import pytest

from portal.connect.mirror import account_for_seller
from portal.db import Database
from portal.integrations.stripe import StripeGateway
from portal.onboarding import creation
from portal.onboarding.service import Onboarding, Sender, load
from portal.sandbox.config import FaultRule
from tests.onboarding.flows import PROFILE, general_error, submit
from tests.onboarding.test_journeys import onboard_until

SELLER = 1
LOSE_CREATE = FaultRule(match="POST /v1/accounts", kind="drop_after")
EDITED = {**PROFILE, "product_description": "Bread, cakes and pastries for offices across Portland."}


def accounts_of(sdk, seller_id: int = SELLER) -> list:
    """The seller's connected accounts as Stripe lists them."""
    return [a for a in sdk.v1.accounts.list(params={"limit": 100}).auto_paging_iter()
            if a.to_dict().get("metadata", {}).get("seller_id") == str(seller_id)]


def lose_the_answer_to_creation(client, stripe_sandbox, answers=PROFILE) -> None:
    sandbox, _ = stripe_sandbox
    sandbox.config.faults = [LOSE_CREATE]
    try:
        lost = submit(client, "profile", answers)
    finally:
        sandbox.config.faults = []
    assert lost.status_code == 400 and "answers are saved" in general_error(lost.text)
    assert account_for_seller(client.app.state.db, SELLER) is None


def test_an_edit_after_a_lost_answer_adopts_the_account_stripe_made(sandboxed_client, inbox, stripe_sandbox, sdk):
    client = sandboxed_client
    onboard_until(client, inbox, "profile")
    lose_the_answer_to_creation(client, stripe_sandbox)
    [made] = accounts_of(sdk)  # Stripe made it; we never heard

    submit(client, "profile", EDITED, expect="/onboarding/business-email")

    assert [a.id for a in accounts_of(sdk)] == [made.id]
    assert account_for_seller(client.app.state.db, SELLER).stripe_account_id == made.id
    at_stripe = sdk.v1.accounts.retrieve(made.id)
    assert at_stripe.business_profile.product_description == EDITED["product_description"]
    assert creation.pending(client.app.state.db, SELLER) is None


def test_after_stripe_forgot_the_key_the_account_is_still_found(sandboxed_client, inbox, stripe_sandbox, sdk):
    client = sandboxed_client
    onboard_until(client, inbox, "profile")
    lose_the_answer_to_creation(client, stripe_sandbox)
    [made] = accounts_of(sdk)
    sdk.raw_request("post", "/v1/test_helpers/sandbox/advance_clock", seconds=25 * 3600)

    # The very same answers: a key from the content would be new to Stripe by now.
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")

    assert [a.id for a in accounts_of(sdk)] == [made.id]
    assert account_for_seller(client.app.state.db, SELLER).stripe_account_id == made.id


def test_no_account_is_made_while_the_search_cannot_reach_stripe(sandboxed_client, inbox, stripe_sandbox, sdk):
    client = sandboxed_client
    onboard_until(client, inbox, "profile")
    lose_the_answer_to_creation(client, stripe_sandbox)
    sandbox, _ = stripe_sandbox
    sandbox.config.faults = [FaultRule(match="GET /v1/accounts", kind="drop")]
    try:
        unreachable = submit(client, "profile", EDITED)
    finally:
        sandbox.config.faults = []
    assert unreachable.status_code == 400 and "answers are saved" in general_error(unreachable.text)
    assert len(accounts_of(sdk)) == 1 and creation.pending(client.app.state.db, SELLER) is not None

    submit(client, "profile", EDITED, expect="/onboarding/business-email")
    assert len(accounts_of(sdk)) == 1


def test_a_first_attempt_makes_no_extra_call(sandboxed_client, inbox):
    client = sandboxed_client
    onboard_until(client, inbox, "profile")
    calls = client.app.state.stripe.calls
    submit(client, "profile", PROFILE, expect="/onboarding/business-email")
    assert client.app.state.stripe.calls == calls + 1  # the create alone: no search without a lost answer
    assert creation.pending(client.app.state.db, SELLER) is None


@pytest.fixture
def sender(sandboxed_client, stripe_sandbox):
    app = sandboxed_client.app
    gateway = StripeGateway("sk_test_sandbox", api_base=stripe_sandbox[1], max_network_retries=0)
    return Sender(app.state.db, gateway, app.state.secret)


def _onboarding(db: Database) -> Onboarding:
    return load(db, SELLER, "ann@annsbakery.com")


def test_a_key_stripe_ran_with_other_answers_gets_a_fresh_attempt(sandboxed_client, inbox, stripe_sandbox, sdk, sender):
    # Stripe ran the first attempt and refused it (its answer was lost), so the key holds that
    # refusal; the corrected answers must not be refused as a reused key.
    onboard_until(sandboxed_client, inbox, "profile")
    db, sandbox = sandboxed_client.app.state.db, stripe_sandbox[0]
    refused = {"country": "ZZ", "business_type": "individual", "metadata": {"seller_id": str(SELLER)}}
    sandbox.config.faults = [LOSE_CREATE]
    try:
        first = asyncio.run(sender.create_account(_onboarding(db), refused))
    finally:
        sandbox.config.faults = []
    assert first.general and creation.pending(db, SELLER).attempt == 0

    calls = sender.gateway.calls
    second = asyncio.run(sender.create_account(_onboarding(db), {**refused, "country": "US"}))

    assert second.ok and not second.adopted
    assert sender.gateway.calls == calls + 3  # the search, the key Stripe refuses, the fresh attempt
    assert [a.id for a in accounts_of(sdk)] == [second.result["id"]]
    assert creation.pending(db, SELLER) is None


def test_a_refused_creation_starts_afresh_and_a_lost_one_is_remembered(sandboxed_client, inbox, stripe_sandbox, sender):
    onboard_until(sandboxed_client, inbox, "profile")
    db, sandbox = sandboxed_client.app.state.db, stripe_sandbox[0]
    refused = asyncio.run(sender.create_account(_onboarding(db), {"country": "ZZ"}))
    assert refused.general and creation.pending(db, SELLER) is None
    sandbox.config.faults = [FaultRule(match="POST /v1/accounts", kind="500")]
    try:
        failed = asyncio.run(sender.create_account(_onboarding(db), {"country": "US"}))
    finally:
        sandbox.config.faults = []
    assert failed.general and creation.pending(db, SELLER) is not None


def test_the_sellers_account_is_told_apart_from_others():
    accounts = [
        {"id": "acct_other", "created": 10, "metadata": {"seller_id": "12"}},
        {"id": "acct_later", "created": 30, "metadata": {"seller_id": "1"}},
        {"id": "acct_first", "created": 20, "metadata": {"seller_id": "1"}},
        {"id": "acct_none", "created": 5, "metadata": {}},
    ]
    assert creation.made_for(accounts, 1)["id"] == "acct_first"
    assert creation.made_for(accounts, 2) is None
