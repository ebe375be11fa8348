"""The Bulk API layer: models, wire codec, errors, ids and the async client. No Textual here.

``__all__`` is the surface other layers use; modules (``wire``, ``ids``, ``lifecycle``, …)
are imported by name for the rest.

Names load on first use (PEP 562): ``import bulktui.api.errors`` must not load the client and
with it the network stack (httpx and httpcore: about 0.2 s of a launch, needed only once the
first request goes out). Type checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        ProxySettingError,
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

_WHERE = {
    "AmbiguousResultError": "bulktui.api.errors",
    "ApiError": "bulktui.api.errors",
    "ApiUsage": "bulktui.api.models",
    "BatchInfo": "bulktui.api.models",
    "BatchState": "bulktui.api.enums",
    "BulkClient": "bulktui.api.client",
    "BulkError": "bulktui.api.errors",
    "ConcurrencyMode": "bulktui.api.enums",
    "Connection": "bulktui.api.connection",
    "ContentType": "bulktui.api.enums",
    "INVALID_MARK": "bulktui.api.wire",
    "Identity": "bulktui.api.models",
    "InsecureUrlError": "bulktui.api.connection",
    "InvalidIdError": "bulktui.api.ids",
    "InvalidSessionError": "bulktui.api.errors",
    "JobAction": "bulktui.api.lifecycle",
    "JobInfo": "bulktui.api.models",
    "JobKind": "bulktui.api.lifecycle",
    "JobListPage": "bulktui.api.models",
    "JobState": "bulktui.api.enums",
    "JobType": "bulktui.api.enums",
    "Liveness": "bulktui.api.lifecycle",
    "Operation": "bulktui.api.enums",
    "PageGuard": "bulktui.api.paging",
    "ProxySettingError": "bulktui.api.errors",
    "QuotaExceededError": "bulktui.api.errors",
    "ReauthenticationError": "bulktui.api.errors",
    "RecordError": "bulktui.api.models",
    "RecordResult": "bulktui.api.models",
    "ResponseFormatError": "bulktui.api.errors",
    "RetryPolicy": "bulktui.api.retry",
    "TransportError": "bulktui.api.errors",
    "normalize_id": "bulktui.api.ids",
    "state_changing": "bulktui.api.exchange",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'bulktui.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


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
    "ProxySettingError",
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
