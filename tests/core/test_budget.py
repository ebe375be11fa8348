"""The API budget: what it allows, when it slows down, and what the header says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bulktui.api.models import ApiUsage
from bulktui.core.budget import (
    MAX_DEFAULT_PER_HOUR,
    MIN_PER_HOUR,
    ApiBudget,
    default_per_hour,
)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(None, 469), (15_000, 469), (5_000, 156), (1_000, MIN_PER_HOUR), (1_000_000, 2_000)],
)
def test_the_default_comes_from_the_daily_limit(limit: int | None, expected: int) -> None:
    usage = None if limit is None else ApiUsage(used=0, limit=limit)
    assert default_per_hour(usage) == expected
    assert MIN_PER_HOUR <= expected <= MAX_DEFAULT_PER_HOUR


def test_live_and_actions_are_never_refused() -> None:
    clock = Clock()
    budget = ApiBudget(10, clock)
    budget.observe_usage(ApiUsage(used=14_900, limit=15_000))
    budget.spent("live", 5_000)
    assert budget.allow("live", 100) and budget.allow("action")
    assert not budget.allow("backfill")


def test_listing_stops_at_the_budget_but_keeps_a_floor() -> None:
    clock = Clock()
    budget = ApiBudget(600, clock)
    budget.spent("live", 600)  # live jobs spent the whole hour
    assert not budget.allow("backfill") and not budget.allow("names")
    assert budget.allow("list", MIN_PER_HOUR)  # new jobs must still appear
    budget.spent("list", MIN_PER_HOUR)
    assert not budget.allow("list")
    clock.advance(minutes=60)  # a sliding hour: all of it has aged out
    assert budget.spent_this_hour() == 0 and budget.allow("list", 600)


def test_backfill_leaves_room_for_listing_and_never_bursts() -> None:
    clock = Clock()
    budget = ApiBudget(1_000, clock)
    assert budget.allow("backfill", 100) and not budget.allow("backfill", 101)  # 10% a minute
    for _ in range(7):
        budget.spent("backfill", 100)
        clock.advance(minutes=1)
    assert budget.allow("backfill", 50) and not budget.allow("backfill", 51)  # 750 of 1,000
    assert budget.allow("list", 300)
    assert budget.spent_this_hour("backfill") == 700


def test_an_org_past_80_percent_slows_to_the_minimum() -> None:
    clock = Clock()
    budget = ApiBudget(2_000, clock)
    budget.observe_usage(ApiUsage(used=12_000, limit=15_000))
    assert budget.slowed and budget.per_hour == MIN_PER_HOUR
    assert not budget.allow("backfill") and not budget.allow("names")
    assert not budget.allow("list")  # only the listing's own 30 s floor (core.listing)
    assert budget.words() == "org at 80% of its daily API limit: watching slowly"
    budget.observe_usage(ApiUsage(used=100, limit=15_000))  # a new day
    assert not budget.slowed and budget.per_hour == 2_000


def test_the_header_words() -> None:
    clock = Clock()
    budget = ApiBudget(2_000, clock)
    budget.spent("list", 400)
    budget.spent("live", 20)
    assert budget.words() == "bulktui: 420 requests this hour (budget 2,000)"
    budget.observe_usage(ApiUsage(used=6_150, limit=15_000))
    assert budget.words() == (
        "bulktui: 420 requests this hour (budget 2,000); org at 41% of its daily limit"
    )
    budget.spent("live", 1_580)
    assert budget.words() == (
        "bulktui: 2,000 requests this hour (budget 2,000); org at 41% of its daily limit; "
        "watching slowly"
    )
    derived = ApiBudget(None, clock)
    derived.observe_usage(ApiUsage(used=12_750, limit=15_000))
    assert derived.words() == "org at 85% of its daily API limit: watching slowly"


def test_nonsense_is_refused_or_ignored() -> None:
    with pytest.raises(ValueError):
        ApiBudget(0, Clock())
    budget = ApiBudget(None, Clock())
    budget.observe_usage(ApiUsage(used=5, limit=0))  # a hostile header: no division by zero
    assert budget.org_fraction is None and budget.per_hour == default_per_hour(None)
    budget.spent("list", -3)
    assert budget.spent_this_hour() == 0


def test_the_header_words_have_a_short_form_for_a_narrow_header() -> None:
    budget = ApiBudget(2_000, Clock())
    budget.spent("list", 1_234)
    assert budget.compact() == "us 1,234/2,000 an hour"
    assert budget.compact(short=True) == "us 1,234/2,000/h"
    budget.spent("list", 800)  # past the budget: watching slowly
    assert budget.compact() == "us 2,034/2,000 an hour, slowed"
    assert budget.compact(short=True) == "us 2,034/2,000/h slowed"
