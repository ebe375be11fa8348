"""Keys that arrive together with the one that opened a dialog (a paste, a slow SSH link)
reach the dialog before its first field has the focus; they belong in that field."""

from __future__ import annotations

from typing import Any, Literal

from textual import events
from textual.screen import Screen
from textual.widgets import Input


def type_into_first_field(screen: Screen[Any], event: events.Key, selector: str) -> None:
    """Put a printable key into the ``selector`` Input while nothing has the focus yet."""
    if screen.focused is None and event.is_printable and event.character:
        field = screen.query_one(selector, Input)
        field.value += event.character
        field.cursor_position = len(field.value)
        event.stop()
        event.prevent_default()


def type_into_opening_filter(box: Input, event: events.Key) -> Literal["escape", "enter"] | None:
    """A key that reached a table while its filter box is opening (the box has no focus yet):
    edit the box's text as the box itself would, or say that the key ends the filter."""
    if event.key == "escape":
        return "escape"
    if event.key == "enter":
        return "enter"
    if event.key == "backspace":
        box.value = box.value[:-1]
    elif event.is_printable and event.character:
        box.value += event.character
    box.cursor_position = len(box.value)
    return None
