"""``POST /_emulator/seed``: jobs and batches placed directly in given states, with given
field values under their wire names. Tests use it to build 10,000 jobs, or a job whose
stateMessage holds markup or terminal escapes. Seeded batches are static: the engine never
moves them (submit real batches through the API to see processing)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bulktui.api import ids
from bulktui.api.enums import (
    BatchState,
    ConcurrencyMode,
    ContentType,
    JobState,
    JobType,
    Operation,
)
from bulktui.api.wire import parse_datetime
from bulktui.emulator.engine import Engine
from bulktui.emulator.objects import ObjectDef, find_object
from bulktui.emulator.processing import Outcome
from bulktui.emulator.state import Batch, EmulatorError, Job

_JOB_COUNTERS = frozenset(
    {
        "numberBatchesQueued",
        "numberBatchesInProgress",
        "numberBatchesCompleted",
        "numberBatchesFailed",
        "numberBatchesTotal",
        "numberRecordsProcessed",
        "numberRetries",
        "numberRecordsFailed",
        "totalProcessingTime",
        "apiActiveProcessingTime",
        "apexProcessingTime",
    }
)
_BATCH_COUNTERS = frozenset(
    {
        "numberRecordsProcessed",
        "numberRecordsFailed",
        "totalProcessingTime",
        "apiActiveProcessingTime",
        "apexProcessingTime",
    }
)
_JOB_KEYS = _JOB_COUNTERS | {
    "id",
    "operation",
    "object",
    "createdById",
    "createdDate",
    "systemModstamp",
    "state",
    "externalIdFieldName",
    "concurrencyMode",
    "contentType",
    "apiVersion",
    "assignmentRuleId",
    "batches",
    "copies",
    # Bulk API 2.0 jobs: jobType V2Ingest or V2Query, their dialect and how they ended.
    "jobType",
    "lineEnding",
    "columnDelimiter",
    "errorMessage",
    "retries",
}
_BATCH_KEYS = _BATCH_COUNTERS | {
    "id",
    "state",
    "stateMessage",
    "createdDate",
    "systemModstamp",
    "request",
}


def _date(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        return parse_datetime(str(value))
    except ValueError:
        raise EmulatorError("InvalidSeed", f"bad date {value!r}") from None


def _int_fields(spec: Mapping[str, Any], keys: frozenset[str]) -> dict[str, int]:
    out = {}
    for key in keys & spec.keys():
        try:
            out[key] = int(spec[key])
        except (TypeError, ValueError):
            raise EmulatorError("InvalidSeed", f"{key} must be a number") from None
    return out


def _object(name: str) -> ObjectDef:
    # An object the schema does not know still seeds: the console only shows its name.
    return find_object(name) or ObjectDef(name, "a0Z", {})


def _id(value: Any, prefix: str, fresh: str) -> str:
    if value is None:
        return fresh
    if not isinstance(value, str) or not ids.is_valid(value, prefix):
        raise EmulatorError("InvalidSeed", f"{value!r} is not a valid {prefix} id")
    return ids.to18(value)


def seed_jobs(engine: Engine, specs: Sequence[Mapping[str, Any]]) -> list[Job]:
    now = engine.now()
    made: list[Job] = []
    for spec in specs:
        if not isinstance(spec, Mapping):
            raise EmulatorError("InvalidSeed", "each job must be an object")
        unknown = set(spec) - _JOB_KEYS
        if unknown:
            raise EmulatorError("InvalidSeed", f"unknown job fields: {', '.join(sorted(unknown))}")
        copies = int(spec.get("copies", 1))
        if copies > 1 and "id" in spec:
            raise EmulatorError("InvalidSeed", "copies and id cannot be combined")
        for _ in range(copies):
            made.append(_seed_job(engine, spec, now))
    return made


def _seed_job(engine: Engine, spec: Mapping[str, Any], now: datetime) -> Job:
    created = _date(spec.get("createdDate"), now)
    job_id = _id(spec.get("id"), "750", "")
    if not job_id:
        job_id = engine.new_job_id()
    if job_id in engine.jobs:
        raise EmulatorError("InvalidSeed", f"job {job_id} already exists")
    obj = _object(str(spec.get("object", "Account")))
    job = Job(
        id=job_id,
        seq=0,
        operation=Operation(
            str(spec.get("operation", "query" if spec.get("jobType") == "V2Query" else "insert"))
        ),
        obj=obj,
        object_name=str(spec.get("object", obj.name)),
        created_by=_id(spec.get("createdById"), "005", engine.default_user.id),
        created=created,
        modstamp=_date(spec.get("systemModstamp"), created),
        state=JobState(str(spec.get("state", "Open"))),
        concurrency=ConcurrencyMode(str(spec.get("concurrencyMode", "Parallel"))),
        content_type=ContentType(str(spec.get("contentType", "CSV"))),
        api_version=str(spec.get("apiVersion", engine.config.api_version)),
        external_id=spec.get("externalIdFieldName"),
        assignment_rule_id=spec.get("assignmentRuleId"),
        fixed=dict(_int_fields(spec, _JOB_COUNTERS)),
    )
    job_type = JobType.strict(spec.get("jobType", "Classic"))
    if job_type is None or job_type is JobType.BIG_OBJECT_INGEST:
        raise EmulatorError("InvalidSeed", f"jobType {spec.get('jobType')!r} is not emulated")
    if job_type is not JobType.CLASSIC:
        if spec.get("batches"):
            raise EmulatorError("InvalidSeed", "a 2.0 job has no batches to seed")
        job.job_type = job_type
        job.content_type = ContentType.CSV
        job.line_ending = str(spec.get("lineEnding", "LF"))
        job.column_delimiter = str(spec.get("columnDelimiter", "COMMA"))
        job.error_message = spec.get("errorMessage")
        job.fixed.update(_int_fields(spec, frozenset({"retries"})))
        if job.state in (JobState.JOB_COMPLETE, JobState.FAILED, JobState.ABORTED):
            job.ended = job.modstamp
    engine.register_job(job)
    for batch_spec in spec.get("batches") or ():
        _seed_batch(engine, job, batch_spec)
    return job


def _seed_batch(engine: Engine, job: Job, spec: Mapping[str, Any]) -> Batch:
    if not isinstance(spec, Mapping):
        raise EmulatorError("InvalidSeed", "each batch must be an object")
    unknown = set(spec) - _BATCH_KEYS
    if unknown:
        raise EmulatorError("InvalidSeed", f"unknown batch fields: {', '.join(sorted(unknown))}")
    created = _date(spec.get("createdDate"), job.created)
    batch_id = _id(spec.get("id"), "751", "") or engine.new_batch_id()
    if batch_id in engine.batches:
        raise EmulatorError("InvalidSeed", f"batch {batch_id} already exists")
    request = spec.get("request", "")
    batch = Batch(
        id=batch_id,
        job=job,
        created=created,
        payload=str(request).encode(),
        state=BatchState(str(spec.get("state", "Queued"))),
        state_message=spec.get("stateMessage"),
        modstamp=_date(spec.get("systemModstamp"), created),
        outcome=Outcome(),
        fixed=dict(_int_fields(spec, _BATCH_COUNTERS)),
        static=True,
    )
    return engine.register_batch(batch)
