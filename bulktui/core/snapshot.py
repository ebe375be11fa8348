"""The immutable picture of the org that the poller publishes and the widgets render.

Nothing here is mutated after construction; the poller builds a new Snapshot each cycle and the
UI diffs it against the previous one by job id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from bulktui.api.lifecycle import JobKind, Liveness, kind_of, liveness
from bulktui.api.models import ApiUsage, BatchInfo, Identity, JobInfo

if TYPE_CHECKING:
    from bulktui.core.journal_preview import JournalPreview

# Where a snapshot's jobs come from: this session's requests, or the journal of an earlier one.
Source = Literal["journal", "live"]


class LinkState(StrEnum):
    """How current the data is. Always shown as a word, never by colour alone."""

    LIVE = "live"  # the last cycle succeeded
    PAUSED = "paused"  # the user paused refreshing
    DEGRADED = "degraded"  # the last cycle(s) failed, or Salesforce answers slowly
    STALE = "stale"  # failing for a long time, or the session cannot be refreshed


@dataclass(frozen=True, slots=True)
class JobView:
    job: JobInfo  # the fullest JobInfo known: a 1.0 GET if we made one, else the list row
    purged: bool = False  # vanished from the job list: Salesforce purged it
    throughput: float | None = None  # records/s between the last two observations
    # When a full GET (or an action's answer) last changed ``job``; None: list row only.
    # Unchanged re-reads do not move it, so an idle org publishes nothing.
    detail_at: datetime | None = None
    # No full detail yet, and the list row does not show it ended: the console shows a
    # neutral loading mark, not "running", and does not count it as live.
    loading: bool = False
    kind: JobKind = field(init=False, compare=False)  # lifecycle.kind_of(job)
    liveness: Liveness = field(init=False, compare=False)  # ENDED once purged

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", kind_of(self.job))
        object.__setattr__(self, "liveness", Liveness.ENDED if self.purged else liveness(self.job))

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def failure_rate(self) -> float | None:
        processed = self.job.number_records_processed
        if not processed:
            return None
        return (self.job.number_records_failed or 0) / processed


_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Snapshot:
    jobs: Mapping[str, JobView]
    link: LinkState
    # When this snapshot's data arrived. Snapshots are published only on change, so for the
    # header's age read Poller.status.fetched_at (see PollStatus).
    fetched_at: datetime | None
    selected_job_id: str | None = None
    batches: tuple[BatchInfo, ...] | None = None  # of the selected job, when fetched
    problem: str | None = None  # plain words: what is wrong and what to do
    api_usage: ApiUsage | None = None
    identity: Identity | None = None
    user_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cycle: int = 0
    requests: int = 0  # Bulk/REST requests the poller has made so far
    source: Source = "live"  # "journal" until the first listing of this session arrived
    source_as_of: datetime | None = None  # how old the journal's picture is (source journal)
    # The journal's picture holds only its newest jobs so far; the rest is still being read
    # (a job count now would be too small). Never set once a listing has arrived.
    partial: bool = False
    # While ``partial``: every job the journal holds, unparsed, so that a table can show
    # every row at once (core/journal_preview.py). A job in ``jobs`` is shown from there.
    preview: JournalPreview | None = None

    def view(self, job_id: str) -> JobView | None:
        return view_of(self.jobs, self.preview, job_id)


def view_of(
    jobs: Mapping[str, JobView], preview: JournalPreview | None, job_id: str
) -> JobView | None:
    """A job's view: the poller's, else the journal preview's (parsed now); None when
    neither holds it. The snapshot's answer and the job table's."""
    view = jobs.get(job_id)
    if view is None and preview is not None and job_id in preview:
        view = preview.view(job_id)
    return view


@dataclass(frozen=True, slots=True)
class PollStatus:
    """The poller's header facts, current at every read (``Poller.status``).

    Snapshots are published only when the data changes, so an idle org publishes nothing; the
    header's "3s ago" must therefore come from ``status.fetched_at`` (refreshed every good
    cycle), read on the UI's own one-second timer, not from the last snapshot.
    """

    link: LinkState
    fetched_at: datetime | None  # when the last successful cycle began (its data is no older)
    problem: str | None
    api_usage: ApiUsage | None
    cycle: int
    requests: int
    next_cycle_at: datetime | None  # when the next cycle is due (None while paused)
    source: Source = "live"  # "journal": nothing from this session has arrived yet
    source_as_of: datetime | None = None  # the journal's age basis while source is journal
    # bulktui's own spend and the org's usage, for the header (core.budget.ApiBudget.words):
    # "bulktui: 420 requests this hour (budget 2,000); org at 41% of its daily limit", or
    # "org at 85% of its daily API limit: watching slowly". None: no budget in force.
    budget: str | None = None
    budget_compact: str | None = None  # "us 420/469 an hour": beside the org's usage
    budget_short: str | None = None  # "us 420/469/h": the same, for a narrow header
