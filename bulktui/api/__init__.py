"""The Bulk API layer: models, wire codec, errors, ids and the async client. No Textual here.

``__all__`` is the surface other layers use; modules (``wire``, ``ids``, ``lifecycle``, …)
are imported by name for the rest.
"""

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection, InsecureUrlError
from bulktui.api.enums import (
    BatchState,
    ConcurrencyMode,
    ContentType,
    JobState,
    JobType,
    Operation,
)
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    BulkError,
    InvalidSessionError,
    QuotaExceededError,
    ReauthenticationError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.exchange import state_changing
from bulktui.api.ids import InvalidIdError, normalize_id
from bulktui.api.lifecycle import JobAction, JobKind, Liveness
from bulktui.api.models import (
    ApiUsage,
    BatchInfo,
    Identity,
    JobInfo,
    JobListPage,
    RecordError,
    RecordResult,
)
from bulktui.api.paging import PageGuard
from bulktui.api.retry import RetryPolicy
from bulktui.api.wire import INVALID_MARK

__all__ = [
    "INVALID_MARK",
    "AmbiguousResultError",
    "ApiError",
    "ApiUsage",
    "BatchInfo",
    "BatchState",
    "BulkClient",
    "BulkError",
    "ConcurrencyMode",
    "Connection",
    "ContentType",
    "Identity",
    "InsecureUrlError",
    "InvalidIdError",
    "InvalidSessionError",
    "JobAction",
    "JobInfo",
    "JobKind",
    "JobListPage",
    "JobState",
    "JobType",
    "Liveness",
    "Operation",
    "PageGuard",
    "QuotaExceededError",
    "ReauthenticationError",
    "RecordError",
    "RecordResult",
    "ResponseFormatError",
    "RetryPolicy",
    "TransportError",
    "normalize_id",
    "state_changing",
]
