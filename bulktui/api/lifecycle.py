"""The one rule for a job's lifecycle: its kind, whether it is live, and which actions it allows.

Every layer asks here: the poller (what to read again), the action runner and the one-shot
commands (what to send, and to which endpoint), the console (glyphs, keys, help, the palette).
Nobody keeps a copy. The emulator keeps its own state machine on purpose, as an independent
check of this one.

Facts relied on (docs/wire-facts.md §1.5 and §6):

- Bulk API 1.0: ``Open`` → ``Closed`` (by the client) → batches run to an end; ``Open`` or
  ``Closed`` → ``Aborted``. A Closed or Aborted job keeps changing while batches are queued or
  in progress (an abort lets InProgress batches finish). ``Failed`` is final.
- Bulk API 2.0 ingest: ``Open`` → ``UploadComplete`` (the client's "upload complete", our
  "close") → ``InProgress`` → ``JobComplete`` | ``Failed``; ``Open``, ``UploadComplete`` and
  ``InProgress`` → ``Aborted``. ``JobComplete``, ``Failed`` and ``Aborted`` are final.
- Bulk API 2.0 query: created in ``UploadComplete`` → ``InProgress`` → ``JobComplete`` |
  ``Failed``; ``UploadComplete`` and ``InProgress`` → ``Aborted``. There is nothing to close.
"""

from __future__ import annotations

from enum import StrEnum

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.models import JobInfo

__all__ = [
    "JobAction",
    "JobKind",
    "Liveness",
    "action_label",
    "allowed_actions",
    "has_counts",
    "is_live",
    "kind_of",
    "liveness",
    "refusal",
]


class JobKind(StrEnum):
    """Which API a job belongs to; the values are the Setup page's words."""

    V1 = "V1"
    V2_INGEST = "V2"
    V2_QUERY = "V2 query"

    @property
    def is_v2(self) -> bool:
        return self is not _V1


class JobAction(StrEnum):
    """What a user (or a rule) may do to an existing job."""

    CLOSE = "close"  # 1.0: state=Closed; 2.0 ingest: state=UploadComplete
    ABORT = "abort"


class Liveness(StrEnum):
    LIVE = "live"  # can still change: poll it
    ENDED = "ended"  # can no longer change: never read it again once its counts are known
    UNKNOWN = "unknown"  # cannot tell from what we hold (a list row): read it once


_KIND_BY_TYPE: dict[JobType, JobKind] = {
    JobType.CLASSIC: JobKind.V1,
    JobType.BIG_OBJECT_INGEST: JobKind.V1,
    JobType.V2_INGEST: JobKind.V2_INGEST,
    JobType.V2_QUERY: JobKind.V2_QUERY,
}

# Module constants, not ``JobState.OPEN`` in the functions: on Python 3.11 reading an enum
# member off its class costs about 80 ns, and the poller asks these of every job (10,000 at a
# launch from the journal).
# States only 2.0 jobs have: a job without a jobType in one of these is a 2.0 job.
_V2_ONLY_STATES = frozenset({JobState.UPLOAD_COMPLETE, JobState.IN_PROGRESS, JobState.JOB_COMPLETE})
_LIVE_STATES = frozenset({JobState.OPEN, JobState.UPLOAD_COMPLETE, JobState.IN_PROGRESS})
# A 1.0 job in one of these has stopped taking batches; the batches it has may still run.
_V1_BATCHES_MAY_RUN = frozenset({JobState.CLOSED, JobState.ABORTED})
_KNOWN_STATES = frozenset(JobState)
_QUERY_OPERATIONS = frozenset({Operation.QUERY, Operation.QUERY_ALL})
_V1, _V2_INGEST, _V2_QUERY = JobKind.V1, JobKind.V2_INGEST, JobKind.V2_QUERY
_LIVE, _ENDED, _UNKNOWN = Liveness.LIVE, Liveness.ENDED, Liveness.UNKNOWN


def kind_of(job: JobInfo) -> JobKind:
    """The job's kind: from ``jobType`` (listings and 2.0 GETs carry it), else from its state
    and operation. A 1.0 GET carries no ``jobType``; nothing else does without one."""
    kind = _KIND_BY_TYPE.get(job.job_type) if job.job_type is not None else None
    if kind is not None:
        return kind
    if job.state in _V2_ONLY_STATES:
        return _V2_QUERY if job.operation in _QUERY_OPERATIONS else _V2_INGEST
    return _V1


def has_counts(job: JobInfo) -> bool:
    """Whether ``job`` carries its record counters (a full GET), not only a list row's fields."""
    if kind_of(job) is not _V1:
        return job.number_records_processed is not None
    return job.number_batches_total is not None


def liveness(job: JobInfo) -> Liveness:
    """Whether reading this job again can show anything new."""
    state = job.state
    if state not in _KNOWN_STATES:  # None, or a state this version does not know
        return _UNKNOWN
    if state in _LIVE_STATES:
        return _LIVE
    if state in _V1_BATCHES_MAY_RUN and kind_of(job) is _V1:
        # The job's own state is done changing, but its batches may not be.
        if not has_counts(job):
            return _UNKNOWN
        return _LIVE if job.batches_pending > 0 else _ENDED
    return _ENDED


def is_live(job: JobInfo) -> bool:
    return liveness(job) is _LIVE


_ALLOWED: dict[JobKind, dict[JobState, frozenset[JobAction]]] = {
    JobKind.V1: {
        JobState.OPEN: frozenset({JobAction.CLOSE, JobAction.ABORT}),
        JobState.CLOSED: frozenset({JobAction.ABORT}),
    },
    JobKind.V2_INGEST: {
        JobState.OPEN: frozenset({JobAction.CLOSE, JobAction.ABORT}),
        JobState.UPLOAD_COMPLETE: frozenset({JobAction.ABORT}),
        JobState.IN_PROGRESS: frozenset({JobAction.ABORT}),
    },
    JobKind.V2_QUERY: {
        JobState.UPLOAD_COMPLETE: frozenset({JobAction.ABORT}),
        JobState.IN_PROGRESS: frozenset({JobAction.ABORT}),
    },
}


def allowed_actions(job: JobInfo) -> frozenset[JobAction]:
    """The actions the server accepts for this job's kind and state (empty when unknown)."""
    if job.state is None:
        return frozenset()
    return _ALLOWED[kind_of(job)].get(job.state, frozenset())


def action_label(job: JobInfo, action: JobAction) -> str:
    """The action in the user's words for this kind: 2.0 ingest jobs are not "closed"."""
    if action is JobAction.CLOSE and kind_of(job) is JobKind.V2_INGEST:
        return "mark upload complete"
    return action.value


def refusal(job: JobInfo, action: JobAction) -> str | None:
    """Why ``action`` is not possible for ``job``, in plain words; None when it is."""
    if action in allowed_actions(job):
        return None
    state = job.state.value if job.state is not None else "unknown"
    kind = kind_of(job)
    if action is JobAction.CLOSE:
        if kind is JobKind.V2_QUERY:
            return "A query job has nothing to close; it runs on its own."
        if kind is JobKind.V2_INGEST:
            return f"Only an Open job can be marked upload complete; this one is {state}."
        return f"Only an Open job can be closed; this one is {state}."
    if kind is JobKind.V1:
        return f"Only an Open or Closed job can be aborted; this one is {state}."
    return f"This job is {state}; it has ended and cannot be aborted."
