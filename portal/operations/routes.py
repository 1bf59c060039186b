"""The operators' routes, beside /healthz (portal/home.py): readiness and Prometheus's scrape.
Neither is a seller route (accounts/gate.py NOT_SELLER)."""

from starlette.routing import Route

from portal.operations.health import readyz
from portal.operations.metrics import metrics

routes = [
    Route("/readyz", readyz, name="readyz"),
    Route("/metrics", metrics, name="metrics"),
]
