"""``l``: the message log, the last 100 messages in full with their time, newest last."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bulktui.ui import format as fmt
from bulktui.ui.message_log import LOG_SIZE, LoggedMessage

SEVERITY_WORDS = {"information": "", "warning": "warning: ", "error": "error: "}


def log_table(messages: Iterable[LoggedMessage]) -> Table:
    """Time and text side by side, so a long message wraps under itself."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(ratio=1)
    for message in messages:
        text = Text()
        word = SEVERITY_WORDS[message.severity]
        if word:
            text.append(word, style="bold")
        text.append(fmt.safe(message.text))
        table.add_row(message.at.astimezone().strftime("%H:%M:%S"), text)
    if not table.row_count:
        table.add_row("", Text("nothing said yet", style="dim"))
    return table


def log_text(messages: Iterable[LoggedMessage]) -> Text:
    """The log as plain lines, one a message."""
    text = Text()
    for n, message in enumerate(messages):
        if n:
            text.append("\n")
        text.append(message.at.astimezone().strftime("%H:%M:%S"), style="dim")
        text.append("  ")
        word = SEVERITY_WORDS[message.severity]
        if word:
            text.append(word, style="bold")
        text.append(fmt.safe(message.text))
    if not text.plain:
        text.append("nothing said yet", style="dim")
    return text


class MessageLogScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,l,enter", "close", "close", show=False, id="log-close"),
        Binding("up,k", "scroll('up')", "up", show=False, id="log-up"),
        Binding("down,j", "scroll('down')", "down", show=False, id="log-down"),
    ]

    DEFAULT_CSS = """
    MessageLogScreen #log { width: 100%; }
    MessageLogScreen #hint { margin-top: 1; }
    """

    def __init__(self, messages: Iterable[LoggedMessage]) -> None:
        super().__init__()
        self.messages = list(messages)
        self.plain = log_text(self.messages).plain  # what the log says, as lines

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            title = f"Messages, newest last (the console keeps the last {LOG_SIZE})"
            yield Static(Text(title, style="bold"), id="title")
            yield Static(log_table(self.messages), id="log")
            yield Static(Text("escape closes the log; ↑ ↓ scroll", style="dim"), id="hint")

    def on_mount(self) -> None:
        self.query_one("#dialog", VerticalScroll).scroll_end(animate=False)

    def action_scroll(self, where: str) -> None:
        pane = self.query_one("#dialog", VerticalScroll)
        if where == "up":
            pane.scroll_up(animate=False)
        else:
            pane.scroll_down(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
