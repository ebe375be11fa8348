"""``?``: every key, generated from the screens' bindings (their key, and their tooltip or
description). A binding whose action is refused right now (``--read-only``) is left out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bulktui.ui import keys
from bulktui.ui.screens.confirm import ConfirmJobModal
from bulktui.ui.screens.failed_records import FailedRecordsScreen
from bulktui.ui.screens.history import HistoryScreen
from bulktui.ui.screens.job_detail import JobDetailScreen
from bulktui.ui.screens.journal_detail import JournalJobScreen

Allowed = Callable[[Binding], bool]
KEY_WIDTH = 18


def sections(palette_key: str) -> list[tuple[str, list[Binding]]]:
    """The help's sections, each a title and its bindings, in the order they are shown."""
    job_list = [*keys.COMMAND_BINDINGS, *keys.NAVIGATION_BINDINGS]
    listed = {b.key for b in job_list}
    for binding in keys.APP_BINDINGS:
        if binding.key not in listed:
            job_list.append(binding)
            listed.add(binding.key)
    job_list.append(
        Binding(palette_key, "command_palette", "palette", tooltip="command palette", id="palette")
    )
    return [
        ("Job list", job_list),
        ("Job detail", list(Binding.make_bindings(JobDetailScreen.BINDINGS))),
        ("Failed records", list(Binding.make_bindings(FailedRecordsScreen.BINDINGS))),
        ("Close / abort dialogs", list(Binding.make_bindings(ConfirmJobModal.BINDINGS))),
        ("History (h)", list(Binding.make_bindings(HistoryScreen.BINDINGS))),
        ("Past job (journal)", list(Binding.make_bindings(JournalJobScreen.BINDINGS))),
    ]


# How to read the job table: its glyphs and the batches cell (never colour alone).
LEGEND: tuple[tuple[str, str], ...] = (
    ("○", "Open: taking data (1.0 batches, or a 2.0 upload)"),
    ("↑", "UploadComplete: a 2.0 job uploaded, waiting to run"),
    ("►", "running: batches queued or in progress, or a 2.0 job InProgress"),
    ("√", "done: Closed with every batch finished, or JobComplete"),
    ("▲ state", "done, but a batch failed as a whole: part of the data never loaded"),
    ("!", "Failed (a 2.0 job's errorMessage is in its detail)"),
    ("×", "Aborted"),
    ("…", "loading: only the list row so far; its detail is on its way"),
    ("?", "a row that could not be read in full (the detail says why)"),
    ("·", "purged: Salesforce no longer has it (history: h)"),
    ("12+1/40", "batches: 12 completed and 1 failed as a whole, of 40; the failed count and "
     "rate do not include a whole-batch failure's records"),
    ("▲ 11%", "failed records over the threshold (BULKTUI_FAILURE_THRESHOLD, default 10%), "
     "or a guard rule flagged the job"),
)


def help_text(allowed: Allowed, palette_key: str = "ctrl+p") -> Text:
    """The help as plain lines (what the screen shows, without its columns)."""
    text = Text()
    for n, (title, bindings) in enumerate(sections(palette_key)):
        if n:
            text.append("\n\n")
        text.append(title, style="bold underline")
        for key, what in rows(bindings, allowed):
            text.append("\n")
            text.append(f"{key:>{KEY_WIDTH}}", style="bold")
            text.append(f"  {what}")
    text.append("\n\n")
    text.append("Reading the job table", style="bold underline")
    for mark, what in LEGEND:
        text.append(f"\n{mark:>{KEY_WIDTH}}  {what}")
    return text


def help_table(allowed: Allowed, palette_key: str = "ctrl+p") -> Table:
    """The help in two columns, so a long description wraps under itself."""
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", min_width=12, no_wrap=True)
    table.add_column(ratio=1)
    for n, (title, bindings) in enumerate(sections(palette_key)):
        if n:
            table.add_row("", "")
        table.add_row("", Text(title, style="bold underline"))
        for key, what in rows(bindings, allowed):
            table.add_row(key, what)
    table.add_row("", "")
    table.add_row("", Text("Reading the job table", style="bold underline"))
    for mark, what in LEGEND:
        table.add_row(mark, what)
    return table


def rows(bindings: Iterable[Binding], allowed: Allowed) -> Sequence[tuple[str, str]]:
    """(keys, what they do) for each binding that can run now. Textual splits "n,escape" into
    one binding per key; those (same action, same words) are joined on one row again."""
    out: list[tuple[str, str]] = []
    last: tuple[str, str] | None = None
    for binding in bindings:
        what = binding.tooltip or binding.description
        if not what or not allowed(binding):
            continue
        same = (binding.id or binding.action, what)
        if out and same == last:
            out[-1] = (f"{out[-1][0]} {keys.key_text(binding)}", what)
        else:
            out.append((keys.key_text(binding), what))
        last = same
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,enter", "close", "close", show=False, id="help-close"),
    ]

    DEFAULT_CSS = """
    HelpScreen #hint { margin-top: 1; }
    """

    def __init__(self, allowed: Allowed) -> None:
        super().__init__()
        self.allowed = allowed
        self.plain = ""  # the help's text, for tests and screen readers of the source

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(Text("bulktui keys", style="bold"), id="title")
            palette_key = self.app.COMMAND_PALETTE_BINDING
            self.plain = help_text(self.allowed, palette_key).plain
            yield Static(help_table(self.allowed, palette_key), id="keys")
            yield Static(Text("escape closes this help", style="dim"), id="hint")

    def action_close(self) -> None:
        self.dismiss(None)
