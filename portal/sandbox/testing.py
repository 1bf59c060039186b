"""Run a sandbox over real HTTP on loopback, for tests and scripts."""

import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import uvicorn

from portal.sandbox.app import Sandbox, create_sandbox
from portal.sandbox.config import SandboxConfig

START_TIMEOUT = 10.0


def fast_config(**overrides) -> SandboxConfig:
    """Settings for tests: verification resolves at once, retries come quickly."""
    defaults = dict(
        db_path=":memory:",
        verification_delay=0,
        webhook_retry_schedule=(0.05, 0.1, 0.2),
        webhook_timeout=2.0,
        tick_interval=0.2,
    )
    return SandboxConfig(**{**defaults, **overrides})


@contextlib.contextmanager
def serving(sandbox: Sandbox) -> Iterator[str]:
    """Serve `sandbox.asgi` with uvicorn in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(sandbox.asgi, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="sandbox-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.002)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@contextlib.contextmanager
def running_sandbox(config: SandboxConfig | None = None) -> Iterator[str]:
    """A fresh sandbox (own temporary database) with its threads, served on loopback."""
    with contextlib.ExitStack() as stack:
        config = config or fast_config()
        if config.db_path == ":memory:" or not config.db_path:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="sandbox-"))
            config = replace(config, db_path=str(Path(tmp) / "sandbox.sqlite3"))
        with running(create_sandbox(config)) as (sandbox, url):
            yield url


@contextlib.contextmanager
def running(sandbox: Sandbox) -> Iterator[tuple[Sandbox, str]]:
    """Start `sandbox`'s threads and serve it; yields (sandbox, base_url)."""
    sandbox.start()
    try:
        with serving(sandbox) as url:
            yield sandbox, url
    finally:
        sandbox.stop()
        sandbox.store.close()
