"""Send a remediation submission to Stripe: documents first, then one update per person and one
account update, and Stripe's answer into the mirror. The seller's form (connect/routes.py) and the
staff's form on the requirements desk (staff/requirements_desk.py) both come through here, so what
reaches Stripe, how its errors land beside a field, and what the audit trail keeps are the same.

What was typed passes through to Stripe and nowhere else: the audit row names the fields sent,
never their values."""

from starlette.concurrency import run_in_threadpool

from portal import audit
from portal.connect import mirror, remediation
from portal.db import Database
from portal.integrations.stripe import StripeFailure, StripeGateway, idempotency_key
from portal.onboarding import stripe_errors


def sent_fields(fields: list[remediation.FormField], submission: remediation.Submission) -> list[remediation.FormField]:
    """The fields of a valid submission that carried something (an optional field left empty, like an
    address's second line, did not)."""
    uploaded = {name for name, _, _ in submission.uploads}
    return [f for f in fields
            if (f.name in uploaded if f.kind == "file" else f.secret or f.kind == "checkbox" or submission.typed.get(f.name))]


async def send_to_stripe(db: Database, gateway: StripeGateway, seller_id: int, account_id: str,
                         submission: remediation.Submission, *, secret: str, country: str | None, by_staff: bool = False) -> dict[str, str]:
    """Upload documents, then one update per person and one account update. Errors by form field
    (`_form` for what no field shows); nothing at all on success, when the mirror holds Stripe's answer."""
    # Staff writes get keys of their own: a seller and a staff member sending the same values are two requests.
    prefix = "staff-" if by_staff else ""
    for name, filename, content in submission.uploads:
        try:
            uploaded = await gateway.upload_file(account_id, purpose="identity_document", filename=filename, content=content)
        except StripeFailure as failure:
            if failure.temporary:
                return field_error(failure, country=country)
            return {name: "Stripe couldn't read this file. Upload a clear photo or scan of the whole document."}
        remediation.attach_document(submission, name, uploaded["id"])
    try:
        for person_id, params in submission.person_params.items():
            key = idempotency_key(seller_id, prefix + "fix-person", person_id, params, secret=secret)
            try:
                await gateway.update_person(account_id, person_id, params, key=key)
            except StripeFailure as failure:
                return field_error(failure, owner=person_id, resource="person", country=country)
        if submission.account_params:
            key = idempotency_key(seller_id, prefix + "fix-account", submission.account_params, secret=secret)
            account = await gateway.update_account(account_id, submission.account_params, key=key)
        else:
            account = await gateway.retrieve_account(account_id)
    except StripeFailure as failure:
        return field_error(failure, country=country)
    await run_in_threadpool(mirror.record_account, db, seller_id, account)
    return {}


def field_error(failure: StripeFailure, *, country: str | None, owner: str | None = None, resource: str = "account") -> dict[str, str]:
    if failure.temporary:
        return {"_form": "We couldn't reach Stripe just now. Nothing you typed is lost: try again in a moment."}
    explained = stripe_errors.api_error(failure.code, failure.param, resource=resource, country=country)
    path = explained.field or "_form"
    if owner and path.startswith("person."):
        path = owner + path.removeprefix("person")
    return {path: explained.message}


def audit_details(requirement_keys: list[str], fields: list[remediation.FormField], account_id: str) -> dict:
    """What an audit row keeps of a submission: the requirement and the names of the fields sent."""
    return {"requirement": requirement_keys[0] if requirement_keys else "", "keys": requirement_keys,
            "fields": [f.name for f in fields], "account": account_id}


def record_sent(db: Database, *, actor: audit.Actor, action: str, seller_id: int, requirement_keys: list[str],
                fields: list[remediation.FormField], account_id: str, reason: str = "", ip: str = "") -> None:
    audit.record(db, actor=actor, action=action, seller_id=seller_id, reason=reason, ip=ip,
                 details=audit_details(requirement_keys, fields, account_id))
