"""GET /staff/overview: dispute rates over a rolling window and negative balances by age, each a
chart, a table and a CSV, filtered by country and by the date the window ends. Read from the
mirror; risk staff only, like the negative-balances list."""

from datetime import UTC, date, datetime, time, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.connect.negative_balances import RESERVE_AFTER_DAYS
from portal.db import utcnow
from portal.staff import overview
from portal.staff.auth import staff_required
from portal.staff.charts import Bar, bar_chart
from portal.staff.pages import RISK
from portal.staff.search import EXCESSIVE_DISPUTE_RATE
from portal.web import render

FUNNEL_DAYS = 90  # the funnel's default span of sign-ups
CHART_ROWS = 25  # the worst ones; the table and the CSV have every row


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
    last day of every figure), since (a date: the first sign-up day the funnel counts)."""
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
    since = _day(query, "since", until - timedelta(days=FUNNEL_DAYS - 1))
    if since > until:
        raise BadFilter("The first day must not be after the last.")
    return {"country": country, "days": days, "until": until, "since": since}


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _figures(db, chosen: dict) -> dict:
    rates = overview.dispute_rates(db, until=_end_of(chosen["until"]), days=chosen["days"], country=chosen["country"])
    ages = overview.negative_ages(db, now=min(_end_of(chosen["until"]), utcnow()), country=chosen["country"])
    stages = overview.onboarding_funnel(db, since=_end_of(chosen["since"]) - timedelta(days=1), until=_end_of(chosen["until"]),
                                        country=chosen["country"])
    return {"rates": rates, "ages": ages, "funnel": stages, "countries": overview.countries(db)}


@staff_required(*RISK)
async def overview_page(request: Request):
    try:
        chosen = filters(request.query_params)
    except BadFilter as problem:
        return render(request, "staff/overview.html", {"error": str(problem), "chosen": None, "countries": [],
                                                       "windows": overview.WINDOWS}, 400)
    figures = await run_in_threadpool(_figures, request.app.state.db, chosen)
    rates, ages, stages = figures["rates"], figures["ages"], figures["funnel"]
    signed_up = stages[0][2]
    funnel_chart = bar_chart(
        "funnel-chart", f"Onboarding funnel, sign-ups {chosen['since'].isoformat()} to {chosen['until'].isoformat()}",
        [Bar(words, count, f"{count} ({_share(count, signed_up)} of sign-ups)") for _, words, count in stages])
    disputes_chart = bar_chart(
        "disputes-chart", f"Dispute rate per seller, {chosen['days']} days to {chosen['until'].isoformat()}",
        [Bar(row.stripe_account_id, row.rate * 100, f"{row.rate * 100:.2f}% ({row.disputes} of {row.charges})")
         for row in rates[:CHART_ROWS]],
        line=EXCESSIVE_DISPUTE_RATE * 100, line_label="0.75% excessive")
    ages_chart = bar_chart(
        "ages-chart", "Negative balances by age (days)",
        [Bar(row.stripe_account_id, row.days, f"{row.days} days") for row in sorted(ages, key=lambda r: -r.days)[:CHART_ROWS]],
        line=RESERVE_AFTER_DAYS, line_label=f"{RESERVE_AFTER_DAYS} days: the reserve pays")
    return render(request, "staff/overview.html", {
        "chosen": chosen, "countries": figures["countries"], "windows": overview.WINDOWS, "rates": rates, "ages": ages,
        "disputes_chart": disputes_chart, "funnel_chart": funnel_chart, "stages": stages, "signed_up": signed_up,
        "share": _share, "ages_chart": ages_chart, "query": request.url.query,
        "excessive": [row for row in rates if row.excessive],
    })


def _share(count: int, whole: int) -> str:
    return f"{count / whole:.0%}" if whole else "0%"


async def _csv(request: Request, name: str, table) -> Response:
    try:
        chosen = filters(request.query_params)
    except BadFilter as problem:
        return Response(str(problem) + "\n", status_code=400, media_type="text/plain")
    figures = await run_in_threadpool(_figures, request.app.state.db, chosen)
    header, rows = table(figures)
    return Response(overview.as_csv(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}.csv"', "cache-control": "no-store"})


@staff_required(*RISK)
async def disputes_csv(request: Request):
    return await _csv(request, "dispute-rates", lambda figures: overview.dispute_table(figures["rates"]))


@staff_required(*RISK)
async def negative_csv(request: Request):
    return await _csv(request, "negative-balances-by-age", lambda figures: overview.negative_table(figures["ages"]))


@staff_required(*RISK)
async def funnel_csv(request: Request):
    return await _csv(request, "onboarding-funnel", lambda figures: (
        ["stage", "sellers"], [[stage, count] for stage, _, count in figures["funnel"]]))


routes = [
    Route("/overview", overview_page, name="overview"),
    Route("/overview/dispute-rates.csv", disputes_csv, name="overview_disputes_csv"),
    Route("/overview/negative-balances.csv", negative_csv, name="overview_negative_csv"),
    Route("/overview/onboarding-funnel.csv", funnel_csv, name="overview_funnel_csv"),
]
