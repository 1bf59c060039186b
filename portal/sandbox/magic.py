"""Stripe's test-mode magic values for accounts, persons, banks and documents, as lookup tables.

Source: docs.stripe.com/connect/testing (the identity, business, bank and debit card tables).
Everything here is data plus tiny classifiers; verification.py turns a classification into
pending keys, errors and timing. A value not in a table behaves like an ordinary one: it
verifies, except a date of birth, where Stripe documents that any other date fails.
"""

# Outcomes shared by the identity and tax id checks.
VERIFIED = "verified"
IMMEDIATE = "verified_immediately"  # the result is in the create/update response itself
FAILED = "failed"
OFAC = "ofac_alert"
NON_PROFIT = "verified_non_profit"
NOT_ISSUED = "not_issued"

DOB_OUTCOMES = {
    (1901, 1, 1): VERIFIED,
    (1902, 1, 1): IMMEDIATE,
    (1900, 1, 1): OFAC,
}
DOB_DEFAULT = FAILED

ID_NUMBER_OUTCOMES = {"000000000": VERIFIED, "111111111": FAILED, "222222222": IMMEDIATE}
SSN_LAST_4_OUTCOMES = {"0000": VERIFIED}

TAX_ID_OUTCOMES = {
    "000000000": VERIFIED,
    "000000001": NON_PROFIT,
    "111111111": FAILED,
    "111111112": NOT_ISSUED,
    "222222222": IMMEDIATE,
}
TAX_ID_ERRORS = {
    FAILED: "verification_failed_tax_id_match",
    NOT_ISSUED: "verification_failed_tax_id_not_issued",
}

# Address line1 tokens, ranked by how much they let through: you can only move to a more
# permissive token later, so the sandbox keeps the highest rank an address ever reached.
ADDRESS_FULL_MATCH = 2
ADDRESS_NO_MATCH = 1  # line1 fails: charges only
ADDRESS_LINE1_NO_MATCH = 0  # the whole address fails: neither charges nor payouts
ADDRESS_LEVELS = {
    "address_full_match": ADDRESS_FULL_MATCH,
    "address_no_match": ADDRESS_NO_MATCH,
    "address_line1_no_match": ADDRESS_LINE1_NO_MATCH,
}

DOCUMENT_SUCCESS = "file_identity_document_success"
DOCUMENT_FAILURE = "file_identity_document_failure"
DOCUMENT_OUTCOMES = {DOCUMENT_SUCCESS: VERIFIED, DOCUMENT_FAILURE: FAILED}

COMPANY_NAME_ERRORS = {
    "mismatch_business_name": "verification_failed_name_match",
    "disallowed_name": "invalid_company_name_denylisted",
    "match_name_only": "verification_failed_name_match",
}
DIRECTOR_NAME_ERRORS = {
    "mismatch_director": "verification_directors_mismatch",
    "missing_director": "verification_missing_directors",
    "extraneous_director": "verification_extraneous_directors",
}
URL_HOST_ERRORS = {
    "disallowed.stripe.com": "invalid_url_denylisted",
    "geoblocked.stripe.com": "invalid_url_website_inaccessible_geoblocked",
    "problem.stripe.com": "invalid_url_website_other",
    "missing.stripe.com": "invalid_url_website_incomplete",
    "mismatch.stripe.com": "invalid_url_website_business_information_mismatch",
    "passwordprotected.stripe.com": "invalid_url_website_inaccessible_password_protected",
    "underconstruction.stripe.com": "invalid_url_website_incomplete_under_construction",
    "inaccessible.stripe.com": "invalid_url_website_inaccessible",
}
# An account with no recent activity: verifications pause, inactive capabilities say why.
INACTIVITY_HOST = "inactivity.stripe.com"
DBA_ERRORS = {
    "disallowed_dba": "invalid_business_profile_name_denylisted",
    "invalid_dba": "invalid_business_profile_name",
}
PRODUCT_DESCRIPTION_ERRORS = {"require_url": "invalid_url_web_presence_detected"}
STATEMENT_DESCRIPTOR_ERRORS = {
    "mismatch": "invalid_statement_descriptor_business_mismatch",
    "disallowed": "invalid_statement_descriptor_denylisted",
}
STATEMENT_DESCRIPTOR_PREFIX_ERRORS = {
    "mismatch": "invalid_statement_descriptor_prefix_mismatch",
    "disallowed": "invalid_statement_descriptor_prefix_denylisted",
}

TEST_PHONE = "0000000000"

# US test bank accounts (routing 110000000). `payout_failure` is the failure code a payout
# to the account gets; `ownership` starts bank account ownership verification.
TEST_ROUTING_NUMBER = "110000000"
BANK_ACCOUNTS = {
    "000123456789": {},
    "000111111116": {"payout_failure": "no_account"},
    "000111111113": {"payout_failure": "account_closed"},
    "000222222227": {"payout_failure": "insufficient_funds"},
    "000333333335": {"payout_failure": "debit_not_authorized"},
    "000444444440": {"payout_failure": "invalid_currency"},
    "000888888883": {"instant": False},
    "000999999991": {"ownership": "completes"},
    "000999999992": {"ownership": "needs_documents"},
}
BANK_TOKENS = {
    "btok_us_verified": "000123456789",
    "btok_us_verified_noAccount": "000111111116",
    "btok_us_verified_accountClosed": "000111111113",
    "btok_us_verified_insufficientFunds": "000222222227",
    "btok_us_verified_debitNotAuthorized": "000333333335",
    "btok_us_verified_invalidCurrency": "000444444440",
}
NON_TEST_BANK_ACCOUNT_MESSAGE = (
    "You must use a test bank account number in test mode. Try 000123456789 or see more "
    "options at https://stripe.com/docs/connect/testing#account-numbers."
)

# Test debit cards for payouts.
DEBIT_CARDS = {
    "4000056655665556": {"brand": "Visa"},
    "4000056655665572": {"brand": "Visa", "payout_failure": "could_not_process"},
    "4000056755665555": {"brand": "Visa", "instant": False},
    "5200828282828210": {"brand": "MasterCard"},
    "6011981111111113": {"brand": "Discover"},
}
DEBIT_CARD_TOKENS = {
    "tok_visa_debit_us_transferSuccess": "4000056655665556",
    "tok_visa_debit_us_transferFail": "4000056655665572",
    "tok_visa_debit_us_instantPayoutUnsupported": "4000056755665555",
    "tok_mastercard_debit_us_transferSuccess": "5200828282828210",
    "tok_discover_debit_us_transferSuccess": "6011981111111113",
}

# Stripe's explanation for each requirement error code the sandbox produces.
ERROR_REASONS = {
    "verification_failed_keyed_identity": (
        "The keyed-in identity information could not be verified. Correct any errors or "
        "upload a document that matches the identity fields (e.g., name and date of birth) entered."
    ),
    "verification_failed_address_match": (
        "The address on the account could not be verified. Correct any errors in the address "
        "field or upload a document that includes the address."
    ),
    "verification_document_failed_test_mode": (
        "A test data helper was supplied to simulate verification failure. Refer to the "
        "documentation for test file tokens."
    ),
    "verification_failed_tax_id_match": (
        "The tax ID on the account cannot be verified by the IRS. Either correct any possible "
        "errors in the name or tax ID, or upload a document that contains those fields."
    ),
    "verification_failed_tax_id_not_issued": (
        "The tax ID on the account was not recognized by the IRS. Refer to the support article "
        "for newly-issued tax ID numbers."
    ),
    "verification_failed_name_match": (
        "The name on the account could not be verified. Correct any errors in the name field "
        "or upload a document that includes the name."
    ),
    "invalid_company_name_denylisted": (
        "Generic or well-known business names aren't supported. Provide the legal name of the business."
    ),
    "verification_directors_mismatch": (
        "The directors on the account don't match the directors listed in the local registry."
    ),
    "verification_missing_directors": (
        "Directors listed in the local registry are missing from the account."
    ),
    "verification_extraneous_directors": (
        "The account lists directors who aren't in the local registry."
    ),
    "invalid_url_denylisted": "This URL isn't supported. Provide the business's own website.",
    "invalid_url_website_inaccessible_geoblocked": (
        "The website is blocked in some regions. Make it reachable or provide another URL."
    ),
    "invalid_url_website_other": "The website could not be verified. Provide a different URL.",
    "invalid_url_website_incomplete": (
        "The website is missing information about the business. Update it or provide another URL."
    ),
    "invalid_url_website_business_information_mismatch": (
        "The website's business information doesn't match the account. Update it or provide another URL."
    ),
    "invalid_url_website_inaccessible_password_protected": (
        "The website is password protected. Remove the password or provide another URL."
    ),
    "invalid_url_website_incomplete_under_construction": (
        "The website is under construction. Finish it or provide another URL."
    ),
    "invalid_url_website_inaccessible": "The website could not be reached. Provide a working URL.",
    "invalid_url_web_presence_detected": (
        "The business has a web presence. Provide its URL in business_profile.url."
    ),
    "invalid_business_profile_name_denylisted": (
        "Generic or well-known names aren't supported. Provide the name customers know the business by."
    ),
    "invalid_business_profile_name": "The business name could not be validated. Provide a different name.",
    "invalid_statement_descriptor_business_mismatch": (
        "The statement descriptor doesn't match the business name or URL. Provide one that does."
    ),
    "invalid_statement_descriptor_denylisted": (
        "Generic or well-known statement descriptors aren't supported. Provide a different one."
    ),
    "invalid_statement_descriptor_prefix_mismatch": (
        "The statement descriptor prefix doesn't match the statement descriptor. Provide one that does."
    ),
    "invalid_statement_descriptor_prefix_denylisted": (
        "Generic or well-known statement descriptor prefixes aren't supported. Provide a different one."
    ),
    "invalid_tos_acceptance": "The terms of service must be accepted again.",
    "information_missing": "Information is missing. Provide the requested information.",
}


def dob_outcome(dob: dict | None) -> str | None:
    if not dob or not all(dob.get(part) for part in ("year", "month", "day")):
        return None
    return DOB_OUTCOMES.get((dob["year"], dob["month"], dob["day"]), DOB_DEFAULT)


def id_number_outcome(id_number: str) -> str:
    return ID_NUMBER_OUTCOMES.get(_digits(id_number), VERIFIED)


def ssn_last_4_outcome(last4: str) -> str:
    return SSN_LAST_4_OUTCOMES.get(_digits(last4), VERIFIED)


def tax_id_outcome(tax_id: str) -> str:
    return TAX_ID_OUTCOMES.get(_digits(tax_id), VERIFIED)


def address_level(line1: str | None) -> int:
    return ADDRESS_LEVELS.get((line1 or "").strip(), ADDRESS_FULL_MATCH)


def url_host(url: str | None) -> str:
    rest = (url or "").split("://", 1)[-1]
    return rest.split("/", 1)[0].split(":", 1)[0].lower()


def error(code: str, requirement: str) -> dict:
    return {"code": code, "reason": ERROR_REASONS.get(code, code), "requirement": requirement}


def _digits(value: str) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())
