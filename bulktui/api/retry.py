"""When and how long to wait before retrying a transient failure.

Exponential back-off with *full jitter* (a random delay between 0 and the exponential cap), so
many clients that failed together do not retry together. A total time budget bounds the whole
exchange: a console must report "the org is unreachable" in seconds, not retry for minutes.
``sleep``, ``random`` and ``clock`` are injectable so tests run instantly and deterministically.
"""

from __future__ import annotations

import asyncio
import math
import random as _random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # attempts in all, the first one included
    base_delay: float = 0.5  # seconds; the cap for retry n is base_delay * 2**(n-1)
    max_delay: float = 8.0  # no single wait is longer than this (Retry-After excepted)
    total_budget: float = 30.0  # seconds from the first attempt; no retry starts after it
    # Wall-clock seconds a whole exchange may take: attempts, waits and reading every body.
    # Read timeouts are between chunks, so without this a server trickling a byte every 20 s
    # holds a request forever. Big enough for a 64 MiB body at about 1 MB/s.
    exchange_deadline: float = 120.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    random: Callable[[], float] = field(default=_random.random, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """The wait before retry number ``retry`` (1-based). Full jitter, but never sooner
        than the server asked for with Retry-After."""
        cap = min(self.max_delay, self.base_delay * (2 ** (retry - 1)))
        wait: float = self.random() * cap
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    @classmethod
    def none(cls) -> RetryPolicy:
        """A single attempt: no retries at all."""
        return cls(max_attempts=1)


_DELTA_SECONDS = re.compile(r"[0-9]{1,9}", re.ASCII)  # "²".isdigit() is True; int() refuses it
MAX_RETRY_AFTER = 24 * 3600.0  # a longer wait is still longer than any budget


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    Anything else, however odd, is None (no opinion), never an exception."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER)
    if len(value) > 64:
        return None
    try:
        seconds = parsedate_to_datetime(value).timestamp() - now()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
