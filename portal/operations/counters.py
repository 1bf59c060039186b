"""The portal's counters and histograms, counted where things happen: the Stripe door, the webhook
endpoint and applier, the mailer, sign-in. Labels come from our code (resource and method names,
event types Stripe signed, outcomes), never from what a request sends, so they stay few.

With several processes (`portal serve --workers N`), PROMETHEUS_MULTIPROC_DIR names a folder where
each writes its own values; prometheus-client picks that mode when it is first imported."""

import functools
import time

from prometheus_client import CollectorRegistry, Counter, Histogram

# The metrics of this process, kept apart from prometheus-client's default registry.
REGISTRY = CollectorRegistry(auto_describe=True)
# Seconds: from Stripe's event `created` to applied can be minutes after an outage or a retry.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, float("inf"))

WEBHOOKS_RECEIVED = Counter(
    "portal_webhook_events_received", "Webhook deliveries by event type and what the endpoint did: "
    "stored, duplicate (already applied), other_mode (live/test mismatch, acknowledged), refused (bad signature or too large)",
    ["type", "outcome"], registry=REGISTRY)
WEBHOOKS_FINISHED = Counter(
    "portal_webhook_events_finished", "Stored events the applier finished, by type and outcome: applied, ignored, failed",
    ["type", "outcome"], registry=REGISTRY)
WEBHOOK_LAG = Histogram(
    "portal_webhook_event_lag_seconds", "From the event's `created` at Stripe to applied (or ignored) in the mirror",
    buckets=LAG_BUCKETS, registry=REGISTRY)
STRIPE_CALLS = Counter(
    "portal_stripe_calls", "Calls through the Stripe door by resource, method and outcome (ok, or the error kind)",
    ["resource", "method", "outcome"], registry=REGISTRY)
STRIPE_LATENCY = Histogram(
    "portal_stripe_call_seconds", "Duration of Stripe calls, the SDK's retries included", ["resource", "method"],
    registry=REGISTRY)
STRIPE_RATE_LIMITED = Counter(
    "portal_stripe_rate_limited", "HTTP 429 answers from Stripe, each attempt counted (retried ones too)",
    ["resource", "method"], registry=REGISTRY)
STRIPE_ATTEMPTS = Counter(
    "portal_stripe_http_attempts", "HTTP requests the SDK made to Stripe, retries included, by status class",
    ["resource", "method", "status"], registry=REGISTRY)
MAIL_SENT = Counter("portal_mail_sent", "Messages delivered over SMTP", registry=REGISTRY)
MAIL_FAILED = Counter("portal_mail_failures", "SMTP delivery attempts that failed (the message is retried)",
                      registry=REGISTRY)
SIGN_INS = Counter("portal_sign_ins", "Sellers signed in (every factor checked)", registry=REGISTRY)
SIGN_IN_FAILURES = Counter("portal_sign_in_failures", "Refused seller sign-in steps, by outcome", ["outcome"],
                           registry=REGISTRY)
LOCKOUTS = Counter("portal_sign_in_lockouts", "Sign-in attempts refused by the rate limit (password or code)",
                   registry=REGISTRY)
TWO_FACTOR_FAILURES = Counter("portal_two_factor_failures", "Second-factor codes refused, by outcome", ["outcome"],
                              registry=REGISTRY)
SCHEDULED_PASSES = Counter("portal_scheduled_passes", "Scheduled passes (`portal worker`, `portal sync`) by outcome: "
                           "ok, or failed (an account could not be read, or the pass raised)", ["outcome"], registry=REGISTRY)
PASS_SECONDS = Histogram("portal_scheduled_pass_seconds", "Duration of a scheduled pass",
                         buckets=(1, 5, 15, 30, 60, 120, 300, 900, float("inf")), registry=REGISTRY)
STAFF_ALERTS_OPENED = Counter("portal_staff_alerts_opened", "Staff alert thresholds crossed (one per crossing)", ["metric"],
                              registry=REGISTRY)

# Sign-in outcomes (security.SignInEvent.outcome) that are a lockout, and those of the second factor.
LOCKOUT_OUTCOMES = frozenset({"throttled", "code_throttled"})
SECOND_FACTOR_OUTCOMES = frozenset({"wrong_code", "replayed_code", "code_throttled"})


# The labelled counters of the webhook endpoint and applier, found once per (type, outcome): looking
# one up takes the metric's lock and builds its key, ~2 us, thousands of times a second on a busy
# endpoint. The types are Stripe's (signed events only), so the cache stays small.
@functools.lru_cache(maxsize=2048)
def _labelled(metric: Counter, event_type: str, outcome: str):
    return metric.labels(type=event_type, outcome=outcome)


def webhook_received(event_type: str, outcome: str) -> None:
    _labelled(WEBHOOKS_RECEIVED, event_type, outcome).inc()


def webhook_finished(event: dict, outcome: str, *, now: float | None = None) -> None:
    _labelled(WEBHOOKS_FINISHED, event["type"], outcome).inc()
    if outcome != "failed":
        WEBHOOK_LAG.observe(max(0.0, (now or time.time()) - event["created"]))


def stripe_call(resource: str, method: str, outcome: str, seconds: float) -> None:
    STRIPE_CALLS.labels(resource=resource, method=method, outcome=outcome).inc()
    STRIPE_LATENCY.labels(resource=resource, method=method).observe(seconds)


def stripe_attempt(resource: str, method: str, status: int | None) -> None:
    """One HTTP request of the SDK's: its status class (2xx, 4xx, 5xx), 429 apart, or no answer."""
    if status == 429:
        STRIPE_RATE_LIMITED.labels(resource=resource, method=method).inc()
    label = "429" if status == 429 else "no_response" if status is None else f"{status // 100}xx"
    STRIPE_ATTEMPTS.labels(resource=resource, method=method, status=label).inc()


def sign_in_refused(outcome: str) -> None:
    SIGN_IN_FAILURES.labels(outcome=outcome).inc()
    if outcome in LOCKOUT_OUTCOMES:
        LOCKOUTS.inc()
    if outcome in SECOND_FACTOR_OUTCOMES:
        TWO_FACTOR_FAILURES.labels(outcome=outcome).inc()


def scheduled_pass(outcome: str, seconds: float) -> None:
    SCHEDULED_PASSES.labels(outcome=outcome).inc()
    PASS_SECONDS.observe(seconds)
