"""The job detail and failed-records views: 2.0 results, whole-batch failures, long values,
keys (issue 9 console, issue 11 items 2, 7, 9; issue 12 item 12).

1.0 flows run on the in-process emulator. The emulator in this branch has no 2.0 jobs yet,
so 2.0 views are fed a snapshot and a stand-in backend whose ``failed_records`` answers in
the ``FailedRecordGroups`` shape (contract C2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.models import JobInfo
from bulktui.core.snapshot import JobView, LinkState, Snapshot
from bulktui.ui.failed_groups import NOT_AVAILABLE
from bulktui.ui.screens.failed_records import FailedRecordsScreen
from bulktui.ui.screens.job_detail import JobDetailScreen
from bulktui.ui.screens.text_view import TextViewScreen, wrap_cells
from bulktui.ui.themes import with_defaults
from bulktui.ui.widgets.field_list import FieldList
from bulktui.ui.widgets.lines_view import LinesView
from tests.ui.harness import build, job_where, screen_text, settle, started, wait_until
from tests.ui.seeds import small_org

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JOB_ID = "750000000000077AAA"
LONG_MESSAGE = "Field value is not valid because " + "very " * 80 + "long."


@dataclass(frozen=True)
class Group:
    code: str
    first_message: str
    count: int
    samples: tuple[tuple[str, ...], ...]
    header: tuple[str, ...]


@dataclass(frozen=True)
class Groups:
    groups: tuple[Group, ...]
    rows_seen: int
    failed: int
    truncated: bool = False
    note: str | None = None


@dataclass
class GroupingBackend:
    """Only what the views ask of a backend that groups failed records."""

    answer: Groups
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    async def failed_records(self, job_id: str, batch_id: str | None) -> Groups:
        self.asked.append((job_id, batch_id))
        return self.answer


class OldBackend:
    """A backend from before ``failed_records``."""


class ViewApp(App[None]):
    def __init__(self, backend: object) -> None:
        super().__init__()
        self.backend = backend

    def get_css_variables(self) -> dict[str, str]:
        return with_defaults(super().get_css_variables())


def v2_job(**changes: Any) -> JobView:
    job = JobInfo(
        id=JOB_ID,
        operation=Operation.UPSERT,
        object="Contact",
        state=JobState.JOB_COMPLETE,
        job_type=JobType.V2_INGEST,
        external_id_field_name="Email",
        created_date=NOW - timedelta(minutes=9),
        system_modstamp=NOW - timedelta(minutes=1),
        number_records_processed=1000,
        number_records_failed=50,
        retries=0,
        total_processing_time=5400,
        line_ending="LF",
        column_delimiter="COMMA",
    )
    for key, value in changes.items():
        job = _replace(job, key, value)
    return JobView(job=job)


def _replace(job: JobInfo, key: str, value: Any) -> JobInfo:
    import dataclasses

    return dataclasses.replace(job, **{key: value})


def groups() -> Groups:
    header = ("sf__Id", "sf__Error", "Email", "LastName")
    return Groups(
        groups=(
            Group(
                "INVALID_EMAIL_ADDRESS",
                "Email: invalid email address: bob@",
                40,
                tuple(
                    ("", "INVALID_EMAIL_ADDRESS:Email: invalid", f"bob{i}@", "B") for i in range(40)
                ),
                header,
            ),
            Group(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                LONG_MESSAGE,
                10,
                (("", f"FIELD_CUSTOM_VALIDATION_EXCEPTION:{LONG_MESSAGE}", "a@b.example", "A"),),
                header,
            ),
        ),
        rows_seen=50,
        failed=50,
    )


async def open_detail(app: ViewApp, pilot: Any, view: JobView) -> JobDetailScreen:
    screen = JobDetailScreen(
        view.id, instance_url="https://x.example", now=lambda: NOW, threshold=0.1, read_only=False
    )
    screen.apply_snapshot(
        Snapshot(jobs={view.id: view}, link=LinkState.LIVE, fetched_at=NOW), view, None
    )
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def test_two_point_o_detail_shows_results_errors_and_every_field() -> None:
    backend = GroupingBackend(groups())
    app = ViewApp(backend)
    view = v2_job(state=JobState.FAILED, error_message="InvalidBatch : " + "x" * 300 + " END")
    async with app.run_test(size=(180, 80)) as pilot:
        detail = await open_detail(app, pilot, view)
        await wait_until(pilot, lambda: not isinstance(detail.failed_groups, type(None)))
        text = screen_text(app)
        assert "successful 950 · failed 50 · unprocessed not counted" in text
        assert "errorMessage: InvalidBatch" in text and " END" in text  # in full, wrapped
        assert "INVALID_EMAIL_ADDRESS" in text and "50 failed in 2 error codes" in text
        for wire in ("jobType", "lineEnding", "columnDelimiter", "retries", "errorMessage"):
            assert wire in text
        assert "Retries (2.0)" in text and "Job type" in text and "V2" in text
        assert backend.asked == [(JOB_ID, None)]
        # enter on an error group: its records
        groups_table = detail.query_one("#groups")
        assert groups_table.has_focus  # a 2.0 job has no batches: its errors take the focus
        await pilot.press("j", "enter")  # the second error
        await wait_until(pilot, lambda: isinstance(app.screen, FailedRecordsScreen))
        records = app.screen
        assert isinstance(records, FailedRecordsScreen)
        await wait_until(pilot, lambda: records.results is not None)
        text = screen_text(app)
        assert "Failed records of job 750000000000077AAA" in text
        assert "50 failed of 50 rows in 2 error codes" in text
        assert "long." in text  # the chosen error, its message in full
        assert records.query_one("#raw-rows", LinesView).line_count == 1  # its one sample
        assert backend.asked == [(JOB_ID, None)]  # what the detail read is not asked again


async def test_two_point_o_failures_that_appear_later_are_read_once_then_once_at_the_end() -> None:
    backend = GroupingBackend(groups())
    app = ViewApp(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        running = v2_job(state=JobState.IN_PROGRESS, number_records_failed=0)
        detail = await open_detail(app, pilot, running)
        assert "no failed records" in screen_text(app)
        snapshot = Snapshot(jobs={}, link=LinkState.LIVE, fetched_at=NOW)
        for failed in (10, 20, 30):  # climbing while it runs: read once
            view = v2_job(state=JobState.IN_PROGRESS, number_records_failed=failed)
            detail.apply_snapshot(snapshot, view, None)
            await pilot.pause()
        await wait_until(pilot, lambda: not isinstance(detail.failed_groups, str | None))
        assert backend.asked == [(JOB_ID, None)]
        detail.apply_snapshot(snapshot, v2_job(number_records_failed=50), None)  # ended
        await wait_until(pilot, lambda: len(backend.asked) == 2)
        for _ in range(3):  # ended, same count: never again
            detail.apply_snapshot(snapshot, v2_job(number_records_failed=50), None)
            await pilot.pause()
        assert len(backend.asked) == 2


async def test_failed_records_keys_tab_jk_and_sideways() -> None:
    app = ViewApp(GroupingBackend(groups()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = FailedRecordsScreen(
            JOB_ID, None, instance_url="https://x.example", now=lambda: NOW, read_only=False
        )
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.results is not None)
        table = screen.query_one("#error-groups")
        rows = screen.query_one("#raw-rows", LinesView)
        assert table.has_focus
        await pilot.press("j")  # the second group: its long message wraps under the table
        await pilot.pause()
        note = screen.query_one("#records-note").render()
        assert "long." in str(note)
        await pilot.press("k", "tab")
        await pilot.pause()
        assert rows.has_focus  # tab: from the groups to the raw rows
        assert rows.line_count == 40
        await pilot.press("j", "j", "pagedown")
        await pilot.pause()
        assert rows.scroll_y > 0
        await pilot.press("right")
        await pilot.pause()
        assert rows.scroll_x > 0 or rows.virtual_size.width <= rows.size.width
        await pilot.press("tab")
        await pilot.pause()
        assert table.has_focus


async def test_without_failed_records_in_the_backend_a_clear_line_says_so() -> None:
    app = ViewApp(OldBackend())
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(app, pilot, v2_job())
        await pilot.pause()
        assert NOT_AVAILABLE in screen_text(app).replace("\n", " ") or "not available" in (
            screen_text(app)
        )


async def test_a_four_megabyte_field_is_cut_and_enter_shows_it_whole() -> None:
    huge = "A" * 4_000_000
    app = ViewApp(OldBackend())
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_detail(app, pilot, v2_job(extra={"hugeField": huge}))
        fields = detail.query_one(FieldList)
        fields.focus()
        await pilot.press("end")  # the last field: the one the server added
        await pilot.pause()
        assert fields.fields[fields.cursor].label == "hugeField"
        assert "[4,000,000 characters: enter shows it all]" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen))
        viewer = app.screen
        assert isinstance(viewer, TextViewScreen)
        await pilot.pause()
        body = viewer.query_one(LinesView)
        width = body.scrollable_content_region.width
        assert body.line_count == -(-4_000_000 // width)
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("escape")
        assert app.screen is detail


def test_wrapping_keeps_line_breaks_and_makes_controls_visible() -> None:
    assert wrap_cells("abcdef\nxy\x1b[2J", 4) == ["abcd", "ef", "xy\\x", "1b[2", "J"]
    assert wrap_cells("日本語です", 4) == ["日本", "語で", "す"]


# ------------------------------------------------------------------------- on the emulator


async def test_a_batch_that_failed_as_a_whole_says_so_and_loads_nothing() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Failed")
        main = h.app.main
        assert main is not None and main.table.select_job(job_id)
        await settle(pilot, h)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))
        detail = h.app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: bool(detail.batches))
        await settle(pilot, h)
        assert "(failed as a whole: none of its records" in screen_text(h.app)
        sent = h.transport.requests
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, FailedRecordsScreen))
        await pilot.pause()
        text = screen_text(h.app)
        assert "failed as a whole: none of its records were processed." in text
        assert "InvalidBatch : Field name not found : Nmae" in text
        assert "0 failed of 0 rows" not in text
        assert h.transport.requests == sent  # nothing to read: nothing asked


async def test_j_and_k_move_in_the_batches_table() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        main = h.app.main
        assert main is not None and main.table.select_job(
            job_where(h, state="Closed", obj="Contact")
        )
        await settle(pilot, h)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))
        detail = h.app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: bool(detail.batches))
        await settle(pilot, h)
        table = detail.query_one("#batches")
        assert table.has_focus
        await pilot.press("j", "j")
        await pilot.pause()
        assert table.cursor_row == 2  # type: ignore[attr-defined]
        await pilot.press("k")
        await pilot.pause()
        assert table.cursor_row == 1  # type: ignore[attr-defined]


async def test_a_running_jobs_count_ahead_of_its_failed_list_is_said_not_hidden() -> None:
    """Salesforce counts a failure before its results list it: read while the job runs, the
    list may hold none of the 10 failures the job counts. "0 failed" beside "failed 10"
    must say why, and follow the count as it climbs (the list itself is not re-read)."""
    backend = GroupingBackend(Groups(groups=(), rows_seen=0, failed=0))
    app = ViewApp(backend)
    async with app.run_test(size=(160, 40)) as pilot:
        detail = await open_detail(
            app, pilot, v2_job(state=JobState.IN_PROGRESS, number_records_failed=10)
        )
        await wait_until(pilot, lambda: not isinstance(detail.failed_groups, str | None))
        await wait_until(pilot, lambda: "the job now counts 10 failed" in screen_text(app))
        assert "0 failed in 0 error codes, of 0 rows read" in screen_text(app)
        snapshot = Snapshot(jobs={}, link=LinkState.LIVE, fetched_at=NOW)
        detail.apply_snapshot(
            snapshot, v2_job(state=JobState.IN_PROGRESS, number_records_failed=30), None
        )
        await wait_until(pilot, lambda: "the job now counts 30 failed" in screen_text(app))
        assert backend.asked == [(JOB_ID, None)]
        backend.answer = groups()  # ended: read once more, and the lists agree
        detail.apply_snapshot(snapshot, v2_job(number_records_failed=50), None)
        await wait_until(pilot, lambda: "50 failed in 2 error codes" in screen_text(app))
        assert "now counts" not in screen_text(app)
