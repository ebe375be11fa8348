"""Bulk API 2.0 jobs in the engine: ingest jobs (create, upload, UploadComplete, abort, delete)
and query jobs, processed on the same clock and by the same record rules as 1.0 batches.

A 2.0 ingest job's upload is split, when the client marks it UploadComplete, into internal
batches of up to 10,000 records that the engine runs like 1.0 batches; the job's state follows
them: UploadComplete → InProgress (a batch started) → JobComplete (all done) or Failed (a batch
failed as a whole: its stateMessage becomes the job's errorMessage). A query job runs as one
internal batch. Errors are raised as EmulatorError with the 2.0 errorCode and HTTP status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bulktui.api.enums import (
    BatchState,
    ConcurrencyMode,
    ContentType,
    JobState,
    JobType,
    Operation,
)
from bulktui.api.models import JobInfo
from bulktui.emulator import soql
from bulktui.emulator.csv2 import DELIMITERS, LINE_ENDINGS, CsvDialect
from bulktui.emulator.payload import MAX_RECORDS
from bulktui.emulator.state import Batch, EmulatorError, Job

if TYPE_CHECKING:
    from bulktui.emulator.engine import Engine, UserInfo

INGEST_OPERATIONS = frozenset(
    {Operation.INSERT, Operation.UPDATE, Operation.UPSERT, Operation.DELETE, Operation.HARD_DELETE}
)
QUERY_OPERATIONS = frozenset({Operation.QUERY, Operation.QUERY_ALL})
INGEST_FIELDS = frozenset(
    {
        "object",
        "operation",
        "externalIdFieldName",
        "contentType",
        "lineEnding",
        "columnDelimiter",
        "assignmentRuleId",
    }
)
QUERY_FIELDS = frozenset({"operation", "query", "contentType", "lineEnding", "columnDelimiter"})
# The documented cap: 150 MB of upload once base64-encoded (about 100 MB of CSV).
MAX_UPLOAD_BASE64 = 150_000_000
ENDED = (JobState.JOB_COMPLETE, JobState.FAILED, JobState.ABORTED)
_RESULT_PREFIX: dict[str, tuple[str, ...]] = {
    "successfulResults": ("sf__Id", "sf__Created"),
    "failedResults": ("sf__Id", "sf__Error"),
    "unprocessedrecords": (),
}
NOT_FOUND = ("NOT_FOUND", "The requested resource does not exist", 404)
# How a state reads inside "Aborting already … Job not allowed" (the wire says "Completed").
_STATE_WORDS = {JobState.JOB_COMPLETE: "Completed"}


def invalid_state(message: str) -> EmulatorError:
    return EmulatorError("INVALIDJOBSTATE", message, 400)


def _as_v2_error(exc: EmulatorError) -> EmulatorError:
    """A 1.0 validation refusal (``InvalidJob`` / ``Unable to find object: X``) in 2.0 words."""
    return EmulatorError(exc.code.upper(), f"{exc.code} : {exc.message}", 400)


class Bulk2:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ lookup

    def get(self, job_id: str, job_type: JobType) -> Job:
        job = self.engine.find_job(job_id)
        if job is None or job.job_type is not job_type:
            raise EmulatorError(*NOT_FOUND)
        return job

    @staticmethod
    def content_url(job: Job) -> str | None:
        if job.job_type is not JobType.V2_INGEST or job.state is not JobState.OPEN:
            return None
        return f"services/data/v{job.api_version}/jobs/ingest/{job.id}/batches"

    # ------------------------------------------------------------------ create

    def create_ingest(
        self, user: UserInfo, fields: Mapping[str, Any], version: str, at: datetime | None = None
    ) -> Job:
        _check_fields(fields, INGEST_FIELDS)
        dialect = _dialect(fields)
        operation = Operation.strict(fields.get("operation"))
        if operation not in INGEST_OPERATIONS:
            raise EmulatorError(
                "INVALIDJOB", f"InvalidJob : Invalid operation: {fields.get('operation')}", 400
            )
        legacy = {
            k: v
            for k, v in fields.items()
            if k in ("object", "operation", "externalIdFieldName", "assignmentRuleId")
        }
        try:
            job = self.engine.create_job(user, {**legacy, "contentType": "CSV"}, version, at)
        except EmulatorError as exc:
            raise _as_v2_error(exc) from None
        job.job_type = JobType.V2_INGEST
        job.line_ending, job.column_delimiter = dialect.line_ending, dialect.delimiter
        return job

    def create_query(
        self, user: UserInfo, fields: Mapping[str, Any], version: str, at: datetime | None = None
    ) -> Job:
        _check_fields(fields, QUERY_FIELDS)
        dialect = _dialect(fields)
        operation = Operation.strict(fields.get("operation", "query"))
        if operation not in QUERY_OPERATIONS:
            raise EmulatorError(
                "INVALIDJOB", f"InvalidJob : Invalid operation: {fields.get('operation')}", 400
            )
        text = fields.get("query")
        if not isinstance(text, str) or not text.strip():
            raise EmulatorError("INVALIDJOB", "InvalidJob : query is required", 400)
        try:
            parsed = soql.parse(text)
        except soql.SoqlError as exc:
            raise EmulatorError(exc.code, str(exc).split(": ", 1)[1], 400) from None
        engine = self.engine
        when = _ms(at or engine.now())
        job = engine.register_job(
            Job(
                id=engine.new_job_id(),
                seq=0,
                operation=operation,
                obj=parsed.obj,
                object_name=parsed.obj.name,
                created_by=user.id,
                created=when,
                modstamp=when,
                state=JobState.UPLOAD_COMPLETE,
                concurrency=ConcurrencyMode.PARALLEL,
                content_type=ContentType.CSV,
                api_version=version,
                job_type=JobType.V2_QUERY,
                line_ending=dialect.line_ending,
                column_delimiter=dialect.delimiter,
                soql=text,
            )
        )
        engine.enqueue_internal(job, text.encode(), when)
        return job

    # ------------------------------------------------------------------ upload

    def upload(
        self, job: Job, body: bytes, media_type: str | None, at: datetime | None = None
    ) -> None:
        media = (media_type or "").split(";", 1)[0].strip().lower()
        if media != "text/csv":
            raise EmulatorError(
                "INVALIDCONTENTTYPE", f"Content-Type {media or '(none)'} is not text/csv", 415
            )
        if job.state is not JobState.OPEN:
            raise invalid_state(
                f"Unable to upload data: the job is {job.state.value}; "
                "data can only be uploaded to an Open job"
            )
        if job.uploads:
            raise invalid_state(
                f"Found multiple contents for job: <{job.id}>, please 'Close' / 'Abort' / "
                "'Delete' the current Job then create a new Job and make sure you only do "
                "'PUT' once on a given Job."
            )
        if (len(body) + 2) // 3 * 4 > MAX_UPLOAD_BASE64:
            raise EmulatorError(
                "CLIENTINPUTERROR",
                f"ClientInputError : Exceeded max size limit of {MAX_UPLOAD_BASE64} bytes "
                "(base64-encoded)",
                400,
            )
        job.uploads.append(body)
        job.modstamp = _ms(at or self.engine.now())

    # ------------------------------------------------------------------ state changes

    def patch(self, job: Job, fields: Mapping[str, Any], at: datetime | None = None) -> Job:
        if set(fields) != {"state"}:
            extra = sorted(set(fields) - {"state"})
            raise EmulatorError(
                "JSON_PARSER_ERROR",
                f'Unrecognized field "{extra[0]}"' if extra else "state is required",
                400,
            )
        target = JobState.strict(fields["state"])
        when = _ms(at or self.engine.now())
        word = _STATE_WORDS.get(job.state, job.state.value)
        if target is JobState.ABORTED:
            if job.state in ENDED or (
                job.job_type is JobType.V2_QUERY and job.state is JobState.OPEN
            ):
                raise invalid_state(f"Aborting already {word} Job not allowed")
            self.engine.stop_batches(job, when)  # Queued batches → NotProcessed
            self._end(job, JobState.ABORTED, when)
            return job
        if target is JobState.UPLOAD_COMPLETE and job.job_type is JobType.V2_INGEST:
            if job.state is not JobState.OPEN:
                raise invalid_state(f"Closing already {word} Job not allowed")
            self._upload_complete(job, when)
            return job
        shown = fields["state"] if isinstance(fields["state"], str) else repr(fields["state"])
        raise invalid_state(f"Job state {shown} can not be set by a client")

    def delete(self, job: Job) -> None:
        allowed = {JobState.JOB_COMPLETE, JobState.ABORTED, JobState.FAILED}
        if job.job_type is JobType.V2_INGEST:
            allowed.add(JobState.UPLOAD_COMPLETE)
        if job.state not in allowed:
            raise invalid_state(f"Deleting a job in state {job.state.value} is not allowed")
        self.engine.remove_job(job)

    def fail(self, job: Job, message: str, at: datetime | None = None) -> None:
        """A job-level failure (the demo, an unreadable upload): nothing more runs."""
        when = _ms(at or self.engine.now())
        self.engine.stop_batches(job, when)
        job.error_message = message
        self._end(job, JobState.FAILED, when)

    def _upload_complete(self, job: Job, at: datetime) -> None:
        job.state = JobState.UPLOAD_COMPLETE
        job.modstamp = at
        chunks: list[bytes] = []
        try:  # row by row, so a large upload is never held as a list of rows
            rows = CsvDialect.of(job).iter_rows(b"".join(job.uploads))
            header = next(rows, [])
            buffer: list[list[str]] = []
            for row in rows:
                buffer.append(row)
                if len(buffer) == MAX_RECORDS:
                    chunks.append(CsvDialect.canonical(header, buffer))
                    buffer = []
            if buffer:
                chunks.append(CsvDialect.canonical(header, buffer))
        except ValueError as exc:
            self._fail_later(job, str(exc), at)
            return
        if not chunks:
            self._fail_later(job, "InvalidBatch : Records not found", at)
            return
        for chunk in chunks:
            self.engine.enqueue_internal(job, chunk, at)
        job.uploads.clear()  # the internal batches hold the data from now on

    def _fail_later(self, job: Job, message: str, at: datetime) -> None:
        """Failures Salesforce finds while processing show up after the queue wait."""

        def tick(when: datetime) -> None:
            if job.state is JobState.UPLOAD_COMPLETE:
                self.fail(job, message, when)

        self.engine.add_ticker(at + timedelta(seconds=self.engine.config.queue_seconds), tick)

    def batch_moved(self, job: Job, at: datetime) -> None:
        """An internal batch started or finished: the job's state follows its batches."""
        if job.state not in (JobState.UPLOAD_COMPLETE, JobState.IN_PROGRESS):
            return
        when = _ms(at)
        failed = next((b for b in job.batches if b.state is BatchState.FAILED), None)
        if failed is not None:
            self.fail(job, failed.state_message or "InvalidBatch : processing failed", when)
            return
        if all(b.state is BatchState.COMPLETED for b in job.batches):
            self._end(job, JobState.JOB_COMPLETE, when)
        elif job.state is JobState.UPLOAD_COMPLETE and any(
            b.state is not BatchState.QUEUED for b in job.batches
        ):
            job.state = JobState.IN_PROGRESS
            job.modstamp = when

    def _end(self, job: Job, state: JobState, at: datetime) -> None:
        job.state = state
        job.modstamp = at
        job.ended = at
        self.engine.schedule_purge(job)

    # ------------------------------------------------------------------ views

    def job_info(self, job: Job) -> JobInfo:
        """A single-job GET: the 2.0 fields, no batch counters."""
        full = self.engine.job_info(job)
        info = replace(
            self.engine.list_row(job),
            system_modstamp=full.system_modstamp,
            number_records_processed=full.number_records_processed,
            retries=int(job.fixed.get("retries", 0)),
            total_processing_time=full.total_processing_time,
            error_message=job.error_message,
            assignment_rule_id=job.assignment_rule_id,
        )
        if job.job_type is JobType.V2_QUERY:
            return info
        return replace(
            info,
            number_records_failed=full.number_records_failed,
            api_active_processing_time=full.api_active_processing_time,
            apex_processing_time=full.apex_processing_time,
        )

    async def iter_ingest_results(self, job: Job, which: str) -> AsyncIterator[bytes]:
        """``successfulResults``, ``failedResults`` or ``unprocessedrecords`` as CSV, one
        internal batch at a time: what has finished so far (partial while the job runs). An
        async generator, so it reads the engine on the event loop, never from a thread."""
        dialect = CsvDialect.of(job)
        prefix = _RESULT_PREFIX[which]
        stopped = job.state in (JobState.FAILED, JobState.ABORTED)
        if not job.batches:  # nothing ran: a failure found before splitting, or never closed
            try:
                header, rows = dialect.read(b"".join(job.uploads))
            except ValueError:
                header, rows = [], []
            yield dialect.write_header(prefix, header)
            if which == "unprocessedrecords" and stopped:
                yield dialect.write_rows(rows)
            return
        # States as of the request: a batch that moves while the body streams is not re-read.
        batches = [(b, b.state) for b in job.batches]
        yield dialect.write_header(prefix, CsvDialect.read_canonical(batches[0][0].payload)[0])
        for batch, state in batches:
            _, rows = CsvDialect.read_canonical(batch.payload)
            lines = _result_rows(batch, state, stopped, rows, which)
            if lines:
                yield dialect.write_rows(lines)

    def query_results(self, job: Job) -> tuple[list[str], list[dict[str, Any]]]:
        if job.state is not JobState.JOB_COMPLETE:
            state = {
                JobState.UPLOAD_COMPLETE: "UPLOAD_COMPLETE",
                JobState.IN_PROGRESS: "IN_PROGRESS",
                JobState.ABORTED: "ABORTED",
                JobState.FAILED: "FAILED",
            }.get(job.state, job.state.value.upper())
            raise EmulatorError(
                "JOB_NOT_COMPLETE",
                "can only download query results of successfully completed bulk job with "
                f"status: JOB_COMPLETE. Current status: {state}",
                412,
            )
        outcome = job.batches[0].outcome if job.batches else None
        if outcome is None or outcome.query_rows is None:
            return [], []
        return list(outcome.query_fields), outcome.query_rows


def _result_rows(
    batch: Batch, state: BatchState, stopped: bool, rows: list[list[str]], which: str
) -> list[list[str]]:
    if which == "unprocessedrecords":
        pending = (BatchState.NOT_PROCESSED, BatchState.QUEUED, BatchState.FAILED)
        return rows if stopped and state in pending else []
    outcome = batch.outcome
    if state is not BatchState.COMPLETED or outcome is None:
        return []
    out: list[list[str]] = []
    for result, row in zip(outcome.results, rows, strict=False):
        if which == "successfulResults" and result.success:
            out.append([result.id or "", "true" if result.created else "false", *row])
        elif which == "failedResults" and not result.success:
            out.append([result.id or "", result.error or "", *row])
    return out


def _check_fields(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise EmulatorError("JSON_PARSER_ERROR", f'Unrecognized field "{name}"', 400)
    content = fields.get("contentType", "CSV")
    if content != "CSV":
        raise EmulatorError(
            "INVALIDJOB", f"InvalidJob : Unsupported contentType: {content}. Use CSV", 400
        )


def _dialect(fields: Mapping[str, Any]) -> CsvDialect:
    ending = fields.get("lineEnding", "LF")
    delimiter = fields.get("columnDelimiter", "COMMA")
    if not isinstance(ending, str) or ending not in LINE_ENDINGS:
        raise EmulatorError("INVALIDJOB", f"InvalidJob : Invalid lineEnding: {ending}", 400)
    if not isinstance(delimiter, str) or delimiter not in DELIMITERS:
        raise EmulatorError("INVALIDJOB", f"InvalidJob : Invalid columnDelimiter: {delimiter}", 400)
    return CsvDialect(str(delimiter), str(ending))


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
