"""Optional OpenTelemetry tracing: when OTEL_EXPORTER_OTLP_ENDPOINT is set, every request is a span
(opentelemetry-instrumentation-starlette) and every Stripe call a child span (the Stripe door
makes them), sent to that OTLP collector; the exporter reads the other OTEL_* variables itself.

Nothing sensitive leaves in a span: the exporter sees each span only after `scrubbed`, which cuts
query strings off URLs, takes link tokens out of paths and secrets out of every value (the log
redactor's rules), keeps only the type of an exception (its message and traceback can quote what
a seller typed) and a status description only when it is a plain word."""

import re

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.starlette import StarletteInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from starlette.applications import Starlette

from portal.logs import Redactor, link_token_paths, secret_values

# Attributes that hold a URL or its parts (old and new semantic conventions).
URL_ATTRIBUTES = frozenset({"http.url", "http.target", "url.full", "url.path", "url.query"})
PLAIN_WORD = re.compile(r"[\w.\-]{1,64}")


def scrubbed(span: ReadableSpan, redact: Redactor) -> ReadableSpan:
    def value(key, item):
        if not isinstance(item, str):
            return item
        if key == "url.query":
            return "[redacted]"
        return redact(item.split("?", 1)[0] if key in URL_ATTRIBUTES else item)

    def attributes(given):
        return {key: value(key, item) for key, item in (given or {}).items()}

    events = [Event("exception", {"exception.type": (event.attributes or {}).get("exception.type", "")},
                    event.timestamp) if event.name == "exception" else Event(event.name, attributes(event.attributes),
                                                                              event.timestamp)
              for event in span.events]
    description = span.status.description or ""
    status = Status(span.status.status_code, description if PLAIN_WORD.fullmatch(description) else None)
    return ReadableSpan(
        name=redact(span.name), context=span.context, parent=span.parent, resource=span.resource,
        attributes=attributes(span.attributes), events=events, links=span.links, kind=span.kind, status=status,
        start_time=span.start_time, end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingExporter(SpanExporter):
    def __init__(self, exporter: SpanExporter, redact: Redactor):
        self.exporter, self.redact = exporter, redact

    def export(self, spans) -> SpanExportResult:
        return self.exporter.export([scrubbed(span, self.redact) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def tracer_provider(settings, app: Starlette, *, exporter: SpanExporter | None = None) -> TracerProvider | None:
    """This app's tracer provider when an OTLP endpoint is set (`exporter` stands in for OTLP in
    tests), with the app's requests instrumented; None when tracing is off. Each app has its own
    provider (none is installed process-wide), so the Stripe door is handed its tracer."""
    if not settings.otel_exporter_otlp_endpoint and exporter is None:
        return None
    redact = Redactor(secret_values(settings), link_token_paths(app.routes))
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "seller-portal"}))
    provider.add_span_processor(BatchSpanProcessor(ScrubbingExporter(exporter or OTLPSpanExporter(), redact)))
    StarletteInstrumentor.instrument_app(app, tracer_provider=provider)
    return provider
