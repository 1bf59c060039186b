"""GET /metrics: Prometheus's scrape, behind a bearer token (METRICS_TOKEN; without it, a 404).

The counters (counters.py) come from this process, or from every process's files when
PROMETHEUS_MULTIPROC_DIR is set, so a scrape of any one adds them all up; what the database
already knows (the applier's queue, the mail outbox) is read from it at each scrape."""

import hmac
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from socketserver import ThreadingMixIn

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from portal.db import Database, utcnow
from portal.integrations.mail import outbox_backlog
from portal.operations.counters import REGISTRY
from portal.webhooks.models import UNAPPLIED, StripeEvent


class FromTheDatabase:
    """Gauges read at scrape: the applier's queue and the mail outbox, the same from any process."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self):
        now = utcnow()
        queue = GaugeMetricFamily("portal_webhook_queue_depth", "Stored events not yet applied, waiting (first "
                                  "try) or failed (waiting for their retry)", labels=["state"])
        waiting = {"": 0, "failed": 0}
        with self.db.read() as session:
            rows = session.execute(select(StripeEvent.outcome, func.count()).where(StripeEvent.outcome.in_(UNAPPLIED))
                                   .group_by(StripeEvent.outcome)).all()
        waiting.update({outcome: count for outcome, count in rows})
        queue.add_metric(["waiting"], waiting[""])
        queue.add_metric(["failed"], waiting["failed"])
        yield queue
        backlog = outbox_backlog(self.db)
        yield GaugeMetricFamily("portal_mail_outbox_backlog", "Messages waiting to be sent", value=backlog.waiting)
        yield GaugeMetricFamily("portal_mail_outbox_given_up", "Messages no longer retried after every attempt failed",
                                value=backlog.given_up)
        oldest = (now - backlog.oldest_waiting).total_seconds() if backlog.oldest_waiting else 0.0
        yield GaugeMetricFamily("portal_mail_outbox_oldest_seconds", "Age of the oldest message waiting to be sent",
                                value=max(0.0, oldest))


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def exposition(db: Database, multiprocess_dir: str) -> bytes:
    registry = CollectorRegistry()
    registry.register(MultiProcessCollector(None, multiprocess_dir) if multiprocess_dir else _ThisProcess())
    registry.register(FromTheDatabase(db))
    return generate_latest(registry)


async def metrics(request: Request):
    """Prometheus's scrape. Without METRICS_TOKEN the page does not exist; with it, the scraper
    sends it as a bearer token (`authorization` in Prometheus's scrape config)."""
    token = request.app.state.settings.metrics_token
    if token is None:
        raise HTTPException(404)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token.get_secret_value()}".encode()):
        return Response("A bearer token is required.\n", status_code=401, headers={"www-authenticate": "Bearer"},
                        media_type="text/plain")
    body = await run_in_threadpool(exposition, request.app.state.db, request.app.state.settings.prometheus_multiproc_dir)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # a scrape every few seconds is not worth a log line
        pass


def serve_worker_metrics(host: str, port: int, token: str | None) -> WSGIServer:
    """`portal worker`'s own scrape, on a port of its own (loopback unless told otherwise), in a
    thread beside the passes: this process's counters (its Stripe calls, passes, alerts opened,
    mail sent). With METRICS_TOKEN set it wants the same bearer token as the web's /metrics. The
    database's gauges (queue, outbox) are the web's /metrics' to give, not repeated here."""
    registry = CollectorRegistry()
    registry.register(_ThisProcess())
    scrape = make_wsgi_app(registry)
    wanted = f"Bearer {token}".encode() if token else None

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found.\n"]
        if wanted is not None and not hmac.compare_digest(environ.get("HTTP_AUTHORIZATION", "").encode(), wanted):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"A bearer token is required.\n"]
        return scrape(environ, start_response)

    server = make_server(host, port, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
