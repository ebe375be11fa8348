"""The new-job dialog: object, operation, content type, external id field, concurrency."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from bulktui.api.enums import ConcurrencyMode, ContentType, Operation
from bulktui.ui.backend import NewJobSpec
from bulktui.ui.screens.early_keys import type_into_first_field

# sObject and field API names: a letter, then letters, digits and underscores (custom: __c).
_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

OPERATIONS = [op.value for op in Operation]
CONTENT_TYPES = [ct.value for ct in ContentType]
CONCURRENCY = [mode.value for mode in ConcurrencyMode]


def validate_spec(
    obj: str, operation: str, content_type: str, external_id: str, concurrency: str
) -> NewJobSpec | str:
    """The spec, or one line saying what is wrong."""
    obj = obj.strip()
    external_id = external_id.strip()
    if not obj:
        return "object: enter an sObject API name, e.g. Account"
    if not _API_NAME.fullmatch(obj):
        return f"object: {obj!r} is not an API name (letters, digits and _)"
    op = Operation.strict(operation)
    if op is None:
        return "operation: choose one from the list"
    ct = ContentType.strict(content_type)
    if ct is None:
        return "content type: choose one from the list"
    if op is Operation.UPSERT:
        if not external_id:
            return "external id field: required for upsert"
        if not _API_NAME.fullmatch(external_id):
            return f"external id field: {external_id!r} is not a field API name"
    elif external_id:
        return "external id field: only for upsert; leave it empty"
    mode = ConcurrencyMode.strict(concurrency) if concurrency else None
    return NewJobSpec(
        object=obj,
        operation=op,
        content_type=ct,
        external_id_field_name=external_id or None,
        concurrency_mode=mode,
    )


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
