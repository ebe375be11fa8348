"""The journal's interface, and the journal that does nothing.

``NullJournal`` stands in when there is no journal: turned off (``--no-journal``), or a file
that cannot be used (``problem`` says which and what to do, in one line). It has every method
of ``Journal``, so callers never test which one they hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core.actions import ActionOutcome
from bulktui.core.journal_queries import ActionEntry, HistoryEntry, JobRecord, JournalInfo

if TYPE_CHECKING:  # a one-shot command never builds a snapshot: not loaded for it
    from bulktui.core.journal_preview import JournalPreview
    from bulktui.core.snapshot import Snapshot


class ErrorGroupLike(Protocol):
    """What the journal keeps of ``bulktui.api.results.ErrorGroup`` (never its samples)."""

    @property
    def code(self) -> str: ...
    @property
    def first_message(self) -> str: ...
    @property
    def count(self) -> int: ...


class FailedGroupsLike(Protocol):
    """``bulktui.api.results.FailedRecordGroups``, as far as the journal reads it."""

    @property
    def groups(self) -> Sequence[ErrorGroupLike]: ...


class JournalLike(Protocol):
    """What the console, the poller's owner and the commands use; both kinds satisfy it."""

    enabled: bool
    path: Path | None
    problem: str | None

    def record_snapshot(self, snapshot: Snapshot) -> None: ...
    def record_action(
        self, outcome: ActionOutcome, org_id: str | None = None, user: str | None = None
    ) -> None: ...
    def known_jobs(self, org_id: str | None = None, limit: int | None = None) -> list[JobInfo]: ...


# --------------------------------------------------------------------------- null journal


class NullJournal:
    """Records nothing and knows nothing. ``problem`` says why in one line (None when the
    journal was turned off on purpose)."""

    enabled = False

    def __init__(self, problem: str | None = None, path: Path | None = None) -> None:
        self.problem = problem
        self.path = path

    def record_snapshot(self, snapshot: Snapshot) -> None:
        pass

    def record_action(
        self, outcome: ActionOutcome, org_id: str | None = None, user: str | None = None
    ) -> None:
        pass

    def record_listing(self, jobs: Iterable[JobInfo], at: datetime) -> list[str]:
        return []

    def record_job(self, job: JobInfo, at: datetime) -> None:
        pass

    def mark_purged(self, job_id: str, at: datetime) -> None:
        pass

    def record_batches(self, job_id: str, batches: Sequence[BatchInfo], at: datetime) -> None:
        pass

    def record_result_counts(
        self,
        job_id: str,
        at: datetime,
        *,
        processed: int | None,
        failed: int | None,
        unprocessed: int | None = None,
    ) -> None:
        pass

    def record_failed_groups(
        self, job_id: str, batch_id: str | None, groups: FailedGroupsLike, at: datetime
    ) -> None:
        pass

    def known_jobs(self, org_id: str | None = None, limit: int | None = None) -> list[JobInfo]:
        return []

    def info(self) -> JournalInfo | None:
        return None

    def preview(self, org_id: str | None, as_of: datetime, limit: int) -> JournalPreview | None:
        return None

    def known_as_of(self) -> datetime | None:
        return None

    def history(self, **_: Any) -> list[HistoryEntry]:
        return []

    def actions(self, **_: Any) -> list[ActionEntry]:
        return []

    def job_record(self, job_id: str) -> JobRecord | None:
        return None

    def maybe_prune(self, now: datetime | None = None) -> int:
        return 0

    def prune(self, now: datetime | None = None) -> int:
        return 0

    def close(self) -> None:
        pass
