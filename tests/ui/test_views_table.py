"""The job table on its own: type column, filter words, tie-breaks, cached lines, hostile rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.models import JobInfo
from bulktui.core.journal_preview import JournalPreview
from bulktui.core.snapshot import JobView
from bulktui.ui.themes import with_defaults
from bulktui.ui.widgets.job_table import JobTable

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def job(n: int, **fields: object) -> JobView:
    base: dict[str, object] = {
        "id": f"7500000000000{n:02d}AAA",
        "operation": Operation.INSERT,
        "object": "Account",
        "state": JobState.CLOSED,
        "created_date": NOW - timedelta(minutes=n),
        "number_batches_queued": 0,
        "number_batches_in_progress": 0,
        "number_batches_completed": 1,
        "number_batches_failed": 0,
        "number_batches_total": 1,
        "number_records_processed": 100,
        "number_records_failed": 0,
    }
    base.update(fields)
    return JobView(job=JobInfo(**base))  # type: ignore[arg-type]


class TableApp(App[None]):
    def get_css_variables(self) -> dict[str, str]:
        return with_defaults(super().get_css_variables())

    def compose(self) -> ComposeResult:
        yield JobTable(now=lambda: NOW, id="jobs")


def views(*items: JobView) -> dict[str, JobView]:
    return {v.id: v for v in items}


def line(table: JobTable, job_id: str) -> str:
    return table.render_line(table.order.index(job_id) - round(table.scroll_y) + 1).text


async def test_type_column_shows_the_setup_pages_words_at_120_and_short_at_80() -> None:
    jobs = views(
        job(1),
        job(2, job_type=JobType.V2_INGEST, state=JobState.IN_PROGRESS),
        job(3, job_type=JobType.V2_QUERY, operation=Operation.QUERY, state=JobState.JOB_COMPLETE),
    )
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs, {}, {})
        await pilot.pause()
        assert "type" in table.render_line(0).text
        assert " V1 " in line(table, job(1).id)
        assert " V2 " in line(table, job(2).id)
        assert "V2 query" in line(table, job(3).id)
        await pilot.resize_terminal(80, 10)
        await pilot.pause()
        assert " V2Q " in line(table, job(3).id)
        assert "► InProgress"[:9] in line(table, job(2).id)


async def test_filter_matches_derived_words_and_kinds() -> None:
    jobs = views(
        job(1),
        job(2, job_type=JobType.V2_INGEST, state=JobState.IN_PROGRESS, number_records_processed=5),
        job(3, number_records_failed=50),  # 50 % failed: flagged
        job(4, job_type=JobType.V2_QUERY, operation=Operation.QUERY, state=JobState.FAILED),
    )
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs, {}, {})
        for text, expected in (
            ("live", [job(2).id]),
            ("running", [job(2).id]),
            ("flagged", [job(3).id]),
            ("failed", [job(3).id, job(4).id]),
            ("v2 query", [job(4).id]),
            ("v1", [job(1).id, job(3).id]),
        ):
            table.set_filter(text, None)
            await pilot.pause()
            assert table.order == expected, text


async def test_sorting_breaks_ties_by_creation_time_newest_first() -> None:
    # same object and operation: every sort by it is one big tie
    jobs = views(job(5), job(1), job(3), job(2), job(4))
    newest_first = [job(n).id for n in (1, 2, 3, 4, 5)]
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs, {}, {})
        for key in ("objop", "state", "processed", "kind", "created_by"):
            for reverse in (False, True):
                table.set_sort(key, reverse)
                await pilot.pause()
                assert table.order == newest_first, (key, reverse)


async def test_a_line_is_rendered_again_only_when_its_row_changed() -> None:
    jobs = views(*(job(n) for n in range(1, 6)))
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(jobs, {}, {})
        await pilot.pause()
        rendered: list[str] = []
        original = table._render_row

        def counting(row, *args):  # type: ignore[no-untyped-def]
            rendered.append(row.view.id)
            return original(row, *args)

        table._render_row = counting  # type: ignore[method-assign]
        table.refresh()
        await pilot.pause()
        assert rendered == []  # a full repaint with nothing changed: every line from the cache
        changed = dict(jobs)
        changed[job(3).id] = job(3, number_records_processed=200)
        table.update_jobs(changed, {}, {})
        table.refresh()
        await pilot.pause()
        assert rendered == [job(3).id]


async def test_an_invalid_row_is_kept_and_marked() -> None:
    bad = job(2, extra={"_bulktui_invalid": "numberRecordsProcessed: Infinity"})
    huge = job(3, number_records_processed=10**4000, number_records_failed=10**3999)
    app = TableApp()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(views(job(1), bad, huge), {}, {})
        await pilot.pause()
        assert table.row_count == 3
        assert "? Closed" in line(table, bad.id)
        assert "1.00…" in line(table, huge.id)  # 1.00e4000, cut to the narrow column
        table.set_filter("invalid", None)
        assert table.order == [bad.id]


async def test_loading_rows_are_not_counted_live() -> None:
    row = JobView(
        job=JobInfo(id="750000000000009AAA", state=JobState.CLOSED, object="Lead"), loading=True
    )
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(views(row, job(2, state=JobState.OPEN)), {}, {})
        await pilot.pause()
        assert table.live_count == 1
        assert "… Closed" in line(table, row.id)


def preview_of(*items: JobView, live: tuple[str, ...] = ()) -> JournalPreview:
    """A journal preview of these jobs as the journal stores them (newest first)."""
    from bulktui.core.journal_rows import job_json

    ordered = sorted(items, key=lambda v: v.job.created_date or NOW, reverse=True)
    rows = [
        (
            v.id,
            (v.job.created_date or NOW).timestamp(),
            job_json(v.job),
            0 if v.id in live else 1,
            1,
        )
        for v in ordered
    ]
    return JournalPreview(rows, NOW)


async def test_journal_rows_are_shown_before_they_are_parsed_and_sorted_without_parsing() -> None:
    """A warm launch: the poller has parsed two jobs, the journal preview holds all 99.
    Every row is in the table at once; the default order needs no parse, only the rows
    painted are parsed; the live count parses only the jobs that may be live; and the
    poller's full picture takes over with nothing to repaint."""
    every = [job(n) for n in range(1, 100)]
    running = job(50, state=JobState.OPEN, number_batches_completed=0, number_batches_in_progress=1)
    every[49] = running
    preview = preview_of(*every, live=(running.id,))
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(JobTable)
        table.update_jobs(views(every[0], every[1]), {}, {}, preview=preview)
        await pilot.pause()
        assert table.row_count == table.job_count == 99
        assert table.order == [v.id for v in every]  # newest first, as created
        assert table.live_count == 1
        parsed = len(preview._views)
        assert parsed <= 15  # the screenful painted and the live one, not 99
        assert "Account insert" in line(table, every[5].id)
        assert all(not preview.view(v.id).job.extra for v in every)  # each read back whole
        table.set_sort("id", False)  # another column: every row is parsed now
        assert table.order == sorted(v.id for v in every)
        table.set_sort("created", False)
        table.update_jobs(views(*every), {}, {})  # the poller has them all: preview gone
        await pilot.pause()
        assert table.row_count == table.job_count == 99 and table.live_count == 1
        assert table.order == [v.id for v in every]
