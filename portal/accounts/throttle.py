"""Failed sign-in and mail-sending limits, per account and per address.

Counters live in the `limits` storage named by RATE_LIMIT_STORAGE: memory for one process,
Redis when several processes serve the portal."""

import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond, storage, strategies


@dataclass(frozen=True)
class Rule:
    scope: str
    amount: int
    seconds: int


class Throttle:
    def __init__(self, storage_uri: str):
        self.limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def blocked(self, rule: Rule, key: str) -> int:
        """Seconds until `key` may try again under `rule`; 0 when it may now."""
        item = RateLimitItemPerSecond(rule.amount, rule.seconds)
        if self.limiter.test(item, rule.scope, key):
            return 0
        reset_at, _ = self.limiter.get_window_stats(item, rule.scope, key)
        return max(1, int(reset_at - time.time()))

    def hit(self, rule: Rule, key: str) -> None:
        self.limiter.hit(RateLimitItemPerSecond(rule.amount, rule.seconds), rule.scope, key)

    def clear(self, rule: Rule, key: str) -> None:
        self.limiter.clear(RateLimitItemPerSecond(rule.amount, rule.seconds), rule.scope, key)

