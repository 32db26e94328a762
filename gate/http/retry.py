"""Retry policy: which failures are retried, and how long to wait. Pure apart from the injected clock."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    retries: int  # retries after the first attempt
    budget_s: float  # all attempts and waits of one logical request
    max_retry_after_s: float  # cap on a server's Retry-After
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay(self, retry_number: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry `retry_number` (1-based): the server's ask, capped, or full jitter."""
        if retry_after_s is not None:
            return min(retry_after_s, self.max_retry_after_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (retry_number - 1))
        return rng.uniform(ceiling / 2, ceiling)
