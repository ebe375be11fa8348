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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from bulktui.api.lifecycle import Liveness, has_counts, liveness
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
    unlisted: bool = False  # was listed, missing from the last listing: a GET will tell
    purged: bool = False  # gone from the listings and no endpoint knows it
    unknown_to_endpoint: bool = False  # its GET said "no such job" while a listing shows it
    new_in_session: bool = False  # first listed after this session's first listing
    unreadable: str | None = None  # a GET was refused for good (permission); why
    invalidated: bool = False  # fetch at the next opportunity: it changed, or a user asked
    level: int = 0  # back-off exponent: the next gap is 2**level cycles
    due_cycle: int = 0  # first cycle in which a back-off fetch is due
    last_obs: tuple[datetime, int] | None = None  # (when, numberRecordsProcessed)
    throughput: float | None = None
    merged: JobInfo | None = None  # cache of merge(row, detail); reset when either changes
    cached_liveness: Liveness | None = None  # of ``merged``; recomputed with it

    @property
    def job(self) -> JobInfo:
        # Cached: the plan asks every job every cycle, and 10,000 merges a cycle add up.
        if self.merged is None:
            self.merged = merge(self.row, self.detail)
            self.cached_liveness = None
        return self.merged

    @property
    def liveness(self) -> Liveness:
        """``lifecycle.liveness(self.job)``, computed once per change: the plan asks it of
        every job every cycle, and at 20,000 jobs that was most of an idle cycle's CPU."""
        job = self.job
        if self.cached_liveness is None:
            self.cached_liveness = liveness(job)
        return self.cached_liveness

    @property
    def readable(self) -> bool:
        """Whether a GET can tell anything: not purged, not refused, known to its endpoint."""
        return not self.purged and self.unreadable is None and not self.unknown_to_endpoint

    @property
    def has_detail(self) -> bool:
        return self.detail is not None

    @property
    def can_change(self) -> bool:
        # UNKNOWN (a list row without counts) counts too: one GET tells.
        return self.liveness is not Liveness.ENDED

    def note_row(self, row: JobInfo) -> None:
        """A listing showed this job. A changed state or stamp means: look again now."""
        old = self.row
        self.row = row
        self.merged = None
        detail = self.detail
        if (
            old is None
            and detail is not None
            and (
                row.state != detail.state
                or (
                    row.system_modstamp is not None
                    and detail.system_modstamp is not None
                    and row.system_modstamp > detail.system_modstamp
                )
            )
        ):
            # Preloaded from a journal, and the server has moved on since: read it again.
            self.invalidated = True
            self.level = 0
        self.listed = True
        self.unlisted = False
        self.purged = False
        self.unknown_to_endpoint = False
        if old is not None and (
            old.state != row.state or old.system_modstamp != row.system_modstamp
        ):
            self.invalidated = True
            self.level = 0

    def wants_fetch(self, cycle: int, *, force: bool) -> bool:
        """Whether a GET is worth its API call this cycle (the selected job aside)."""
        if not self.readable:
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
        rate = self.throughput
        self._observe_throughput(job, now)
        if changed:
            self.detail_at = now
            self.level = 0
        else:
            self.level += 1
        self.due_cycle = cycle + min(2**self.level, ceiling)
        # An unchanged answer still changes the view when it stops the rate: a job that
        # stopped moving shows 0/s at the next read, never its last rate frozen.
        return changed or rate != self.throughput

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

    @property
    def loading(self) -> bool:
        """No full detail yet, and the list row does not show the job ended (a GET is due)."""
        return self.detail is None and self.readable and self.liveness is not Liveness.ENDED

    def make_view(self) -> JobView:
        return JobView(
            job=self.job,
            purged=self.purged,
            throughput=self.throughput,
            detail_at=self.detail_at,
            loading=self.loading,
        )


def seed_from_journal(track: JobTrack, job: JobInfo, as_of: datetime) -> None:
    """What a journal knew: treated as seen in an earlier listing (so its absence from the
    next one is confirmed with a GET), and as read in full when it has counts."""
    track.listed = True
    if has_counts(job):
        track.detail = job
        track.detail_at = as_of
    else:
        track.row = job
    track.merged = None


def preloaded_view(job: JobInfo, as_of: datetime) -> JobView:
    """The view the poller shows for a job it knows only from the journal (the table's rows
    before the poller has them: ``JournalPreview``)."""
    track = JobTrack(job.id)
    seed_from_journal(track, job, as_of)
    return track.make_view()


class JobBook:
    """Every job the poller knows, and which of them changed since the last snapshot.

    Views are rebuilt only for touched jobs, and an unchanged job keeps its ``JobView``
    object, so the UI can diff snapshots by identity and an idle org publishes nothing.
    """

    def __init__(self) -> None:
        self.tracks: dict[str, JobTrack] = {}
        self._views: dict[str, JobView] = {}
        self._touched: set[str] = set()
        self.version = 0  # moves whenever a view changed
        self._frozen: tuple[int, Mapping[str, JobView]] | None = None
        self.listings = 0  # complete listings applied so far

    def preload(self, job: JobInfo, as_of: datetime) -> None:
        """What a journal knew (``seed_from_journal``)."""
        track = self.track(job.id)
        if track.row is not None or track.detail is not None:
            return  # this session already knows better
        seed_from_journal(track, job, as_of)
        self._touched.add(job.id)

    def get(self, job_id: str) -> JobTrack | None:
        return self.tracks.get(job_id)

    def track(self, job_id: str) -> JobTrack:
        track = self.tracks.get(job_id)
        if track is None:
            track = self.tracks[job_id] = JobTrack(job_id)
            self._touched.add(job_id)
        return track

    def touch(self, job_id: str) -> None:
        self._touched.add(job_id)

    def apply_listing(self, rows: Iterable[JobInfo], *, complete: bool = True) -> None:
        """A listing: new and changed rows noted. Only a ``complete`` one (every page) can
        show that a job vanished; a partial one (the pages that can hold new jobs) cannot."""
        seen = self._note_rows(rows)
        if complete:
            self._vanished(seen)
        self.listings += 1

    def _note_rows(self, rows: Iterable[JobInfo]) -> set[str]:
        seen: set[str] = set()
        for row in rows:
            seen.add(row.id)
            track = self.tracks.get(row.id)
            if track is None:
                track = self.tracks[row.id] = JobTrack(row.id)
                track.new_in_session = self.listings > 0
            old = track.row
            # Only state and stamp move on a listed job; comparing them is cheaper than rows.
            if (
                old is None
                or old.state != row.state
                or old.system_modstamp != row.system_modstamp
                or not track.listed
                or track.purged
            ):
                track.note_row(row)
                self._touched.add(row.id)
        return seen

    def _vanished(self, seen: set[str]) -> None:
        for job_id, track in self.tracks.items():
            # Only a job seen in an earlier complete listing can be gone: a job just created
            # by an action may not be listed yet. Gone from the listing is not yet purged:
            # one GET confirms that no endpoint knows it (JobReader).
            if track.listed and not track.unlisted and not track.purged and job_id not in seen:
                track.unlisted = True
                track.invalidated = True
                self._touched.add(job_id)

    def missing(self, track: JobTrack) -> None:
        """Its GET said no endpoint knows this job. Purged only if the listings agree;
        otherwise it is not read again until its list row changes (no purge/un-purge loop)."""
        if track.unlisted or not track.listed:
            track.purged = True
            track.throughput = None
        else:
            track.unknown_to_endpoint = True
        track.invalidated = False
        self._touched.add(track.id)

    def views(self) -> Mapping[str, JobView]:
        """A read-only map of every view, rebuilt only when a view changed."""
        for job_id in self._touched:
            track = self.tracks.get(job_id)
            # A track made only by select()/invalidate() has no data yet: nothing to show.
            if track is None or (track.row is None and track.detail is None):
                continue
            view = track.make_view()
            if view != self._views.get(job_id):
                self._views[job_id] = view
                self.version += 1
        self._touched.clear()
        if self._frozen is None or self._frozen[0] != self.version:
            self._frozen = (self.version, MappingProxyType(dict(self._views)))
        return self._frozen[1]
