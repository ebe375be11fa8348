"""The headless watcher: the console's poller and guard rules with no screen.

``bulktui watch`` (``bulktui/cli/watch_cmd.py``) builds one of these for servers, systemd and
cron. It runs the poller and the guard session (``core/guard_session.py``: the rules, and a
ticker for time-based rules) until told to stop. Events go to the session's listeners: printed
lines and, optionally, a command per event (``EventCommand``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shlex
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from bulktui.core.guard_session import GuardSession
from bulktui.core.guards import GuardEvent
from bulktui.core.snapshot import Snapshot
from bulktui.text import one_line

__all__ = ["EventCommand", "SnapshotSource", "Watcher"]

log = logging.getLogger(__name__)

EXEC_TIMEOUT_SECONDS = 30.0
EXEC_QUEUE_LIMIT = 1000  # events waiting for a slow --exec command; beyond this they are dropped


class SnapshotSource(Protocol):
    """What the watcher needs of the backend: run the poller until cancelled, and say which
    rows it would show (none: no screen; only new jobs need their counts read)."""

    async def run(self, on_snapshot: Callable[[Snapshot], None]) -> None: ...

    def set_visible(self, job_ids: Iterable[str]) -> None: ...


STOP_GRACE_SECONDS = 10.0  # an action under way at SIGTERM is waited for, then reported


@dataclass(slots=True)
class Watcher:
    """The poller and the guard session, until ``stop`` is set (SIGTERM/SIGINT) or either
    of them ends; an error in either is raised here, never swallowed."""

    source: SnapshotSource
    guards: GuardSession

    async def run(self, stop: asyncio.Event) -> None:
        # No screen, so no row is "visible": the poller reads the jobs a rule could look at
        # (GuardSession.wanted_job_ids), never the counts of finished history.
        self.source.set_visible(())

        def follow_new_jobs(snapshot: Snapshot) -> None:
            self.source.set_visible(self.guards.wanted_job_ids(snapshot))

        # The guards first: they start listening before the poller's first snapshot.
        guards = asyncio.create_task(self.guards.run(), name="guards")
        poller = asyncio.create_task(self.source.run(follow_new_jobs), name="poller")
        stopper = asyncio.create_task(stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait(
                [poller, guards, stopper], return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self.guards.stop()
            # Let an action under way finish and be reported: an abort sent must be told.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(guards), timeout=STOP_GRACE_SECONDS)
            for task in (poller, guards, stopper):
                task.cancel()
            await asyncio.gather(poller, guards, stopper, return_exceptions=True)
        for task in (poller, guards):
            if task in done and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


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
            # Its stderr is the watcher's (a journal under systemd); stdout is not ours to mix
            # into the event lines. No BULKTUI_* variable reaches it: a session id is a secret.
            process = await self._spawn(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=None,
                env=_child_environment(),
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


def _child_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("BULKTUI_")}
