"""Real activity in the sandbox for the storm test: sellers onboarded, paid, paid out, disputed
(directly and through destination charges), their capabilities and bank accounts changed; then
every event the sandbox emitted, as Stripe would deliver them."""

from tests.sandbox.conftest import call_helper
from tests.sandbox.money import advance, create_seller, fund_platform, on, pay

DAY = 86_400


def drive(sdk, sellers: int) -> list[str]:
    """Returns the sellers' account ids."""
    fund_platform(sdk)
    accounts = [create_seller(sdk).id for _ in range(sellers)]
    for number, account in enumerate(accounts):
        for amount in (2_000, 3_500, 5_000 + number):
            pay(sdk, amount, "pm_card_bypassPending", account=account)
        pay(sdk, 1_000, account=account)  # stays pending until the clock moves
        sdk.v1.payouts.create(params={"amount": 1_500, "currency": "usd"}, options=on(account))
        disputed = pay(sdk, 4_000 + number, "pm_card_createDispute", account=account)
        dispute = sdk.v1.disputes.list(params={"payment_intent": disputed.id}, options=on(account)).data[0]
        if number % 3 == 0:
            sdk.v1.disputes.update(dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}, options=on(account))
        elif number % 3 == 1:
            sdk.v1.disputes.close(dispute.id, options=on(account))
        # A destination charge: its dispute is the platform's, and names the seller only through the charge.
        pay(sdk, 2_500 + number, "pm_card_createDispute", transfer_data={"destination": account})
        sdk.v1.accounts.external_accounts.create(account, params={"external_account": "btok_us_verified"})
        if number % 2 == 0:
            # A requirement past its deadline turns capabilities off; the seller's status changes.
            call_helper(sdk, "post", f"/v1/test_helpers/accounts/{account}/requirements", field="past_due")
        else:
            call_helper(sdk, "post", f"/v1/test_helpers/accounts/{account}/requirements", field="deadline")
    advance(sdk, 3 * DAY)  # pending funds settle, payouts arrive, unanswered disputes age
    return accounts


def collect(sdk, accounts: list[str]) -> list[dict]:
    """Every event of the platform and of each account, oldest first."""
    found = []
    for options in [{}, *(on(account) for account in accounts)]:
        page = sdk.v1.events.list(params={"limit": 100}, options=options)
        found += [event.to_dict() for event in page.auto_paging_iter()]
    return sorted(found, key=lambda event: event["created"])
