"""The headless watcher: the console's poller and guard rules with no screen.

``bulktui watch`` (``bulktui/cli/watch_cmd.py``) builds one of these for servers, systemd and
cron. It runs three tasks until told to stop: the poller (whose snapshots feed the guard
runner), the guard runner itself, and a ticker that re-checks time-based rules (open_for,
stalled_for) once per interval, since an idle org publishes no snapshots. Events go to a sink
(printed lines) and, optionally, to a command per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bulktui.core.guards import GuardEvent, GuardRunner
from bulktui.core.snapshot import Snapshot
from bulktui.core.text import one_line

__all__ = ["EventCommand", "SnapshotSource", "Watcher"]

log = logging.getLogger(__name__)

EXEC_TIMEOUT_SECONDS = 30.0
EXEC_QUEUE_LIMIT = 1000  # events waiting for a slow --exec command; beyond this they are dropped


class SnapshotSource(Protocol):
    """What the watcher needs of the poller: run it, with snapshots delivered to a listener."""

    async def run(self, on_snapshot: Callable[[Snapshot], None]) -> None: ...

    @property
    def interval(self) -> float: ...


@dataclass(slots=True)
class Watcher:
    source: SnapshotSource
    guards: GuardRunner

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set (SIGTERM/SIGINT) or the poller ends."""
        tasks = [
            asyncio.create_task(self.source.run(self.guards.feed), name="poller"),
            asyncio.create_task(self.guards.run(), name="guards"),
            asyncio.create_task(self._tick(), name="ticker"),
        ]
        stopper = asyncio.create_task(stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait([tasks[0], stopper], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.guards.stop()
            # Let an action under way finish and be reported: an abort sent must be told.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(tasks[1]), timeout=10.0)
            for task in [*tasks, stopper]:
                task.cancel()
            await asyncio.gather(*tasks, stopper, return_exceptions=True)
        if tasks[0] in done and tasks[0].exception() is not None:
            raise tasks[0].exception()  # type: ignore[misc]

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.source.interval))
            self.guards.tick()


Reporter = Callable[[str], None]


class EventCommand:
    """``--exec CMD``: runs CMD once per event with the event as JSON on its stdin.

    The command line is split once with shlex and run without a shell, so nothing from the server
    is ever interpolated into it. Each run has a timeout; a failing command is reported and the
    watcher goes on. Runs happen one at a time, in event order, off the guard runner's path."""

    def __init__(
        self,
        command: str,
        *,
        report: Reporter,
        timeout: float = EXEC_TIMEOUT_SECONDS,
        spawn: Callable[..., Awaitable[asyncio.subprocess.Process]] | None = None,
    ) -> None:
        argv = shlex.split(command)
        if not argv:
            raise ValueError("--exec needs a command")
        self._argv = argv
        self._report = report
        self._timeout = timeout
        self._spawn = spawn or asyncio.create_subprocess_exec
        self._queue: asyncio.Queue[GuardEvent | None] = asyncio.Queue(EXEC_QUEUE_LIMIT)
        self._dropped = 0

    def __call__(self, event: GuardEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._dropped += 1
            if self._dropped == 1:
                name = one_line(self._argv[0])
                self._report(f"--exec {name} is falling behind; events are being dropped")

    def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    async def run(self) -> None:
        while (event := await self._queue.get()) is not None:
            await self.run_one(event)

    async def run_one(self, event: GuardEvent) -> None:
        payload = json.dumps(event.to_json()).encode() + b"\n"
        name = one_line(self._argv[0])
        try:
            process = await self._spawn(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as error:
            self._report(f"--exec {name}: cannot start it ({one_line(str(error))})")
            return
        try:
            await asyncio.wait_for(process.communicate(payload), timeout=self._timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            self._report(f"--exec {name}: killed after {self._timeout:g} s")
            return
        if process.returncode:
            self._report(f"--exec {name}: exited with status {process.returncode}")
