"""GET /staff/overview: the platform at a glance for risk staff, from the mirror (never Stripe per
view). Onboarding (the funnel, per sign-up week and per country, where sellers drop, the wait for
verification), requirements (accounts by state over time, the keys most often due or failing),
risk (dispute rates against 0.75%, negative balances against 180 days, payouts paused) and money
(volume and payouts per day, movements awaiting approval). Each chart has its table and a CSV;
every figure follows the country and date filters."""

from datetime import UTC, date, datetime, time, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.connect.negative_balances import RESERVE_AFTER_DAYS
from portal.connect.status import HEADLINES, State
from portal.db import utcnow
from portal.staff import funnel, money_figures, overview, states
from portal.staff.auth import staff_required
from portal.staff.charts import Bar, bar_chart, stacked_chart
from portal.staff.pages import RISK
from portal.staff.search import EXCESSIVE_DISPUTE_RATE
from portal.web import format_money, render

DEFAULT_DAYS = 90  # the default span of the date filter
CHART_ROWS = 25  # the worst ones, or the latest days; the table and the CSV have every row
CHART_DAYS = 31
KEY_LABEL_WIDTH = 300  # requirement paths are long
FUNNEL_LABEL_WIDTH = 350  # "Company details (companies and non-profits only)"


class BadFilter(ValueError):
    pass


def _day(query, name: str, default: date) -> date:
    text = query.get(name, "").strip()
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        raise BadFilter("Give dates as YYYY-MM-DD.") from None


def filters(query) -> dict:
    """country (two letters or empty), days (30 or 90: the dispute window), until (a date: the
    last day of every figure), since (a date: the first day of sign-ups, state counts and money)."""
    country = query.get("country", "").strip().upper()
    if country and not (len(country) == 2 and country.isalpha() and country.isascii()):
        raise BadFilter("Choose a country from the list.")
    try:
        days = int(query.get("days", "30"))
    except ValueError:
        days = 0
    if days not in overview.WINDOWS:
        raise BadFilter("Choose a window of 30 or 90 days.")
    until = _day(query, "until", utcnow().date())
    since = _day(query, "since", until - timedelta(days=DEFAULT_DAYS - 1))
    if since > until:
        raise BadFilter("The first day must not be after the last.")
    return {"country": country, "days": days, "until": until, "since": since}


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# Each part of the page is read on its own, so a CSV reads only what it shows.

def _progress(db, chosen):
    return funnel.progress_of(db, since=_start_of(chosen["since"]), until=_end_of(chosen["until"]), country=chosen["country"])


def _rates(db, chosen):
    return overview.dispute_rates(db, until=_end_of(chosen["until"]), days=chosen["days"], country=chosen["country"])


def _ages(db, chosen):
    return overview.negative_ages(db, now=min(_end_of(chosen["until"]), utcnow()), country=chosen["country"])


def _history(db, chosen):
    return states.state_history(db, since=chosen["since"], until=chosen["until"], country=chosen["country"])


def _money(db, chosen):
    return money_figures.money_per_day(db, since=chosen["since"], until=chosen["until"], country=chosen["country"])


CSV = {
    "onboarding-funnel": lambda db, chosen: funnel.stage_table(funnel.funnel(_progress(db, chosen))),
    "onboarding-weeks": lambda db, chosen: funnel.grouped_table("week_starting", funnel.by_week(_progress(db, chosen))),
    "onboarding-countries": lambda db, chosen: funnel.grouped_table("country", funnel.by_country(_progress(db, chosen))),
    "account-states": lambda db, chosen: states.history_table(_history(db, chosen)),
    "requirement-keys": lambda db, chosen: states.keys_table(states.requirement_keys(db, chosen["country"])),
    "dispute-rates": lambda db, chosen: overview.dispute_table(_rates(db, chosen)),
    "negative-balances": lambda db, chosen: overview.negative_table(_ages(db, chosen)),
    "paused-payouts": lambda db, chosen: money_figures.paused_table(money_figures.paused_payouts(db, chosen["country"])),
    "money": lambda db, chosen: money_figures.money_table(_money(db, chosen)),
}


def _figures(db, chosen: dict) -> dict:
    progress, accounts = _progress(db, chosen), states.snapshots(db, chosen["country"])
    stages = funnel.funnel(progress)
    wait, waited = funnel.median_wait(progress)
    return {
        "stages": stages, "drops": funnel.drops(stages), "weeks": funnel.by_week(progress),
        "by_country": funnel.by_country(progress), "wait": funnel.in_words(wait), "waited": waited,
        "states_now": states.current_states(accounts), "history": _history(db, chosen),
        "backlog": states.backlog(accounts, utcnow()), "keys": states.key_counts(accounts),
        "rates": _rates(db, chosen), "ages": _ages(db, chosen),
        "paused": money_figures.paused_payouts(db, chosen["country"]),
        "money": _money(db, chosen), "awaiting": money_figures.awaiting_approval(db, chosen["country"]),
        "countries": overview.countries(db),
    }


def _charts(chosen: dict, figures: dict) -> dict:
    signed_up = figures["stages"][0].count
    span = f"{chosen['since'].isoformat()} to {chosen['until'].isoformat()}"
    state_words = [HEADLINES[state] for state in states.STATES]
    money = money_figures.by_currency(figures["money"])
    return {
        "funnel_chart": bar_chart(
            "funnel-chart", f"Onboarding funnel, sign-ups {span}",
            [Bar(stage.words, stage.count, f"{stage.count} ({_share(stage.count, signed_up)} of sign-ups)")
             for stage in figures["stages"]], label_width=FUNNEL_LABEL_WIDTH),
        "states_chart": stacked_chart(
            "states-chart", f"Accounts by state per day, {span}", state_words,
            [(day.isoformat(), [counts[state.value] for state in states.STATES]) for day, counts in figures["history"][-CHART_DAYS:]]),
        "keys_chart": bar_chart(
            "keys-chart", "Requirements most often due or failing (accounts)",
            [Bar(row.path, row.due + row.failing, f"{row.due} due, {row.failing} failing") for row in figures["keys"][:CHART_ROWS]],
            label_width=KEY_LABEL_WIDTH),
        "disputes_chart": bar_chart(
            "disputes-chart", f"Dispute rate per seller, {chosen['days']} days to {chosen['until'].isoformat()}",
            [Bar(row.stripe_account_id, row.rate * 100, f"{row.rate * 100:.2f}% ({row.disputes} of {row.charges})")
             for row in figures["rates"][:CHART_ROWS]],
            line=EXCESSIVE_DISPUTE_RATE * 100, line_label="0.75% excessive"),
        "ages_chart": bar_chart(
            "ages-chart", "Negative balances by age (days)",
            [Bar(row.stripe_account_id, row.days, f"{row.days} days")
             for row in sorted(figures["ages"], key=lambda r: -r.days)[:CHART_ROWS]],
            line=RESERVE_AFTER_DAYS, line_label=f"{RESERVE_AFTER_DAYS} days: the reserve pays"),
        "money_charts": [
            (currency,
             bar_chart(f"volume-{currency}", f"Charge volume per day in {currency.upper()}, {span}",
                       [Bar(day.day.isoformat(), day.volume, f"{format_money(day.volume, currency)} ({_count(day.charges, 'charge')})")
                        for day in days[-CHART_DAYS:]]),
             bar_chart(f"payouts-{currency}", f"Payouts per day in {currency.upper()}, {span}",
                       [Bar(day.day.isoformat(), day.paid_out, f"{format_money(day.paid_out, currency)} ({_count(day.payouts, 'payout')}"
                            + (f", {day.failed_payouts} failed" if day.failed_payouts else "") + ")")
                        for day in days[-CHART_DAYS:]]))
            for currency, days in list(money.items())[:3]],
    }


@staff_required(*RISK)
async def overview_page(request: Request):
    try:
        chosen = filters(request.query_params)
    except BadFilter as problem:
        return render(request, "staff/overview.html", {"error": str(problem), "chosen": None, "countries": [],
                                                       "windows": overview.WINDOWS}, 400)
    figures = await run_in_threadpool(_figures, request.app.state.db, chosen)
    return render(request, "staff/overview.html", {
        **figures, **_charts(chosen, figures), "chosen": chosen, "windows": overview.WINDOWS,
        "signed_up": figures["stages"][0].count, "share": _share, "query": request.url.query,
        "excessive": [row for row in figures["rates"] if row.excessive], "states": states.STATES, "headlines": HEADLINES,
        "waiting_states": [HEADLINES[state] for state in states.WAITING], "reserve_days": RESERVE_AFTER_DAYS,
        "verified_state": State.verified,
    })


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _share(count: int, whole: int) -> str:
    return f"{count / whole:.0%}" if whole else "0%"


@staff_required(*RISK)
async def overview_csv(request: Request):
    table = CSV.get(request.path_params["table"])
    if table is None:
        raise HTTPException(404)
    try:
        chosen = filters(request.query_params)
    except BadFilter as problem:
        return Response(str(problem) + "\n", status_code=400, media_type="text/plain")
    header, rows = await run_in_threadpool(table, request.app.state.db, chosen)
    return Response(overview.as_csv(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{request.path_params["table"]}.csv"',
                             "cache-control": "no-store"})


routes = [
    Route("/overview", overview_page, name="overview"),
    Route("/overview/{table}.csv", overview_csv, name="overview_csv"),
]
