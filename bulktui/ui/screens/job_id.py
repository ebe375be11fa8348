"""Ask for a job id (palette "abort job…" / "close job…"); validated before anything is sent."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from bulktui.api import ids
from bulktui.ui.screens.early_keys import type_into_first_field


def check_job_id(text: str) -> str:
    """The normalised 18-character job id, or InvalidIdError with a one-line reason."""
    return ids.parse_job_id(text)


class JobIdModal(ModalScreen[str | None]):
    AUTO_FOCUS = "#job-id"
    DEFAULT_CSS = """
    JobIdModal #error { height: auto; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel", show=False)]

    def __init__(self, action_word: str) -> None:
        super().__init__()
        self.action_word = action_word

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"{self.action_word} job by id", style="bold"), id="title")
            yield Input(placeholder="750… (15 or 18 characters)", id="job-id")
            yield Static(Text("enter to continue, escape to cancel", style="dim"), id="error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            job_id = check_job_id(event.value)
        except ids.InvalidIdError as exc:
            self.query_one("#error", Static).update(Text(str(exc)))
            return
        self.dismiss(job_id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        type_into_first_field(self, event, "#job-id")
