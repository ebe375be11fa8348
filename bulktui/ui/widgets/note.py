"""A wrapped note of a few lines (a message in full): lays itself out again when its text
changes, since the number of lines it needs may have changed with it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Note(Static):
    DEFAULT_CSS = """
    Note { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text(""), id=id, classes=classes, markup=False)
        self._shown = Text("")

    @property
    def plain(self) -> str:
        return self._shown.plain

    def show(self, text: Text | str) -> bool:
        """Show ``text`` literally (never markup). True if it changed."""
        if isinstance(text, str):
            text = Text(text)
        old = self._shown
        if text.plain == old.plain and text.spans == old.spans and text.style == old.style:
            return False
        self._shown = text
        self.update(text, layout=True)
        return True
