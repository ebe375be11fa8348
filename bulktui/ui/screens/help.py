"""``?``: every key, generated from ``bulktui.ui.keys``."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bulktui.ui.keys import DETAIL_KEYS, DIALOG_KEYS, MAIN_KEYS


def help_text() -> Text:
    text = Text()
    sections = (
        ("Job list", MAIN_KEYS),
        ("Job detail", DETAIL_KEYS),
        ("Close / abort dialogs", DIALOG_KEYS),
    )
    for n, (title, keys) in enumerate(sections):
        if n:
            text.append("\n\n")
        text.append(title, style="bold underline")
        for key, what in keys:
            text.append("\n")
            text.append(f"{key:>18}", style="bold")
            text.append(f"  {what}")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,enter", "close", "close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(Text("bulktui keys", style="bold"), id="title")
            yield Static(help_text(), id="keys")
            yield Static(Text("escape closes this help", style="dim"), id="hint")

    def action_close(self) -> None:
        self.dismiss(None)
