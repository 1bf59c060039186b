"""The requirements section of the staff overview: accounts by state, today and day by day, the
backlog of submitted accounts not yet verified, and the requirement keys most often due or failing.

Stripe keeps no history of an account's state, so each scheduled pass counts the mirror's accounts
by state and country into `account_state_day` (`record_state_counts`): the day's last pass wins."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from portal.connect import requirements
from portal.connect.models import AccountStateDay, ConnectedAccount
from portal.connect.status import State, submitted, summarize
from portal.db import Database, utcnow

# The states an account can be in once it exists, in the order the overview lists them.
STATES = (State.verified, State.pending_review, State.action_needed, State.restricted, State.rejected, State.setting_up)
WAITING = (State.pending_review, State.action_needed, State.restricted)  # submitted, not verified, not rejected


def snapshots(db: Database, country: str = "") -> list[dict]:
    """Every mirrored account's snapshot (of one country), read once for all the figures of a page."""
    with db.read() as session:
        found = session.exec(select(ConnectedAccount.snapshot)).all()
    return [snapshot for snapshot in found if not country or snapshot.get("country") == country]


def tally(snapshots: list[dict]) -> dict[tuple[str, str], int]:
    """(country, state) -> accounts. Pure."""
    return Counter(((snapshot.get("country") or "")[:2], summarize(snapshot).state.value) for snapshot in snapshots)


def record_state_counts(db: Database, day: date | None = None) -> int:
    """Write the day's counts (replacing any the day already has); how many accounts were counted."""
    day, now = day or utcnow().date(), utcnow()
    counts = tally(snapshots(db))
    with db.transaction() as session:
        # Upserts, not delete-then-insert: two workers counting the same day must not collide.
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        for (country, state), accounts in counts.items():
            statement = insert(AccountStateDay).values(day=day, country=country, state=state, accounts=accounts, counted_at=now)
            session.execute(statement.on_conflict_do_update(index_elements=["day", "country", "state"],
                                                            set_={"accounts": accounts, "counted_at": now}))
        gone = [row for row in session.exec(select(AccountStateDay).where(AccountStateDay.day == day)).all()
                if (row.country, row.state) not in counts]
        for row in gone:  # a state no account is in any more counts zero
            session.delete(row)
    return sum(counts.values())


def state_history(db: Database, *, since: date, until: date, country: str = "") -> list[tuple[date, dict[str, int]]]:
    """Per recorded day from `since` to `until`: state -> accounts."""
    query = select(AccountStateDay).where(AccountStateDay.day >= since, AccountStateDay.day <= until)
    if country:
        query = query.where(AccountStateDay.country == country)
    days: dict[date, Counter] = {}
    with db.read() as session:
        for row in session.exec(query).all():
            days.setdefault(row.day, Counter())[row.state] += row.accounts
    return [(day, {state.value: days[day][state.value] for state in STATES}) for day in sorted(days)]


def current_states(found: list[dict]) -> dict[str, int]:
    """State -> accounts, over the snapshots given. Pure."""
    counts = Counter(summarize(snapshot).state.value for snapshot in found)
    return {state.value: counts[state.value] for state in STATES}


@dataclass(frozen=True)
class Backlog:
    """Accounts whose seller submitted the form and that are not verified (nor rejected) yet."""

    count: int
    oldest_days: float  # since the oldest of them accepted the terms; 0 when there are none


def backlog(snapshots: list[dict], now: datetime) -> Backlog:
    """Pure."""
    waiting = [snapshot["tos_acceptance"]["date"] for snapshot in snapshots
               if submitted(snapshot) and summarize(snapshot).state in WAITING]
    oldest = (now - datetime.fromtimestamp(min(waiting), UTC)).total_seconds() / 86400 if waiting else 0.0
    return Backlog(len(waiting), max(oldest, 0.0))


def verification_backlog(db: Database, now: datetime, country: str = "") -> Backlog:
    return backlog(snapshots(db, country), now)


@dataclass(frozen=True)
class KeyCount:
    path: str  # the requirement, person ids folded ("person.verification.document")
    words: str  # as staff read it
    due: int  # accounts where it is currently or past due
    errors: dict  # Stripe's error code -> accounts where it failed with that code

    @property
    def failing(self) -> int:
        return sum(self.errors.values())


def key_counts(snapshots: list[dict]) -> list[KeyCount]:
    """The requirement keys most often due or failing across the accounts, the most frequent first. Pure."""
    due, errors, words = Counter(), {}, {}
    for snapshot in snapshots:
        found = snapshot.get("requirements") or {}
        country = snapshot.get("country")

        def path_of(key: str) -> str:
            path, said, _ = requirements.describe(key, {}, for_staff=True, country=country)
            words.setdefault(path, said)
            return path

        for path in {path_of(key) for key in (found.get("currently_due") or []) + (found.get("past_due") or [])}:
            due[path] += 1
        for path, code in {(path_of(error.get("requirement") or ""), error.get("code") or "unknown")
                           for error in found.get("errors") or [] if error.get("requirement")}:
            errors.setdefault(path, Counter())[code] += 1
    rows = [KeyCount(path, words[path], due[path], dict(errors.get(path, {}))) for path in {*due, *errors}]
    return sorted(rows, key=lambda row: (-(row.due + row.failing), row.path))


def requirement_keys(db: Database, country: str = "") -> list[KeyCount]:
    return key_counts(snapshots(db, country))


def history_table(history: list[tuple[date, dict[str, int]]]) -> tuple[list[str], list[list]]:
    return (["day", *(state.value for state in STATES)],
            [[day.isoformat(), *(counts[state.value] for state in STATES)] for day, counts in history])


def keys_table(rows: list[KeyCount]) -> tuple[list[str], list[list]]:
    return (["requirement", "words", "accounts_due", "accounts_failing", "error_codes"],
            [[row.path, row.words, row.due, row.failing,
              " ".join(f"{code}:{count}" for code, count in sorted(row.errors.items()))] for row in rows])
