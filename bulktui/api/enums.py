"""Bulk API enumerations.

Every enum tolerates values it does not know (the server may add some, and 2.0 rows carry 2.0
states), so parsing never fails on them; ``strict()`` is the exact-case lookup that the emulator
uses to validate requests, as Salesforce does.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class _TolerantEnum(StrEnum):
    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member

    @classmethod
    def strict(cls, value: object) -> Self | None:
        """The member whose wire value is exactly ``value``, else None."""
        if isinstance(value, str):
            return cls._value2member_map_.get(value)  # type: ignore[return-value]
        return None

    @property
    def known(self) -> bool:
        return self._value_ in type(self)._value2member_map_


class Operation(_TolerantEnum):
    INSERT = "insert"
    UPDATE = "update"
    UPSERT = "upsert"
    DELETE = "delete"
    HARD_DELETE = "hardDelete"
    QUERY = "query"
    QUERY_ALL = "queryAll"

    @property
    def is_query(self) -> bool:
        return self in (Operation.QUERY, Operation.QUERY_ALL)


class ContentType(_TolerantEnum):
    CSV = "CSV"
    XML = "XML"
    JSON = "JSON"
    ZIP_CSV = "ZIP_CSV"
    ZIP_XML = "ZIP_XML"
    ZIP_JSON = "ZIP_JSON"


class ConcurrencyMode(_TolerantEnum):
    PARALLEL = "Parallel"
    SERIAL = "Serial"


class JobState(_TolerantEnum):
    OPEN = "Open"
    CLOSED = "Closed"
    ABORTED = "Aborted"
    FAILED = "Failed"
    # Bulk 2.0 states, seen in the job list.
    UPLOAD_COMPLETE = "UploadComplete"
    IN_PROGRESS = "InProgress"
    JOB_COMPLETE = "JobComplete"

    @property
    def is_terminal(self) -> bool:
        """The job itself can no longer change state (batches of a Closed job still may)."""
        return self in (JobState.ABORTED, JobState.FAILED, JobState.JOB_COMPLETE)


class BatchState(_TolerantEnum):
    QUEUED = "Queued"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    NOT_PROCESSED = "NotProcessed"

    @property
    def is_terminal(self) -> bool:
        return self in (BatchState.COMPLETED, BatchState.FAILED, BatchState.NOT_PROCESSED)


class JobType(_TolerantEnum):
    CLASSIC = "Classic"
    V2_INGEST = "V2Ingest"
    V2_QUERY = "V2Query"
    BIG_OBJECT_INGEST = "BigObjectIngest"


class ResultSet(StrEnum):
    """A 2.0 ingest job's record results; the values are the resource names (docs/wire-facts.md)."""

    SUCCESSFUL = "successfulResults"
    FAILED = "failedResults"
    UNPROCESSED = "unprocessedrecords"


class ColumnDelimiter(_TolerantEnum):
    """2.0 CSV column delimiters by wire name; ``char`` is the character itself."""

    BACKQUOTE = "BACKQUOTE"
    CARET = "CARET"
    COMMA = "COMMA"
    PIPE = "PIPE"
    SEMICOLON = "SEMICOLON"
    TAB = "TAB"

    @property
    def char(self) -> str:
        return _DELIMITER_CHARS.get(self.value, ",")


_DELIMITER_CHARS = {
    "BACKQUOTE": "`",
    "CARET": "^",
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
