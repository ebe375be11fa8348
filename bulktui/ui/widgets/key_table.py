"""A ``DataTable`` that also moves with ``j``/``k``, like every other list in the console."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class KeyTable(DataTable[Text]):
    """Row cursor; ``j``/``k`` as well as the arrows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "down", show=False),
        Binding("k", "cursor_up", "up", show=False),
    ]

    DEFAULT_CSS = """
    KeyTable { scrollbar-size-vertical: 1; }
    """
