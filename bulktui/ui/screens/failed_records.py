"""Enter on a batch: its failed records, grouped by error code, then the raw rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from bulktui.api.models import BatchInfo, RecordResult
from bulktui.core.snapshot import PollStatus, Snapshot
from bulktui.ui import format as fmt
from bulktui.ui.widgets.lines_view import LinesView
from bulktui.ui.widgets.quiet import QuietStatic
from bulktui.ui.widgets.status_header import StatusHeader


def group_errors(results: Sequence[RecordResult]) -> list[tuple[str, int, str]]:
    """(status code, count, first message) for failed rows, most frequent first."""
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
        out.append(Text(f"{n:>7,}  {record_id:<18}  {fmt.safe(result.error)}"))
    return out


class FailedRecordsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("tab", "focus_next", "switch pane", show=False),
        Binding("question_mark", "app.help", "help"),
    ]

    def __init__(
        self,
        job_id: str,
        batch: BatchInfo,
        *,
        instance_url: str,
        now: Callable[[], datetime],
        read_only: bool,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.batch_info = batch
        self.instance_url = instance_url
        self.now = now
        self.read_only = read_only
        self.results: list[RecordResult] | None = None
        self._snapshot: tuple[Snapshot, PollStatus | None] | None = None
        self._loaded: list[RecordResult] | str | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(instance_url=self.instance_url, now=self.now, read_only=self.read_only)
        yield QuietStatic(id="records-title")
        with Vertical(id="records-body"):
            summary: DataTable[Text] = DataTable(id="error-groups", cursor_type="row")
            summary.add_column("error code", key="code", width=28)
            summary.add_column("count", key="count", width=9)
            summary.add_column("first message", key="message", width=60)
            yield summary
            yield LinesView(RAW_HEADER, id="raw-rows")
        yield Footer()

    def on_mount(self) -> None:
        title = Text()
        title.append(f"Failed records of batch {fmt.safe(self.batch_info.id)}", style="bold")
        title.append(f"  job {fmt.safe(self.job_id)}  ", style="dim")
        title.append("loading…")
        self.query_one("#records-title", QuietStatic).show(title)
        if self._snapshot is not None:
            self.query_one(StatusHeader).apply_snapshot(*self._snapshot)
        if isinstance(self._loaded, list):
            self.show_results(self._loaded)
        elif isinstance(self._loaded, str):
            self.show_error(self._loaded)

    def apply_snapshot(self, snapshot: Snapshot, status: PollStatus | None = None) -> None:
        self._snapshot = (snapshot, status)
        if self.is_mounted:
            self.query_one(StatusHeader).apply_snapshot(snapshot, status)

    def tick(self, status: PollStatus | None) -> None:
        if status is not None and self.is_mounted:
            self.query_one(StatusHeader).apply_status(status)

    def show_results(self, results: list[RecordResult]) -> None:
        self._loaded = results
        if not self.is_mounted:
            return
        self.results = results
        groups = group_errors(results)
        failed = sum(n for _code, n, _msg in groups)
        title = Text()
        title.append(f"Failed records of batch {fmt.safe(self.batch_info.id)}", style="bold")
        title.append(f"  job {fmt.safe(self.job_id)}  ", style="dim")
        title.append(f"{failed:,} failed of {len(results):,} rows")
        if groups:
            title.append(f" in {len(groups)} error code{'s' if len(groups) != 1 else ''}")
        self.query_one("#records-title", QuietStatic).show(title)
        summary: DataTable[Text] = self.query_one("#error-groups", DataTable)
        summary.clear()
        for code, n, message in groups:
            summary.add_row(
                Text(fmt.safe(code)),
                Text(f"{n:,}", justify="right"),
                Text(fmt.safe(message)),
                key=code,
            )
        if not groups:
            summary.add_row(Text("no failed records"), Text(""), Text(""))
        lines = self.query_one("#raw-rows", LinesView)
        lines.set_lines(raw_lines(results))
        summary.focus()

    def show_error(self, reason: str) -> None:
        self._loaded = reason
        if not self.is_mounted:
            return
        title = Text()
        title.append(f"Failed records of batch {fmt.safe(self.batch_info.id)}: ", style="bold")
        title.append(f"could not load them: {fmt.safe(reason)}")
        self.query_one("#records-title", QuietStatic).show(title)

    def action_back(self) -> None:
        self.dismiss(None)
