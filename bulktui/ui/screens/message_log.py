"""``l``: the message log, the last 100 messages in full with their time, newest last."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bulktui.ui import format as fmt
from bulktui.ui.message_log import LoggedMessage

SEVERITY_WORDS = {"information": "", "warning": "warning: ", "error": "error: "}


def log_text(messages: Iterable[LoggedMessage]) -> Text:
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

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            title = f"Messages (the last {len(self.messages)}, newest last)"
            yield Static(Text(title, style="bold"), id="title")
            yield Static(log_text(self.messages), id="log")
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
