"""Close and abort confirmations: what job, what state, and what will happen, in plain words.

Cancel has the focus when the dialog opens (k9s style), so a stray Enter never destroys
anything. ``y`` confirms; ``n`` and Escape cancel; a second ``a`` or ``c`` does nothing.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from bulktui.core.snapshot import JobView
from bulktui.ui import format as fmt


class ConfirmJobModal(ModalScreen[bool]):
    """Base for the two confirmations. Dismisses with True only when confirmed."""

    ACTION_WORD = ""
    BUTTON_LABEL = ""
    CONSEQUENCE = ""
    AUTO_FOCUS = "#cancel"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "confirm", show=False),
        Binding("n", "answer(False)", "cancel", show=False),
        Binding("escape", "answer(False)", "cancel", show=False),
        # Pressing the key that opened the dialog again must not do anything.
        Binding("a,c", "ignore", show=False),
        Binding("left,right,h,l", "app.focus_next", show=False),
    ]

    def __init__(self, view: JobView) -> None:
        super().__init__(classes="confirm-modal")
        self.view = view

    def compose(self) -> ComposeResult:
        job = self.view.job
        with Vertical(id="dialog"):
            yield Static(Text(f"{self.ACTION_WORD} this job?", style="bold"), id="title")
            facts = Text()
            rows = (
                ("job id", fmt.safe(self.view.id)),
                ("object", fmt.safe(job.object) or fmt.DASH),
                ("operation", fmt.safe(job.operation) or fmt.DASH),
                ("state", fmt.job_state(self.view)),
                ("processed", fmt.count(job.number_records_processed)),
                ("failed", fmt.failed_cell(self.view, 1.0)[0]),
            )
            for i, (label, value) in enumerate(rows):
                if i:
                    facts.append("\n")
                facts.append(f"{label:>10}  ", style="dim")
                facts.append(value, style="bold" if label == "job id" else "")
            yield Static(facts, id="facts")
            yield Static(Text(self.CONSEQUENCE), id="consequence")
            with Horizontal(id="buttons"):
                yield Button("Cancel (n)", id="cancel", variant="default")
                yield Button(self.BUTTON_LABEL, id="confirm", variant="error")

    def action_answer(self, confirmed: bool) -> None:
        self.dismiss(confirmed)

    def action_ignore(self) -> None:
        """Swallow the key."""

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")


class CloseJobModal(ConfirmJobModal):
    ACTION_WORD = "Close"
    BUTTON_LABEL = "Close job (y)"
    CONSEQUENCE = (
        "Closing tells Salesforce that all batches have been added: no more batches can be "
        "added to this job. Batches already queued are still processed."
    )


class AbortJobModal(ConfirmJobModal):
    ACTION_WORD = "Abort"
    BUTTON_LABEL = "Abort job (y)"
    CONSEQUENCE = (
        "Aborting stops the job: no more records are processed. Changes already committed "
        "are NOT rolled back; batches already in progress may still finish."
    )
