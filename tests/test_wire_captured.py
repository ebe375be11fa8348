"""Every captured real response parses, with its values checked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bulktui.api import wire
from bulktui.api.enums import BatchState, ContentType, JobState, JobType, Operation
from bulktui.api.errors import InvalidSessionError
from bulktui.api.lifecycle import is_live


def _read(captured: Path, fragment: str) -> bytes:
    (path,) = [p for p in captured.iterdir() if fragment in p.name]
    return path.read_bytes()


def test_create_job_response_round_trips_byte_for_byte(captured: Path) -> None:
    body = _read(captured, "i33_jobInfo_insert_open_201")
    job = wire.parse_job_info(body, "xml")
    assert job.id == "7509H0000016HP0QAM"
    assert job.operation is Operation.INSERT and job.object == "Event"
    assert job.state is JobState.OPEN and job.content_type is ContentType.CSV
    assert job.api_version == "62.0" and job.number_batches_total == 0
    assert job.created_date == datetime(2024, 11, 21, 9, 28, 59, tzinfo=UTC)
    assert wire.job_info_xml(job) == body.decode().rstrip("\n")


def test_query_job_with_json_content_type(captured: Path) -> None:
    job = wire.parse_job_info(_read(captured, "i36_jobInfo_query"), "xml")
    assert job.operation is Operation.QUERY and job.operation.is_query
    assert job.content_type is ContentType.JSON


def test_scrubbed_api_version_is_kept_as_text(captured: Path) -> None:
    job = wire.parse_job_info(_read(captured, "i3_jobInfo_closed_batchQueued"), "xml")
    assert job.api_version == "vxx.0" and job.api_version_number is None
    assert job.state is JobState.CLOSED
    assert job.number_batches_queued == 1 and job.batches_pending == 1 and is_live(job)


def test_json_batch_info_with_null_state_message_and_plus0000_dates(captured: Path) -> None:
    queued = wire.parse_batch_info(_read(captured, "i37_batchInfo_json_queued"), "json")
    done = wire.parse_batch_info(_read(captured, "i38_batchInfo_json_completed"), "json")
    assert queued.state is BatchState.QUEUED and queued.state_message is None
    assert queued.job_id == "7509H0000016GUXQA2"
    assert done.state is BatchState.COMPLETED
    assert done.system_modstamp == datetime(2024, 11, 21, 8, 31, 32, tzinfo=UTC)


def test_query_result_id_list(captured: Path) -> None:
    assert wire.parse_result_ids(_read(captured, "i39_query_batch_result_list"), "json") == [
        "7529H000000xO6L"
    ]


def test_empty_self_closing_batch_info_list(captured: Path) -> None:
    assert wire.parse_batch_info_list(_read(captured, "i17_batchInfoList_empty"), "xml") == ()


def test_upsert_result_csv(captured: Path) -> None:
    rows = wire.parse_record_results(_read(captured, "i34_upsert_batch_result"), "csv")
    assert [(r.id, r.success, r.created) for r in rows] == [
        ("003P000001avB5QIAU", True, False),
        ("003P000001avB5SIAU", True, False),
        ("003P000001avB5WIAU", True, True),
        ("003P000001avB5XIAU", True, True),
    ]


def test_failed_batch_keeps_processed_count_and_state_message(captured: Path) -> None:
    batch = wire.parse_batch_info(_read(captured, "batchInfo_failed_stateMessage"), "xml")
    assert batch.state is BatchState.FAILED
    assert batch.state_message == "InvalidBatch : Records not found"
    assert batch.number_records_processed == 2 and batch.total_processing_time == 93


def test_queued_batch_with_failed_records(captured: Path) -> None:
    batch = wire.parse_batch_info(_read(captured, "batchInfo_queued_with_failed"), "xml")
    assert batch.state is BatchState.QUEUED and batch.number_records_failed == 2


def test_bulk2_job_info_with_v2_fields(captured: Path) -> None:
    job = wire.parse_job_info(_read(captured, "v2_jobInfo_JobComplete"), "json")
    assert job.state is JobState.JOB_COMPLETE and job.state.is_terminal and not is_live(job)
    assert job.job_type is JobType.V2_INGEST and job.api_version == "44.0"
    assert job.line_ending == "LF" and job.column_delimiter == "COMMA" and job.retries == 0


def test_errors_parse_into_typed_errors(captured: Path) -> None:
    session = wire.parse_error(400, _read(captured, "InvalidSessionId_400"), "application/xml")
    assert isinstance(session, InvalidSessionError)
    assert (session.status, session.code, session.server_message) == (
        400,
        "InvalidSessionId",
        "Invalid session id",
    )
    v2 = wire.parse_error(400, _read(captured, "bulk2_abort_completed"), "application/json")
    assert v2.is_code("InvalidJobState") and "already Completed" in v2.server_message
    upsert = wire.parse_error(400, _read(captured, "InvalidJob_externalId"), None)
    assert upsert.code == "InvalidJob" and upsert.server_message.startswith("External ID was blank")
