"""The engine's mutable records of jobs and batches (the wire models are built from them)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bulktui.api.enums import (
    BatchState,
    ConcurrencyMode,
    ContentType,
    JobState,
    JobType,
    Operation,
)
from bulktui.emulator.objects import ObjectDef
from bulktui.emulator.processing import Outcome


class EmulatorError(Exception):
    """A request the emulated server refuses: HTTP status, exceptionCode and message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(eq=False, slots=True)
class Batch:
    id: str
    job: Job
    created: datetime
    payload: bytes
    state: BatchState = BatchState.QUEUED
    state_message: str | None = None
    modstamp: datetime | None = None
    started: datetime | None = None
    finishes: datetime | None = None
    outcome: Outcome | None = None
    result_ids: tuple[str, ...] = ()
    # Wire-named values a seed fixed (numberRecordsProcessed, …); they win over computed ones.
    fixed: dict[str, Any] = field(default_factory=dict)
    static: bool = False  # seeded directly in its state: the engine never moves it


@dataclass(eq=False, slots=True)
class Job:
    id: str
    seq: int
    operation: Operation
    obj: ObjectDef
    object_name: str  # as the client spelled it on creation, canonicalised
    created_by: str
    created: datetime
    modstamp: datetime
    state: JobState
    concurrency: ConcurrencyMode
    content_type: ContentType
    api_version: str
    external_id: str | None = None
    assignment_rule_id: str | None = None
    batches: list[Batch] = field(default_factory=list)
    waiting: deque[Batch] = field(default_factory=deque)  # Queued, not yet given a slot
    running: int = 0  # batches holding a processing slot
    fixed: dict[str, Any] = field(default_factory=dict)
    records_per_second: float | None = None  # this job's speed, if not the engine's
    # Bulk API 2.0: the kind, the CSV dialect, what was uploaded, how it ended.
    job_type: JobType = JobType.CLASSIC
    line_ending: str | None = None  # "LF" | "CRLF"
    column_delimiter: str | None = None  # "COMMA", "TAB", …
    uploads: list[bytes] = field(default_factory=list)
    soql: str | None = None  # a 2.0 query job's query
    error_message: str | None = None
    ended: datetime | None = None  # when a 2.0 job reached JobComplete, Failed or Aborted

    @property
    def is_v2(self) -> bool:
        return self.job_type is not JobType.CLASSIC
