"""The test clocks: time that moves only when a test (or a sleep) moves it.

- ``ManualClock`` (the emulator's own): wall-clock ``now()`` for the engine, the poller and
  the console; ``advance(seconds)`` moves it. Starts at ``T0``.
- ``FakeClock``: monotonic seconds for a ``RetryPolicy``; its ``sleep`` returns at once,
  records how long it was asked to wait and moves time on by that much.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bulktui.emulator.clock import ManualClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # ManualClock's default start

__all__ = ["T0", "FakeClock", "ManualClock", "no_sleep"]


@dataclass
class FakeClock:
    """Monotonic time that only moves when the client sleeps."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def no_sleep(seconds: float) -> None:
    """A retry policy's sleep that returns at once and moves no clock."""
    return None
