"""Enter on a job: every JobInfo field (label + wire name), derived values, and its batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import RowDoesNotExist

from bulktui.api.enums import JobState, JobType
from bulktui.api.models import JOB_FIELDS, BatchInfo, JobInfo
from bulktui.core.labels import JOB_LABELS, MILLISECOND_FIELDS
from bulktui.core.snapshot import JobView, PollStatus, Snapshot
from bulktui.ui import format as fmt
from bulktui.ui.widgets.quiet import QuietStatic
from bulktui.ui.widgets.status_header import StatusHeader

SIDE_BY_SIDE_WIDTH = 170  # narrower: fields above batches


def field_value(wire: str, value: Any, names: dict[str, str]) -> str:
    if value is None:
        return fmt.DASH
    if isinstance(value, Enum):
        return fmt.safe(value.value)
    if isinstance(value, datetime):
        return fmt.timestamp(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        text = f"{value:,}"
        if wire in MILLISECOND_FIELDS:
            text += f" ms ({fmt.duration(value / 1000)})"
        return text
    text = fmt.safe(value)
    if wire == "createdById" and value in names:
        text = f"{fmt.safe(names[value])} ({text})"
    return text


def fields_table(
    view: JobView,
    batches: tuple[BatchInfo, ...] | None,
    names: dict[str, str],
    now: datetime,
    threshold: float,
) -> Table:
    job = view.job
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, overflow="ellipsis", max_width=26)
    table.add_column(overflow="fold", min_width=32)
    table.add_column(style="dim", no_wrap=True, overflow="ellipsis", max_width=34)
    for label, value, note in derived_values(view, batches, now, threshold):
        table.add_row(Text(label), Text(value), Text(note))
    table.add_row(Text(""), Text(""), Text(""))
    for f in JOB_FIELDS:
        value = getattr(job, f.attr)
        table.add_row(
            Text(JOB_LABELS.get(f.wire, f.wire)),
            Text(field_value(f.wire, value, names)),
            Text(f.wire),
        )
    for key, value in job.extra.items():
        table.add_row(Text(fmt.safe(key)), Text(fmt.safe(value)), Text(fmt.safe(key)))
    return table


def derived_values(
    view: JobView, batches: tuple[BatchInfo, ...] | None, now: datetime, threshold: float
) -> list[tuple[str, str, str]]:
    job = view.job
    out: list[tuple[str, str, str]] = []
    seconds = fmt.elapsed(job, now)
    running = job.can_change and not view.purged
    out.append(
        (
            "Elapsed",
            fmt.DASH if seconds is None else fmt.duration(seconds),
            "derived: created → now" if running else "derived: created → last change",
        )
    )
    out.append(
        ("Throughput now", fmt.rate(view.throughput), "derived: last two polls")
    )
    average = fmt.rate(fmt.average_throughput(job, now))
    out.append(("Average throughput", average, "derived: processed / elapsed"))
    _failed, flagged = fmt.failed_cell(view, threshold)
    out.append(
        (
            "Failure rate",
            fmt.percent(view.failure_rate) + (" (over threshold)" if flagged else ""),
            f"derived: failed / processed, flag >{fmt.percent(threshold)}",
        )
    )
    purge = fmt.purge_time(job, batches)
    if view.purged:
        out.append(("Purged", "yes: no longer in the job list", "derived: 7-day lifespan"))
    elif purge is not None:
        when, basis = purge
        finished = job.state is not None and (
            job.state.is_terminal or (job.state is JobState.CLOSED and job.batches_pending == 0)
        )
        value = f"{fmt.timestamp(when)} (up to 24 h later)"
        if not finished:
            value = f"not before {fmt.timestamp(when)}, once finished"
        out.append(("Purge", value, f"derived: {basis} + 7 days"))
    return out


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
        Text(fmt.safe(batch.state_message)),
        Text(clock(batch.created_date)),
        Text(clock(batch.system_modstamp)),
        Text(fmt.DASH if proc is None else fmt.duration(proc / 1000), justify="right"),
    ]


class JobDetailScreen(Screen[None]):
    """One job in full. Updated from every snapshot while it is open."""

    class BatchChosen(Message):
        """Enter on a batch: show its failed records."""

        def __init__(self, job_id: str, batch: BatchInfo) -> None:
            super().__init__()
            self.job_id = job_id
            self.batch = batch

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

    def compose(self) -> ComposeResult:
        yield StatusHeader(instance_url=self.instance_url, now=self.now, read_only=self.read_only)
        yield QuietStatic(id="detail-title")
        with Horizontal(id="detail-body"):
            with VerticalScroll(id="fields-pane"):
                yield Static(Text(""), id="fields")
            with Vertical(id="batches-pane"):
                yield QuietStatic(id="batches-title")
                table: DataTable[Text] = DataTable(id="batches", cursor_type="row")
                for key, title, width in BATCH_COLUMNS:
                    table.add_column(title, key=key, width=width)
                yield table
                yield QuietStatic(id="batch-message")
        yield QuietStatic(id="detail-status")
        yield Footer()

    def on_mount(self) -> None:
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
        heading.append(f"  {fmt.object_operation(job)}  ")
        heading.append(fmt.job_state(view, self._pending), style="bold")
        title.show(heading)
        now = self.now()
        # Repaint the fields only when something in them changed (an SSH link pays for it).
        key = (
            view,
            self._batches,
            self._names.get(job.created_by_id or ""),
            derived_values(view, self._batches, now, self.threshold),
        )
        if key != self._fields_key:
            self._fields_key = key
            self.query_one("#fields", Static).update(
                fields_table(view, self._batches, self._names, now, self.threshold)
            )
        self._render_batches()

    def _render_batches(self) -> None:
        table: DataTable[Text] = self.query_one("#batches", DataTable)
        batches = self._batches
        caption = self.query_one("#batches-title", QuietStatic)
        job = self._view.job if self._view else None
        if batches is None:
            if job is not None and job.job_type is not None and job.job_type is not JobType.CLASSIC:
                why = "batches: none to show (Bulk API 2.0 jobs do not list their batches)"
            elif self._view is not None and self._view.purged:
                why = "batches: gone (Salesforce purged this job)"
            else:
                why = "batches: loading…"
            caption.show(Text(why, style="bold"))
            return
        hint = "query results" if job and _is_query(job) else "enter: failed records"
        caption.show(Text(f"batches ({len(batches)}) — {hint}", style="bold"))
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

    def selected_batch(self) -> BatchInfo | None:
        table: DataTable[Text] = self.query_one("#batches", DataTable)
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
            line.append(fmt.safe(batch.state_message) or fmt.DASH)
        self.query_one("#batch-message", QuietStatic).show(line)

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
        self.post_message(self.BatchChosen(self.job_id, batch))

    def action_back(self) -> None:
        self.dismiss(None)
