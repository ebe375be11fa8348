"""``?``: every key, generated from the screens' bindings (their key, and their tooltip or
description). A binding whose action is refused right now (``--read-only``) is left out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bulktui.ui import keys
from bulktui.ui.screens.confirm import ConfirmJobModal
from bulktui.ui.screens.failed_records import FailedRecordsScreen
from bulktui.ui.screens.job_detail import JobDetailScreen

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
    ]


def help_text(allowed: Allowed, palette_key: str = "ctrl+p") -> Text:
    text = Text()
    for n, (title, bindings) in enumerate(sections(palette_key)):
        if n:
            text.append("\n\n")
        text.append(title, style="bold underline")
        for key, what in rows(bindings, allowed):
            text.append("\n")
            text.append(f"{key:>{KEY_WIDTH}}", style="bold")
            text.append(f"  {what}")
    return text


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
    HelpScreen #dialog { width: 90; }
    HelpScreen #hint { margin-top: 1; }
    """

    def __init__(self, allowed: Allowed) -> None:
        super().__init__()
        self.allowed = allowed

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(Text("bulktui keys", style="bold"), id="title")
            yield Static(help_text(self.allowed, self.app.COMMAND_PALETTE_BINDING), id="keys")
            yield Static(Text("escape closes this help", style="dim"), id="hint")

    def action_close(self) -> None:
        self.dismiss(None)
