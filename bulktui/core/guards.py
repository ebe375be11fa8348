"""Guard rules at work: which jobs a rule matches, and what happens when it fires.

``GuardEngine`` is pure: given a snapshot and the time, it returns the rules that fire for the
first time (once per job and rule, ever). ``GuardRunner`` turns firings into events and, when
armed, into actions through the same action runner a key press uses, so a rule's abort is
refused, doubted and logged exactly like a person's. Nothing here knows about a screen: the
console and the headless ``bulktui watch`` both feed snapshots in and read events out.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from bulktui.api.enums import JobState
from bulktui.api.lifecycle import (
    JobAction,
    JobKind,
    Liveness,
    allowed_actions,
    has_counts,
    is_live,
    kind_of,
    liveness,
)
from bulktui.api.models import JobInfo
from bulktui.core.actions import ActionOutcome, ActionRefused, ActionSucceeded, Origin
from bulktui.core.clock import Clock, seconds_between
from bulktui.core.guard_rules import GuardAction, Metric, Rule, RuleSet
from bulktui.core.snapshot import JobView, LinkState, Snapshot
from bulktui.text import counted, one_line

__all__ = [
    "Arming",
    "EventKind",
    "Firing",
    "GuardEngine",
    "GuardEvent",
    "GuardRunner",
    "Outcome",
    "RuleActions",
    "decide_arming",
]

log = logging.getLogger(__name__)

COUNT_WITHIN_SNAPSHOTS = 5  # a broad rule's count waits this long at most for loading rows


class EventKind(StrEnum):
    RULE_FIRED = "rule_fired"
    ACTION = "action"
    LINK = "link"  # the link degraded, stale or recovered; the watcher's start and stop
    HELD_BACK = "held_back"  # a rule that would act on every job, and how many it would touch


class Outcome(StrEnum):
    FLAGGED = "flagged"
    SUCCEEDED = "succeeded"
    REFUSED = "refused"
    UNCERTAIN = "uncertain"
    DRY_RUN = "dry_run"
    NOT_NEEDED = "not_needed"  # another rule already acted on this job


@dataclass(frozen=True, slots=True)
class GuardEvent:
    time: datetime
    event: EventKind
    message: str  # plain words, already safe to print
    rule: str | None = None
    job_id: str | None = None
    action: str | None = None
    outcome: Outcome | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "event": self.event.value,
            "rule": self.rule,
            "job_id": self.job_id,
            "action": self.action,
            "outcome": self.outcome.value if self.outcome else None,
            "message": self.message,
        }

    def to_text(self) -> str:
        stamp = self.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return f"{stamp} {self.event.value}: {self.message}"


@dataclass(frozen=True, slots=True)
class Firing:
    rule: Rule
    job: JobInfo
    facts: str  # what made it fire, in words: "failure rate 12.5% (63 of 504 records)"


@dataclass(frozen=True, slots=True)
class Arming:
    """Which rules may change jobs, and how to say so in the header."""

    acting: frozenset[str]  # names of abort/close rules that may act
    dry_run: bool
    held_back: tuple[str, ...] = ()  # plain words, one per rule that was refused arming

    @property
    def armed(self) -> bool:
        return bool(self.acting) and not self.dry_run

    def words(self) -> str:
        if self.dry_run and self.acting:
            return "guards: dry run"
        return "guards armed" if self.armed else "guards not armed"


def decide_arming(rules: RuleSet, *, arm: bool, read_only: bool, dry_run: bool) -> Arming:
    """Abort and close rules act only when the user armed them (``--arm`` or ``armed = true``),
    never under ``--read-only``; a rule that would match every job needs ``--arm`` itself."""
    if read_only or not (arm or rules.armed):
        held: tuple[str, ...] = ()
        if read_only and (arm or rules.armed) and rules.acting_rules:
            held = ("--read-only: abort and close rules only report what they would do",)
        return Arming(frozenset(), dry_run, held)
    acting: set[str] = set()
    held_back: list[str] = []
    for rule in rules.acting_rules:
        if rule.matches_everything and not arm:
            held_back.append(
                f"rule {rule.name!r} would {rule.action.value} every job in the org: "
                "it is armed only with --arm on the command line"
            )
            continue
        acting.add(rule.name)
    return Arming(frozenset(acting), dry_run, tuple(held_back))


class RuleActions(Protocol):
    """The slice of ``ActionRunner`` a rule uses."""

    async def abort(
        self, job_id: str, *, origin: Origin = "console", rule: str | None = None
    ) -> ActionOutcome: ...

    async def close(
        self, job_id: str, *, origin: Origin = "console", rule: str | None = None
    ) -> ActionOutcome: ...


@dataclass(slots=True)
class _Progress:
    processed: int | None
    since: datetime


class GuardEngine:
    """Decides which rules fire. Holds only what it must remember between snapshots: which
    (job, rule) pairs fired, and when each live job's processed count last moved."""

    def __init__(self, rules: RuleSet, *, started_at: datetime) -> None:
        self._rules = rules
        self._started_at = started_at
        self._fired: set[tuple[str, str]] = set()
        self._progress: dict[str, _Progress] = {}

    @property
    def rules(self) -> RuleSet:
        return self._rules

    @property
    def started_at(self) -> datetime:
        return self._started_at

    def evaluate(self, snapshot: Snapshot, now: datetime) -> list[Firing]:
        firings: list[Firing] = []
        for view in snapshot.jobs.values():
            if not self._in_play(view):
                continue
            self._note_progress(view.job, now)
            for rule in self._rules.rules:
                key = (view.id, rule.name)
                if key in self._fired:
                    continue
                facts = self.check(rule, view, snapshot.user_names, now)
                if facts is None:
                    continue
                self._fired.add(key)
                firings.append(Firing(rule, view.job, facts))
        live_ids = {view.id for view in snapshot.jobs.values() if _processing(view.job)}
        for job_id in [j for j in self._progress if j not in live_ids]:
            del self._progress[job_id]
        return firings

    def count_matching(self, rule: Rule, snapshot: Snapshot, now: datetime) -> int:
        """How many jobs ``rule`` matches right now (to show what arming it would touch)."""
        return sum(
            1
            for view in snapshot.jobs.values()
            if self._in_play(view) and self.check(rule, view, snapshot.user_names, now)
        )

    def check(
        self, rule: Rule, view: JobView, names: Mapping[str, str], now: datetime
    ) -> str | None:
        """Words for why ``rule`` matches ``view`` now, or None when it does not."""
        job = view.job
        if not _in_scope(rule, job, names):
            return None
        # Abort and close are for jobs still running: 1.0 lets a finished Closed job be
        # aborted, which would only relabel a completed load as Aborted.
        if rule.action.changes_jobs and not is_live(job):
            return None
        if rule.action is GuardAction.ABORT and JobAction.ABORT not in allowed_actions(job):
            return None
        if rule.action is GuardAction.CLOSE and JobAction.CLOSE not in allowed_actions(job):
            return None
        facts: list[str] = []
        for term in rule.when.terms:
            value = self._measure(term.metric, job, now)
            if value is None or not term.comparison.holds(value, term.value):
                return None
            facts.append(_describe(term.metric, value, job))
        return ", ".join(facts) or "matches the rule's scope"

    # ------------------------------------------------------------------------------------

    def _in_play(self, view: JobView) -> bool:
        """Rules watch loads that are running, or that started since we began watching: a
        week of finished history must not set off every flag at start-up."""
        if view.purged:
            return False
        if is_live(view.job):
            return True
        created = view.job.created_date
        return created is not None and created >= self._started_at

    def _note_progress(self, job: JobInfo, now: datetime) -> None:
        if not _processing(job):
            return
        processed = job.number_records_processed
        seen = self._progress.get(job.id)
        if seen is None:
            # First sight: the server's last change is the best "since" we have.
            since = job.system_modstamp if job.system_modstamp is not None else now
            self._progress[job.id] = _Progress(processed, min(since, now))
        elif processed != seen.processed:
            self._progress[job.id] = _Progress(processed, now)

    def _measure(self, metric: Metric, job: JobInfo, now: datetime) -> float | None:
        processed = job.number_records_processed
        failed = job.number_records_failed
        if metric is Metric.PROCESSED:
            return float(processed) if processed is not None else None
        if metric is Metric.FAILED:
            return float(failed) if failed is not None else None
        if metric is Metric.FAILURE_RATE:
            if not processed:
                return None
            return 100.0 * (failed or 0) / processed
        if metric is Metric.OPEN_FOR:
            if job.state is not JobState.OPEN or job.created_date is None:
                return None
            return max(0.0, seconds_between(job.created_date, now))
        seen = self._progress.get(job.id)
        if seen is None or not _processing(job):
            return None
        return max(0.0, seconds_between(seen.since, now))


def _processing(job: JobInfo) -> bool:
    """Whether records are being processed, so that a count that does not move means a stall.
    An Open 2.0 job is still uploading; a 1.0 job processes while it has batches pending."""
    if kind_of(job) is JobKind.V1:
        return has_counts(job) and job.batches_pending > 0
    return job.state in (JobState.UPLOAD_COMPLETE, JobState.IN_PROGRESS)


def _in_scope(rule: Rule, job: JobInfo, names: Mapping[str, str]) -> bool:
    if rule.object is not None and not _glob(rule.object, job.object):
        return False
    operation = job.operation.value if job.operation is not None else None
    if rule.operation is not None and not _glob(rule.operation, operation):
        return False
    if rule.job_type is not None:
        kind = kind_of(job).value.replace(" ", "")
        if not _glob(rule.job_type.replace(" ", ""), kind):
            return False
    if rule.created_by is not None:
        user_id = job.created_by_id
        candidates = [user_id, user_id[:15] if user_id else None, names.get(user_id or "")]
        if not any(_glob(rule.created_by, c) for c in candidates):
            return False
    return True


def _glob(pattern: str, value: str | None) -> bool:
    return value is not None and fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _describe(metric: Metric, value: float, job: JobInfo) -> str:
    if metric is Metric.FAILURE_RATE:
        failed = job.number_records_failed or 0
        processed = job.number_records_processed or 0
        return f"failure rate {value:.1f}% ({failed:,} of {processed:,} records)"
    if metric is Metric.FAILED:
        return f"{counted(int(value), 'records')} failed"
    if metric is Metric.PROCESSED:
        return f"{counted(int(value), 'records')} processed"
    what = "Open" if metric is Metric.OPEN_FOR else "without progress"
    if value >= 2 * 3600:
        return f"{what} for {value / 3600:.1f} h"
    if value >= 60:
        return f"{what} for {value / 60:.0f} min"
    return f"{what} for {value:.0f} s"


@dataclass(slots=True)
class _Acted:
    rule: str
    action: str


@dataclass(slots=True)
class GuardRunner:
    """Feeds snapshots to the engine and carries out what fires.

    ``feed`` is a poller listener (synchronous, cheap); the work happens in ``run``, one
    snapshot at a time, so an abort is sent in the same cycle the rule fired in. ``tick``
    re-checks the last snapshot for rules that depend on time alone (open_for, stalled_for),
    since an idle org publishes no new snapshot.
    """

    engine: GuardEngine
    arming: Arming
    actions: RuleActions | None
    emit: Callable[[GuardEvent], None]
    clock: Clock
    # Reads a job afresh after a refusal, to tell "it had already finished" from a refusal
    # of a live job (the refusal's words alone cannot: they come in several shapes).
    read_job: Callable[[str], Awaitable[JobInfo]] | None = None
    _queue: asyncio.Queue[Snapshot | None] = field(default_factory=asyncio.Queue)
    _last: Snapshot | None = None
    _link: LinkState | None = None
    _acted: dict[str, _Acted] = field(default_factory=dict)
    _stopping: bool = False
    _counted: bool = False
    _live_snapshots: int = 0

    def feed(self, snapshot: Snapshot) -> None:
        """A poller listener: cheap and synchronous; the work happens in ``run``."""
        if not self._stopping:
            self._queue.put_nowait(snapshot)

    def tick(self) -> None:
        if self._last is not None and self._queue.empty() and not self._stopping:
            self._queue.put_nowait(self._last)

    def stop(self) -> None:
        """Finish the snapshot under way (an abort sent is reported) and start nothing new:
        after SIGTERM no rule acts on a snapshot that was still waiting."""
        self._stopping = True
        self._queue.put_nowait(None)

    async def run(self) -> None:
        while not self._stopping:
            snapshot = await self._queue.get()
            if snapshot is None or self._stopping:
                return
            await self.handle(snapshot)

    async def handle(self, snapshot: Snapshot) -> None:
        now = self.clock.now()
        # The link is this session's own whatever the jobs' source: a watcher whose session
        # was dead from the start still shows the journal's jobs, and must say it is stale.
        self._note_link(snapshot, now)
        if snapshot.source != "live":
            # A journal's picture of an earlier session: a job it shows running may have
            # ended hours ago. Rules act on what this session has read, never on that.
            return
        self._last = snapshot
        if not self._counted:
            # "Right now" means once the live jobs are known: list rows still loading their
            # details are not yet known to be live. An org that never settles gets "at least".
            self._live_snapshots += 1
            loading = any(view.loading for view in snapshot.jobs.values())
            if not loading or self._live_snapshots >= COUNT_WITHIN_SNAPSHOTS:
                self._counted = True
                self._count_broad_rules(snapshot, now, at_least=loading)
        for firing in self.engine.evaluate(snapshot, now):
            if self._stopping:
                return
            await self._carry_out(firing, now)

    def _count_broad_rules(self, snapshot: Snapshot, now: datetime, *, at_least: bool) -> None:
        """A rule that would act on every job: say how many it matches right now, from the
        first snapshot of this session (before it acts, when it is armed)."""
        for rule in self.engine.rules.acting_rules:
            if not rule.matches_everything:
                continue
            count = self.engine.count_matching(rule, snapshot, now)
            jobs = f"{'at least ' if at_least else ''}{counted(count, 'jobs')}"
            if rule.name in self.arming.acting and not self.arming.dry_run:
                state = "armed with --arm"
            elif rule.name in self.arming.acting:
                state = "dry run: nothing will be sent"
            else:
                state = "not armed: it is armed only with --arm on the command line"
            self.emit(
                GuardEvent(
                    now,
                    EventKind.HELD_BACK,
                    f"rule {rule.name!r} would {rule.action.value} every job in the org: "
                    f"{jobs} right now ({state})",
                    rule=rule.name,
                    action=rule.action.value,
                )
            )

    def _note_link(self, snapshot: Snapshot, now: datetime) -> None:
        link = snapshot.link
        if link is LinkState.PAUSED or link == self._link:
            return
        previous, self._link = self._link, link
        if previous is None and link is LinkState.LIVE:
            return
        problem = f": {one_line(snapshot.problem)}" if snapshot.problem else ""
        words = "recovered" if link is LinkState.LIVE else link.value
        self.emit(GuardEvent(now, EventKind.LINK, f"{words}{problem}"))  # "link: stale: …"

    async def _carry_out(self, firing: Firing, now: datetime) -> None:
        rule, job = firing.rule, firing.job
        what = _job_words(job)
        now = self.clock.now()  # events are stamped when they happen, in order
        self.emit(
            GuardEvent(
                now,
                EventKind.RULE_FIRED,
                f"rule {rule.name!r} fired on {what}: {firing.facts}",
                rule=rule.name,
                job_id=job.id,
                action=rule.action.value,
                outcome=Outcome.FLAGGED if rule.action is GuardAction.FLAG else None,
            )
        )
        if rule.action is GuardAction.FLAG:
            return
        verb = rule.action.value
        earlier = self._acted.get(job.id)
        if earlier is not None:
            self._action(
                now,
                rule,
                job,
                Outcome.NOT_NEEDED,
                f"not needed: rule {earlier.rule!r} already asked to {earlier.action} {what}",
            )
            return
        if rule.name not in self.arming.acting or self.actions is None:
            self._action(
                now,
                rule,
                job,
                Outcome.DRY_RUN,
                f"would {verb} {what} (guards not armed; nothing was sent)",
            )
            return
        if self.arming.dry_run:
            self._action(now, rule, job, Outcome.DRY_RUN, f"would {verb} {what} (dry run)")
            return
        self._acted[job.id] = _Acted(rule.name, verb)
        act = self.actions.abort if rule.action is GuardAction.ABORT else self.actions.close
        try:
            outcome = await act(job.id, origin="rule", rule=rule.name)
        except Exception as error:  # the runner never raises; if it does, say it plainly
            log.exception("rule %s: %s of %s raised", rule.name, verb, job.id)
            self._action(
                self.clock.now(),
                rule,
                job,
                Outcome.UNCERTAIN,
                f"the {verb} of {what} may or may not have happened ({one_line(str(error))}); "
                "check the job",
            )
            return
        await self._report(rule, job, outcome)

    async def _report(self, rule: Rule, job: JobInfo, outcome: ActionOutcome) -> None:
        if isinstance(outcome, ActionSucceeded):
            self._action(self.clock.now(), rule, job, Outcome.SUCCEEDED, one_line(outcome.message))
        elif isinstance(outcome, ActionRefused):
            reason = one_line(outcome.reason)
            if await self._has_ended(job.id, reason):
                reason = f"already finished; nothing to do ({reason})"
            self._action(self.clock.now(), rule, job, Outcome.REFUSED, reason)
        else:
            self._action(self.clock.now(), rule, job, Outcome.UNCERTAIN, one_line(outcome.reason))

    async def _has_ended(self, job_id: str, reason: str) -> bool:
        """Whether a refused action met a job that had ended meanwhile (the usual race: the
        load finished between the snapshot and the request)."""
        if self.read_job is not None:
            try:
                return liveness(await self.read_job(job_id)) is Liveness.ENDED
            except Exception as error:  # the refusal is reported either way
                log.info("could not read job %s after a refusal: %s", job_id, error)
        return _already_finished(reason)

    def _action(self, now: datetime, rule: Rule, job: JobInfo, outcome: Outcome, text: str) -> None:
        self.emit(
            GuardEvent(
                now,
                EventKind.ACTION,
                f"rule {rule.name!r}: {text}",
                rule=rule.name,
                job_id=job.id,
                action=rule.action.value,
                outcome=outcome,
            )
        )


def _job_words(job: JobInfo) -> str:
    operation = job.operation.value if job.operation is not None else "?"
    return f"job {job.id} ({operation} {one_line(job.object or '?')}, {kind_of(job).value})"


def _already_finished(reason: str) -> bool:
    """The refusal's own words, when the job could not be read again."""
    lowered = reason.lower()
    return any(w in lowered for w in ("already", "has ended"))
