"""Enter on a batch (1.0) or on an error (2.0): failed records grouped by error code, the
highlighted group's whole message, and the raw rows.

The screen loads its records itself, through the app's backend, in its own worker: the
backend's ``failed_records`` groups them (the grouping lives there, once); a backend without
it still answers 1.0 batches with their plain results. A batch that failed as a whole has no
records to show: its stateMessage says why, and none of its records were processed.

Tab moves between the error groups and the raw rows; the raw rows scroll with the arrow keys,
page keys and ←/→ for long lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer
from textual.widgets.data_table import RowDoesNotExist

from bulktui.api.enums import BatchState
from bulktui.api.models import BatchInfo, RecordResult
from bulktui.core.snapshot import PollStatus, Snapshot
from bulktui.ui import format as fmt
from bulktui.ui.failed_groups import (
    NOT_AVAILABLE,
    ErrorGroupView,
    FailedRecordGroupsView,
    batch_results_source,
    explain_load,
    failed_records_source,
)
from bulktui.ui.screens.text_view import TextViewScreen
from bulktui.ui.themes import ascii_borders
from bulktui.ui.widgets.key_table import KeyTable
from bulktui.ui.widgets.lines_view import LinesView
from bulktui.ui.widgets.note import Note
from bulktui.ui.widgets.quiet import QuietStatic
from bulktui.ui.widgets.status_header import StatusHeader

CELL_CHARS = 300  # of one raw cell on screen; a longer one is cut and marked
MESSAGE_CHARS = 1500  # of the highlighted group's message under the table; enter shows all


def group_errors(results: Sequence[RecordResult]) -> list[tuple[str, int, str]]:
    """(status code, count, first message) for failed rows, most frequent first. Only for a
    backend without ``failed_records``; that call groups them itself."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for result in results:
        if result.success:
            continue
        code = result.status_code or "(no code)"
        counts[code] += 1
        if code not in first:
            first[code] = result.errors[0].message if result.errors else ""
    return [(code, n, first[code]) for code, n in counts.most_common()]


RAW_HEADER = Text(f"{'row':>7}  {'id':<18}  error")


def raw_lines(results: Sequence[RecordResult]) -> list[Text]:
    """One line per failed row: its request row number (1-based), id and the error text."""
    out = []
    for n, result in enumerate(results, 1):
        if result.success:
            continue
        record_id = fmt.safe(result.id or fmt.DASH)
        out.append(Text(f"{n:>7,}  {record_id:<18}  {_cell(result.error or '')}"))
    return out


def _cell(value: str, limit: int = CELL_CHARS) -> str:
    shown, was_cut = fmt.clip(value, limit)
    return f"{shown}…[{fmt.count(len(value))} chars]" if was_cut else shown


def sample_lines(group: ErrorGroupView) -> tuple[Text, list[Text]]:
    """The header and one line per sample row of ``group``, cells cut to :data:`CELL_CHARS`."""
    header = Text(" │ ".join(_cell(h) for h in group.header))
    return header, [Text(" │ ".join(_cell(c) for c in row)) for row in group.samples]


class FailedRecordsScreen(Screen[None]):
    DEFAULT_CSS = """
    FailedRecordsScreen { background: $background; }
    FailedRecordsScreen #records-title {
        height: 1;
        padding: 0 1;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    FailedRecordsScreen #records-note {
        height: auto;
        max-height: 6;
        padding: 0 1;
        background: $surface;
    }
    FailedRecordsScreen #records-body { height: 1fr; }
    FailedRecordsScreen #error-groups { height: auto; max-height: 40%; }
    FailedRecordsScreen #raw-rows { height: 1fr; border-top: solid $panel; }
    FailedRecordsScreen.-ascii #raw-rows { border-top: ascii $panel; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("tab,shift+tab", "switch_pane", "groups/rows"),
        Binding("question_mark", "app.help", "help"),
    ]

    class RecordsLoaded(Message):
        def __init__(self, records: FailedRecordGroupsView | list[RecordResult]) -> None:
            super().__init__()
            self.records = records

    class RecordsNotLoaded(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(
        self,
        job_id: str,
        batch: BatchInfo | None,
        *,
        instance_url: str,
        now: Callable[[], datetime],
        read_only: bool,
        loaded: FailedRecordGroupsView | None = None,
        code: str | None = None,
    ) -> None:
        """``loaded``: records the caller has read already (not asked again); ``code``: the
        error group to put the cursor on."""
        super().__init__()
        self.job_id = job_id
        self.failed_batch = batch  # None: a 2.0 job's failed records
        self.instance_url = instance_url
        self.now = now
        self.read_only = read_only
        self.results: list[RecordResult] | FailedRecordGroupsView | None = None
        self._snapshot: tuple[Snapshot, PollStatus | None] | None = None
        self._loaded: list[RecordResult] | FailedRecordGroupsView | str | None = loaded
        self._initial_code = code
        self._groups: dict[str, ErrorGroupView] = {}

    @property
    def batch_info(self) -> BatchInfo:
        """The batch, or an id-less one for a 2.0 job (for callers that match by batch id)."""
        return self.failed_batch if self.failed_batch is not None else BatchInfo(id="")

    @property
    def what(self) -> str:
        if self.failed_batch is None:
            return f"Failed records of job {fmt.safe(self.job_id)}"
        return f"Failed records of batch {fmt.safe(self.failed_batch.id)}"

    def compose(self) -> ComposeResult:
        yield StatusHeader(instance_url=self.instance_url, now=self.now, read_only=self.read_only)
        yield QuietStatic(id="records-title")
        yield Note(id="records-note")
        with Vertical(id="records-body"):
            summary = KeyTable(id="error-groups", cursor_type="row")
            summary.add_column("error code", key="code", width=28)
            summary.add_column("count", key="count", width=9)
            summary.add_column("first message", key="message", width=60)
            yield summary
            yield LinesView(RAW_HEADER, id="raw-rows")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(ascii_borders(), "-ascii")
        if self._snapshot is not None:
            self.query_one(StatusHeader).apply_snapshot(*self._snapshot)
        batch = self.failed_batch
        if batch is not None and batch.state is BatchState.FAILED:
            self._show_whole_batch_failure(batch)
            return
        if self._loaded is None:
            self._title(Text("loading…"))
            self._load()
        else:
            self.call_after_refresh(self._show_loaded)  # once mounted: show_* check for it

    def _title(self, tail: Text) -> None:
        title = Text()
        title.append(self.what, style="bold")
        if self.failed_batch is not None:
            title.append(f"  job {fmt.safe(self.job_id)}", style="dim")
        title.append("  ")
        title.append_text(tail)
        self.query_one("#records-title", QuietStatic).show(title)

    def _note(self, text: Text) -> None:
        self.query_one("#records-note", Note).show(text)

    def _show_whole_batch_failure(self, batch: BatchInfo) -> None:
        self.results = []
        self._title(Text("failed as a whole"))
        note = Text()
        note.append("The batch failed as a whole: none of its records were processed.\n")
        note.append("stateMessage: ", style="bold")
        note.append(_cell(batch.state_message or "", MESSAGE_CHARS) or fmt.DASH)
        self._note(note)
        summary = self.query_one("#error-groups", KeyTable)
        summary.clear()
        summary.add_row(
            Text("none processed"), Text(""), Text(_cell(batch.state_message or "", 200))
        )
        self.query_one("#raw-rows", LinesView).set_lines([])

    # ------------------------------------------------------------------ loading

    @work(group="failed-records", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        batch_id = self.failed_batch.id if self.failed_batch is not None else None
        try:
            grouped = failed_records_source(self.app)
            if grouped is not None:
                self.post_message(
                    self.RecordsLoaded(await grouped.failed_records(self.job_id, batch_id))
                )
                return
            plain = batch_results_source(self.app)
            if plain is None or batch_id is None:
                self.post_message(self.RecordsNotLoaded(NOT_AVAILABLE))
                return
            self.post_message(self.RecordsLoaded(await plain.batch_results(self.job_id, batch_id)))
        except Exception as exc:
            self.post_message(self.RecordsNotLoaded(explain_load(exc)))

    def on_failed_records_screen_records_loaded(self, message: RecordsLoaded) -> None:
        self._loaded = message.records
        self._show_loaded()

    def on_failed_records_screen_records_not_loaded(self, message: RecordsNotLoaded) -> None:
        self.show_error(message.reason)

    def _show_loaded(self) -> None:
        loaded = self._loaded
        if isinstance(loaded, str):
            self.show_error(loaded)
        elif isinstance(loaded, list):
            self.show_results(loaded)
        elif loaded is not None:
            self.show_groups(loaded)

    # ------------------------------------------------------------------ showing

    def show_groups(self, records: FailedRecordGroupsView) -> None:
        self._loaded = records
        if not self.is_mounted:
            return
        self.results = records
        groups = list(records.groups)
        self._groups = {g.code: g for g in groups}
        tail = Text(f"{fmt.count(records.failed)} failed of {fmt.count(records.rows_seen)} rows")
        if groups:
            tail.append(f" in {fmt.counted(len(groups), 'error codes')}")
        self._title(tail)
        summary = self.query_one("#error-groups", KeyTable)
        summary.clear()
        for group in groups:
            summary.add_row(
                Text(fmt.safe(group.code)),
                Text(fmt.count(group.count), justify="right"),
                Text(_cell(group.first_message, 200)),
                key=group.code,
            )
        if not groups:
            summary.add_row(Text("no failed records"), Text(""), Text(""))
            self._note(Text(fmt.safe(records.note or "")))
            self.query_one("#raw-rows", LinesView).set_lines([])
        else:
            first = self._groups.get(self._initial_code or "", groups[0])
            self._show_group(first)
            if first is not groups[0]:
                summary.move_cursor(row=groups.index(first))
        summary.focus()

    def _show_group(self, group: ErrorGroupView) -> None:
        note = Text()
        note.append(f"{fmt.safe(group.code)}: ", style="bold")
        message, was_cut = fmt.clip(group.first_message, MESSAGE_CHARS)
        if was_cut:
            message += "… [enter shows it all]"
        note.append(message)
        loaded = self._loaded
        cut = loaded is not None and not isinstance(loaded, (str, list)) and loaded.truncated
        if loaded is not None and not isinstance(loaded, (str, list)) and (cut or loaded.note):
            note.append(f"\n{fmt.safe(loaded.note or 'the list was cut')}", style="dim")
        self._note(note)
        header, lines = sample_lines(group)
        rows = self.query_one("#raw-rows", LinesView)
        rows.header = header
        rows.set_lines(lines)

    def show_results(self, results: list[RecordResult]) -> None:
        """A 1.0 batch's plain results (a backend without ``failed_records``)."""
        self._loaded = results
        if not self.is_mounted:
            return
        self.results = results
        groups = group_errors(results)
        failed = sum(n for _code, n, _msg in groups)
        tail = Text(f"{failed:,} failed of {len(results):,} rows")
        if groups:
            tail.append(f" in {fmt.counted(len(groups), 'error codes')}")
        self._title(tail)
        summary = self.query_one("#error-groups", KeyTable)
        summary.clear()
        for code, n, message in groups:
            summary.add_row(
                Text(fmt.safe(code)),
                Text(f"{n:,}", justify="right"),
                Text(_cell(message, 200)),
                key=code,
            )
        if not groups:
            summary.add_row(Text("no failed records"), Text(""), Text(""))
        else:
            code, _n, message = groups[0]
            self._note(Text(f"{fmt.safe(code)}: {_cell(message, MESSAGE_CHARS)}"))
        lines = self.query_one("#raw-rows", LinesView)
        lines.header = RAW_HEADER
        lines.set_lines(raw_lines(results))
        summary.focus()

    def show_error(self, reason: str) -> None:
        self._loaded = reason
        if not self.is_mounted:
            return
        self._title(Text(f"could not load them: {fmt.safe(reason)}"))

    # ------------------------------------------------------------------ keys

    def _highlighted_code(self) -> str | None:
        summary = self.query_one("#error-groups", KeyTable)
        if summary.row_count == 0:
            return None
        try:
            key = summary.coordinate_to_cell_key(summary.cursor_coordinate).row_key.value
        except RowDoesNotExist:
            return None
        return key

    @on(DataTable.RowHighlighted, "#error-groups")
    def _group_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        code = self._highlighted_code()
        if code is not None and code in self._groups:
            self._show_group(self._groups[code])
        elif code is not None and isinstance(self._loaded, list):
            for c, _n, message in group_errors(self._loaded):
                if c == code:
                    self._note(Text(f"{fmt.safe(c)}: {_cell(message, MESSAGE_CHARS)}"))

    @on(DataTable.RowSelected, "#error-groups")
    def _group_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        code = self._highlighted_code()
        group = self._groups.get(code) if code is not None else None
        if group is not None:
            self.app.push_screen(TextViewScreen(f"{self.what}: {group.code}", group.first_message))

    def action_switch_pane(self) -> None:
        groups = self.query_one("#error-groups", KeyTable)
        rows = self.query_one("#raw-rows", LinesView)
        (groups if rows.has_focus else rows).focus()

    def apply_snapshot(self, snapshot: Snapshot, status: PollStatus | None = None) -> None:
        self._snapshot = (snapshot, status)
        if self.is_mounted:
            self.query_one(StatusHeader).apply_snapshot(snapshot, status)

    def tick(self, status: PollStatus | None) -> None:
        if status is not None and self.is_mounted:
            self.query_one(StatusHeader).apply_status(status)

    def action_back(self) -> None:
        self.dismiss(None)
