"""Tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; when on, requests and Stripe calls are
spans, and nothing sensitive (link tokens, query strings, typed values, secrets) is in them."""

import re

import pytest
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.testclient import TestClient

from portal.app import create_app
from portal.db import Database
from tests.onboarding.flows import BANK, IDENTITY, PROFILE, onboard_individual


def _traced(app) -> bool:
    return any(middleware.cls is OpenTelemetryMiddleware for middleware in app.user_middleware)


def test_no_endpoint_no_tracing(settings):
    app = create_app(settings)
    assert app.state.tracer_provider is None and not _traced(app)


def test_an_endpoint_turns_tracing_on(settings):
    app = create_app(settings.model_copy(update={"otel_exporter_otlp_endpoint": "http://127.0.0.1:9"}))
    assert isinstance(app.state.tracer_provider, TracerProvider) and _traced(app)
    app.state.tracer_provider.shutdown()


@pytest.fixture
def traced(sandboxed_settings):
    """A sandboxed portal whose spans land in memory; they are read after it stops (flushed)."""
    spans = InMemorySpanExporter()
    Database(sandboxed_settings.database_url).migrate()
    app = create_app(sandboxed_settings, span_exporter=spans)
    return app, spans


def _text(span) -> str:
    values = [span.name, span.status.description or "", *map(str, (span.attributes or {}).values())]
    for event in span.events:
        values.extend(map(str, (event.attributes or {}).values()))
    return " ".join(values)


def test_requests_and_stripe_calls_are_spans_without_secrets(traced, inbox):
    app, exporter = traced
    with TestClient(app, base_url="http://testserver", client=("203.0.113.9", 50000)) as client:
        onboard_individual(client, inbox)
        links = [link for message in inbox.messages for link in re.findall(r"https?://\S+", message.get_content())]
        tokens = [link.rstrip("/").rsplit("/", 1)[1] for link in links]
        assert len(tokens) >= 2  # the sign-up confirmation and the business email's, each visited
        token = tokens[0]
        client.get(f"/account/reset-password/{token}?next=/status/&token=querytokenvalue123")
    spans = exporter.get_finished_spans()
    servers = [span for span in spans if span.kind.name == "SERVER"]
    stripe_calls = [span for span in spans if span.name.startswith("stripe ")]
    assert {"stripe account.create", "stripe account.update"} <= {span.name for span in stripe_calls}
    create = next(span for span in stripe_calls if span.name == "stripe account.create")
    assert create.attributes["stripe.resource"] == "account" and create.attributes["stripe.method"] == "create"
    # Each Stripe call is a child of the request that made it.
    parents = {span.context.span_id: span for span in spans}
    request = create
    while request.parent is not None and request.kind.name != "SERVER":
        request = parents[request.parent.span_id]
    assert request.kind.name == "SERVER" and request.attributes["http.method"] == "POST"
    assert any(span.attributes.get("http.target", "").startswith("/account/reset-password/") for span in servers)

    everything = " ".join(_text(span) for span in spans)
    for secret in [*tokens, "querytokenvalue123", "next=", BANK["account_number"], BANK["routing_number"],
                   IDENTITY["dob"], PROFILE["support_phone"], "sk_test_sandbox", "accs_secret_",
                   app.state.settings.secret_key.get_secret_value()]:
        assert secret not in everything, secret
