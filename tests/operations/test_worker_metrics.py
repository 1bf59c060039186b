"""`portal worker --metrics-port` serves the worker's own counters on a port of its own, behind the
same bearer token as the web's /metrics: a real worker process, scraped as Prometheus would."""

import os
import subprocess
import sys
import time

import httpx

from tests.conftest import free_port
from tests.operations.scrape import TOKEN, parse


def _scrape(url: str, deadline: float, **headers) -> httpx.Response:
    while True:
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_worker_counts_its_passes_on_its_own_metrics_port(tmp_path):
    port = free_port()
    env = {**os.environ, "PORTAL_VAR_DIR": str(tmp_path), "METRICS_TOKEN": TOKEN}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    worker = subprocess.Popen([sys.executable, "-m", "portal", "worker", "--interval", "3600", "--metrics-port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline = f"http://127.0.0.1:{port}/metrics", time.monotonic() + 60
        refused = _scrape(url, deadline)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert _scrape(f"http://127.0.0.1:{port}/other", deadline).status_code == 404
        while True:  # the first pass runs at start; its count lands when it ends
            answer = _scrape(url, deadline, Authorization=f"Bearer {TOKEN}")
            assert answer.status_code == 200
            passes = parse(answer.text)[("portal_scheduled_passes_total", (("outcome", "ok"),))]
            if passes or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert passes == 1
        assert "portal_scheduled_pass_seconds_bucket" in answer.text and "portal_staff_alerts_opened" in answer.text
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert f"metrics on http://127.0.0.1:{port}/metrics" in output
    assert "0 staff alert(s) opened" in output
