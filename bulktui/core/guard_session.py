"""Guard rules wired to a live backend: what the console and ``bulktui watch`` both hold.

``build_guards`` takes the parsed rules and the user's choices (``--arm``, ``--read-only``,
``--dry-run``) and returns a ``GuardSession`` over a ``LiveBackend``: its poller feeds the
rules, an armed rule acts through the backend's ``ActionRunner`` (origin "rule", the rule's
name), and every event goes to the listeners. The console subscribes with ``add_listener``
and runs ``session.run()`` in a worker; the header says ``session.arming.words()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from bulktui.api.lifecycle import Liveness
from bulktui.api.models import JobInfo
from bulktui.core.clock import Clock, SystemClock
from bulktui.core.guard_rules import RuleSet
from bulktui.core.guards import (
    Arming,
    EventKind,
    GuardEngine,
    GuardEvent,
    GuardRunner,
    RuleActions,
    decide_arming,
)
from bulktui.core.publishing import Listener as SnapshotListener
from bulktui.core.snapshot import Snapshot

__all__ = ["EventListener", "GuardBackend", "GuardSession", "build_guards"]

log = logging.getLogger(__name__)

EventListener = Callable[[GuardEvent], None]


class _Poller(Protocol):
    @property
    def interval(self) -> float: ...

    def add_listener(self, listener: SnapshotListener) -> Callable[[], None]: ...


class GuardBackend(Protocol):
    """The slice of ``LiveBackend`` guards use: its poller, its action runner, a fresh read."""

    @property
    def poller(self) -> _Poller: ...

    @property
    def runner(self) -> RuleActions: ...

    async def get_job(self, job_id: str) -> JobInfo: ...


class GuardSession:
    """The rules at work over one backend. Events reach every listener in order, on the
    event loop's thread; a listener that raises is logged and the others still hear."""

    def __init__(
        self,
        rules: RuleSet,
        arming: Arming,
        backend: GuardBackend,
        *,
        clock: Clock,
        started_at: datetime | None = None,
    ) -> None:
        self.rules = rules
        self.arming = arming
        self._backend = backend
        self._clock = clock
        self._listeners: list[EventListener] = []
        self._flagged: dict[str, tuple[str, ...]] = {}
        self.runner = GuardRunner(
            GuardEngine(rules, started_at=started_at or clock.now()),
            arming,
            backend.runner if arming.acting else None,
            self._emit,
            clock,
            read_job=backend.get_job,
        )
        self._detach: Callable[[], None] | None = None

    # ---------------------------------------------------------------- for the console

    def add_listener(self, listener: EventListener) -> Callable[[], None]:
        """Hear every event (a rule fired, an action's outcome, the link, a held-back rule);
        returns a function that stops it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    @property
    def fired(self) -> Mapping[str, tuple[str, ...]]:
        """Job id → names of the rules that fired on it (to highlight its row)."""
        return MappingProxyType(self._flagged)

    @property
    def started_at(self) -> datetime:
        return self.runner.engine.started_at

    def wanted_job_ids(self, snapshot: Snapshot) -> frozenset[str]:
        """The jobs a rule could look at: every job not known to have ended (a 1.0 job listed
        as Closed may still be processing: one read tells), and jobs created since the rules
        began watching. A headless poller reads counts for these only (``set_visible``), not
        for finished history that no rule looks at."""
        since = self.started_at
        return frozenset(
            view.id
            for view in snapshot.jobs.values()
            if view.liveness is not Liveness.ENDED
            or (view.job.created_date is not None and view.job.created_date >= since)
        )

    def emit(self, event: GuardEvent) -> None:
        """Send an event of the caller's own (the watcher's start and stop lines)."""
        self._emit(event)

    # ---------------------------------------------------------------- running

    async def run(self) -> None:
        """Evaluate every snapshot the poller publishes, and re-check time-based rules
        (open_for, stalled_for) once per interval, since an idle org publishes nothing. Runs
        until ``stop``; the poller itself is run by its owner (the console or the watcher)."""
        if self._detach is None:
            self._detach = self._backend.poller.add_listener(self.runner.feed)
        ticker = asyncio.create_task(self._tick(), name="guards-ticker")
        try:
            await self.runner.run()
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            if self._detach is not None:
                self._detach()
                self._detach = None

    def stop(self) -> None:
        """Finish the action under way (so it is reported) and act on nothing more."""
        self.runner.stop()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self._backend.poller.interval))
            self.runner.tick()

    def _emit(self, event: GuardEvent) -> None:
        if event.event is EventKind.RULE_FIRED and event.job_id and event.rule:
            self._flagged[event.job_id] = (*self._flagged.get(event.job_id, ()), event.rule)
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken sink (a closed pipe, a UI bug) must not stop guards
                log.exception("guard event listener %r failed", listener)


def build_guards(
    rules: RuleSet,
    backend: GuardBackend,
    *,
    arm: bool,
    read_only: bool,
    dry_run: bool,
    clock: Clock | None = None,
    listeners: Iterable[EventListener] = (),
) -> GuardSession:
    """The guard session the console or the watcher runs: arming decided once, here, from the
    file's ``armed``, ``--arm``, ``--read-only`` and ``--dry-run`` (docs/guards.md)."""
    arming = decide_arming(rules, arm=arm, read_only=read_only, dry_run=dry_run)
    session = GuardSession(rules, arming, backend, clock=clock or SystemClock())
    for listener in listeners:
        session.add_listener(listener)
    return session
