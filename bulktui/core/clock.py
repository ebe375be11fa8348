"""Time for the poller: an injectable clock and an injectable sleep, so tests never wait.

The poller reads "now" only through a ``Clock`` and waits only through a ``Sleep``; the
emulator's ``ManualClock`` satisfies ``Clock``, and a test's sleep can advance that clock
instead of blocking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


Sleep = Callable[[float], Awaitable[None]]


async def real_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def seconds_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds()
