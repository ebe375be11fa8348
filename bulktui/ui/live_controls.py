"""Live refresh from the keyboard: pause, refresh now (once while paused), the interval, and
what the poller's status says about them (a refresh done, a new problem for the log).

``LiveControlsApp`` is the part of the console app that steers the poller; ``ConsoleApp``
builds on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from textual import work
from textual.reactive import var

from bulktui.core.live import Backend
from bulktui.core.snapshot import PollStatus
from bulktui.ui import keys
from bulktui.ui.job_actions import JobActionsApp

# How long "r" while paused waits for its one cycle before it says the refresh is still running.
REFRESH_ONCE_TIMEOUT = 30.0


class LiveControlsApp(JobActionsApp):
    """Pause, refresh and interval, as reactive state the screens and headers watch."""

    # Live refresh paused by the user ("p").
    paused: var[bool] = var(False)
    # The poller's refresh interval in seconds, as the view-state line shows it.
    interval: var[float] = var(5.0)

    def __init__(self, backend: Backend, *, now: Callable[[], datetime], read_only: bool) -> None:
        super().__init__(backend, now=now, read_only=read_only)
        self._refresh_cycle: int | None = None  # "r": the cycle number it waits to pass
        self._refresh_from: PollStatus | None = None  # the status when "r" was pressed
        self._logged_problem: str | None = None  # the poller's problem last put in the log
        self.set_reactive(LiveControlsApp.interval, backend.interval)

    def poll_status(self) -> PollStatus | None:
        try:
            return self.backend.status()
        except Exception:  # the header must never take the app down
            return None

    def watch_status(self, status: PollStatus | None) -> None:
        self._log_problem(status)
        waiting = self._refresh_cycle
        if waiting is None:
            return
        result = refresh_result(self._refresh_from, status, waiting)
        if result is not None:
            self._refresh_cycle = None
        if result is True:
            self.say(f"refreshed at {self.now().astimezone():%H:%M:%S}")
        elif result is False:
            problem = status.problem if status is not None else None
            self.say(f"the refresh got no new data: {problem or 'see the header'}", "warning")

    def _log_problem(self, status: PollStatus | None) -> None:
        """Each new problem the poller reports goes to the message log too, so it can be
        read in full there (the problem line wraps to at most three lines)."""
        problem = status.problem if status is not None else None
        if problem and problem != self._logged_problem and status is not None:
            self.messages.add(self.now(), f"{status.link.value}: {problem}", "warning")
        self._logged_problem = problem

    def action_refresh(self) -> None:
        job_id = self.selected_job_id()
        if job_id:
            self.backend.invalidate(job_id)
        status = self.poll_status()
        self._refresh_from = status
        self._refresh_cycle = status.cycle if status is not None else 0
        if self.paused:
            self.say("refreshing once; live refresh stays paused")
            self._refresh_once()
        else:
            self.backend.refresh_now()
            self.say("refreshing now…")

    @work(group="refresh-once", exclusive=True, exit_on_error=False)
    async def _refresh_once(self) -> None:
        """One cycle while paused: resume (which forces a cycle), and pause again as soon as
        that cycle has run, so exactly one cycle happens."""
        before = self._refresh_cycle or 0
        was = self._refresh_from
        self.backend.resume()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REFRESH_ONCE_TIMEOUT
        try:
            while loop.time() < deadline:
                if refresh_result(was, self.poll_status(), before) is not None:
                    break
                await asyncio.sleep(0.02)
        finally:
            if self.paused:
                self.backend.pause()
        self.status = self.poll_status()
        if self._refresh_cycle is not None:
            self._refresh_cycle = None
            self.say("the refresh did not finish in time; live refresh stays paused", "warning")

    def watch_paused(self, paused: bool) -> None:
        if paused:
            self.backend.pause()
        else:
            self.backend.resume()

    def action_pause(self) -> None:
        self.paused = not self.paused
        if self.paused:
            self.say("live refresh paused; p resumes, r refreshes once")
        else:
            self.say("live refresh resumed")

    def action_change_interval(self, direction: int) -> None:
        seconds = self.backend.set_interval(keys.next_interval(self.backend.interval, direction))
        self.interval = seconds
        self.say(f"refreshing every {seconds:g}s")


def refresh_result(was: PollStatus | None, now: PollStatus | None, before: int) -> bool | None:
    """Whether the cycle "r" asked for has ended: True with new data (the time of the last
    good cycle moved), False without (a further cycle has begun; the number counts cycles as
    they start), None while it runs. Link and problem are no sign: they change at once when
    a pause ends, before any request."""
    if now is None or now.cycle <= before:
        return None
    if was is None or now.fetched_at != was.fetched_at:
        return True
    return False if now.cycle > before + 1 else None
