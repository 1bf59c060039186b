"""Onboarding state and its one path to Stripe: save the draft, then send, then mirror.

Handlers read the form (steps.read_*), then call `submit`: the answers are saved before any
Stripe call, the Stripe write carries an idempotency key from the seller and the content (account
creation: from the seller and the attempt, see creation.py), and Stripe's answer replaces the
local mirror of the account. Errors come back by form field."""

import hashlib
import json
from dataclasses import dataclass, field

from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from portal.i18n import gettext as _
from portal.accounts.models import Seller
from portal.connect import mirror, requirement_model
from portal.connect.models import ConnectedAccount
from portal.db import Database, utcnow
from portal.integrations.stripe import StripeFailure, StripeGateway, idempotency_key
from portal.onboarding import creation, stripe_errors
from portal.onboarding.models import BusinessEmail, DraftPerson, OnboardingDraft
from portal.onboarding.steps import STEP_REVIEW, Step, locate, steps_for

LOCAL_ONLY = "local"  # the marker of a step that needs no Stripe call
KEYED_IDENTITY_CODES = {"verification_failed_keyed_identity", "verification_failed_id_number_match"}


@dataclass
class Onboarding:
    """Everything the onboarding pages need for one seller, read in one go."""

    seller_id: int
    email: str
    draft: OnboardingDraft
    people: list[DraftPerson]
    business_email: BusinessEmail | None
    account: ConnectedAccount | None

    @property
    def business(self) -> dict:
        return self.draft.answers.get("business", {})

    @property
    def business_type(self) -> str | None:
        """The last business type the seller saved successfully (a half-typed one changes nothing)."""
        return self.draft.business_type

    @property
    def country(self) -> str:
        return self.draft.country

    @property
    def steps(self) -> list[Step]:
        return steps_for(self.business_type)

    def answers(self, slug: str) -> dict:
        return self.draft.answers.get(slug, {})

    def is_done(self, slug: str) -> bool:
        return slug in self.draft.sent

    @property
    def submitted(self) -> bool:
        return self.draft.tos_accepted_at is not None

    def first_open_step(self) -> Step:
        return next((step for step in self.steps if not self.is_done(step.slug)), STEP_REVIEW)

    def step_after(self, slug: str) -> Step:
        slugs = [step.slug for step in self.steps]
        index = slugs.index(slug) if slug in slugs else -1
        later = [step for step in self.steps[index + 1 :] if not self.is_done(step.slug)]
        return later[0] if later else (self.steps[index + 1] if index + 1 < len(self.steps) else STEP_REVIEW)

    def reachable(self, slug: str) -> bool:
        """A step can be opened once every step before it is done."""
        for step in self.steps:
            if step.slug == slug:
                return True
            if not self.is_done(step.slug):
                return False
        return False

    @property
    def payouts_held(self) -> bool:
        return not (self.business_email and self.business_email.confirmed_at)

    @property
    def snapshot(self) -> dict:
        return self.account.snapshot if self.account else {}

    def stripe_asks_for(self, key: str) -> bool:
        """Whether Stripe lists `key` in any requirement list, now or in the future, or has an error on it."""
        return requirement_model.of(self.snapshot).asks_for(key)

    def requirement_errors(self, slug: str) -> dict[str, str]:
        """Stripe's verification errors that belong next to a field of this step."""
        found = {}
        for error in (e.as_stripe() for e in requirement_model.of(self.snapshot).current_errors()):
            explained = stripe_errors.requirement_error(error, country=self.snapshot.get("country"))
            where = locate(explained.field or "")
            if where and error.get("code") in KEYED_IDENTITY_CODES:
                # Stripe files these under the ID document, but what failed is what was typed:
                # the full number is the field that fixes it without a document.
                where = (where[0], "id_number")
            if where and where[0] == slug:
                found.setdefault(where[1], explained.message)
        return found


def load(db: Database, seller_id: int, email: str) -> Onboarding:
    """Two queries in one read-only snapshot: it waits on no writer (every form page asks for it)."""
    with db.read() as session:
        draft, business_email, account = session.exec(
            select(OnboardingDraft, BusinessEmail, ConnectedAccount).select_from(Seller)
            .outerjoin(OnboardingDraft, OnboardingDraft.seller_id == Seller.id)
            .outerjoin(BusinessEmail, BusinessEmail.seller_id == Seller.id)
            .outerjoin(ConnectedAccount, ConnectedAccount.seller_id == Seller.id)
            .where(Seller.id == seller_id)
        ).first() or (None, None, None)
        people = list(session.exec(select(DraftPerson).where(DraftPerson.seller_id == seller_id).order_by(DraftPerson.id)).all())
    return Onboarding(seller_id, email, draft or OnboardingDraft(seller_id=seller_id), people, business_email, account)


def save_answers(db: Database, seller_id: int, slug: str, answers: dict) -> OnboardingDraft:
    """Keep what was typed (never the secrets), whatever Stripe says next."""
    with db.transaction() as session:
        draft = session.get(OnboardingDraft, seller_id) or OnboardingDraft(seller_id=seller_id)
        draft.answers = {**draft.answers, slug: answers}
        draft.updated_at = utcnow()
        session.add(draft)
    return draft


def mark_done(db: Database, seller_id: int, slug: str, marker: str, **changes) -> None:
    with db.transaction() as session:
        draft = session.get(OnboardingDraft, seller_id)
        draft.sent = {**draft.sent, slug: marker}
        for name, value in changes.items():
            setattr(draft, name, value)
        draft.updated_at = utcnow()
        session.add(draft)


def forget_done(db: Database, seller_id: int, slug: str) -> None:
    with db.transaction() as session:
        draft = session.get(OnboardingDraft, seller_id)
        if draft and slug in draft.sent:
            draft.sent = {name: marker for name, marker in draft.sent.items() if name != slug}
            session.add(draft)


def save_person_answers(db: Database, seller_id: int, person: DraftPerson | None, answers: dict) -> DraftPerson:
    with db.transaction() as session:
        stored = session.get(DraftPerson, person.id) if person else DraftPerson(seller_id=seller_id)
        stored.answers = answers
        stored.updated_at = utcnow()
        session.add(stored)
    return stored


def person_saved(db: Database, person_id: int, stripe_person_id: str) -> None:
    with db.transaction() as session:
        stored = session.get(DraftPerson, person_id)
        stored.stripe_person_id = stripe_person_id
        session.add(stored)


def delete_person(db: Database, person_id: int) -> None:
    with db.transaction() as session:
        stored = session.get(DraftPerson, person_id)
        if stored:
            session.delete(stored)


def content_marker(*parts) -> str:
    """What a step last sent, without its secrets: a repeat of the same content is not re-sent."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:40]


@dataclass
class Outcome:
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    result: dict | None = None
    marker: str = ""
    adopted: bool = False  # the account an earlier attempt made, found at Stripe (Sender.create_account)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general


def failure_outcome(failure: StripeFailure, slug: str, *, country: str, resource: str = "account") -> Outcome:
    """Stripe's error, next to the field it concerns, in words for a seller in `country`."""
    if failure.temporary:
        return Outcome(general=_("We couldn't reach our payments provider just now. Your answers are saved: try again in a moment."))
    explained = stripe_errors.api_error(failure.code, failure.param, resource=resource, country=country)
    where = locate(explained.field or "")
    if where and where[0] == slug:
        return Outcome(errors={where[1]: explained.message})
    return Outcome(general=explained.message)


class Sender:
    """Sends one step's parameters to Stripe and keeps the mirror in step with the answer."""

    def __init__(self, db: Database, gateway: StripeGateway, secret: str):
        self.db, self.gateway, self.secret = db, gateway, secret

    def _key(self, *parts) -> str:
        return idempotency_key(*parts, secret=self.secret)

    async def create_account(self, onboarding: Onboarding, params: dict) -> Outcome:
        """The seller's one connected account: the one an earlier attempt made if its answer was
        lost (`adopted`: the answers may have changed since, so the caller sends them again), else
        a new one. See creation.py for why the idempotency key alone cannot promise this."""
        seller_id = onboarding.seller_id
        record = await run_in_threadpool(creation.pending, self.db, seller_id)
        try:
            if record is not None:
                made = await self.gateway.accounts_created_since(creation.search_from(record))
                lost = creation.made_for(made, seller_id)
                if lost is not None:
                    return await self._keep_created(onboarding, lost, adopted=True)
            account = await self._create(seller_id, params)
        except StripeFailure as failure:
            if failure.status == 400 and failure.kind == "invalid_request_error":
                # Stripe refused these answers and made nothing: the next try starts afresh.
                await run_in_threadpool(creation.finish, self.db, seller_id)
            return failure_outcome(failure, "profile", country=onboarding.country)
        return await self._keep_created(onboarding, account)

    async def _create(self, seller_id: int, params: dict) -> dict:
        record = await run_in_threadpool(creation.begin, self.db, seller_id)
        try:
            return await self.gateway.create_account(params, key=self._creation_key(record))
        except StripeFailure as failure:
            if failure.kind != "idempotency_error":
                raise
        # Stripe ran this key with the answers as they were before an edit, and made no account
        # (the search found none): this attempt needs a key of its own.
        record = await run_in_threadpool(creation.next_attempt, self.db, seller_id)
        return await self.gateway.create_account(params, key=self._creation_key(record))

    def _creation_key(self, record) -> str:
        # From the seller and the attempt, never the content: an edited form is the same account.
        return self._key(record.seller_id, "create-account", record.first_tried_at, record.attempt)

    async def _keep_created(self, onboarding: Onboarding, account: dict, *, adopted: bool = False) -> Outcome:
        onboarding.account = await run_in_threadpool(mirror.record_account, self.db, onboarding.seller_id, account)
        await run_in_threadpool(creation.finish, self.db, onboarding.seller_id)
        return Outcome(result=account, adopted=adopted)

    async def update_account(self, onboarding: Onboarding, slug: str, params: dict) -> Outcome:
        key = self._key(onboarding.seller_id, slug, params)
        try:
            account = await self.gateway.update_account(onboarding.account.stripe_account_id, params, key=key)
        except StripeFailure as failure:
            return failure_outcome(failure, slug, country=onboarding.country)
        onboarding.account = await run_in_threadpool(mirror.record_account, self.db, onboarding.seller_id, account)
        return Outcome(result=account)

    async def save_person(self, onboarding: Onboarding, person: DraftPerson, params: dict) -> Outcome:
        account_id = onboarding.account.stripe_account_id
        key = self._key(onboarding.seller_id, "person", person.id, params)
        try:
            if person.stripe_person_id:
                saved = await self.gateway.update_person(account_id, person.stripe_person_id, params, key=key)
            else:
                saved = await self.gateway.create_person(account_id, params, key=key)
        except StripeFailure as failure:
            return failure_outcome(failure, "people", resource="person", country=onboarding.country)
        return Outcome(result=saved)

    async def delete_person(self, onboarding: Onboarding, person: DraftPerson) -> Outcome:
        try:
            await self.gateway.delete_person(onboarding.account.stripe_account_id, person.stripe_person_id)
        except StripeFailure as failure:
            if failure.code != "resource_missing":
                return failure_outcome(failure, "people", resource="person", country=onboarding.country)
        return Outcome()
