"""Immutable JobInfo / BatchInfo models with the wire field tables that drive (de)serialisation.

Attribute names are snake_case; ``JOB_FIELDS`` / ``BATCH_FIELDS`` map them to wire names in the
XSD order of docs/wire-facts.md §1.2 / §2.1. Counters are ``None`` where the server did not
send them (job-list rows carry no counts). Unknown elements are kept in ``extra`` so nothing is
dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from bulktui.api.enums import (
    BatchState,
    ConcurrencyMode,
    ContentType,
    JobState,
    JobType,
    Operation,
)


@dataclass(frozen=True, slots=True)
class WireField:
    wire: str
    attr: str
    kind: type | str  # an Enum subclass, or "str" | "int" | "datetime" | "bool" | "version"


def _f(wire: str, kind: type | str) -> WireField:
    attr = "".join("_" + c.lower() if c.isupper() else c for c in wire)
    return WireField(wire, attr, kind)


# Reference §1.2 order; fields after apexProcessingTime are JSON-only or Bulk 2.0 extras.
JOB_FIELDS: tuple[WireField, ...] = (
    _f("id", "str"),
    _f("operation", Operation),
    _f("object", "str"),
    _f("createdById", "str"),
    _f("createdDate", "datetime"),
    _f("systemModstamp", "datetime"),
    _f("state", JobState),
    _f("externalIdFieldName", "str"),
    _f("concurrencyMode", ConcurrencyMode),
    _f("contentType", ContentType),
    _f("numberBatchesQueued", "int"),
    _f("numberBatchesInProgress", "int"),
    _f("numberBatchesCompleted", "int"),
    _f("numberBatchesFailed", "int"),
    _f("numberBatchesTotal", "int"),
    _f("numberRecordsProcessed", "int"),
    _f("numberRetries", "int"),
    _f("apiVersion", "version"),
    _f("assignmentRuleId", "str"),
    _f("numberRecordsFailed", "int"),
    _f("totalProcessingTime", "int"),
    _f("apiActiveProcessingTime", "int"),
    _f("apexProcessingTime", "int"),
    _f("fastPathEnabled", "bool"),
    # Bulk 2.0 / job-list fields (docs/wire-facts.md §5, §6).
    _f("jobType", JobType),
    _f("contentUrl", "str"),
    _f("lineEnding", "str"),
    _f("columnDelimiter", "str"),
    _f("retries", "int"),
    _f("errorMessage", "str"),
)
JOB_XML_FIELD_COUNT = 23  # id … apexProcessingTime: what a 1.0 XML jobInfo carries

BATCH_FIELDS: tuple[WireField, ...] = (
    _f("id", "str"),
    _f("jobId", "str"),
    _f("state", BatchState),
    _f("stateMessage", "str"),
    _f("createdDate", "datetime"),
    _f("systemModstamp", "datetime"),
    _f("numberRecordsProcessed", "int"),
    _f("numberRecordsFailed", "int"),
    _f("totalProcessingTime", "int"),
    _f("apiActiveProcessingTime", "int"),
    _f("apexProcessingTime", "int"),
)


@dataclass(frozen=True, slots=True)
class JobInfo:
    id: str
    operation: Operation | None = None
    object: str | None = None
    created_by_id: str | None = None
    created_date: datetime | None = None
    system_modstamp: datetime | None = None
    state: JobState | None = None
    external_id_field_name: str | None = None
    concurrency_mode: ConcurrencyMode | None = None
    content_type: ContentType | None = None
    number_batches_queued: int | None = None
    number_batches_in_progress: int | None = None
    number_batches_completed: int | None = None
    number_batches_failed: int | None = None
    number_batches_total: int | None = None
    number_records_processed: int | None = None
    number_retries: int | None = None
    api_version: str | None = None  # text as sent ("64.0"; scrubbed recordings say "vxx.0")
    assignment_rule_id: str | None = None
    number_records_failed: int | None = None
    total_processing_time: int | None = None
    api_active_processing_time: int | None = None
    apex_processing_time: int | None = None
    fast_path_enabled: bool | None = None
    job_type: JobType | None = None
    content_url: str | None = None
    line_ending: str | None = None
    column_delimiter: str | None = None
    retries: int | None = None
    error_message: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def api_version_number(self) -> float | None:
        try:
            return float(self.api_version) if self.api_version is not None else None
        except ValueError:
            return None

    @property
    def has_counts(self) -> bool:
        """False for job-list rows, which carry no batch or record counters."""
        return self.number_batches_total is not None

    @property
    def batches_pending(self) -> int:
        return (self.number_batches_queued or 0) + (self.number_batches_in_progress or 0)

    def to_wire(self) -> dict[str, Any]:
        """Wire-named values that are set, in field order, for JSON output (enums as strings)."""
        return _set_fields(self, JOB_FIELDS, self.extra)


@dataclass(frozen=True, slots=True)
class BatchInfo:
    id: str
    job_id: str | None = None
    state: BatchState | None = None
    state_message: str | None = None
    created_date: datetime | None = None
    system_modstamp: datetime | None = None
    number_records_processed: int | None = None
    number_records_failed: int | None = None
    total_processing_time: int | None = None
    api_active_processing_time: int | None = None
    apex_processing_time: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=True)

    def to_wire(self) -> dict[str, Any]:
        return _set_fields(self, BATCH_FIELDS, self.extra)


@dataclass(frozen=True, slots=True)
class JobListPage:
    """One page of a 2.0 ``/jobs/ingest`` or ``/jobs/query`` listing."""

    records: tuple[JobInfo, ...]
    done: bool
    next_records_url: str | None


@dataclass(frozen=True, slots=True)
class RecordError:
    status_code: str
    message: str
    fields: tuple[str, ...] = ()

    def csv_text(self) -> str:
        """The CSV result form: ``STATUS_CODE:message:fields --``."""
        return f"{self.status_code}:{self.message}:{','.join(self.fields)} --"


@dataclass(frozen=True, slots=True)
class RecordResult:
    """One row of a DML batch result, in request-row order."""

    id: str | None
    success: bool
    created: bool
    errors: tuple[RecordError, ...] = ()

    @property
    def error(self) -> str | None:
        return " ".join(e.csv_text() for e in self.errors) or None

    @property
    def status_code(self) -> str | None:
        """The first error's status code, e.g. REQUIRED_FIELD_MISSING."""
        return self.errors[0].status_code if self.errors else None


def _set_fields(
    obj: object, fields: tuple[WireField, ...], extra: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields that are set, by wire name in field order, then unknown elements kept."""
    out: dict[str, Any] = {}
    for f in fields:
        value = getattr(obj, f.attr)
        if value is not None:
            out[f.wire] = _wire_value(value)
    for key, value in extra.items():
        out.setdefault(key, value)
    return out


def _wire_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        from bulktui.api.wire import format_datetime_json

        return format_datetime_json(value)
    return value


@dataclass(frozen=True, slots=True)
class ApiUsage:
    """From ``Sforce-Limit-Info: api-usage=used/limit``."""

    used: int
    limit: int


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the session belongs to (``/services/oauth2/userinfo``)."""

    user_id: str
    org_id: str
    username: str
    display_name: str
