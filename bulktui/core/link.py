"""How current the poller's data is: the link state, the problem in words, and how long to
wait after a failed cycle.

Three kinds of fault matter (``faults.classify``): transient (keep the data, retry at
interval × 2ⁿ), quota (probe slowly), authentication (stop, retry rarely so the login
endpoint is not flooded). A cycle that succeeded in part, or whose quickest answer was slow,
is degraded: the user reads that the data may lag, in words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bulktui.core.clock import Clock, seconds_between
from bulktui.core.config import PollerConfig
from bulktui.core.faults import FaultKind, classify, describe, problem_text
from bulktui.core.snapshot import LinkState
from bulktui.text import counted

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Tally:
    """Per-job requests of one cycle (or one round between cycles) and how many failed."""

    attempted: int = 0
    failed: int = 0
    last_error: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        self.failed += 1
        self.last_error = error


class LinkHealth:
    def __init__(self, config: PollerConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self.state = LinkState.LIVE
        self.problem: str | None = None
        self.fetched_at: datetime | None = None  # when the last good cycle began
        self.failures = 0  # failed cycles in a row
        self.fault_delay: float | None = None  # overrides the interval while failing

    def configure(self, config: PollerConfig) -> None:
        self._config = config

    @property
    def failing(self) -> bool:
        return self.fault_delay is not None

    def succeeded(
        self,
        tally: Tally,
        start: datetime,
        fastest: float | None,
        interval: float,
        retried: tuple[int, str | None] = (0, None),
    ) -> None:
        # The data is at least as fresh as the cycle's start; on a slow link the job list is
        # seconds older than the cycle's end, and the header's age must not flatter it.
        self.fetched_at = start
        self.failures = 0
        self.fault_delay = None
        if tally.failed and tally.last_error is not None:
            self.state = LinkState.DEGRADED
            self.problem = (
                f"{tally.failed} of {tally.attempted} job requests failed "
                f"({describe(tally.last_error)}); they are retried next cycle."
            )
        elif retried[0]:
            count, why = retried
            self.state = LinkState.DEGRADED
            self.problem = (
                f"{counted(count, 'requests')} failed this refresh and "
                f"{'were' if count > 1 else 'was'} retried ({why}); the data is current, "
                "but the link is unreliable."
            )
        elif fastest is not None and fastest >= self._config.slow_reply_seconds:
            took = seconds_between(start, self._clock.now())
            self.state = LinkState.DEGRADED
            self.problem = (
                f"Salesforce is answering slowly: the quickest request took {fastest:.0f} s "
                f"and this refresh {took:.0f} s."
            )
        elif (took := seconds_between(start, self._clock.now())) > _late_after(interval):
            self.state = LinkState.DEGRADED
            self.problem = (
                f"Refreshes are running late: the last one took {took:.0f} s "
                f"for a {interval:.0f} s interval; the data may lag behind."
            )
        else:
            self.state = LinkState.LIVE
            self.problem = None

    def failed(self, error: BaseException, interval: float, cycle: int) -> None:
        config = self._config
        kind = classify(error)
        self.failures += 1
        if kind is FaultKind.QUOTA:
            delay = config.quota_probe_seconds
        elif kind is FaultKind.AUTH:
            delay = config.auth_retry_seconds
        else:
            delay = min(interval * 2**self.failures, max(config.fault_backoff_max, interval))
        self.fault_delay = delay
        age = self.age()
        stale = (
            kind is FaultKind.AUTH
            or self.failures >= config.stale_after_failures
            or (age is not None and age >= config.stale_after_seconds)
        )
        self.state = LinkState.STALE if stale else LinkState.DEGRADED
        self.problem = problem_text(kind, error, delay)
        log.warning("poller cycle %d failed: %s", cycle, describe(error))

    def age(self) -> float | None:
        """Seconds since the last good cycle began; None before the first."""
        if self.fetched_at is None:
            return None
        return seconds_between(self.fetched_at, self._clock.now())

    def overdue(self, running_since: datetime | None, interval: float) -> float | None:
        """Seconds the cycle running now has taken, when that is late; else None."""
        if running_since is None:
            return None
        running = seconds_between(running_since, self._clock.now())
        return running if running > _late_after(interval) else None

    def current_problem(
        self,
        running_since: datetime | None,
        interval: float,
        retrying: tuple[int, str | None] = (0, None),
    ) -> str | None:
        """The problem in words. ``retrying``: failed attempts of the requests in flight now
        (a refresh, the selected job), being retried, and the last reason
        (``BulkClient.retries_since``)."""
        running = self.overdue(running_since, interval)
        if running is not None and self.state is not LinkState.STALE:
            return (
                f"The refresh running now has taken {running:.0f} s "
                f"(the interval is {interval:.0f} s); the data may lag behind."
            )
        if self._retrying_now(retrying):
            count, why = retrying
            # Said at the first failed attempt: a dead network refuses at once, but five
            # attempts with their pauses take seconds before the poller gives up.
            return (
                f"A request failed and is being retried ({why}); "
                f"{counted(count, 'failed attempts')} so far."
            )
        return self.problem

    def _retrying_now(self, retrying: tuple[int, str | None]) -> bool:
        """Requests in flight are being retried while the link looked live: not "live"."""
        return retrying[0] > 0 and self.state is LinkState.LIVE

    def effective(
        self,
        paused: bool,
        running_since: datetime | None = None,
        interval: float = 0.0,
        retrying: tuple[int, str | None] = (0, None),
    ) -> LinkState:
        if paused:
            return LinkState.PAUSED
        age = self.age()
        if self._retrying_now(retrying):
            return LinkState.DEGRADED
        if self.overdue(running_since, interval) is not None and self.state is LinkState.LIVE:
            # A hung exchange must not leave "live" up: degraded, then stale with age.
            if age is not None and age >= self._config.stale_after_seconds:
                return LinkState.STALE
            return LinkState.DEGRADED
        # A slow retry (quota probe) can leave "degraded" up for minutes: age decides too.
        stale_by_age = age is not None and age >= self._config.stale_after_seconds
        if self.state is LinkState.DEGRADED and stale_by_age:
            return LinkState.STALE
        return self.state


def _late_after(interval: float) -> float:
    """A cycle is late once it has taken two intervals (and at least 10 s: a 1 s interval
    on a distant org is not a fault)."""
    return max(2 * interval, 10.0)
