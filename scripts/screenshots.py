"""Generate ``screenshots/*.svg`` from the real console on the emulator's demo org.

    python scripts/screenshots.py [--out screenshots]

The emulator runs in process (its Starlette app behind an ASGI transport) on a manual clock
frozen at a fixed instant, with the demo seed and a fixed random seed, so every run draws the
same pictures. The console, the poller and the client are the real ones; only time is frozen
(and moved by hand between two refreshes, so throughput has two observations to work from).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import JobState
from bulktui.core.live import LiveBackend
from bulktui.emulator import Engine, EngineConfig, ManualClock, create_app
from bulktui.emulator.demo import seed_demo
from bulktui.ui.app import ConsoleApp
from bulktui.ui.screens.failed_records import FailedRecordsScreen
from bulktui.ui.screens.job_detail import JobDetailScreen

FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SEED = 7
INSTANCE = "https://acme.my.salesforce.com"  # what the header shows; requests go to the ASGI app

Scene = Callable[[Any, "Console"], Awaitable[None]]


async def _sleep_until_woken(seconds: float) -> None:
    """Cycles run only when the script asks for one (refresh_now), so every picture is
    repeatable while the header still shows the default 5 s interval."""
    if seconds > 0:
        await asyncio.Event().wait()


class Console:
    """One console on a fresh demo org."""

    def __init__(self) -> None:
        self.clock = ManualClock(FROZEN)
        self.engine = Engine(self.clock, EngineConfig(session_seconds=10**8))
        seed_demo(self.engine, random.Random(SEED))
        transport = httpx.ASGITransport(app=create_app(self.engine))
        client = BulkClient(
            Connection("http://127.0.0.1", self.engine.issue_session()), transport=transport
        )
        self.backend = LiveBackend(
            client,
            instance_url=INSTANCE,
            interval=5.0,
            clock=self.clock,
            sleep=_sleep_until_woken,
        )
        self.backend.poller._select_delay = 0
        self.app = ConsoleApp(self.backend, now=self.clock.now, theme="bulktui-dark")

    def idle(self) -> bool:
        poller = self.backend.poller
        return not poller._lock.locked() and not poller._force

    async def wait(self, pilot: Any, predicate: Callable[[], bool], timeout: float = 20) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() > deadline:
                raise RuntimeError("the console did not get there in time")
            await pilot.pause(0.02)
        for _ in range(3):
            await pilot.pause()

    async def refresh(self, pilot: Any) -> None:
        before = self.backend.status().cycle
        self.backend.refresh_now()
        await self.wait(pilot, lambda: self.backend.status().cycle > before and self.idle())

    async def start(self, pilot: Any) -> None:
        await self.wait(pilot, lambda: self.backend.status().cycle >= 1 and self.idle())
        # Two more observations five seconds apart: throughput appears, every job has counts.
        for _ in range(2):
            self.clock.advance(5)
            await self.refresh(pilot)

    def table_ids(self) -> list[str]:
        main = self.app.main
        assert main is not None
        return main.table.order

    async def select(self, pilot: Any, job_id: str) -> None:
        main = self.app.main
        assert main is not None
        main.table.select_job(job_id)
        await self.wait(pilot, self.idle)

    def running_job(self) -> str:
        """The live job with the most batches: the best detail picture."""
        live = [
            j
            for j in self.engine.jobs.values()
            if j.state in (JobState.OPEN, JobState.CLOSED)
            and any(b.state.value in ("InProgress", "Queued") for b in j.batches)
        ]
        return max(live, key=lambda j: (len(j.batches), j.created)).id

    def job_with_failures(self) -> tuple[str, int]:
        """A job and the index of its completed batch with the most kinds of failure (then
        the most failed records): the best failed-records picture."""
        best: tuple[tuple[int, int], str, int] | None = None
        for job in self.engine.jobs.values():
            for i, batch in enumerate(job.batches):
                if batch.state.value != "Completed" or batch.outcome is None:
                    continue
                failed = [r for r in batch.outcome.results if not r.success]
                score = (len({r.status_code for r in failed}), len(failed))
                if best is None or score > best[0]:
                    best = (score, job.id, i)
        assert best is not None
        return best[1], best[2]

    async def open_detail(self, pilot: Any, job_id: str) -> JobDetailScreen:
        await self.select(pilot, job_id)
        await pilot.press("enter")
        await self.wait(pilot, lambda: isinstance(self.app.screen, JobDetailScreen))
        detail = self.app.screen
        assert isinstance(detail, JobDetailScreen)
        await self.wait(pilot, lambda: bool(detail.batches) and self.idle())
        return detail


async def main_view(pilot: Any, c: Console) -> None:
    await c.start(pilot)


async def detail_view(pilot: Any, c: Console) -> None:
    await c.start(pilot)
    await c.open_detail(pilot, c.running_job())


async def failed_records(pilot: Any, c: Console) -> None:
    await c.start(pilot)
    job_id, index = c.job_with_failures()
    await c.open_detail(pilot, job_id)
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await c.wait(pilot, lambda: isinstance(c.app.screen, FailedRecordsScreen))
    screen = c.app.screen
    assert isinstance(screen, FailedRecordsScreen)
    await c.wait(pilot, lambda: screen.results is not None)


async def abort_confirmation(pilot: Any, c: Console) -> None:
    await c.start(pilot)
    await c.select(pilot, c.running_job())
    await pilot.press("a")
    await pilot.pause(0.1)


async def help_view(pilot: Any, c: Console) -> None:
    await c.start(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.1)


SCENES: list[tuple[str, tuple[int, int], Scene]] = [
    ("main", (120, 35), main_view),
    ("main-80x24", (80, 24), main_view),
    ("detail", (120, 35), detail_view),
    ("failed-records", (120, 35), failed_records),
    ("abort-confirmation", (120, 35), abort_confirmation),
    ("help", (120, 35), help_view),
]


async def shoot(name: str, size: tuple[int, int], scene: Scene, out: Path) -> Path:
    console = Console()
    path = out / f"{name}.svg"
    async with console.app.run_test(size=size) as pilot:
        await scene(pilot, console)
        svg = console.app.export_screenshot(title=f"bulktui — {name}")
    path.write_text(svg, encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "screenshots")
    parser.add_argument("--only", help="one scene by name")
    args = parser.parse_args()
    # Colours must not depend on the caller's terminal (docs/textual-notes.md §3.2).
    for var in ("NO_COLOR", "TEXTUAL_THEME"):
        os.environ.pop(var, None)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, size, scene in SCENES:
        if args.only and name != args.only:
            continue
        path = asyncio.run(shoot(name, size, scene, args.out))
        print(f"wrote {path} ({size[0]}x{size[1]})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
