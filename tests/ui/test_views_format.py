"""What the console says about a job: glyphs, words, kinds, and format functions that never
raise on hostile values (issue 9, issue 11 items 1-3 and 14, issue 12 items 1-2)."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import pytest

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core.snapshot import JobView
from bulktui.ui import format as fmt

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def v1(**changes: object) -> JobView:
    """A finished 1.0 job with full counts."""
    job = JobInfo(
        id="750000000000001AAA",
        operation=Operation.INSERT,
        object="Account",
        state=JobState.CLOSED,
        created_date=NOW - timedelta(minutes=10),
        system_modstamp=NOW - timedelta(minutes=5),
        number_batches_queued=0,
        number_batches_in_progress=0,
        number_batches_completed=3,
        number_batches_failed=0,
        number_batches_total=3,
        number_records_processed=1000,
        number_records_failed=10,
    )
    return JobView(job=dataclasses.replace(job, **changes))  # type: ignore[arg-type]


def v2(state: JobState, *, query: bool = False, **changes: object) -> JobView:
    job = JobInfo(
        id="750000000000002AAA",
        operation=Operation.QUERY if query else Operation.UPSERT,
        object="Contact",
        state=state,
        job_type=JobType.V2_QUERY if query else JobType.V2_INGEST,
        created_date=NOW - timedelta(minutes=3),
        number_records_processed=500,
        number_records_failed=0,
    )
    return JobView(job=dataclasses.replace(job, **changes))  # type: ignore[arg-type]


# ------------------------------------------------------------------------- 2.0 states and kinds


def test_two_point_o_states_have_their_own_glyph_and_word_and_count_as_live() -> None:
    assert fmt.job_state(v2(JobState.UPLOAD_COMPLETE)) == "↑ UploadComplete"
    assert fmt.job_state(v2(JobState.IN_PROGRESS)) == "► InProgress"
    assert fmt.job_state(v2(JobState.JOB_COMPLETE)) == "√ JobComplete"
    assert fmt.is_live(v2(JobState.UPLOAD_COMPLETE))
    assert fmt.is_live(v2(JobState.IN_PROGRESS))
    assert not fmt.is_live(v2(JobState.JOB_COMPLETE))
    assert fmt.is_running(v2(JobState.IN_PROGRESS))


def test_job_kind_in_the_setup_pages_words() -> None:
    assert fmt.job_kind(v1().job) == "V1"
    assert fmt.job_kind(v2(JobState.OPEN).job) == "V2"
    assert fmt.job_kind(v2(JobState.IN_PROGRESS, query=True).job) == "V2 query"
    assert fmt.job_kind(v2(JobState.IN_PROGRESS, query=True).job, short=True) == "V2Q"


# ------------------------------------------------------------------------- issue 11 items 1-3


def test_a_rate_that_is_not_measured_is_zero_or_a_dash() -> None:
    assert fmt.rate(0.0) == "0/s"
    assert fmt.rate(None) == fmt.DASH
    assert fmt.rate(math.nan) == fmt.DASH
    assert fmt.rate(math.inf) == fmt.DASH
    assert fmt.rate(27.4) == "27/s"


def test_a_finished_job_with_a_failed_batch_is_flagged_with_a_warning() -> None:
    view = v1(number_batches_completed=2, number_batches_failed=1, number_records_failed=18)
    # 18 of 1,000 is under the 10 % threshold, but a whole batch never loaded
    assert fmt.job_state(view) == "▲ Closed"
    text, flagged = fmt.failed_cell(view, 0.10)
    assert flagged and text == "18 ▲1.8%"
    assert fmt.batch_progress(view.job) == "2+1/3"
    assert "flagged" in fmt.derived_words(view, 0.10)
    # still running: no verdict yet
    running = v1(number_batches_in_progress=1, number_batches_failed=1)
    assert fmt.job_state(running) == "► Closed"
    assert not fmt.failed_cell(running, 0.10)[1]
    # a whole-batch failure with no failed record still shows the flag
    nothing = v1(number_batches_failed=1, number_records_failed=0)
    assert fmt.failed_cell(nothing, 0.10) == ("0 ▲", True)


def test_a_job_known_only_from_its_list_row_is_loading_not_running_nor_live() -> None:
    # The poller marks a job it knows only from its list row (JobView.loading).
    row = JobView(
        job=JobInfo(id="750000000000003AAA", state=JobState.CLOSED, object="Lead"),
        loading=True,
    )
    assert fmt.is_loading(row)
    assert fmt.job_state(row) == "… Closed"
    assert not fmt.is_live(row) and not fmt.is_running(row)
    assert "loading" in fmt.derived_words(row, 0.1) and "live" not in fmt.derived_words(row, 0.1)
    # a 2.0 list row that says it ended is not loading: it is known ended
    ended = JobView(job=JobInfo(id="7500000000000040AA", state=JobState.JOB_COMPLETE))
    assert not fmt.is_loading(ended)
    assert not fmt.is_loading(v1())


# ------------------------------------------------------------------------- issue 11 item 14


def test_filter_words_people_use() -> None:
    assert {"v1", "failed"} <= set(fmt.derived_words(v1(), 0.10))
    assert "flagged" in fmt.derived_words(v1(number_records_failed=300), 0.10)
    words = fmt.derived_words(v2(JobState.IN_PROGRESS, query=True), 0.10)
    assert {"v2 query", "live", "running"} <= set(words)
    assert "failed" in fmt.derived_words(v2(JobState.FAILED), 0.10)
    assert "purged" in fmt.derived_words(JobView(job=v1().job, purged=True), 0.10)


# ------------------------------------------------------------------------- issue 12 items 1-2


@pytest.mark.parametrize(
    "value", [10**4000, -(10**4000), 10**20, 2**64], ids=["1e4000", "-1e4000", "1e20", "2**64"]
)
def test_huge_counters_never_raise(value: int) -> None:
    assert "e" in fmt.count(value)
    assert len(fmt.compact(value)) < 12
    view = v1(number_records_processed=value, number_records_failed=value)
    fmt.failed_cell(view, 0.10)
    fmt.derived_words(view, 0.10)
    fmt.average_throughput(view.job, NOW)  # too large for a float: None, not OverflowError


def test_scientific_form_is_exact_enough() -> None:
    assert fmt.count(10**4000) == "1.00e4000"
    assert fmt.count(123_456_789_012_345_678) == "1.23e17"
    assert fmt.count(999_999_999_999_999) == "999,999,999,999,999"


def test_counters_too_big_for_a_float_give_no_failure_rate() -> None:
    view = v1(number_records_processed=1, number_records_failed=10**4000)
    assert fmt.failure_rate(view) is None
    assert fmt.percent(math.inf) == fmt.DASH and fmt.percent(math.nan) == fmt.DASH


def test_durations_and_dates_at_the_edges() -> None:
    assert fmt.duration(math.inf) == fmt.DASH
    assert fmt.duration(math.nan) == fmt.DASH
    assert fmt.duration(1e300).endswith("h")
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    job = v1(created_date=far, system_modstamp=far).job
    assert fmt.purge_time(job, None) is None  # past year 9999: no purge time, no crash
    assert fmt.purge_time(job, (BatchInfo(id="751000000000001AAA", created_date=far),)) is None
    assert fmt.timestamp(far) == "9999-12-31 23:00:00 UTC"
    assert fmt.timestamp(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01 00:00:00 UTC"
    assert fmt.ago(far, NOW) == "now"
    assert fmt.ago(datetime(1, 1, 1, tzinfo=UTC), NOW) == ">999d ago"
    assert fmt.elapsed(job, NOW) == 0.0


def test_a_row_marked_invalid_is_shown_and_marked() -> None:
    view = v1(extra={"_bulktui_invalid": "numberRecordsFailed: Infinity is not a count"})
    assert fmt.invalid_reason(view.job) == "numberRecordsFailed: Infinity is not a count"
    assert fmt.job_state(view).startswith(fmt.INVALID_GLYPH + " ")
    assert "invalid" in fmt.derived_words(view, 0.1)
    assert fmt.invalid_reason(v1().job) is None


def test_two_point_o_purge_is_seven_days_after_the_end() -> None:
    view = v2(JobState.JOB_COMPLETE, system_modstamp=NOW)
    assert fmt.purge_time(view.job, None) == (NOW + timedelta(days=7), "job end")


def test_detail_values_of_any_size() -> None:
    from bulktui.ui.screens.job_detail import detail_fields, field_value

    assert "e4000" in field_value("totalProcessingTime", 10**4000, {})
    assert fmt.duration_ms(10**4000).endswith("h")
    assert fmt.duration_ms(5400) == "5s"
    assert fmt.count(math.inf) == fmt.DASH and fmt.compact(math.nan) == fmt.DASH
    assert fmt.count(1e300).startswith("1.00e300")
    view = v1(
        number_records_processed=10**4000,
        total_processing_time=10**4000,
        created_date=datetime(9999, 12, 31, tzinfo=UTC),
    )
    fields = detail_fields(view, None, {}, NOW, 0.1)
    assert any(f.label == "Purge" for f in fields)


def test_clip_looks_only_at_the_head_of_a_long_value() -> None:
    assert fmt.clip("short \x1b[2J", 50) == ("short \\x1b[2J", False)
    shown, cut = fmt.clip("x" * 4_000_000, 600)
    assert cut and len(shown) == 600
    assert fmt.clip("a" * 600, 600) == ("a" * 600, False)
    assert fmt.clip(" " * 5000 + "tail", 10)[1]  # folded blanks: still known to be cut


def test_one_of_a_thing_is_singular() -> None:
    assert fmt.counted(1, "jobs") == "1 job"
    assert fmt.counted(0, "jobs") == "0 jobs"
    assert fmt.counted(10_000, "past jobs") == "10,000 past jobs"
    assert fmt.counted(1, "error codes") == "1 error code"
