"""The new-job dialog: object, operation, content type, external id field, concurrency."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from bulktui.api.enums import ConcurrencyMode, ContentType, Operation
from bulktui.core.jobspec import NewJobSpec, validate_new_job
from bulktui.ui.screens.early_keys import type_into_first_field

OPERATIONS = [op.value for op in Operation]
CONTENT_TYPES = [ct.value for ct in ContentType]
CONCURRENCY = [mode.value for mode in ConcurrencyMode]

# The same rules as ``bulktui create``: one function, in the core.
validate_spec = validate_new_job


class NewJobModal(ModalScreen[NewJobSpec | None]):
    AUTO_FOCUS = "#object"
    DEFAULT_CSS = """
    NewJobModal .field { height: 3; }
    NewJobModal .field-label { width: 20; padding: 1 1 0 0; }
    NewJobModal .field Input, NewJobModal .field Select { width: 1fr; }
    NewJobModal #error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", show=False),
    ]

    def __init__(self, initial: NewJobSpec | None = None, error: str | None = None) -> None:
        """``initial`` and ``error``: what was typed, and why Salesforce refused it, so that
        a refused create can be corrected rather than typed again."""
        super().__init__()
        self.initial = initial
        self.initial_error = error

    def on_mount(self) -> None:
        spec = self.initial
        if spec is not None:
            self.query_one("#object", Input).value = spec.object
            self.query_one("#operation", Select).value = spec.operation.value
            self.query_one("#content-type", Select).value = spec.content_type.value
            if spec.external_id_field_name:
                external = self.query_one("#external-id", Input)
                external.disabled = False
                external.value = spec.external_id_field_name
            if spec.concurrency_mode is not None:
                self.query_one("#concurrency", Select).value = spec.concurrency_mode.value
        if self.initial_error:
            self.query_one("#error", Static).update(Text(self.initial_error))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(Text("New Bulk API job", style="bold"), id="title")
            with Horizontal(classes="field"):
                yield Label("object", classes="field-label")
                yield Input(placeholder="e.g. Account", id="object")
            with Horizontal(classes="field"):
                yield Label("operation", classes="field-label")
                yield Select(
                    [(op, op) for op in OPERATIONS],
                    value="insert",
                    allow_blank=False,
                    id="operation",
                )
            with Horizontal(classes="field"):
                yield Label("content type", classes="field-label")
                yield Select(
                    [(ct, ct) for ct in CONTENT_TYPES],
                    value="CSV",
                    allow_blank=False,
                    id="content-type",
                )
            with Horizontal(classes="field"):
                yield Label("external id field", classes="field-label")
                yield Input(placeholder="upsert only", id="external-id", disabled=True)
            with Horizontal(classes="field"):
                yield Label("concurrency", classes="field-label")
                yield Select(
                    [(mode, mode) for mode in CONCURRENCY],
                    value="Parallel",
                    allow_blank=False,
                    id="concurrency",
                )
            yield Static(Text(""), id="error")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create job", id="create", variant="primary")

    @on(Select.Changed, "#operation")
    def _operation_changed(self, event: Select.Changed) -> None:
        upsert = event.value == Operation.UPSERT.value
        external = self.query_one("#external-id", Input)
        external.disabled = not upsert
        if not upsert:
            external.value = ""

    @on(Input.Changed)
    @on(Select.Changed)
    def _revalidate(self) -> None:
        """A message about a field that has since been fixed must not stay on screen."""
        error = self.query_one("#error", Static)
        if not str(error.content).strip():
            return
        result = self._values()
        if result == self.initial:
            return  # still what Salesforce refused: keep its words until something changes
        error.update(Text(result if isinstance(result, str) else ""))

    def _values(self) -> NewJobSpec | str:
        def select(selector: str) -> str:
            value = self.query_one(selector, Select).value
            return value if isinstance(value, str) else ""

        return validate_spec(
            self.query_one("#object", Input).value,
            select("#operation"),
            select("#content-type"),
            self.query_one("#external-id", Input).value,
            select("#concurrency"),
        )

    def _submit(self) -> None:
        result = self._values()
        if isinstance(result, str):
            self.query_one("#error", Static).update(Text(result))
            return
        self.dismiss(result)

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "create":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        type_into_first_field(self, event, "#object")
