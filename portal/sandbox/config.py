"""Settings of one sandbox instance: identity, timing, webhook delivery quirks and faults."""

from dataclasses import dataclass, field

# The API version the sandbox speaks: the one the installed SDK was generated for.
API_VERSION = "2026-10-28.endive"


@dataclass
class FaultRule:
    """Answer a share of matching requests with a failure instead of the real response.

    `match` is a shell-style pattern over "METHOD /path" (e.g. "POST /v1/payouts",
    "* /v1/accounts/*"); `kind` is "500", "429", "delay" or "drop"; `count` limits the
    rule to that many hits (None = unlimited).
    """

    match: str
    kind: str
    rate: float = 1.0
    count: int | None = None
    delay: float = 1.0


@dataclass
class SandboxConfig:
    db_path: str = "var/sandbox.sqlite3"
    # The platform's own country: which sellers abroad it may create accounts for and pay
    # (country_specs.may_create, full_transfers_allowed).
    platform_country: str = "US"
    secret_keys: tuple[str, ...] = ("sk_test_sandbox",)
    publishable_key: str = "pk_test_sandbox"
    api_version: str = API_VERSION
    # Seconds before pending verification resolves (Stripe's test mode takes 3-68 s).
    verification_delay: float = 20.0
    # Seconds to wait before each retry of a failed webhook delivery; its length is the
    # number of retries. Stripe retries for up to three days with exponential backoff.
    webhook_retry_schedule: tuple[float, ...] = (5, 30, 300, 1800, 7200, 21600, 86400)
    webhook_timeout: float = 10.0
    # Share of deliveries sent twice, and whether a batch of due events goes out shuffled.
    webhook_duplicate_share: float = 0.0
    webhook_out_of_order: bool = False
    # With webhook_out_of_order, each delivery is held up to this many seconds at random.
    webhook_reorder_window: float = 1.0
    # How often the background ticker runs the modules' delayed work.
    tick_interval: float = 1.0
    faults: list[FaultRule] = field(default_factory=list)
