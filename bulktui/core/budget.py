"""bulktui's own API budget: how many requests per hour it may spend watching an org.

The planner asks ``allow(purpose, n)`` before optional requests and reports every request it
made with ``spent(purpose, n)``. Purposes:

- ``live``: reading a job that can still change. Never refused (counted, though).
- ``list``: the job listings. Refused once the hour's budget is spent, except for a floor of
  ``MIN_PER_HOUR`` listing requests an hour; refused while the org is past ``SLOW_AT``. The
  listing keeps its own floor beyond that (``core.listing``: every 30 s), so a new job still
  shows up within a minute.
- ``backfill`` (reading an ended job once for its counts) and ``names`` (user names): only
  within ``DISCRETIONARY_SHARE`` of the budget, at most ``BURST_SHARE`` of it in any minute,
  and not at all while the org is past ``SLOW_AT`` of its daily limit.
- ``action``: close, abort, create. Never refused.

The default budget comes from the org's daily limit (``Sforce-Limit-Info: api-usage=u/l``);
the arithmetic is in docs/journal.md, "The API budget".
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from typing import Final

from bulktui.api.models import ApiUsage
from bulktui.core.clock import Clock

LIVE: Final = "live"
LIST: Final = "list"
BACKFILL: Final = "backfill"
NAMES: Final = "names"
ACTION: Final = "action"
PURPOSES: Final = (LIVE, LIST, BACKFILL, NAMES, ACTION)
NEVER_REFUSED: Final = frozenset({LIVE, ACTION})

FALLBACK_DAILY_LIMIT = 15_000  # Salesforce's smallest daily allowance, until the org says
ORG_SHARE = 0.25  # bulktui may use a quarter of the org's daily limit ...
WORKDAY_HOURS = 8  # ... spread over a working day of watching
MIN_PER_HOUR = 120  # the slow pace: one listing request every 30 s
MAX_DEFAULT_PER_HOUR = 2_000  # the default never exceeds this, however big the org
SLOW_AT = 0.8  # the org past 80% of its daily limit: slow to the minimum
DISCRETIONARY_SHARE = 0.75  # back-fill and names leave a quarter of the budget to listing
BURST_SHARE = 0.1  # back-fill and names: at most a tenth of the hour's budget in one minute
WINDOW_MINUTES = 60


def default_per_hour(usage: ApiUsage | None) -> int:
    """The hourly budget for an org with this daily usage/limit (None: not known yet)."""
    limit = usage.limit if usage is not None and usage.limit > 0 else FALLBACK_DAILY_LIMIT
    share = round(limit * ORG_SHARE / WORKDAY_HOURS)
    return max(MIN_PER_HOUR, min(MAX_DEFAULT_PER_HOUR, share))


def _count(n: int) -> str:
    return f"{n:,}"


class ApiBudget:
    """Requests per hour over a sliding hour of one-minute buckets (memory does not grow)."""

    def __init__(self, per_hour: int | None, clock: Clock) -> None:
        if per_hour is not None and per_hour < 1:
            raise ValueError("an API budget is at least 1 request per hour")
        self._chosen = per_hour  # --api-budget N, or None for the org-derived default
        self._clock = clock
        self._usage: ApiUsage | None = None
        self._minutes: dict[int, Counter[str]] = {}

    # ----------------------------------------------------------------------- inputs

    def observe_usage(self, usage: ApiUsage | None) -> None:
        """The org's own usage, from the last ``Sforce-Limit-Info`` seen."""
        if usage is not None and usage.limit > 0 and usage.used >= 0:
            self._usage = usage

    def spent(self, purpose: str, n: int = 1) -> None:
        if n <= 0:
            return
        minute = self._minute()
        self._trim(minute)
        self._minutes.setdefault(minute, Counter())[purpose] += n

    def allow(self, purpose: str, n: int = 1) -> bool:
        """Whether ``n`` more requests for ``purpose`` fit the budget now. Asking spends
        nothing: call ``spent`` for what was actually sent."""
        if purpose in NEVER_REFUSED or n <= 0:
            return True
        minute = self._minute()
        self._trim(minute)
        budget = self.per_hour
        total = self.spent_this_hour()
        if purpose == LIST:
            if self.slowed:
                return False  # the minimum: the listing's own floor (every 30 s) only
            listed = self.spent_this_hour(LIST)
            return total + n <= budget or listed + n <= MIN_PER_HOUR
        if self.slowed:
            return False
        if total + n > math.floor(budget * DISCRETIONARY_SHARE):
            return False
        this_minute = self._minutes.get(minute, Counter())
        optional = this_minute[BACKFILL] + this_minute[NAMES]
        return optional + n <= max(1, math.ceil(budget * BURST_SHARE))

    # ----------------------------------------------------------------------- state

    @property
    def org_fraction(self) -> float | None:
        """How much of its daily limit the org has used (0..1+), when known."""
        usage = self._usage
        return None if usage is None else usage.used / usage.limit

    @property
    def slowed(self) -> bool:
        fraction = self.org_fraction
        return fraction is not None and fraction >= SLOW_AT

    @property
    def per_hour(self) -> int:
        """The budget in force this minute."""
        if self.slowed:
            return MIN_PER_HOUR
        return self._chosen if self._chosen is not None else default_per_hour(self._usage)

    def spent_this_hour(self, purpose: str | None = None) -> int:
        self._trim(self._minute())
        if purpose is None:
            return sum(sum(c.values()) for c in self._minutes.values())
        return sum(c[purpose] for c in self._minutes.values())

    def compact(self, *, short: bool = False) -> str:
        """The header's words for our spend: "us 420/469 an hour" (", slowed" past the
        budget); ``short``: "us 420/469/h" (and " slowed"), for a header too narrow for them."""
        spent, budget = self.spent_this_hour(), self.per_hour
        slowed = self.slowed or spent >= budget
        amount = f"us {_count(spent)}/{_count(budget)}"
        if short:
            return amount + "/h" + (" slowed" if slowed else "")
        return amount + " an hour" + (", slowed" if slowed else "")

    def words(self) -> str:
        """The header's words: "bulktui: 420 requests this hour (budget 2,000); org at 41% of
        its daily limit", or "org at 85% of its daily API limit: watching slowly"."""
        fraction = self.org_fraction
        if self.slowed and fraction is not None:
            return f"org at {math.floor(fraction * 100)}% of its daily API limit: watching slowly"
        spent, budget = self.spent_this_hour(), self.per_hour
        words = f"bulktui: {_count(spent)} requests this hour (budget {_count(budget)})"
        if fraction is not None:
            words += f"; org at {math.floor(fraction * 100)}% of its daily limit"
        if spent >= budget:
            words += "; watching slowly"
        return words

    # ----------------------------------------------------------------------- internals

    def _minute(self) -> int:
        return math.floor(self._clock.now().timestamp() // 60)

    def _trim(self, minute: int) -> None:
        oldest = minute - WINDOW_MINUTES + 1
        for key in [k for k in self._minutes if k < oldest or k > minute]:
            del self._minutes[key]  # a clock set back forgets the "future" too


# ``--api-budget N`` lives here, beside the budget, and not in core/session.py: every command
# builds the parser, and session.py would load the whole live backend to do it.
MAX_API_BUDGET = 1_000_000  # requests an hour; more is a typo, not a plan


def api_budget_arg(text: str) -> int:
    """``--api-budget N``: a whole number of requests per hour, at least 1."""
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--api-budget wants requests per hour, a whole number: {text[:40]!r}"
        ) from None
    if not 1 <= value <= MAX_API_BUDGET:
        raise argparse.ArgumentTypeError(
            f"--api-budget must be between 1 and {MAX_API_BUDGET:,} requests per hour"
        )
    return value


def add_budget_option(parser: argparse.ArgumentParser) -> None:
    """``--api-budget N`` (requests per hour; default: from the org's daily limit)."""
    parser.add_argument(
        "--api-budget",
        type=api_budget_arg,
        default=None,
        metavar="N",
        help="requests per hour bulktui may spend watching (default: a quarter of the org's "
        "daily API limit over an 8-hour day, at most 2,000); live jobs and actions are never "
        "held back",
    )
