"""Stripe's error codes in words a seller understands, and the form field each concerns.

Two kinds of code reach the seller. API errors come back at once from a write
(`{"error": {"code": "routing_number_invalid", "param": "external_account[routing_number]"}}`);
requirement errors appear later on the account or person
(`requirements.errors[] = {code, reason, requirement: "individual.dob.day"}`). Both name a
field in Stripe's own spelling; `field_for_param` turns either spelling into one canonical
dotted path, and the onboarding forms map those paths to their inputs:

    business_type
    business_profile.{name, url, mcc, product_description, support_phone, support_email,
                      support_url, support_address.<part>}
    settings.payments.statement_descriptor
    settings.card_payments.statement_descriptor_prefix
    individual.{first_name, last_name, email, phone, dob, ssn_last_4, id_number,
                address.<part>, verification.document, verification.additional_document,
                relationship.title, political_exposure}
    company.{name, tax_id, phone, structure, address.<part>, owners_provided,
             directors_provided, executives_provided, verification.document}
    person.{the individual keys, relationship.{owner, director, executive, representative,
            title, percent_ownership}}
    external_account, external_account.{routing_number, account_number,
                                        account_holder_name, account_holder_type}
    tos_acceptance
    intervention

where <part> is line1, line2, city, state, postal_code or country. Dates collapse to `dob`
(one input), document sides to `verification.document`, and every `tos_acceptance.*` to
`tos_acceptance` (one checkbox). `person.*` stands for any person: `person_<id>.`,
`representative.`, `owners.`, `directors.` and `executives.` keys, and the params of a
Persons API call; `person_for_requirement` says which person. `intervention` is a risk
review (`interv_<id>.…`), answerable only on Stripe's hosted pages.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from portal import countries
from portal.i18n import gettext as _, lazy_gettext as _l
from portal.onboarding import validation


@dataclass(frozen=True)
class Explanation:
    problem: str  # what is wrong, for the seller
    action: str  # what to do about it

    def __str__(self) -> str:
        return f"{self.problem} {self.action}"


@dataclass(frozen=True)
class FieldError:
    field: str | None  # a canonical path, or None when the error is about the whole form
    message: str


_CHECK_TRY_AGAIN = _l("Check it and try again.")
_UPLOAD_NEW = _l("Upload a clear color photo or scan of a current, valid document.")

# Errors returned by a write (StripeError.code); the codes are the SDK's
# (terminal/_reader.py lists every API error code), the words ours.
API_ERRORS: dict[str, Explanation] = {
    "routing_number_invalid": Explanation(
        _l("The bank doesn't recognize this routing number."),
        _l("Check the 9 digits at the bottom left of a check, or ask your bank for its ACH routing number.")),
    "account_number_invalid": Explanation(
        _l("This bank account number wasn't accepted."),
        _l("Check it with your bank: US account numbers have 4 to 17 digits.")),
    "bank_account_bad_routing_numbers": Explanation(
        _l("This bank account can't receive payouts through this routing number."),
        _l("Ask your bank for the routing number for ACH transfers.")),
    "bank_account_exists": Explanation(
        _l("This bank account is already on your account."), _l("Nothing more to do, or add a different one.")),
    "bank_account_unusable": Explanation(
        _l("Payouts can't be sent to this bank account."), _l("Use a different checking account in the business's name.")),
    "bank_account_declined": Explanation(
        _l("The bank declined this account."), _l("Use a different checking account, or ask your bank why.")),
    "bank_account_restricted": Explanation(
        _l("This bank account is restricted and can't receive payouts."), _l("Use a different account.")),
    "url_invalid": Explanation(
        _l("This website address isn't valid."), _l("Enter it like https://yourbusiness.com.")),
    "tax_id_invalid": Explanation(
        _l("This tax ID isn't valid."), _l("Enter the 9-digit EIN exactly as it appears on your IRS letter.")),
    "email_invalid": Explanation(
        _l("This email address isn't valid."), _l("Enter it like you@yourbusiness.com.")),
    "postal_code_invalid": Explanation(
        _l("This ZIP code isn't valid."), _l("Enter 5 digits, like 94103, or ZIP+4, like 94103-1234.")),
    "incorrect_zip": Explanation(
        _l("This ZIP code doesn't match the address."), _CHECK_TRY_AGAIN),
    "incorrect_address": Explanation(
        _l("This address doesn't match our records."), _CHECK_TRY_AGAIN),
    "invalid_characters": Explanation(
        _l("This contains characters that can't be used here."), _l("Use only letters, numbers and simple punctuation.")),
    "account_country_invalid_address": Explanation(
        _l("The business address must be in the same country as the account."), _l("Enter an address in that country.")),
    "country_unsupported": Explanation(
        _l("Businesses in this country can't be onboarded here yet."), _l("Choose a supported country.")),
    "state_unsupported": Explanation(
        _l("Businesses in this state can't be onboarded yet."), _l("Contact support if your business operates elsewhere too.")),
    "account_information_mismatch": Explanation(
        _l("Some details don't agree with each other, like the account holder and the business name."),
        _l("Make the names match what your bank has on file.")),
    "ownership_declaration_not_allowed": Explanation(
        _l("Ownership can only be confirmed once the owners are added."), _l("Add the owners first.")),
    "parameter_missing": Explanation(_l("This is required."), _l("Fill it in and try again.")),
    "parameter_invalid_empty": Explanation(_l("This can't be empty."), _l("Fill it in and try again.")),
    "parameter_invalid_string_blank": Explanation(_l("This can't be blank."), _l("Fill it in and try again.")),
    "parameter_invalid_string_empty": Explanation(_l("This can't be empty."), _l("Fill it in and try again.")),
    "parameter_invalid_integer": Explanation(_l("This must be a whole number."), _CHECK_TRY_AGAIN),
    "lock_timeout": Explanation(_l("Your details are still being saved."), _l("Wait a moment and submit again.")),
    "rate_limit": Explanation(_l("Too many changes in a short time."), _l("Wait a moment and submit again.")),
    "idempotency_key_in_use": Explanation(_l("This step is already being saved."), _l("Wait a moment and reload the page.")),
    "processing_error": Explanation(_l("Something went wrong while saving."), _l("Submit again in a moment.")),
}

# Errors on the account or a person (requirements.errors[].code), every value in the SDK's
# Literal plus the recorded `invalid_phone_number`.
REQUIREMENT_ERRORS: dict[str, Explanation] = {
    "information_missing": Explanation(_l("Some information is missing."), _l("Fill in what's asked and submit again.")),
    "external_request": Explanation(_l("Stripe is waiting for an answer from another party."), _l("Nothing to do for now.")),
    "invalid_value_other": Explanation(_l("This value wasn't accepted."), _CHECK_TRY_AGAIN),
    "invalid_address_city_state_postal_code": Explanation(
        _l("The city, state and ZIP code don't go together."), _l("Check all three against a letter sent to this address.")),
    "invalid_address_cmra_address": Explanation(
        _l("This is a mail-receiving service or virtual mailbox, not where the business operates."),
        _l("Enter the street address where you work.")),
    "invalid_address_highway_contract_box": Explanation(
        _l("Highway contract boxes can't be used as an address."), _l("Enter a street address.")),
    "invalid_address_private_mailbox": Explanation(
        _l("Private mailboxes can't be used as an address."), _l("Enter a street address.")),
    "invalid_address_registered_agent_address": Explanation(
        _l("This is a registered agent's address, not the business's."),
        _l("Enter the address where the business operates, or upload proof of this address.")),
    "invalid_street_address": Explanation(_l("This street address couldn't be found."), _CHECK_TRY_AGAIN),
    "invalid_business_profile_name": Explanation(
        _l("The business name must be made of recognizable words."), _l("Enter the name customers know you by.")),
    "invalid_business_profile_name_denylisted": Explanation(
        _l("Generic or well-known names can't be used as your business name."), _l("Enter your own business's name.")),
    "invalid_company_name_denylisted": Explanation(
        _l("Generic or well-known names can't be used as the legal business name."),
        _l("Enter the legal name as registered with the IRS.")),
    "invalid_dob_age_over_maximum": Explanation(
        _l("The date of birth must be within the last 120 years."), _l("Check the year of birth.")),
    "invalid_dob_age_under_18": Explanation(
        _l("This person must be at least 18 years old."), _l("Check the date of birth, or choose someone who is 18 or older.")),
    "invalid_dob_age_under_minimum": Explanation(
        _l("This person is younger than the minimum age."), _l("Check the date of birth.")),
    "invalid_phone_number": Explanation(
        _l("This phone number doesn't look valid."), _l("Enter it with its area code, or in international format starting with +.")),
    "invalid_product_description_length": Explanation(
        _l("The product description is too short."), _l("Describe what you sell in at least 10 characters.")),
    "invalid_product_description_url_match": Explanation(
        _l("The product description must be different from your website address."), _l("Describe what you sell in words.")),
    "invalid_representative_country": Explanation(
        _l("The representative must live in a supported country."), _l("Choose a representative who lives there.")),
    "invalid_signator": Explanation(
        _l("This person isn't allowed to sign for the business."), _l("Choose someone with authority to sign.")),
    "invalid_statement_descriptor_business_mismatch": Explanation(
        _l("The statement descriptor must be similar to your business name, legal name or website."),
        _l("Use your business name, so customers recognize the charge.")),
    "invalid_statement_descriptor_denylisted": Explanation(
        _l("Generic or well-known statement descriptors can't be used."), _l("Use your own business name.")),
    "invalid_statement_descriptor_length": Explanation(
        _l("The statement descriptor must be 5 to 22 characters."), _l("Shorten or lengthen it.")),
    "invalid_statement_descriptor_prefix_denylisted": Explanation(
        _l("Generic or well-known prefixes can't be used."), _l("Use a short form of your business name.")),
    "invalid_statement_descriptor_prefix_mismatch": Explanation(
        _l("The prefix must be similar to your statement descriptor, business name or website."),
        _l("Use a short form of your business name.")),
    "invalid_tax_id": Explanation(_l("This tax ID isn't valid."), _l("Enter the 9-digit EIN from your IRS letter.")),
    "invalid_tax_id_format": Explanation(
        _l("Tax IDs are 9 digits."), _l("Enter the 9 digits without dashes or other characters.")),
    "invalid_tos_acceptance": Explanation(
        _l("The terms need to be accepted again because your details changed."), _l("Review and accept the terms.")),
    "invalid_url_denylisted": Explanation(
        _l("This website can't be used for your business."), _l("Enter your own business's website.")),
    "invalid_url_format": Explanation(_l("This website address isn't valid."), _l("Enter it like https://yourbusiness.com.")),
    "invalid_url_length": Explanation(_l("This website address is too long."), _l("Enter your home page's address.")),
    "invalid_url_web_presence_detected": Explanation(
        _l("We found a website for your business, but it isn't the one you entered."),
        _l("Enter your business's website, or describe your products instead.")),
    "invalid_url_website_business_information_mismatch": Explanation(
        _l("The website doesn't match your business's details."),
        _l("Make sure the site shows the same business name, or enter the right website.")),
    "invalid_url_website_empty": Explanation(
        _l("The website has no content."), _l("Publish your site, or enter a different one.")),
    "invalid_url_website_inaccessible": Explanation(
        _l("The website couldn't be reached."), _l("Check that it's online and publicly reachable.")),
    "invalid_url_website_inaccessible_geoblocked": Explanation(
        _l("The website blocks visitors from some countries."), _l("Make it reachable from the United States and Ireland.")),
    "invalid_url_website_inaccessible_password_protected": Explanation(
        _l("The website is password protected."), _l("Remove the password, or enter a public page.")),
    "invalid_url_website_incomplete": Explanation(
        _l("The website looks unfinished."), _l("Finish the site with your products, prices and contact details.")),
    "invalid_url_website_incomplete_cancellation_policy": Explanation(
        _l("The website doesn't show a cancellation policy."), _l("Add one to the site.")),
    "invalid_url_website_incomplete_customer_service_details": Explanation(
        _l("The website doesn't show how to contact customer service."), _l("Add an email or phone number to the site.")),
    "invalid_url_website_incomplete_legal_restrictions": Explanation(
        _l("The website doesn't show the legal restrictions that apply to what you sell."), _l("Add them to the site.")),
    "invalid_url_website_incomplete_refund_policy": Explanation(
        _l("The website doesn't show a refund policy."), _l("Add one to the site.")),
    "invalid_url_website_incomplete_return_policy": Explanation(
        _l("The website doesn't show a return policy."), _l("Add one to the site.")),
    "invalid_url_website_incomplete_terms_and_conditions": Explanation(
        _l("The website doesn't show terms and conditions."), _l("Add them to the site.")),
    "invalid_url_website_incomplete_under_construction": Explanation(
        _l("The website is still under construction."), _l("Publish the finished site, or describe your products instead.")),
    "invalid_url_website_other": Explanation(
        _l("The website couldn't be used to verify your business."), _l("Check it, or enter a different one.")),
    "unsupported_business_type": Explanation(
        _l("This kind of business can't be onboarded."), _l("Contact support.")),
    "verification_directors_mismatch": Explanation(
        _l("The directors don't match public records."), _l("Add or remove directors so the list is complete and current.")),
    "verification_extraneous_directors": Explanation(
        _l("Some directors listed aren't in public records."), _l("Remove anyone who is no longer a director.")),
    "verification_missing_directors": Explanation(
        _l("Some directors in public records are missing."), _l("Add every current director.")),
    "verification_missing_executives": Explanation(
        _l("An executive is missing."), _l("Add the people who run the business day to day.")),
    "verification_missing_owners": Explanation(
        _l("An owner is missing."), _l("Add everyone who owns 25% or more of the business.")),
    "verification_legal_entity_structure_mismatch": Explanation(
        _l("The business structure doesn't match public records."), _l("Check the business type you chose.")),
    "verification_rejected_ownership_exemption_reason": Explanation(
        _l("The reason given for not listing owners wasn't accepted."), _l("Add the owners instead.")),
    "verification_requires_additional_memorandum_of_associations": Explanation(
        _l("Another registration document is needed."), _l("Upload the memorandum of association.")),
    "verification_requires_additional_proof_of_registration": Explanation(
        _l("Proof of registration is needed."), _l("Upload a document showing the business's registration.")),
    "verification_supportability": Explanation(
        _l("Stripe can't support this business as it is described."), _l("Contact support if you think this is wrong.")),
    "verification_failed_address_match": Explanation(
        _l("The address couldn't be matched to this person or business."),
        _l("Check it, or upload a document showing the address.")),
    "verification_failed_authorizer_authority": Explanation(
        _l("We couldn't confirm this person can act for the business."), _l("Upload a document showing their authority.")),
    "verification_failed_business_iec_number": Explanation(
        _l("The import-export code couldn't be verified."), _CHECK_TRY_AGAIN),
    "verification_failed_document_match": Explanation(
        _l("The document doesn't match the details entered."), _l("Check the details, or upload another document.")),
    "verification_failed_id_number_match": Explanation(
        _l("The ID number doesn't match the name and date of birth."), _l("Check all three against the Social Security card.")),
    "verification_failed_keyed_identity": Explanation(
        _l("The name, date of birth and SSN couldn't be matched to one person."),
        _l("Check them against the Social Security card, or upload a photo ID.")),
    "verification_failed_keyed_match": Explanation(
        _l("The details entered couldn't be verified."), _l("Check them, or upload a document that shows them.")),
    "verification_failed_name_match": Explanation(
        _l("The name doesn't match the records for this ID number."), _l("Enter the name exactly as on official documents.")),
    "verification_failed_other": Explanation(_l("Verification didn't succeed."), _l("Check the details, or upload a document.")),
    "verification_failed_representative_authority": Explanation(
        _l("We couldn't confirm the representative can act for the business."),
        _l("Choose an executive or officer, or upload proof of authority.")),
    "verification_failed_residential_address": Explanation(
        _l("This must be a home address."), _l("Enter where this person lives, not a business address.")),
    "verification_failed_tax_id_match": Explanation(
        _l("The legal business name and EIN don't match IRS records."),
        _l("Enter both exactly as on your IRS letter (CP 575 or 147C).")),
    "verification_failed_tax_id_not_issued": Explanation(
        _l("The IRS has no record of this EIN."), _l("Check the number on your IRS letter.")),
    "verification_document_address_mismatch": Explanation(
        _l("The address on the document doesn't match the one entered."), _l("Update the address or upload another document.")),
    "verification_document_address_missing": Explanation(
        _l("The document doesn't show an address."), _l("Upload one that does.")),
    "verification_document_corrupt": Explanation(_l("The file couldn't be opened."), _UPLOAD_NEW),
    "verification_document_country_not_supported": Explanation(
        _l("Documents from this country aren't accepted."), _l("Upload a document from a supported country.")),
    "verification_document_directors_mismatch": Explanation(
        _l("The directors on the document don't match those listed."), _l("Update the directors or upload another document.")),
    "verification_document_dob_mismatch": Explanation(
        _l("The date of birth on the document doesn't match the one entered."), _l("Correct the date of birth or the document.")),
    "verification_document_duplicate_type": Explanation(
        _l("Both files are the same kind of document."), _l("Upload two different documents.")),
    "verification_document_expired": Explanation(_l("The document has expired."), _UPLOAD_NEW),
    "verification_document_failed_copy": Explanation(
        _l("The document looks like a copy."), _l("Upload a photo of the original.")),
    "verification_document_failed_greyscale": Explanation(
        _l("The image is black and white."), _l("Upload a color photo or scan.")),
    "verification_document_failed_other": Explanation(_l("The document couldn't be verified."), _UPLOAD_NEW),
    "verification_document_failed_test_mode": Explanation(
        _l("Test documents must be Stripe's test images."), _l("Use file_identity_document_success.")),
    "verification_document_fraudulent": Explanation(
        _l("The document couldn't be accepted."), _l("Contact support.")),
    "verification_document_id_number_mismatch": Explanation(
        _l("The ID number on the document doesn't match the one entered."), _l("Correct the number or upload another document.")),
    "verification_document_id_number_missing": Explanation(
        _l("The document doesn't show an ID number."), _l("Upload one that does.")),
    "verification_document_incomplete": Explanation(
        _l("Part of the document is cut off."), _l("Upload a photo showing all four corners.")),
    "verification_document_invalid": Explanation(
        _l("This kind of document isn't accepted."), _l("Upload a passport, driver's license or state ID.")),
    "verification_document_issue_or_expiry_date_missing": Explanation(
        _l("The document's issue or expiry date can't be seen."), _UPLOAD_NEW),
    "verification_document_manipulated": Explanation(
        _l("The document appears to have been edited."), _l("Upload an unedited photo of the original.")),
    "verification_document_missing_back": Explanation(
        _l("The back of the document is missing."), _l("Upload both sides.")),
    "verification_document_missing_front": Explanation(
        _l("The front of the document is missing."), _l("Upload both sides.")),
    "verification_document_name_mismatch": Explanation(
        _l("The name on the document doesn't match the one entered."), _l("Correct the name or upload another document.")),
    "verification_document_name_missing": Explanation(
        _l("The document doesn't show a name."), _l("Upload one that does.")),
    "verification_document_nationality_mismatch": Explanation(
        _l("The nationality on the document doesn't match."), _l("Upload another document.")),
    "verification_document_not_readable": Explanation(
        _l("The document can't be read."), _l("Upload a sharper photo in good light, without glare.")),
    "verification_document_not_signed": Explanation(_l("The document isn't signed."), _l("Sign it and upload it again.")),
    "verification_document_not_uploaded": Explanation(_l("No document was uploaded."), _l("Upload the document.")),
    "verification_document_photo_mismatch": Explanation(
        _l("The photo on the ID doesn't match."), _l("Upload another photo ID.")),
    "verification_document_too_large": Explanation(_l("The file is too large."), _l("Upload a file under 10 MB.")),
    "verification_document_type_not_supported": Explanation(
        _l("This kind of document isn't supported."), _l("Upload a passport, driver's license or state ID.")),
}

# Where an error says nothing more specific, the words for its family.
_PREFIXES: tuple[tuple[str, Explanation], ...] = (
    ("invalid_url_", REQUIREMENT_ERRORS["invalid_url_website_other"]),
    ("invalid_statement_descriptor_", REQUIREMENT_ERRORS["invalid_statement_descriptor_business_mismatch"]),
    ("invalid_address_", Explanation(_l("This address can't be used."), _l("Enter the street address where the business operates."))),
    ("invalid_dob_", Explanation(_l("This date of birth wasn't accepted."), _l("Check it."))),
    ("verification_document_", REQUIREMENT_ERRORS["verification_document_failed_other"]),
    ("verification_failed_", REQUIREMENT_ERRORS["verification_failed_other"]),
    ("bank_account_", API_ERRORS["bank_account_unusable"]),
)
_FALLBACK = Explanation(_l("Stripe couldn't accept this."), _CHECK_TRY_AGAIN)

# When Stripe refuses a field with a code that says nothing of the field itself (none, or a
# generic parameter_* one), what a good value looks like; keyed by the path's last part.
_FIELD_HINTS = {
    "first_name": _l("Enter the first name as it appears on official documents."),
    "last_name": _l("Enter the last name as it appears on official documents."),
    "name": _l("Enter the name as it appears on official documents."),
    "dob": _l("Enter a real date of birth."),
    "phone": _l("Enter the phone number with its area code, or in international format starting with +."),
    "support_phone": _l("Enter the support phone number with its area code, or in international format starting with +."),
    "email": _l("Enter an email address like you@yourbusiness.com."),
    "support_email": _l("Enter an email address like support@yourbusiness.com."),
    "url": _l("Enter your website like https://yourbusiness.com."),
    "support_url": _l("Enter a web address like https://yourbusiness.com/help."),
    "mcc": _l("Choose your industry from the list."),
    "product_description": _l("Describe what you sell in at least 10 characters."),
    "statement_descriptor": _l("Use 5 to 22 letters, numbers and spaces that name your business."),
    "statement_descriptor_prefix": _l("Use 2 to 10 letters, numbers and spaces that name your business."),
    "id_number": _l("Enter all 9 digits of the Social Security number."),
    "ssn_last_4": _l("Enter the last 4 digits of the Social Security number."),
    "tax_id": _l("Enter the 9-digit EIN from your IRS letter."),
    "routing_number": _l("Enter the 9-digit routing number from the bottom left of a check."),
    "account_number": _l("Enter the account number, 4 to 17 digits."),
    "line1": _l("Enter the street address."),
    "city": _l("Enter the city."),
    "state": _l("Choose the state from the list."),
    "postal_code": _l("Enter a 5-digit ZIP code, like 94103."),
    "title": _l("Enter the job title, like Owner or CEO."),
    # Japan's names and addresses in kana and kanji.
    "first_name_kana": _l("Write the first name in katakana, as on official documents."),
    "last_name_kana": _l("Write the last name in katakana, as on official documents."),
    "first_name_kanji": _l("Write the first name in kanji, as on official documents."),
    "last_name_kanji": _l("Write the last name in kanji, as on official documents."),
    "name_kana": _l("Write the company's registered name in katakana."),
    "name_kanji": _l("Write the company's registered name in kanji, as registered."),
    "town": _l("Enter the town and chome, as in the address on official documents."),
    "percent_ownership": _l("Enter a percentage between 0 and 100."),
}
_GENERIC_CODES = frozenset({"", "parameter_missing", "parameter_invalid_empty", "parameter_invalid_integer",
                            "parameter_invalid_string_blank", "parameter_invalid_string_empty",
                            "invalid_characters"})

# The field an API error concerns when Stripe's response names no param.
_API_ERROR_FIELDS = {
    "routing_number_invalid": "external_account.routing_number",
    "bank_account_bad_routing_numbers": "external_account.routing_number",
    "account_number_invalid": "external_account.account_number",
    "url_invalid": "business_profile.url",
    "tax_id_invalid": "company.tax_id",
}

# First path segments that stand for one person, and the canonical words for a few others.
_PERSON_PREFIX = re.compile(r"^(person_[A-Za-z0-9]+|representative|owners|directors|executives)$")
_RENAMED_ROOTS = {"bank_account": "external_account"}
# A path ending in one of these keeps only the part before it: one input per thing.
_COLLAPSE_AFTER = ("dob", "verification.document", "verification.additional_document",
                   "verification.proof_of_liveness", "tos_acceptance")
# Codes whose Stripe reason says something our words cannot (which product, which rule).
_SHOW_REASON = frozenset({"verification_supportability", "invalid_value_other",
                          "verification_failed_other", "invalid_url_website_other"})


def _segments(param: str) -> list[str]:
    """`individual[dob][day]` or `individual.dob.day` -> ["individual", "dob", "day"],
    list indexes (`[0]`) dropped."""
    parts = re.split(r"[.\[\]]+", param.strip())
    return [p for p in parts if p and not p.isdigit()]


def field_for_param(param: str | None, *, resource: str = "account") -> str:
    """The canonical path for a Stripe param or requirement key; `resource="person"` for
    errors from the Persons API, whose params (`dob[day]`) name no owner."""
    segments = _segments(param or "")
    if not segments:
        return ""
    head = segments[0]
    if head.startswith("interv_"):
        return "intervention"
    if _PERSON_PREFIX.match(head):
        segments[0] = "person"
    elif resource == "person" and head != "person":
        segments.insert(0, "person")
    segments[0] = _RENAMED_ROOTS.get(segments[0], segments[0])
    path = ".".join(segments)
    for stem in _COLLAPSE_AFTER:
        index = f".{path}.".find(f".{stem}.")
        if index != -1:
            return path[: index + len(stem)]
    return path


def person_for_requirement(key: str | None) -> str | None:
    """Whose requirement this is: `person_<id>`, or `representative`, `owners`, `directors`
    or `executives` for people not yet added; None for the account's own keys."""
    segments = _segments(key or "")
    return segments[0] if segments and _PERSON_PREFIX.match(segments[0]) else None


def explain(code: str | None, country: str | None = None) -> Explanation:
    """The words for `code`; for an account outside the US, the country's own where ours name the
    IRS, an EIN or a ZIP code (_country_words)."""
    code = (code or "").strip()
    if code in API_ERRORS:
        explanation = API_ERRORS[code]
    elif code in REQUIREMENT_ERRORS:
        explanation = REQUIREMENT_ERRORS[code]
    else:
        explanation = next((found for prefix, found in _PREFIXES if code.startswith(prefix)), _FALLBACK)
    if code == "invalid_company_name_denylisted" and _outside_us(country):
        return Explanation(explanation.problem, _("Exactly as on your company's registration documents."))
    if code in _TAX_ID_CODES and _outside_us(country):
        return Explanation(_("This tax ID isn't valid."), validation.national_number_hint(countries.get(country).tax_id))
    return explanation


# Codes whose words (ours, for the US) describe an EIN.
_TAX_ID_CODES = frozenset({"tax_id_invalid", "invalid_tax_id", "invalid_tax_id_format"})


def _country_words(country: str | None) -> dict[str, str | None] | None:
    """The field hints that differ outside the US, in the country's words (its numbers, bank codes
    and address, as the form's own checks say them), None for a hint that has no counterpart
    there; None for the US and for an unknown country, whose hints are _FIELD_HINTS'."""
    if not _outside_us(country):
        return None
    data = countries.get(country)
    bank = data.bank
    return {
        "tax_id": validation.national_number_hint(data.tax_id),
        "id_number": validation.national_number_hint(data.id_number) if data.id_number else None, "ssn_last_4": None,
        "routing_number": validation.routing_part_hint(bank.routing[0]) if len(bank.routing) == 1 else None,
        "account_number": _("Enter the IBAN.") if bank.iban else None,
        "state": validation.area_hint(country),
        "postal_code": validation.postal_code_hint(country) if data.address.postal_examples else None,
    }


def _outside_us(country: str | None) -> bool:
    """A supported country other than the US: one whose words are not _FIELD_HINTS'."""
    return countries.supported(country) and country.upper() != "US"


def _hint(field: str | None, country: str | None) -> str | None:
    if not field:
        return None
    name = field.rsplit(".", 1)[-1]
    local = _country_words(country)
    if local is not None and name in local:
        return local[name]
    hint = _FIELD_HINTS.get(name)
    return str(hint) if hint else None


def api_error(code: str | None, param: str | None, *, resource: str = "account", country: str | None = None) -> FieldError:
    """For a StripeError from a write: the field to show it next to, and the words, for an
    account in `country` (the US's when not given)."""
    field = field_for_param(param, resource=resource) or _API_ERROR_FIELDS.get(code or "")
    explanation = explain(code, country)
    hint = _hint(field, country)
    if hint and ((code or "") in _GENERIC_CODES or explanation is _FALLBACK):
        return FieldError(field, f"{explanation.problem} {hint}" if code else hint)
    return FieldError(field or None, str(explanation))


def requirement_error(error: Mapping[str, object], *, country: str | None = None) -> FieldError:
    """For one `requirements.errors[]` entry ({code, reason, requirement}). Codes we have no
    words for show Stripe's own reason, which is written for people too."""
    code = str(error.get("code") or "")
    field = field_for_param(str(error.get("requirement") or "")) or None
    known = code in REQUIREMENT_ERRORS or code in API_ERRORS
    reason = str(error.get("reason") or "").strip()
    if not known and reason:
        return FieldError(field, reason)
    explanation = explain(code, country)
    if reason and code in _SHOW_REASON:
        return FieldError(field, f"{explanation.problem} {reason} {explanation.action}")
    return FieldError(field, str(explanation))
