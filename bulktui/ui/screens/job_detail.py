"""Enter on a job: every JobInfo field (label + wire name), derived values, and what it did:
a 1.0 job's batches, or a 2.0 job's results (counts, failed records grouped by error, the
job's errorMessage in full).

Long values are cut for display; Enter on a field shows it whole (``TextViewScreen``). The
screen loads what it needs beyond the snapshot (a 2.0 job's grouped failed records) through
the app's backend in its own worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer
from textual.widgets.data_table import RowDoesNotExist

from bulktui.api import lifecycle
from bulktui.api.enums import BatchState, JobState
from bulktui.api.lifecycle import JobKind, Liveness
from bulktui.api.models import JOB_FIELDS, BatchInfo, JobInfo
from bulktui.core.labels import JOB_LABELS, MILLISECOND_FIELDS
from bulktui.core.snapshot import JobView, PollStatus, Snapshot
from bulktui.ui import format as fmt
from bulktui.ui.failed_groups import (
    NOT_AVAILABLE,
    FailedRecordGroupsView,
    explain_load,
    failed_records_source,
)
from bulktui.ui.screens.failed_records import FailedRecordsScreen
from bulktui.ui.screens.text_view import TextViewScreen
from bulktui.ui.themes import ascii_borders
from bulktui.ui.widgets.field_list import Field, FieldList, field
from bulktui.ui.widgets.key_table import KeyTable
from bulktui.ui.widgets.note import Note
from bulktui.ui.widgets.quiet import QuietStatic
from bulktui.ui.widgets.status_header import StatusHeader

SIDE_BY_SIDE_WIDTH = 170  # narrower: fields above batches


def field_value(wire: str, value: Any, names: dict[str, str]) -> str:
    """A field's value as display text (not yet cut)."""
    if value is None:
        return fmt.DASH
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return fmt.timestamp(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        text = fmt.count(value)
        if wire in MILLISECOND_FIELDS:
            text += f" ms ({fmt.duration_ms(value)})"
        return text
    text = str(value)
    if wire == "createdById" and value in names:
        text = f"{names[value]} ({text})"
    return text


def detail_fields(
    view: JobView,
    batches: tuple[BatchInfo, ...] | None,
    names: dict[str, str],
    now: datetime,
    threshold: float,
) -> list[Field]:
    """Derived values first, then every field by its label and wire name, then unknown ones."""
    job = view.job
    out = [
        Field(label, value, note)
        for label, value, note in derived_values(view, batches, now, threshold)
    ]
    out.append(Field("Fields", "", heading=True))
    for f in JOB_FIELDS:
        value = getattr(job, f.attr)
        out.append(field(JOB_LABELS.get(f.wire, f.wire), field_value(f.wire, value, names), f.wire))
    for key, value in job.extra.items():
        if key == fmt.INVALID_KEY:
            continue
        out.append(field(fmt.safe(key), str(value), fmt.safe(key)))
    return out


def derived_values(
    view: JobView, batches: tuple[BatchInfo, ...] | None, now: datetime, threshold: float
) -> list[tuple[str, str, str]]:
    job = view.job
    out: list[tuple[str, str, str]] = []
    invalid = fmt.invalid_reason(job)
    if invalid is not None:
        out.append(("Invalid row", invalid, "some values could not be read"))
    out.append(("Job type", fmt.job_kind(job), "derived: jobType, or the state"))
    seconds = fmt.elapsed(job, now)
    running = fmt.is_live(view)
    out.append(
        (
            "Elapsed",
            fmt.DASH if seconds is None else fmt.duration(seconds),
            "derived: created → now" if running else "derived: created → last change",
        )
    )
    # A rate is measured only while the job moves: an ended job has none.
    throughput = fmt.rate(view.throughput) if running else fmt.DASH
    out.append(("Throughput now", throughput, "derived: last two polls"))
    average = fmt.rate(fmt.average_throughput(job, now))
    out.append(("Average throughput", average, "derived: processed / elapsed"))
    flagged = fmt.is_flagged(view, threshold)
    whole = fmt.whole_batches_failed(view)
    out.append(
        (
            "Failure rate",
            fmt.percent(fmt.failure_rate(view)) + (" (flagged)" if flagged else ""),
            f"derived: failed / processed, flag >{fmt.percent(threshold)}",
        )
    )
    if whole:
        out.append(
            (
                "Batches failed",
                f"{fmt.count(whole)} failed as a whole: none of their records were processed",
                "derived: numberBatchesFailed",
            )
        )
    out.append(_purge(view, batches))
    return out


def _purge(view: JobView, batches: tuple[BatchInfo, ...] | None) -> tuple[str, str, str]:
    job = view.job
    if view.purged:
        return ("Purged", "yes: no longer in the job list", "derived: 7-day lifespan")
    purge = fmt.purge_time(job, batches)
    if purge is None:
        return ("Purge", fmt.DASH, "derived: no date to count from")
    when, basis = purge
    value = f"{fmt.timestamp(when)} (up to 24 h later)"
    if lifecycle.liveness(job) is not Liveness.ENDED:
        value = f"not before {fmt.timestamp(when)}, once finished"
    return ("Purge", value, f"derived: {basis} + 7 days")


def results_summary(job: JobInfo) -> str:
    """A 2.0 job's results in words: successful, failed, unprocessed."""
    processed = job.number_records_processed
    failed = job.number_records_failed
    if lifecycle.kind_of(job) is JobKind.V2_QUERY:
        return f"query results: {fmt.count(processed)} records"
    successful = None if processed is None else max(0, processed - (failed or 0))
    if job.state is JobState.JOB_COMPLETE:
        unprocessed = "0"
    elif lifecycle.liveness(job) is Liveness.ENDED:
        unprocessed = "not counted by Salesforce (unprocessedrecords/ lists them)"
    else:
        unprocessed = fmt.DASH
    return (
        f"successful {fmt.count(successful)} · failed {fmt.count(failed)} · "
        f"unprocessed {unprocessed}"
    )


BATCH_COLUMNS = (
    ("id", "batch id", 18),
    ("state", "state", 14),
    ("processed", "processed", 10),
    ("failed", "failed", 8),
    ("message", "stateMessage", 26),
    ("created", "created", 8),
    ("modified", "changed", 8),
    ("time", "took", 7),
)


def _is_query(job: JobInfo) -> bool:
    return job.operation is not None and job.operation.known and job.operation.is_query


def batch_cells(batch: BatchInfo) -> list[Text]:
    def clock(when: datetime | None) -> str:
        return when.strftime("%H:%M:%S") if when else fmt.DASH

    proc = batch.total_processing_time
    return [
        Text(fmt.safe(batch.id)),
        Text(fmt.batch_state(batch)),
        Text(fmt.count(batch.number_records_processed), justify="right"),
        Text(fmt.count(batch.number_records_failed), justify="right"),
        Text(cut(batch.state_message or "", 200)),
        Text(clock(batch.created_date)),
        Text(clock(batch.system_modstamp)),
        Text(fmt.DASH if proc is None else fmt.duration_ms(proc), justify="right"),
    ]


def cut(text: str, limit: int = 600) -> str:
    """Display text cut at ``limit`` characters (the whole is one Enter away)."""
    shown, was_cut = fmt.clip(text, limit)
    return f"{shown}… [{fmt.count(len(text))} characters]" if was_cut else shown


class JobDetailScreen(Screen[None]):
    """One job in full. Updated from every snapshot while it is open."""

    DEFAULT_CSS = """
    JobDetailScreen { background: $background; }
    JobDetailScreen #detail-title {
        height: 1;
        padding: 0 1;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    /* Action results wrap: readable in full here and in the message log (l). */
    JobDetailScreen #detail-status {
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $surface;
    }
    JobDetailScreen #detail-body { height: 1fr; }
    JobDetailScreen #fields { width: 86; height: 1fr; padding: 0 1; }
    JobDetailScreen #batches-pane { width: 1fr; height: 1fr; }
    JobDetailScreen #detail-body.-stacked { layout: vertical; }
    JobDetailScreen #detail-body.-stacked #fields { width: 1fr; height: 1fr; }
    JobDetailScreen #detail-body.-stacked #batches-pane {
        height: 1fr;
        border-top: solid $panel;
    }
    JobDetailScreen.-ascii #detail-body.-stacked #batches-pane { border-top: ascii $panel; }
    JobDetailScreen #batches-title { height: 1; padding: 0 1; }
    JobDetailScreen #results-summary, JobDetailScreen #error-message {
        height: auto;
        max-height: 5;
        padding: 0 1;
    }
    JobDetailScreen #batches, JobDetailScreen #groups { height: 1fr; }
    JobDetailScreen #groups { min-height: 4; }
    JobDetailScreen #batch-message {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $surface;
    }
    """

    class FailedGroupsLoaded(Message):
        def __init__(self, groups: FailedRecordGroupsView, failed_at_load: int | None) -> None:
            super().__init__()
            self.groups = groups
            self.failed_at_load = failed_at_load

    class FailedGroupsNotLoaded(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("c", "app.close_job", "close"),
        Binding("a", "app.abort_job", "abort"),
        Binding("y", "app.copy_id", "copy id"),
        Binding("r", "app.refresh", "refresh"),
        Binding("question_mark", "app.help", "help"),
    ]

    def __init__(
        self,
        job_id: str,
        *,
        instance_url: str,
        now: Callable[[], datetime],
        threshold: float,
        read_only: bool,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.instance_url = instance_url
        self.now = now
        self.threshold = threshold
        self.read_only = read_only
        self._view: JobView | None = None
        self._batches: tuple[BatchInfo, ...] | None = None
        self._names: dict[str, str] = {}
        self._pending: str | None = None
        self._snapshot: tuple[Snapshot, PollStatus | None] | None = None
        self._fields_key: tuple[object, ...] | None = None
        self._groups: FailedRecordGroupsView | str | None = None  # str: why there are none
        self._groups_failed_count: int | None = None  # numberRecordsFailed when loaded
        self._groups_loading = False
        self._live_failed: int | None = None  # numberRecordsFailed while the job runs

    def compose(self) -> ComposeResult:
        yield StatusHeader(instance_url=self.instance_url, now=self.now, read_only=self.read_only)
        yield QuietStatic(id="detail-title")
        with Horizontal(id="detail-body"):
            yield FieldList(id="fields")
            with Vertical(id="batches-pane"):
                yield QuietStatic(id="batches-title")
                yield Note(id="results-summary")
                yield Note(id="error-message")
                table = KeyTable(id="batches", cursor_type="row")
                for key, title, width in BATCH_COLUMNS:
                    table.add_column(title, key=key, width=width)
                yield table
                groups = KeyTable(id="groups", cursor_type="row")
                groups.add_column("error code", key="code", width=28)
                groups.add_column("count", key="count", width=9)
                groups.add_column("first message", key="message", width=60)
                yield groups
                yield Note(id="batch-message")
        yield QuietStatic(id="detail-status")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(ascii_borders(), "-ascii")
        self.query_one("#batches", DataTable).focus()
        if self._snapshot is not None:
            snapshot, status = self._snapshot
            self.query_one(StatusHeader).apply_snapshot(snapshot, status)
        self._refresh_detail()

    def on_resize(self) -> None:
        body = self.query_one("#detail-body")
        body.set_class(self.size.width < SIDE_BY_SIDE_WIDTH, "-stacked")

    # ------------------------------------------------------------------ data

    def apply_snapshot(
        self,
        snapshot: Snapshot,
        view: JobView | None,
        pending: str | None,
        status: PollStatus | None = None,
    ) -> None:
        """Take the new data; paint it now if mounted, else when mounted."""
        self._snapshot = (snapshot, status)
        self._names = dict(snapshot.user_names)
        if snapshot.selected_job_id == self.job_id and snapshot.batches is not None:
            self._batches = snapshot.batches
        if view is not None:
            self._view = view
        self._pending = pending
        if self.is_mounted:
            self.query_one(StatusHeader).apply_snapshot(snapshot, status)
            self._refresh_detail()

    def tick(self, status: PollStatus | None) -> None:
        if status is not None and self.is_mounted:
            self.query_one(StatusHeader).apply_status(status)

    def _refresh_detail(self) -> None:
        view = self._view
        title = self.query_one("#detail-title", QuietStatic)
        if view is None:
            title.show(Text(f"Job {fmt.safe(self.job_id)}: not loaded yet"))
            return
        job = view.job
        heading = Text()
        heading.append(f"Job {fmt.safe(view.id)}", style="bold")
        heading.append(f"  {fmt.job_kind(job)}  {fmt.object_operation(job)}  ")
        heading.append(fmt.job_state(view, self._pending), style="bold")
        title.show(heading)
        now = self.now()
        # Rebuild the fields only when something in them changed (an SSH link pays for it).
        key = (
            view,
            self._batches,
            self._names.get(job.created_by_id or ""),
            derived_values(view, self._batches, now, self.threshold),
        )
        if key != self._fields_key:
            self._fields_key = key
            self.query_one(FieldList).set_fields(
                detail_fields(view, self._batches, self._names, now, self.threshold)
            )
        if lifecycle.kind_of(job).is_v2:
            self._render_results(view)
        else:
            self._render_batches()

    def _show_part(self, v2: bool) -> None:
        for selector, shown in (
            ("#batches", not v2),
            ("#results-summary", v2),
            ("#error-message", v2),
            ("#groups", v2),
        ):
            widget = self.query_one(selector)
            if widget.display != shown:
                widget.display = shown
        batches = self.query_one("#batches")
        if v2 and (self.focused is None or self.focused is batches):
            self.query_one(FieldList).focus()  # the groups table takes it once it has rows

    # ------------------------------------------------------------------ 2.0: results

    def _render_results(self, view: JobView) -> None:
        job = view.job
        self._show_part(True)
        query = lifecycle.kind_of(job) is JobKind.V2_QUERY
        caption = "results" if query else "results — enter on an error: its records"
        self.query_one("#batches-title", QuietStatic).show(Text(caption, style="bold"))
        self.query_one("#results-summary", Note).show(Text(results_summary(job)))
        message = Text()
        if job.error_message:
            message.append("errorMessage: ", style="bold")
            message.append(cut(job.error_message))
        self.query_one("#error-message", Note).show(message)
        groups_table = self.query_one("#groups", KeyTable)
        if query:
            groups_table.display = False
            self._show_group_line(Text(""))
            return
        failed = job.number_records_failed
        self._live_failed = failed if fmt.is_live(view) else None
        if not failed:
            self._set_groups("no failed records" if failed == 0 else "no counts yet", None)
            return
        if self._groups is not None and not isinstance(self._groups, str):
            self._show_group_line(self._groups_line(self._groups))  # the job's count moved on
        # Read once when the detail opens (or the first failures show), and once more when
        # the job has ended with another count than the one read: never per cycle.
        due = self._groups_failed_count is None or (
            failed != self._groups_failed_count and not fmt.is_live(view)
        )
        if due and not self._groups_loading:
            if failed_records_source(self.app) is None:
                self._set_groups(NOT_AVAILABLE, failed)
                return
            self._groups_loading = True
            self._groups_failed_count = failed
            self._show_group_line(Text("failed records: loading…", style="dim"))
            self._load_groups(failed)

    @work(group="detail-failed-groups", exclusive=True, exit_on_error=False)
    async def _load_groups(self, failed_at_load: int | None) -> None:
        source = failed_records_source(self.app)
        if source is None:
            self.post_message(self.FailedGroupsNotLoaded(NOT_AVAILABLE))
            return
        try:
            groups = await source.failed_records(self.job_id, None)
        except Exception as exc:
            self.post_message(self.FailedGroupsNotLoaded(explain_load(exc)))
            return
        self.post_message(self.FailedGroupsLoaded(groups, failed_at_load))

    def on_job_detail_screen_failed_groups_loaded(self, message: FailedGroupsLoaded) -> None:
        self._groups_loading = False
        self._set_groups(message.groups, message.failed_at_load)

    def on_job_detail_screen_failed_groups_not_loaded(self, message: FailedGroupsNotLoaded) -> None:
        self._groups_loading = False  # the count stays recorded: no retry every cycle; r asks
        self._set_groups(f"failed records could not be loaded: {message.reason}", None, keep=True)

    def _set_groups(
        self, groups: FailedRecordGroupsView | str, failed: int | None, *, keep: bool = False
    ) -> None:
        if not keep:
            self._groups_failed_count = failed
        if groups == self._groups:
            return
        self._groups = groups
        self._fill_groups()

    def _fill_groups(self) -> None:
        table = self.query_one("#groups", KeyTable)
        table.clear()
        groups = self._groups
        if groups is None:
            return
        if isinstance(groups, str):
            table.display = False
            self._show_group_line(Text(groups))
            return
        table.display = True
        if self.focused is None or isinstance(self.focused, FieldList):
            table.focus()
        for group in groups.groups:
            table.add_row(
                Text(fmt.safe(group.code)),
                Text(fmt.count(group.count), justify="right"),
                Text(cut(group.first_message, 200)),
                key=group.code,
            )
        self._show_group_line(self._groups_line(groups))

    def _groups_line(self, groups: FailedRecordGroupsView) -> Text:
        line = Text(
            f"{fmt.count(groups.failed)} failed in {fmt.counted(len(groups.groups), 'error codes')}"
            f", of {fmt.counted(groups.rows_seen, 'rows')} read"
        )
        if groups.truncated or groups.note:
            line.append(f"; {fmt.safe(groups.note or 'the list was cut')}", style="bold")
        job_failed = self._live_failed
        if job_failed is not None and job_failed > groups.failed:
            # A running job counts a failure before its results list it (Salesforce lists a
            # record once its part of the job has finished), and the list is read once while
            # the job runs: say so rather than let "0 failed" stand beside "failed 93".
            line.append(
                f"; the job now counts {fmt.count(job_failed)} failed: the list is read again "
                "when the job ends",
                style="bold",
            )
        return line

    def _show_group_line(self, text: Text) -> None:
        self.query_one("#batch-message", Note).show(text)

    @on(DataTable.RowSelected, "#groups")
    def _group_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        groups = self._groups
        if groups is None or isinstance(groups, str):
            return
        key = event.row_key.value
        self._open_failed_records(None, groups, key)

    # ------------------------------------------------------------------ 1.0: batches

    def _render_batches(self) -> None:
        self._show_part(False)
        table = self.query_one("#batches", KeyTable)
        batches = self._batches
        caption = self.query_one("#batches-title", QuietStatic)
        job = self._view.job if self._view else None
        if batches is None:
            unanswered = self._snapshot is not None and bool(self._snapshot[0].problem)
            if self._view is not None and self._view.purged:
                why = "batches: gone (Salesforce purged this job)"
            elif unanswered:
                # Not "loading…" for ever while nothing answers: the header says the link is down.
                why = "batches: not loaded: the last refresh failed (r retries)"
            else:
                why = "batches: loading…"
            caption.show(Text(why, style="bold"))
            return
        hint = "query results" if job and _is_query(job) else "enter: failed records"
        whole = sum(1 for b in batches if b.state is BatchState.FAILED)
        failed = f", {whole} failed as a whole" if whole else ""
        caption.show(Text(f"batches ({len(batches)}{failed}) — {hint}", style="bold"))
        keys = [b.id for b in batches]
        present: set[str | None] = {k.value for k in table.rows}
        for stale in present - set(keys):
            if stale is not None:
                table.remove_row(stale)
        for batch in batches:
            cells = batch_cells(batch)
            if batch.id in present:
                old = table.get_row(batch.id)
                for (column, _title, _w), new, before in zip(
                    BATCH_COLUMNS, cells, old, strict=True
                ):
                    if new.plain != before.plain:
                        table.update_cell(batch.id, column, new)
            else:
                table.add_row(*cells, key=batch.id)
        self._show_batch_message()

    @property
    def batches(self) -> tuple[BatchInfo, ...] | None:
        return self._batches

    @property
    def view(self) -> JobView | None:
        return self._view

    @property
    def job(self) -> JobInfo | None:
        return self._view.job if self._view else None

    @property
    def failed_groups(self) -> FailedRecordGroupsView | str | None:
        """A 2.0 job's grouped failed records once loaded, or why there are none."""
        return self._groups

    def selected_batch(self) -> BatchInfo | None:
        table = self.query_one("#batches", KeyTable)
        if not self._batches or table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except RowDoesNotExist:
            return None
        return next((b for b in self._batches if b.id == key), None)

    def show_status(self, text: Text) -> None:
        if self.is_mounted:
            self.query_one("#detail-status", QuietStatic).show(text)

    @on(DataTable.RowHighlighted, "#batches")
    def _batch_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_batch_message()

    def _show_batch_message(self) -> None:
        batch = self.selected_batch()
        line = Text()
        if batch is not None:
            line.append(f"{fmt.safe(batch.id)} stateMessage: ", style="dim")
            line.append(cut(batch.state_message or "") or fmt.DASH)
            if batch.state is BatchState.FAILED:
                line.append("  (failed as a whole: none of its records were processed)")
        self._show_group_line(line)

    @on(DataTable.RowSelected, "#batches")
    def _batch_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        batch = self.selected_batch()
        job = self.job
        if batch is None:
            return
        if job is not None and _is_query(job):
            self.show_status(
                Text("query batches hold result sets, not failed records; nothing to group")
            )
            return
        self._open_failed_records(batch)

    def _open_failed_records(
        self,
        batch: BatchInfo | None,
        loaded: FailedRecordGroupsView | None = None,
        code: str | None = None,
    ) -> None:
        screen = FailedRecordsScreen(
            self.job_id,
            batch,
            instance_url=self.instance_url,
            now=self.now,
            read_only=self.read_only,
            loaded=loaded,
            code=code,
        )
        if self._snapshot is not None:
            screen.apply_snapshot(*self._snapshot)
        self.app.push_screen(screen)

    @on(FieldList.FieldChosen)
    def _field_chosen(self, event: FieldList.FieldChosen) -> None:
        event.stop()
        chosen = event.field
        value = chosen.full if chosen.full is not None else chosen.value
        if value == fmt.DASH:
            self.show_status(Text(f"{chosen.label}: no value"))
            return
        note = f" ({chosen.note})" if chosen.note else ""
        self.app.push_screen(TextViewScreen(f"Job {self.job_id}: {chosen.label}{note}", value))

    def action_back(self) -> None:
        self.dismiss(None)
