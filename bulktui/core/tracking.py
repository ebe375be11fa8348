"""What the poller knows about each job, and when each job is worth another GET.

Pure bookkeeping with no I/O, so the fetch policy can be tested cycle by cycle:

- a job seen only as a list row (no counts) is fetched once;
- a job that can still change (``lifecycle.liveness`` not ENDED) is fetched with a back-off
  that grows 1, 2, 4, 8 … cycles while nothing changes, up to a ceiling, and resets on change;
- a job that has ended is never fetched again unless invalidated, or the list row shows that
  it changed on the server (a Closed job aborted by someone else, for example).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from bulktui.api.lifecycle import Liveness, liveness
from bulktui.api.models import JOB_FIELDS, JobInfo
from bulktui.core.clock import seconds_between
from bulktui.core.snapshot import JobView


def merge(row: JobInfo | None, detail: JobInfo | None) -> JobInfo:
    """The fullest JobInfo known: the GET's fields, gaps filled from the list row, and the
    row's state when the row is newer (list rows come every cycle, GETs less often)."""
    if detail is None:
        assert row is not None
        return row
    if row is None:
        return detail
    fill = {
        f.attr: getattr(row, f.attr)
        for f in JOB_FIELDS
        if getattr(detail, f.attr) is None and getattr(row, f.attr) is not None
    }
    if (
        row.system_modstamp is not None
        and detail.system_modstamp is not None
        and row.system_modstamp > detail.system_modstamp
    ):
        fill["state"] = row.state
        fill["system_modstamp"] = row.system_modstamp
    return dataclasses.replace(detail, **fill) if fill else detail


@dataclass(slots=True)
class JobTrack:
    """Mutable per-job state; only the poller touches it, from its own task."""

    id: str
    row: JobInfo | None = None  # the latest list row
    detail: JobInfo | None = None  # the latest GET (or an action's answer)
    detail_at: datetime | None = None  # when ``detail`` last changed
    listed: bool = False  # seen in a complete listing at least once
    purged: bool = False  # was listed, then vanished: Salesforce purged it
    unreadable: str | None = None  # a GET was refused for good (permission); why
    invalidated: bool = False  # fetch at the next opportunity: it changed, or a user asked
    level: int = 0  # back-off exponent: the next gap is 2**level cycles
    due_cycle: int = 0  # first cycle in which a back-off fetch is due
    last_obs: tuple[datetime, int] | None = None  # (when, numberRecordsProcessed)
    throughput: float | None = None
    merged: JobInfo | None = None  # cache of merge(row, detail); reset when either changes

    @property
    def job(self) -> JobInfo:
        # Cached: the plan asks every job every cycle, and 10,000 merges a cycle add up.
        if self.merged is None:
            self.merged = merge(self.row, self.detail)
        return self.merged

    @property
    def has_detail(self) -> bool:
        return self.detail is not None

    @property
    def can_change(self) -> bool:
        # UNKNOWN (a list row without counts) counts too: one GET tells.
        return liveness(self.job) is not Liveness.ENDED

    def note_row(self, row: JobInfo) -> None:
        """A listing showed this job. A changed state or stamp means: look again now."""
        old = self.row
        self.row = row
        self.merged = None
        self.listed = True
        self.purged = False
        if old is not None and (
            old.state != row.state or old.system_modstamp != row.system_modstamp
        ):
            self.invalidated = True
            self.level = 0

    def wants_fetch(self, cycle: int, *, force: bool) -> bool:
        """Whether a GET is worth its API call this cycle (the selected job aside)."""
        if self.purged or self.unreadable is not None:
            return False
        if self.invalidated or not self.has_detail:
            return True
        if not self.can_change:
            return False
        return force or cycle >= self.due_cycle

    def note_detail(self, job: JobInfo, now: datetime, cycle: int, ceiling: int) -> bool:
        """Record a GET's answer; returns True if it showed a change. Schedules the next GET."""
        old = self.detail
        if (
            old is not None
            and old.system_modstamp is not None
            and job.system_modstamp is not None
            and job.system_modstamp < old.system_modstamp
        ):
            # An answer older than what we hold (a GET that raced an action's answer).
            return False
        changed = old != job
        self.detail = job
        self.merged = None
        self.invalidated = False
        self._observe_throughput(job, now)
        if changed:
            self.detail_at = now
            self.level = 0
        else:
            self.level += 1
        self.due_cycle = cycle + min(2**self.level, ceiling)
        return changed

    def _observe_throughput(self, job: JobInfo, now: datetime) -> None:
        processed = job.number_records_processed
        if processed is None:
            return
        if liveness(job) is Liveness.ENDED:
            # Finished: a rate would describe the past, and it would never update again.
            self.throughput = None
        elif self.last_obs is not None:
            elapsed = seconds_between(self.last_obs[0], now)
            if elapsed > 0:
                self.throughput = max(0.0, (processed - self.last_obs[1]) / elapsed)
        self.last_obs = (now, processed)

    def make_view(self) -> JobView:
        return JobView(
            job=self.job,
            purged=self.purged,
            throughput=self.throughput,
            detail_at=self.detail_at,
        )
