"""The poller's settings as one value: what a console, a bench or a test changes, in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

from bulktui.api.models import ApiUsage

MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0


class BudgetLike(Protocol):
    """Decides whether the poller may spend ``n`` requests for a purpose ("list", "live",
    "backfill", "names"), and hears what was spent. Live jobs and actions are never held back:
    the poller asks only for the listing, the back-fill and user names."""

    def allow(self, purpose: str, n: int) -> bool: ...

    def spent(self, purpose: str, n: int) -> None: ...

    def observe_usage(self, usage: ApiUsage | None) -> None:
        """The org's usage from the last ``Sforce-Limit-Info`` (after every cycle)."""
        ...

    def compact(self, *, short: bool = False) -> str:
        """A few words for the header: "us 420/469 an hour" (", slowed" past the budget);
        ``short``: "us 420/469/h" for a narrow header."""
        ...

    @property
    def slowed(self) -> bool:
        """The org is past 80% of its daily limit: watching at the minimum."""
        ...

    def words(self) -> str:
        """The header's words for what was spent and the org's usage."""
        ...


def clamp_interval(seconds: float) -> float:
    return min(MAX_INTERVAL, max(MIN_INTERVAL, float(seconds)))


def interval_problem(seconds: float | None) -> str | None:
    """Why ``--interval`` cannot be used (one line), or None. Asked for, a value out of range
    is refused rather than quietly clamped (``nan`` and ``inf`` included): the user would
    otherwise watch at a pace they did not choose. The ``+``/``-`` keys clamp."""
    if seconds is None or not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        return f"--interval must be between {MIN_INTERVAL:g} and {MAX_INTERVAL:,.0f} seconds"
    return None


@dataclass(frozen=True, slots=True)
class PollerConfig:
    interval: float = 5.0  # seconds between cycle starts (clamped to 1 s … 1 h)
    concurrency: int = 4  # per-job GETs in flight at once
    job_backoff_cycles: int = 12  # a quiet live job is read at least every this many cycles
    job_backoff_seconds: float = 60.0  # … and at least this often
    fault_backoff_max: float = 60.0  # failing cycles retry at interval × 2ⁿ up to this
    stale_after_failures: int = 3  # failed cycles in a row before the link is stale
    stale_after_seconds: float = 60.0  # data older than this is stale whatever the cause
    quota_probe_seconds: float = 300.0  # the org's API limit: check again this rarely
    auth_retry_seconds: float = 300.0  # a session that cannot be renewed: try this rarely
    backfill_per_cycle: int = 250  # ended jobs read for their counts per cycle, at most
    select_delay: float = 0.2  # let a fast-moving cursor settle before reading its job
    batch_cache_size: int = 32  # selected jobs whose batch lists are kept
    slow_reply_seconds: float = 2.0  # the quickest reply of a cycle this slow: degraded
    budget: BudgetLike | None = None  # e.g. core.budget.ApiBudget; None: no budget
    full_listing_seconds: float = 600.0  # a many-page listing is read in full this often
    listing_floor_seconds: float = 30.0  # a listing at least this often, whatever the budget

    def __post_init__(self) -> None:
        object.__setattr__(self, "interval", clamp_interval(self.interval))
        object.__setattr__(self, "concurrency", max(1, self.concurrency))
        object.__setattr__(self, "job_backoff_cycles", max(1, self.job_backoff_cycles))
        object.__setattr__(self, "backfill_per_cycle", max(1, self.backfill_per_cycle))
        object.__setattr__(self, "batch_cache_size", max(1, self.batch_cache_size))

    def with_interval(self, seconds: float) -> PollerConfig:
        return dataclasses.replace(self, interval=seconds)
