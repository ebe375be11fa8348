"""A past job's detail, from the journal: the same fields, batches and failed-record groups as
the live detail pane (``job_detail``'s parts), marked "from the journal, as of <time>".

Nothing here asks the server: a purged job is gone from Salesforce, and an ended one was read
in full once already. What the journal kept is all there is: the fullest JobInfo seen, the
batch summaries, result counts, and each failed-record group's code, count and first message
(never record data). Every string is server text and goes through ``bulktui.ui.format``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from bulktui.api import lifecycle
from bulktui.api.enums import BatchState
from bulktui.core.journal_queries import JobRecord
from bulktui.core.snapshot import JobView
from bulktui.ui import format as fmt
from bulktui.ui.screens.job_detail import (
    BATCH_COLUMNS,
    SIDE_BY_SIDE_WIDTH,
    batch_cells,
    cut,
    detail_fields,
    results_summary,
)
from bulktui.ui.screens.text_view import TextViewScreen
from bulktui.ui.themes import ascii_borders
from bulktui.ui.widgets.field_list import FieldList
from bulktui.ui.widgets.key_table import KeyTable
from bulktui.ui.widgets.note import Note
from bulktui.ui.widgets.quiet import QuietStatic


def source_line(record: JobRecord) -> str:
    """Where this pane's data comes from, and how old it is."""
    when = record.entry.recorded_at
    as_of = fmt.timestamp(when) if when is not None else "an unknown time"
    return f"from the journal, as of {as_of}; nothing here asks Salesforce"


def counts_line(record: JobRecord) -> str | None:
    """The result counts the journal kept, in words (None: it kept none)."""
    counts = record.result_counts
    if counts is None:
        return None
    processed, failed, unprocessed = counts
    return (
        f"results kept: processed {fmt.count(processed)} · failed {fmt.count(failed)} · "
        f"unprocessed {fmt.count(unprocessed)}"
    )


class JournalJobScreen(Screen[None]):
    """One past job as the journal kept it. Escape goes back."""

    DEFAULT_CSS = """
    JournalJobScreen { background: $background; }
    JournalJobScreen #journal-title, JournalJobScreen #journal-source {
        height: 1;
        padding: 0 1;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    JournalJobScreen #journal-source { text-style: bold; }
    JournalJobScreen:ansi #journal-source { text-style: bold underline; }
    JournalJobScreen #journal-body { height: 1fr; }
    JournalJobScreen #journal-fields { width: 86; height: 1fr; padding: 0 1; }
    JournalJobScreen #journal-pane { width: 1fr; height: 1fr; }
    JournalJobScreen #journal-body.-stacked { layout: vertical; }
    JournalJobScreen #journal-body.-stacked #journal-fields { width: 1fr; height: 1fr; }
    /* a past job is mostly its batches and errors: they get two thirds when stacked */
    JournalJobScreen #journal-body.-stacked #journal-pane {
        height: 2fr;
        border-top: solid $panel;
    }
    JournalJobScreen.-ascii #journal-body.-stacked #journal-pane { border-top: ascii $panel; }
    JournalJobScreen #journal-caption, JournalJobScreen #journal-groups-caption {
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    JournalJobScreen #journal-results { height: auto; max-height: 3; padding: 0 1; }
    JournalJobScreen #journal-batches, JournalJobScreen #journal-groups {
        height: 1fr;
        min-height: 3;
        overflow-x: hidden;  /* a cut cell is shown whole below, and by enter */
    }
    JournalJobScreen #journal-message {
        height: auto;
        max-height: 2;
        padding: 0 1;
        background: $surface;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back", tooltip="back to the history", id="journal-detail-back"),
        Binding(
            "tab",
            "app.focus_next",
            "next part",
            show=False,
            tooltip="move between the fields, the batches and the error groups",
            id="journal-detail-next",
        ),
        # The tables and the field list answer enter themselves; this binding is its entry in
        # the help (and answers when none of them has the focus).
        Binding(
            "enter",
            "show_whole",
            "in full",
            show=False,
            tooltip="the field, stateMessage or first message under the cursor, in full",
            id="journal-detail-whole",
        ),
    ]

    def __init__(
        self,
        record: JobRecord,
        *,
        now: Callable[[], datetime],
        threshold: float = 0.10,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.record = record
        self.names = dict(names or {})  # user id -> name, from the live org's directory
        self.now = now
        self.threshold = threshold
        entry = record.entry
        self.view = JobView(entry.job, purged=entry.purged_at is not None)
        self.v2 = lifecycle.kind_of(entry.job).is_v2

    @property
    def job_id(self) -> str:
        return self.view.id

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="journal-title")
        yield QuietStatic(id="journal-source")
        with Horizontal(id="journal-body"):
            yield FieldList(id="journal-fields")
            with Vertical(id="journal-pane"):
                yield QuietStatic(id="journal-caption")
                yield Note(id="journal-results")
                batches = KeyTable(id="journal-batches", cursor_type="row")
                for key, title, width in BATCH_COLUMNS:
                    batches.add_column(title, key=key, width=width)
                yield batches
                yield QuietStatic(id="journal-groups-caption")
                groups = KeyTable(id="journal-groups", cursor_type="row")
                if not self.v2:
                    groups.add_column("batch", key="batch", width=18)
                groups.add_column("error code", key="code", width=28)
                groups.add_column("count", key="count", width=9)
                groups.add_column("first message", key="message", width=60)
                yield groups
                yield Note(id="journal-message")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(ascii_borders(), "-ascii")
        record, view = self.record, self.view
        job = view.job
        heading = Text()
        heading.append(f"Job {fmt.safe(view.id)}", style="bold")
        heading.append(f"  {fmt.job_kind(job)}  {fmt.object_operation(job)}  ")
        heading.append(fmt.job_state(view), style="bold")
        if view.purged:
            heading.append(f" (last state: {fmt.job_state_word(job)})")
        self.query_one("#journal-title", QuietStatic).show(heading)
        self.query_one("#journal-source", QuietStatic).show(Text(source_line(record)))
        batches = record.batches or None
        self.query_one(FieldList).set_fields(
            detail_fields(view, batches, self.names, self.now(), self.threshold)
        )
        self._fill_results()
        self._fill_batches()
        self._fill_groups()
        focus = next(
            (
                t
                for t in (self.query_one("#journal-groups"), self.query_one("#journal-batches"))
                if t.display and isinstance(t, KeyTable) and t.row_count
            ),
            None,
        )
        (focus or self.query_one(FieldList)).focus()

    def on_resize(self) -> None:
        body = self.query_one("#journal-body")
        body.set_class(self.size.width < SIDE_BY_SIDE_WIDTH, "-stacked")

    # ------------------------------------------------------------------ parts

    def _fill_results(self) -> None:
        """2.0: the results in words, and the counts kept (1.0: on the batches' caption)."""
        note = self.query_one("#journal-results", Note)
        kept = counts_line(self.record)
        if not self.v2:
            note.display = False
            return
        caption = self.query_one("#journal-caption", QuietStatic)
        caption.show(Text(results_summary(self.view.job), style="bold"))
        if kept is None:
            note.display = False
        else:
            note.show(Text(kept))

    def _fill_batches(self) -> None:
        table = self.query_one("#journal-batches", KeyTable)
        if self.v2:
            table.display = False
            return
        batches = self.record.batches
        caption = self.query_one("#journal-caption", QuietStatic)
        kept = counts_line(self.record)
        tail = f" · {kept}" if kept else ""
        if not batches:
            table.display = False
            caption.show(Text(f"batches: none kept in the journal{tail}", style="bold"))
            return
        whole = sum(1 for b in batches if b.state is BatchState.FAILED)
        failed = f", {whole} failed as a whole" if whole else ""
        caption.show(Text(f"batches ({len(batches)}{failed}){tail}", style="bold"))
        for batch in batches:
            table.add_row(*batch_cells(batch), key=batch.id)

    def _fill_groups(self) -> None:
        table = self.query_one("#journal-groups", KeyTable)
        groups = self.record.error_groups
        caption = self.query_one("#journal-groups-caption", QuietStatic)
        if not groups:
            table.display = False
            failed = self.view.job.number_records_failed
            why = "no failed records" if failed == 0 else "failed records: none kept in the journal"
            caption.show(Text(why, style="bold"))
            return
        for index, group in enumerate(groups):
            cells = [
                Text(fmt.safe(group.code)),
                Text(fmt.count(group.count), justify="right"),
                Text(cut(group.first_message, 200)),
            ]
            if not self.v2:
                cells.insert(0, Text(fmt.safe(group.batch_id) if group.batch_id else fmt.DASH))
            table.add_row(*cells, key=str(index))
        total = sum(g.count for g in groups)
        caption.show(
            Text(
                f"failed records: {fmt.count(total)} in {fmt.count(len(groups))} error"
                f" {'group' if len(groups) == 1 else 'groups'}; enter: a message in full"
                " (no record data is kept)",
                style="bold",
            )
        )

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted row's long text, whole or nearly, below the tables."""
        event.stop()
        key = event.row_key.value
        line = Text()
        if event.data_table.id == "journal-groups" and key is not None:
            group = self.record.error_groups[int(key)]
            line.append(f"{fmt.safe(group.code)}: ", style="bold")
            line.append(cut(group.first_message, 300))
        elif event.data_table.id == "journal-batches":
            batch = next((b for b in self.record.batches if b.id == key), None)
            if batch is not None:
                line.append(f"{fmt.safe(batch.id)} stateMessage: ", style="bold")
                line.append(cut(batch.state_message or "", 300) or fmt.DASH)
        self.query_one("#journal-message", Note).show(line)

    # ------------------------------------------------------------------ enter

    @on(DataTable.RowSelected, "#journal-groups")
    def _group_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key is None:
            return
        group = self.record.error_groups[int(key)]
        title = f"Job {self.job_id}: {group.code}, first message (from the journal)"
        self.app.push_screen(TextViewScreen(title, group.first_message))

    @on(DataTable.RowSelected, "#journal-batches")
    def _batch_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        batch = next((b for b in self.record.batches if b.id == event.row_key.value), None)
        if batch is None:
            return
        title = f"Job {self.job_id}: batch {batch.id} stateMessage (from the journal)"
        self.app.push_screen(TextViewScreen(title, batch.state_message or fmt.DASH))

    @on(FieldList.FieldChosen)
    def _field_chosen(self, event: FieldList.FieldChosen) -> None:
        event.stop()
        chosen = event.field
        value = chosen.full if chosen.full is not None else chosen.value
        note = f" ({chosen.note})" if chosen.note else ""
        title = f"Job {self.job_id}: {chosen.label}{note} (from the journal)"
        self.app.push_screen(TextViewScreen(title, value))

    def action_show_whole(self) -> None:
        focused = self.focused
        if isinstance(focused, FieldList):
            focused.action_choose()
        elif isinstance(focused, DataTable):
            focused.action_select_cursor()

    def action_back(self) -> None:
        self.dismiss(None)
