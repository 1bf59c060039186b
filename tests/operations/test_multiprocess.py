"""`portal serve --workers 2` in Stripe mode: each process counts in its own file under
PROMETHEUS_MULTIPROC_DIR and a scrape of either adds them all up."""

import json
import os
import shutil
import subprocess
import sys
import time

import httpx
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from portal.cli import fresh_metrics_dir
from portal.operations.metrics import exposition
from portal.settings import Settings
from portal.sandbox.webhooks import signature_header
from tests.conftest import eventually, free_port
from tests.operations.scrape import TOKEN, parse, value

SECRET = "whsec_multiprocess_secret"
EVENTS = 24


def _event(n: int) -> str:
    return json.dumps({"id": f"evt_mp_{n}", "object": "event", "type": "customer.created", "created": int(time.time()),
                       "livemode": False, "data": {"object": {"id": f"cus_{n}", "object": "customer"}}, "account": None})


def _received(counter_file, alone) -> float:
    alone.mkdir()
    shutil.copy(counter_file, alone / counter_file.name)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, str(alone))
    return value(parse(generate_latest(registry).decode()), "portal_webhook_events_received_total")


def test_a_scrape_adds_up_what_each_process_counted(tmp_path, db):
    """Deterministic: two processes count, this one (not in multiprocess mode itself) adds up."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    script = "from portal.operations import counters; counters.sign_in_refused('throttled'); counters.SIGN_INS.inc(3)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60,
                       env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    samples = parse(exposition(db, str(folder)).decode())
    assert value(samples, "portal_sign_ins_total") == 6
    assert value(samples, "portal_sign_in_lockouts_total") == 2
    assert value(samples, "portal_sign_in_failures_total", outcome="throttled") == 2
    assert value(samples, "portal_webhook_queue_depth", state="waiting") == 0  # the database's gauges beside them


def test_several_workers_add_up_their_counts(tmp_path):
    port, metrics_dir = free_port(), tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"left by an earlier run")
    env = {**os.environ, "PORTAL_VAR_DIR": str(tmp_path), "STRIPE_SECRET_KEY": "sk_test_multiprocess",
           "STRIPE_PUBLISHABLE_KEY": "pk_test_multiprocess", "STRIPE_WEBHOOK_SECRET": SECRET,
           "SECRET_KEY": "multiprocess-secret-key", "PUBLIC_URL": f"http://127.0.0.1:{port}", "METRICS_TOKEN": TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def up():
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        assert eventually(up, timeout=90), "portal serve --workers 2 did not start"
        assert not (metrics_dir / "counter_99999.db").exists()  # an earlier run's counts are not added
        for n in range(EVENTS):  # a connection each: the kernel shares them among the workers
            body = _event(n)
            answer = httpx.post(f"http://127.0.0.1:{port}/webhooks/stripe", content=body, timeout=10, headers={
                "Stripe-Signature": signature_header(SECRET, body, int(time.time())), "Content-Type": "application/json"})
            assert answer.status_code == 200
        counted = []
        for _ in range(8):
            answer = httpx.get(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            assert answer.status_code == 200, (answer.status_code, answer.text[:300])
            counted.append(value(parse(answer.text), "portal_webhook_events_received_total", type="customer.created"))
        assert counted == [EVENTS] * 8
        # Both workers write their own file, and what each counted adds up to what a scrape says.
        per_worker = {path.name: _received(path, tmp_path / path.stem) for path in metrics_dir.glob("counter_*.db")}
        assert len(per_worker) == 2 and sum(per_worker.values()) == EVENTS, per_worker
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_only_prometheus_clients_files_are_emptied_at_start(tmp_path):
    """A folder shared by mistake (PROMETHEUS_MULTIPROC_DIR=var) loses its metrics files, never the database."""
    for name in ("counter_1.db", "histogram_2.db", "gauge_livesum_3.db", "portal.db", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    settings = Settings(PORTAL_VAR_DIR=tmp_path, prometheus_multiproc_dir=str(tmp_path))
    assert fresh_metrics_dir(settings) == tmp_path
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt", "portal.db"]
