"""The one door to Stripe: the only module that imports the SDK.

Every call is async (the portal and, in sandbox mode, the Stripe it talks to share one event
loop), returns plain dicts, and turns Stripe's errors into StripeFailure with the parameter they
concern. Writes carry idempotency keys derived from who asks and what they send, so a retried
submit replays Stripe's first answer instead of creating a second account or person."""

import asyncio
import contextvars
import copy
import hashlib
import hmac
import io
import json
import logging
import re
import ssl
import time
import weakref
from dataclasses import dataclass

import stripe
from opentelemetry import trace

from portal.operations import counters

log = logging.getLogger(__name__)
# (resource, method) of the call under way, for the metrics of each HTTP attempt the SDK makes.
CURRENT_CALL: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("stripe_call", default=("other", "other"))

PLATFORM_CONTROLLER = {
    "requirement_collection": "application",
    "losses": {"payments": "application"},
    "fees": {"payer": "application"},
    "stripe_dashboard": {"type": "none"},
}
REQUESTED_CAPABILITIES = {"card_payments": {"requested": True}, "transfers": {"requested": True}}


@dataclass
class StripeFailure(Exception):
    """A Stripe error, kept to what the portal may show or log (never the request's values)."""

    message: str
    code: str | None = None
    param: str | None = None
    kind: str = "api_error"
    status: int | None = None
    request_id: str | None = None

    @property
    def temporary(self) -> bool:
        return self.kind in ("api_connection_error", "rate_limit_error", "api_error") or self.code == "lock_timeout"

    def __str__(self) -> str:
        return f"{self.kind}/{self.code or '-'} on {self.param or '-'} ({self.request_id or 'no request id'})"


def idempotency_key(*parts: object, secret: str) -> str:
    """A key from the caller and the content of the request: the same submit maps to the same key.

    Keyed with the portal's secret, because the content can hold an SSN or account number and
    an unkeyed hash of a 9-digit number is easily reversed."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return "portal-" + hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()[:48]


def call_name(method) -> tuple[str, str]:
    """(resource, method) of an SDK service method: accounts.persons.create_async -> ("account_person", "create")."""
    service = type(getattr(method, "__self__", None)).__name__.removesuffix("Service")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", service).lower(), method.__name__.removesuffix("_async")


class CountingHTTPXClient(stripe.HTTPXClient):
    """The SDK's own client, counting every attempt it makes: a 429 or 500 the SDK retried is
    invisible to the caller but not to the operator.

    One httpx client per event loop. The SDK makes one, whose pooled connections belong to the loop
    that opened them: a call from another loop (a test's asyncio.run beside the server's loop, say)
    failed at once, or waited out the 80 s timeout on each retry while the first loop held the pool."""

    def __init__(self, *args, **kwargs):
        self._by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._outside_loops = None
        super().__init__(*args, **kwargs)

    @property
    def _client_async(self):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._outside_loops
        client = self._by_loop.get(loop)
        if client is None:
            verify = ssl.create_default_context(cafile=stripe.ca_bundle_path) if self._verify_ssl_certs else False
            client = self._by_loop[loop] = self.httpx.AsyncClient(verify=verify)
        return client

    @_client_async.setter
    def _client_async(self, client) -> None:  # the SDK's own, made outside any loop: kept for its close()
        self._outside_loops = client

    async def request_async(self, method, url, headers, post_data=None):
        resource, action = CURRENT_CALL.get()
        try:
            answer = await super().request_async(method, url, headers, post_data)
        except stripe.APIConnectionError:
            counters.stripe_attempt(resource, action, None)
            raise
        counters.stripe_attempt(resource, action, answer[1])
        return answer


class StripeGateway:
    def __init__(self, secret_key: str, *, api_base: str | None = None, max_network_retries: int = 2,
                 tracer: trace.Tracer | None = None):
        self.tracer = tracer or trace.get_tracer(__name__)  # OpenTelemetry's no-op one unless tracing is on
        addresses = {"api": api_base, "files": api_base, "connect": api_base} if api_base else None
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses=addresses or {},
            http_client=CountingHTTPXClient(),
            max_network_retries=max_network_retries,
        )
        self.calls = 0  # counted for the benchmarks and for tests that assert pages make none
        # The SDK logs request and response bodies (SSNs, account numbers, client secrets) at DEBUG:
        # never let it, whoever configured logging (portal/logs.py keeps it at INFO or above too).
        sdk_log = logging.getLogger("stripe")
        if sdk_log.level < logging.INFO:
            sdk_log.setLevel(logging.INFO)

    async def _call(self, method, *args, **kwargs) -> dict:
        self.calls += 1
        resource, action = call_name(method)
        # A span names the call and how it ended, never its ids, parameters or Stripe's message
        # (which can quote what was sent).
        with self.tracer.start_as_current_span(f"stripe {resource}.{action}", kind=trace.SpanKind.CLIENT,
                                          attributes={"stripe.resource": resource, "stripe.method": action},
                                          record_exception=False, set_status_on_exception=False) as span:
            token, started = CURRENT_CALL.set((resource, action)), time.perf_counter()
            try:
                result = await method(*args, **kwargs)
            except stripe.StripeError as exc:
                failure = _failure(exc)
                counters.stripe_call(resource, action, failure.kind, time.perf_counter() - started)
                span.set_status(trace.Status(trace.StatusCode.ERROR, failure.kind))
                span.set_attributes({"stripe.error_type": failure.kind, "stripe.error_code": failure.code or "",
                                     "http.response.status_code": failure.status or 0})
                log.warning("stripe call failed: %s", failure)
                raise failure from None
            finally:
                CURRENT_CALL.reset(token)
        counters.stripe_call(resource, action, "ok", time.perf_counter() - started)
        return result.to_dict() if hasattr(result, "to_dict") else dict(result)

    # Accounts

    async def create_account(self, params: dict, *, key: str) -> dict:
        # The capabilities follow the seller's service agreement (countries/crossborder.py): a
        # recipient asks for transfers alone.
        params = {"capabilities": REQUESTED_CAPABILITIES, **params, "controller": PLATFORM_CONTROLLER}
        return await self._call(self.client.v1.accounts.create_async, params=params, options={"idempotency_key": key})

    async def update_account(self, account_id: str, params: dict, *, key: str) -> dict:
        return await self._call(
            self.client.v1.accounts.update_async, account_id, params=params, options={"idempotency_key": key}
        )

    async def accounts_created_since(self, since: int) -> list[dict]:
        """Every connected account created at or after `since` (seconds since the epoch)."""
        found, params = [], {"created": {"gte": since}, "limit": 100}
        while True:
            page = await self._call(self.client.v1.accounts.list_async, params=params)
            found.extend(page["data"])
            if not page["has_more"] or not page["data"]:
                return found
            params = {**params, "starting_after": page["data"][-1]["id"]}

    async def retrieve_account(self, account_id: str) -> dict:
        return await self._call(self.client.v1.accounts.retrieve_async, account_id)

    async def reject_account(self, account_id: str, reason: str, *, key: str) -> dict:
        """Close the account for good, for one of Stripe's reasons (staff/risk.py REJECT_REASONS)."""
        return await self._call(
            self.client.v1.accounts.reject_async, account_id, params={"reason": reason}, options={"idempotency_key": key}
        )

    # Persons

    async def create_person(self, account_id: str, params: dict, *, key: str) -> dict:
        return await self._call(
            self.client.v1.accounts.persons.create_async, account_id, params=params, options={"idempotency_key": key}
        )

    async def update_person(self, account_id: str, person_id: str, params: dict, *, key: str) -> dict:
        return await self._call(
            self.client.v1.accounts.persons.update_async,
            account_id, person_id, params=params, options={"idempotency_key": key},
        )

    async def delete_person(self, account_id: str, person_id: str) -> dict:
        return await self._call(self.client.v1.accounts.persons.delete_async, account_id, person_id)

    async def list_persons(self, account_id: str) -> list[dict]:
        result = await self._call(self.client.v1.accounts.persons.list_async, account_id, params={"limit": 100})
        return result["data"]

    async def delete_account(self, account_id: str) -> dict:
        """Close a connected account for good (a seller who leaves, once its balance is zero)."""
        return await self._call(self.client.v1.accounts.delete_async, account_id)

    async def request_capability(self, account_id: str, capability: str, *, requested: bool, key: str) -> dict:
        """Ask Stripe for a capability, or give one up (`requested=False`)."""
        return await self._call(
            self.client.v1.accounts.capabilities.update_async, account_id, capability,
            params={"requested": requested}, options={"idempotency_key": key},
        )

    # Money movement between the platform and a connected account (staff, with approval)

    async def platform_account_id(self) -> str:
        """The platform's own account id (the destination of an account debit), read once."""
        if not getattr(self, "_platform_account_id", None):
            self._platform_account_id = (await self._call(self.client.v1.accounts.retrieve_current_async))["id"]
        return self._platform_account_id

    async def send_funds(self, account_id: str, *, amount: int, currency: str, description: str, metadata: dict,
                         key: str) -> dict:
        """A transfer from the platform's balance to the connected account's."""
        params = {"amount": amount, "currency": currency, "destination": account_id, "description": description,
                  "metadata": metadata}
        return await self._call(self.client.v1.transfers.create_async, params=params, options={"idempotency_key": key})

    async def pull_funds(self, account_id: str, *, amount: int, currency: str, description: str, metadata: dict,
                         key: str) -> dict:
        """An account debit: a transfer made as the connected account, to the platform's account.

        Stripe allows it where the platform is liable for the account's losses and both are in
        the same region; it creates a transfer on the connected account and a payment on the platform."""
        params = {"amount": amount, "currency": currency, "destination": await self.platform_account_id(),
                  "description": description, "metadata": metadata}
        return await self._call(self.client.v1.transfers.create_async, params=params,
                                options={"idempotency_key": key, "stripe_account": account_id})

    async def payouts_under_way(self, account_id: str) -> list[dict]:
        """The account's payouts not yet paid or failed (pending or in transit), newest first."""
        found = []
        for status in ("pending", "in_transit"):
            result = await self._call(self.client.v1.payouts.list_async, params={"status": status, "limit": 100},
                                      options={"stripe_account": account_id})
            found.extend(result["data"])
        return sorted(found, key=lambda payout: payout["created"], reverse=True)

    async def create_payout(self, account_id: str, *, amount: int, currency: str, description: str, key: str) -> dict:
        """Pay out part of the connected account's available balance to its bank account now."""
        params = {"amount": amount, "currency": currency, "description": description}
        return await self._call(self.client.v1.payouts.create_async, params=params,
                                options={"idempotency_key": key, "stripe_account": account_id})

    async def retrieve_balance(self, account_id: str) -> dict:
        return await self._call(self.client.v1.balance.retrieve_async, options={"stripe_account": account_id})

    async def list_capabilities(self, account_id: str) -> list[dict]:
        result = await self._call(self.client.v1.accounts.capabilities.list_async, account_id)
        return result["data"]

    # Reading one mirrored object as Stripe holds it now (the mirror's tie-break and repair)

    async def retrieve_capability(self, account_id: str, capability_id: str) -> dict:
        return await self._call(self.client.v1.accounts.capabilities.retrieve_async, account_id, capability_id)

    async def retrieve_external_account(self, account_id: str, external_id: str) -> dict:
        return await self._call(self.client.v1.accounts.external_accounts.retrieve_async, account_id, external_id)

    async def retrieve_payout(self, account_id: str, payout_id: str) -> dict:
        return await self._call(self.client.v1.payouts.retrieve_async, payout_id, options={"stripe_account": account_id})

    async def retrieve_dispute(self, dispute_id: str, *, account_id: str | None) -> dict:
        """A dispute on the connected account's charge, or (account_id None) on the platform's."""
        options = {"stripe_account": account_id} if account_id else {}
        return await self._call(self.client.v1.disputes.retrieve_async, dispute_id, options=options)

    async def retrieve_charge(self, charge_id: str) -> dict:
        """One of the platform's own charges (a destination charge names the seller)."""
        return await self._call(self.client.v1.charges.retrieve_async, charge_id)

    async def retrieve_transfer(self, transfer_id: str) -> dict:
        return await self._call(self.client.v1.transfers.retrieve_async, transfer_id)

    async def recent_payouts(self, account_id: str) -> list[dict]:
        """The account's latest 100 payouts, newest first."""
        result = await self._call(self.client.v1.payouts.list_async, params={"limit": 100},
                                  options={"stripe_account": account_id})
        return result["data"]

    async def recent_disputes(self, account_id: str | None) -> list[dict]:
        """The latest 100 disputes on the account's charges (account_id None: the platform's)."""
        options = {"stripe_account": account_id} if account_id else {}
        result = await self._call(self.client.v1.disputes.list_async, params={"limit": 100}, options=options)
        return result["data"]

    async def create_account_link(self, account_id: str, *, refresh_url: str, return_url: str,
                                  eventually_due: bool = False, future_requirements: bool = True) -> dict:
        """Stripe's hosted page for what the account still owes. `account_onboarding`: Stripe's API
        reference gives it as "a form for inputting outstanding requirements ... to just collect the
        new information you need" (`account_update` re-displays what was given, to edit it).
        `eventually_due` / `future_requirements` widen it to reach a requirement needed later."""
        params = {"account": account_id, "type": "account_onboarding", "refresh_url": refresh_url, "return_url": return_url,
                  "collection_options": {"fields": "eventually_due" if eventually_due else "currently_due",
                                         "future_requirements": "include" if future_requirements else "omit"}}
        return await self._call(self.client.v1.account_links.create_async, params=params)

    async def upload_file(self, account_id: str, *, purpose: str, filename: str, content: bytes) -> dict:
        """A file uploaded as the connected account (identity documents belong to it)."""
        upload = io.BytesIO(content)
        upload.name = filename  # the SDK's multipart encoder takes the file name from here
        params = {"purpose": purpose, "file": upload}
        return await self._call(self.client.v1.files.create_async, params=params, options={"stripe_account": account_id})

    # Account sessions: a short-lived grant for the embedded components on one page load. The
    # answer holds the client secret; callers hand it to the page and keep nothing.

    async def create_account_session(self, account_id: str, components: dict) -> dict:
        params = {"account": account_id, "components": components}
        return await self._call(self.client.v1.account_sessions.create_async, params=params)

    # Webhook endpoints (sandbox mode registers the portal's own endpoint at start)

    async def create_webhook_endpoint(self, url: str, *, connect: bool, events: list[str]) -> dict:
        params = {"url": url, "enabled_events": events, "connect": connect}
        return await self._call(self.client.v1.webhook_endpoints.create_async, params=params)

    async def delete_webhook_endpoint(self, endpoint_id: str) -> dict:
        return await self._call(self.client.v1.webhook_endpoints.delete_async, endpoint_id)

    async def list_webhook_endpoints(self) -> list[dict]:
        result = await self._call(self.client.v1.webhook_endpoints.list_async, params={"limit": 100})
        return result["data"]


ERROR_KINDS = {stripe.APIConnectionError: "api_connection_error", stripe.RateLimitError: "rate_limit_error"}


def _failure(exc: stripe.StripeError) -> StripeFailure:
    error = exc.error
    return StripeFailure(
        message=(error.message if error and error.message else exc.user_message or "Stripe refused the request."),
        code=(error.code if error else None) or exc.code,
        param=error.param if error else None,
        kind=(error.type if error and error.type else ERROR_KINDS.get(type(exc), "api_error")),
        status=exc.http_status,
        request_id=exc.request_id,
    )


class WebhookRejected(Exception):
    """A webhook that is not from Stripe, or not from now: its signature or timestamp is wrong."""


def verify_event(payload: bytes, signature_header: str, secrets: list[str], tolerance: int = 300) -> dict:
    """The event, if any of the endpoint secrets signed this exact body within `tolerance` seconds
    of now, before or after (the SDK refuses only timestamps too far in the past).

    The SDK's own check, the one `construct_event` runs first; the body then becomes a plain dict,
    without the SDK's object wrapping, which costs more than the check on a busy endpoint."""
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
        except stripe.SignatureVerificationError:
            continue
        if _signed_at(signature_header) > time.time() + tolerance:
            raise WebhookRejected("timestamp in the future, outside the tolerance")
        try:
            event = json.loads(payload)
        except ValueError as exc:
            raise WebhookRejected("body is not an event") from exc
        if not _looks_like_an_event(event):
            raise WebhookRejected("body is not an event")
        return event
    raise WebhookRejected("no endpoint secret matches the signature")


def _looks_like_an_event(event) -> bool:
    return (isinstance(event, dict) and isinstance(event.get("id"), str) and isinstance(event.get("type"), str)
            and type(event.get("created")) is int and isinstance(event.get("data"), dict)
            and isinstance(event.get("account"), str | None))


def _signed_at(signature_header: str) -> int:
    """The `t=` of a header the SDK has just accepted (so it is there and a number)."""
    return int(next(item[2:] for item in signature_header.split(",") if item.startswith("t=")))


# Accounts v2 (STRIPE_ACCOUNTS_API=v2)
#
# The portal builds its requests in v1's words (steps.py) and reads accounts in v1's shape, with
# the requirements through portal/connect/requirement_model.py. The v2 gateway speaks v2 to Stripe
# for what v2 owns (creating the account with the merchant configuration and the platform's
# responsibilities, identity, business details, persons, terms acceptance, capabilities) and
# reads the account back as v1 shows it ("you can still pass the ID of a v2 Account to an Accounts
# v1 API endpoint … the response is structured as a v1 Account"), with v2's requirement entries
# beside it under requirement_model.V2_KEY, where the one requirement model reads them. What v2
# has no parameter for on an account without a dashboard (bank accounts: v2's external accounts
# API is a preview, docs.stripe.com/api/external_accounts; payout schedules; documents) still goes
# through v1's update, which applies to the same account.

V2_KEY = "accounts_v2"  # requirement_model.V2_KEY (the integration imports nothing of the portal's domain)
V2_INCLUDE = ["configuration.merchant", "configuration.recipient", "defaults", "identity", "requirements",
              "future_requirements"]
V2_RESPONSIBILITIES = {"fees_collector": "application", "losses_collector": "application"}
V2_PERSON_FIELDS = (("first_name", "given_name"), ("last_name", "surname"), ("email", "email"), ("phone", "phone"),
                    ("political_exposure", "political_exposure"))


def _rfc3339(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))


def v2_person(given: dict, country: str | None = None) -> dict:
    """v1 person (or `individual`) parameters as v2's."""
    out = {v2: given[v1] for v1, v2 in V2_PERSON_FIELDS if v1 in given}
    if "address" in given:
        out["address"] = {key: value for key, value in given["address"].items() if value}
    if "dob" in given:
        out["date_of_birth"] = given["dob"]
    numbers = []
    if given.get("ssn_last_4"):
        numbers.append({"type": "us_ssn_last_4", "value": given["ssn_last_4"]})
    if given.get("id_number"):
        numbers.append({"type": "us_ssn" if (country or "US").upper() == "US" else "id_number", "value": given["id_number"]})
    if numbers:
        out["id_numbers"] = numbers
    if "relationship" in given:
        relationship = dict(given["relationship"])
        if relationship.get("percent_ownership") is not None:
            relationship["percent_ownership"] = f"{relationship['percent_ownership']:g}"
        out["relationship"] = relationship
    if "metadata" in given:
        out["metadata"] = given["metadata"]
    return out


def v2_account_params(given: dict, *, creating: bool) -> tuple[dict, dict]:
    """(v2 parameters, v1 parameters left over) for v1-worded account parameters."""
    rest = copy.deepcopy(given)
    out: dict = {}
    identity: dict = {}
    if creating:
        identity["country"] = (rest.pop("country", None) or "US").lower()
    if "business_type" in rest:
        identity["entity_type"] = rest.pop("business_type")
    if "individual" in rest:
        individual = dict(rest.pop("individual"))
        if "verification" in individual:  # identity documents: v1's update of the same account
            rest["individual"] = {"verification": individual.pop("verification")}
        if individual:
            identity["individual"] = v2_person(individual, identity.get("country"))
    company = dict(rest.pop("company", None) or {})
    business: dict = {}
    for v1, v2 in (("name", "registered_name"), ("address", "address"), ("phone", "phone"), ("structure", "structure")):
        if v1 in company:
            business[v2] = company.pop(v1)
    if company.get("tax_id"):
        business["id_numbers"] = [{"type": "us_ein", "value": company.pop("tax_id")}]
    provided = {kind: company.pop(f"{kind}_provided") for kind in ("owners", "directors", "executives")
                if f"{kind}_provided" in company}
    if company:
        rest["company"] = company  # documents and the like: v1 update
    if business:
        identity["business_details"] = business
    attestations: dict = {}
    if provided:
        attestations["persons_provided"] = provided
    tos = dict(rest.pop("tos_acceptance", None) or {})
    # The cross-border hook: v1's `recipient` service agreement is v2's recipient configuration
    # (funds by transfer, no card payments of its own) in place of the merchant one.
    recipient = tos.pop("service_agreement", None) == "recipient"
    if tos and tos.get("date"):
        attestations["terms_of_service"] = {"account": {"date": _rfc3339(tos["date"]), "ip": tos.get("ip"),
                                                        **({"user_agent": tos["user_agent"]} if tos.get("user_agent") else {})}}
    elif tos:
        rest["tos_acceptance"] = tos
    if attestations:
        identity["attestations"] = attestations
    if identity:
        out["identity"] = identity
    if "email" in rest:
        out["contact_email"] = rest.pop("email")
    profile = dict(rest.pop("business_profile", None) or {})
    merchant: dict = {}
    defaults_profile = {v2: profile.pop(v1) for v1, v2 in (("url", "business_url"), ("product_description",
                        "product_description"), ("name", "doing_business_as")) if v1 in profile}
    if "mcc" in profile:
        merchant["mcc"] = profile.pop("mcc")
    support = {key: profile.pop(f"support_{key}") for key in ("email", "phone", "url") if f"support_{key}" in profile}
    if support:
        merchant["support"] = support
    if profile:
        rest["business_profile"] = profile
    descriptor = ((rest.get("settings") or {}).get("payments") or {}).pop("statement_descriptor", None)
    if descriptor:
        merchant["statement_descriptor"] = {"descriptor": descriptor}
        if not rest["settings"]["payments"]:
            rest["settings"].pop("payments")
        if not rest["settings"]:
            rest.pop("settings")
    defaults: dict = {}
    if defaults_profile:
        defaults["profile"] = defaults_profile
    if rest.get("default_currency"):
        defaults["currency"] = rest.pop("default_currency")
    if creating:
        defaults["responsibilities"] = V2_RESPONSIBILITIES  # fixed at creation: the platform collects fees and losses
        out["dashboard"] = "none"
    if creating and recipient:
        out["configuration"] = {"recipient": {"capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}}}
        # The merchant settings asked for have no place in the recipient configuration: v1 keeps them.
        profile = {f"support_{key}": value for key, value in (merchant.get("support") or {}).items()}
        if "mcc" in merchant:
            profile["mcc"] = merchant["mcc"]
        if profile:
            rest.setdefault("business_profile", {}).update(profile)
        if merchant.get("statement_descriptor"):
            rest.setdefault("settings", {}).setdefault("payments", {})["statement_descriptor"] = \
                merchant["statement_descriptor"]["descriptor"]
    elif creating:
        merchant["capabilities"] = {"card_payments": {"requested": True}}
        out["configuration"] = {"merchant": merchant}
    elif merchant:
        out["configuration"] = {"merchant": merchant}
    if defaults:
        out["defaults"] = defaults
    if "metadata" in rest:
        out["metadata"] = rest.pop("metadata")
    return out, rest


def v1_param(v2_param: str | None) -> str | None:
    """A v2 error's parameter path in the v1 words the portal maps to its fields."""
    if not v2_param:
        return v2_param
    for v2, v1 in (("identity.individual.", "individual."), ("identity.business_details.registered_name", "company.name"),
                   ("identity.business_details.id_numbers", "company.tax_id"), ("identity.business_details.", "company."),
                   ("identity.attestations.terms_of_service.account.", "tos_acceptance."),
                   ("defaults.profile.business_url", "business_profile.url"), ("configuration.merchant.mcc", "business_profile.mcc")):
        if v2_param.startswith(v2):
            v2_param = v1 + v2_param[len(v2):]
            break
    for v2, v1 in (("given_name", "first_name"), ("surname", "last_name"), ("date_of_birth", "dob"),
                   ("id_numbers", "id_number")):
        v2_param = v2_param.replace(v2, v1)
    head, *rest = v2_param.split(".")
    return head + "".join(f"[{part}]" for part in rest)


class StripeGatewayV2(StripeGateway):
    """The same gateway, with accounts and persons made and changed through Accounts v2."""

    accounts_api = "v2"

    async def _v2(self, method, *args, **kwargs) -> dict:
        try:
            return await self._call(method, *args, **kwargs)
        except StripeFailure as failure:
            failure.param = v1_param(failure.param)
            raise

    async def _combined(self, account_id: str, v2_account: dict | None = None) -> dict:
        """The account as v1 shows it, with v2's requirement entries beside it."""
        if v2_account is None:
            v2_account = await self._call(self.client.v2.core.accounts.retrieve_async, account_id,
                                          params={"include": ["requirements", "future_requirements"]})
        account = await super().retrieve_account(account_id)
        account[V2_KEY] = {name: v2_account.get(name) for name in ("requirements", "future_requirements")}
        return account

    async def create_account(self, params: dict, *, key: str) -> dict:
        v2, rest = v2_account_params(params, creating=True)
        made = await self._v2(self.client.v2.core.accounts.create_async,
                              params={**v2, "include": ["requirements", "future_requirements"]},
                              options={"idempotency_key": key})
        if rest:
            # Payout settings and the like have no v2 parameter: v1 applies them to the same account.
            await super().update_account(made["id"], rest, key=key + "-v1")
            return await self._combined(made["id"])
        return await self._combined(made["id"], made)

    async def update_account(self, account_id: str, params: dict, *, key: str) -> dict:
        v2, rest = v2_account_params(params, creating=False)
        fresh = None
        if v2:
            fresh = await self._v2(self.client.v2.core.accounts.update_async, account_id,
                                   params={**v2, "include": ["requirements", "future_requirements"]},
                                   options={"idempotency_key": key})
        if rest:
            await super().update_account(account_id, rest, key=key + ("-v1" if v2 else ""))
            fresh = None
        return await self._combined(account_id, fresh)

    async def retrieve_account(self, account_id: str) -> dict:
        return await self._combined(account_id)

    # accounts_created_since stays v1's: v2's list has no `created` filter, and v1's list shows
    # the same accounts.

    async def create_person(self, account_id: str, params: dict, *, key: str) -> dict:
        made = await self._v2(self.client.v2.core.accounts.persons.create_async, account_id,
                              params=v2_person(params), options={"idempotency_key": key})
        return await self._v1_person(account_id, made["id"], params, key)

    async def update_person(self, account_id: str, person_id: str, params: dict, *, key: str) -> dict:
        await self._v2(self.client.v2.core.accounts.persons.update_async, account_id, person_id,
                       params=v2_person(params), options={"idempotency_key": key})
        return await self._v1_person(account_id, person_id, params, key)

    async def _v1_person(self, account_id: str, person_id: str, params: dict, key: str) -> dict:
        documents = {name: params[name] for name in ("verification", "documents") if name in params}
        if documents:  # identity documents: v1's person update, on the same person
            return await super().update_person(account_id, person_id, documents, key=key + "-v1")
        return await self._call(self.client.v1.accounts.persons.retrieve_async, account_id, person_id)

    async def delete_person(self, account_id: str, person_id: str) -> dict:
        return await self._v2(self.client.v2.core.accounts.persons.delete_async, account_id, person_id)

    async def create_account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> dict:
        params = {"account": account_id, "use_case": {"type": "account_update", "account_update": {
            "refresh_url": refresh_url, "return_url": return_url,
            "collection_options": {"fields": "currently_due", "future_requirements": "include"}}}}
        return await self._call(self.client.v2.core.account_links.create_async, params=params)

    async def create_event_destination(self, url: str, *, events: list[str]) -> dict:
        """A thin-event destination for the accounts the platform manages (`@accounts`: v1 and v2)."""
        params = {"name": "portal accounts v2", "type": "webhook_endpoint", "event_payload": "thin",
                  "events_from": ["@accounts"], "enabled_events": events, "webhook_endpoint": {"url": url},
                  "include": ["webhook_endpoint.signing_secret"]}
        return await self._call(self.client.v2.core.event_destinations.create_async, params=params)

    async def list_event_destinations(self) -> list[dict]:
        result = await self._call(self.client.v2.core.event_destinations.list_async, params={"limit": 100})
        return result["data"]

    async def delete_event_destination(self, destination_id: str) -> dict:
        return await self._call(self.client.v2.core.event_destinations.delete_async, destination_id)

    def parse_thin_event(self, payload: bytes, signature_header: str, secrets: list[str], tolerance: int = 300) -> dict:
        return parse_thin_event(self.client, payload, signature_header, secrets, tolerance)


def parse_thin_event(client: "stripe.StripeClient", payload: bytes, signature_header: str, secrets: list[str],
                     tolerance: int = 300) -> dict:
    """A v2 thin event verified with the SDK's parse_event_notification, as the portal's event
    record: its id, type, moment (seconds), and the object it names in `data.object`."""
    for secret in secrets:
        try:
            notification = client.parse_event_notification(payload, signature_header, secret, tolerance)
        except stripe.SignatureVerificationError:
            continue
        except ValueError as exc:
            raise WebhookRejected("body is not a thin event") from exc
        if _signed_at(signature_header) > time.time() + tolerance:
            raise WebhookRejected("timestamp in the future, outside the tolerance")
        related = notification.related_object
        created = notification.created
        moment = time.mktime(time.strptime(created[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        account = str(notification.context) if notification.context else (
            related.id if related and related.type == "v2.core.account" else None)
        return {"id": notification.id, "object": "event", "type": notification.type, "created": int(moment),
                "livemode": notification.livemode, "account": account,
                "data": {"object": {"id": related.id if related else None,
                                    "object": related.type if related else None, "url": related.url if related else None}},
                "thin": True}
    raise WebhookRejected("no endpoint secret matches the signature")
