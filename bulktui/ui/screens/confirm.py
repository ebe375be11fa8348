"""Close and abort confirmations: what job, whose, what state, how old the data is, and what
will happen, in plain words.

Cancel has the focus when the dialog opens (k9s style), so a stray Enter never destroys
anything. ``y`` confirms; ``n`` and Escape cancel. A key that is no answer (a second ``a``, or
keys typed ahead before the dialog opened) is never lost in silence: before the answer it is
reported and ignored; after the answer it is handed back to the app, in the order typed, to act
on the job list once the dialog has gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from bulktui.api import lifecycle
from bulktui.api.enums import JobState
from bulktui.api.lifecycle import JobAction, JobKind
from bulktui.core.snapshot import JobView, LinkState
from bulktui.ui import format as fmt
from bulktui.ui.messages import Said


@dataclass(frozen=True, slots=True)
class ConfirmFacts:
    """What the dialog knows beyond the job itself."""

    owner: str  # the creator, as the table names them
    my_user_id: str | None = None  # the console's user, when known
    link: LinkState | None = None
    data_age: str | None = None  # "2m ago": shown when the link is degraded or stale


CONSEQUENCES: dict[tuple[JobKind, JobAction], str] = {
    (JobKind.V1, JobAction.CLOSE): (
        "Closing tells Salesforce that all batches have been added: no more batches can be "
        "added to this job. Batches already queued are still processed."
    ),
    (JobKind.V2_INGEST, JobAction.CLOSE): (
        "Marking the upload complete tells Salesforce that all the data is uploaded: this "
        "starts processing the uploaded data, and no more data can be added to this job."
    ),
}
ABORT_CONSEQUENCE = (
    "Aborting stops the job: no more records are processed. Changes already committed "
    "are NOT rolled back; batches already in progress may still finish."
)


def warnings(view: JobView, action: JobAction, facts: ConfirmFacts) -> list[str]:
    """What the user should know before answering, each in one sentence."""
    job = view.job
    out: list[str] = []
    creator = job.created_by_id
    if (
        job.state is JobState.OPEN
        and action is JobAction.CLOSE
        and facts.my_user_id
        and creator
        and creator != facts.my_user_id
    ):
        out.append(
            f"You did not create this job ({fmt.safe(facts.owner)} did): only its creator may "
            f"{lifecycle.action_label(job, action)}; Salesforce will probably refuse."
        )
    if (
        action is JobAction.ABORT
        and lifecycle.kind_of(job) is JobKind.V1
        and job.state is JobState.CLOSED
        and lifecycle.has_counts(job)
        and job.batches_pending == 0
    ):
        out.append("All its batches are done: nothing is left to abort.")
    if facts.link in (LinkState.DEGRADED, LinkState.STALE):
        age = facts.data_age or "of unknown age"
        out.append(
            f"The link is {facts.link.value}: what is shown here is from {age}; the job may "
            "have changed since."
        )
    return out


class ConfirmJobModal(ModalScreen[bool]):
    """Base for the two confirmations. Dismisses with True only when confirmed."""

    ACTION: ClassVar[JobAction] = JobAction.ABORT
    AUTO_FOCUS = "#cancel"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "confirm", show=False, tooltip="confirm", id="confirm-yes"),
        Binding(
            "n,escape", "answer(False)", "cancel", show=False, tooltip="cancel", id="confirm-no"
        ),
        Binding(
            "tab,left,right,h,l",
            "app.focus_next",
            "next button",
            show=False,
            tooltip="move between the buttons; enter presses the focused one",
            id="confirm-focus",
        ),
    ]

    DEFAULT_CSS = """
    ConfirmJobModal #facts { margin-bottom: 1; }
    ConfirmJobModal #warnings { margin-bottom: 1; text-style: bold; }
    ConfirmJobModal #consequence { margin-bottom: 1; }
    """

    def __init__(self, view: JobView, facts: ConfirmFacts | None = None) -> None:
        super().__init__(classes="confirm-modal")
        self.view = view
        self.facts = facts or ConfirmFacts(owner=fmt.created_by(view.job, None))
        self.answered = False
        self.label = lifecycle.action_label(view.job, self.ACTION)

    @property
    def consequence(self) -> str:
        kind = lifecycle.kind_of(self.view.job)
        return CONSEQUENCES.get((kind, self.ACTION), ABORT_CONSEQUENCE)

    def compose(self) -> ComposeResult:
        job = self.view.job
        words = self.label if self.label in ("close", "abort") else f"{self.label} for"
        title = f"{words.capitalize()} this job?"
        with Vertical(id="dialog"):
            yield Static(Text(title, style="bold"), id="title")
            facts = Text()
            rows = (
                ("job id", fmt.safe(self.view.id)),
                ("type", lifecycle.kind_of(job).value),
                ("object", fmt.safe(job.object) or fmt.DASH),
                ("operation", fmt.safe(job.operation) or fmt.DASH),
                ("owner", fmt.safe(self.facts.owner)),
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
            said = warnings(self.view, self.ACTION, self.facts)
            if said:
                yield Static(Text("\n".join(f"! {w}" for w in said)), id="warnings")
            yield Static(Text(self.consequence), id="consequence")
            with Horizontal(id="buttons"):
                # Compact buttons: with the warnings the dialog still fits 80x24.
                yield Button("Cancel (n)", id="cancel", variant="default", compact=True)
                yield Button(
                    f"{self.label.capitalize()} (y)", id="confirm", variant="error", compact=True
                )

    def action_answer(self, confirmed: bool) -> None:
        if not self.answered:
            self.answered = True
            self.dismiss(confirmed)

    @classmethod
    def actions_by_key(cls) -> dict[str, str]:
        """The dialog's own keys and what each does, from its bindings."""
        return {b.key: b.action for b in Binding.make_bindings(cls.BINDINGS)}

    async def on_key(self, event: events.Key) -> None:
        """Every key, in the order typed. The dialog's own keys run here, at once: through
        the bindings they would run only after the key has bubbled up to the app, and keys
        typed behind it would reach the dialog first."""
        if self.answered:
            # The dialog is going: keys typed ahead belong to the job list, in order.
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        action = self.actions_by_key().get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
            return
        if event.key in ("enter", "space"):
            return  # the focused button's own
        event.stop()
        event.prevent_default()
        if event.is_printable:
            self.post_message(
                Said(
                    f"key {event.key!r} ignored: the {self.label} dialog is open; "
                    "y confirms, n cancels",
                    "warning",
                )
            )

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "confirm")


class CloseJobModal(ConfirmJobModal):
    ACTION = JobAction.CLOSE


class AbortJobModal(ConfirmJobModal):
    ACTION = JobAction.ABORT
