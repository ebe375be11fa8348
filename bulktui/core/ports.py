"""The slice of ``BulkClient`` the core uses, as Protocols: the poller and the action runner
run against the real client, and unit tests against a tiny fake with the same shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from bulktui.api.enums import ConcurrencyMode, ContentType, Operation
from bulktui.api.lifecycle import JobKind
from bulktui.api.models import ApiUsage, BatchInfo, Identity, JobInfo


class PollingClient(Protocol):
    async def list_jobs(self) -> list[JobInfo]: ...

    async def get_job(self, job_id: str, kind: JobKind | None = None) -> JobInfo:
        """``kind`` picks the endpoint (1.0, 2.0 ingest, 2.0 query); None: find it."""
        ...

    async def list_batches(self, job_id: str) -> tuple[BatchInfo, ...]: ...

    async def whoami(self) -> Identity: ...

    async def user_names(self, ids: Sequence[str]) -> dict[str, str]: ...

    @property
    def api_usage(self) -> ApiUsage | None: ...

    @property
    def requests_sent(self) -> int:
        """HTTP requests tried so far, retries included: the numbering of replies and
        retries (``fastest_reply_since``, ``retries_since``)."""
        ...

    @property
    def requests_reached(self) -> int:
        """Requests that reached a server, retries included: what the org's daily limit can
        have counted, and what the API budget spends. A connection that could not be made
        sent nothing."""
        ...

    def fastest_reply_since(self, mark: int) -> float | None:
        """Seconds the quickest request sent after ``mark`` (an earlier ``requests_sent``)
        took; None when none was answered since."""
        ...

    def retries_since(self, mark: int) -> tuple[int, str | None]:
        """Requests sent after ``mark`` that failed and were retried, and the last reason."""
        ...


class ActionClient(Protocol):
    async def get_job(self, job_id: str, kind: JobKind | None = None) -> JobInfo: ...

    async def find_job(self, job_id: str) -> JobInfo:
        """Asks the endpoints in turn; raises ``JobNotFoundError`` when none knows the id."""
        ...

    async def close_job(self, job_id: str, kind: JobKind = JobKind.V1) -> JobInfo:
        """1.0: state Closed; 2.0 ingest: state UploadComplete."""
        ...

    async def abort_job(self, job_id: str, kind: JobKind = JobKind.V1) -> JobInfo: ...

    async def create_job(
        self,
        object: str,
        operation: Operation,
        content_type: ContentType = ContentType.CSV,
        external_id_field_name: str | None = None,
        concurrency_mode: ConcurrencyMode | None = None,
    ) -> JobInfo: ...


if TYPE_CHECKING:  # mypy proves the real client fits both protocols
    from bulktui.api.client import BulkClient

    def _conforms(client: BulkClient) -> tuple[PollingClient, ActionClient]:
        return client, client
