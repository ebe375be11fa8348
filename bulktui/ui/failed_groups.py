"""What the console's views need from the backend's grouped failed records, and how to ask.

The backend's ``failed_records(job_id, batch_id) -> FailedRecordGroups`` (1.0: one batch's
results grouped; 2.0: the job's ``failedResults`` grouped) and the ``FailedRecordGroups`` value
belong to the core and the API layer; the grouping lives there, once. The views only read the
fields named here, so these protocols describe that shape without importing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bulktui.api.errors import BulkError
from bulktui.api.models import RecordResult
from bulktui.text import one_line

NOT_AVAILABLE = (
    "failed records grouped by error: not available in this build "
    "(the backend has no failed_records yet)"
)


class ErrorGroupView(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def first_message(self) -> str: ...

    @property
    def count(self) -> int: ...

    @property
    def samples(self) -> Sequence[Sequence[str]]: ...

    @property
    def header(self) -> Sequence[str]: ...


class FailedRecordGroupsView(Protocol):
    @property
    def groups(self) -> Sequence[ErrorGroupView]: ...

    @property
    def rows_seen(self) -> int: ...

    @property
    def failed(self) -> int: ...

    @property
    def truncated(self) -> bool: ...

    @property
    def note(self) -> str | None: ...


@runtime_checkable
class FailedRecordsSource(Protocol):
    async def failed_records(self, job_id: str, batch_id: str | None) -> FailedRecordGroupsView: ...


def failed_records_source(app: object) -> FailedRecordsSource | None:
    """The app's backend if it can group failed records, else None (say :data:`NOT_AVAILABLE`)."""
    backend = getattr(app, "backend", None)
    return backend if isinstance(backend, FailedRecordsSource) else None


def explain_load(exc: BaseException) -> str:
    """Why loading failed, in one line."""
    if isinstance(exc, BulkError):
        return one_line(str(exc))
    return one_line(f"unexpected error {type(exc).__name__}: {exc}")


@runtime_checkable
class BatchResultsSource(Protocol):
    """The older backend call: one 1.0 batch's results, ungrouped."""

    async def batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]: ...


def batch_results_source(app: object) -> BatchResultsSource | None:
    backend = getattr(app, "backend", None)
    return backend if isinstance(backend, BatchResultsSource) else None
