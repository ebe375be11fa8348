"""A Static that repaints only when its text really changes, and never re-lays out."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class QuietStatic(Static):
    """A Static that repaints only when its text really changes (``layout=False``)."""

    # Lay out again on every change, not only when an auto size's length changed (Note).
    RELAYOUT_ON_CHANGE = False

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text(""), id=id, classes=classes, markup=False)
        self._shown: Text = Text("")

    @property
    def plain(self) -> str:
        return self._shown.plain

    def show(self, text: Text | str) -> bool:
        """Show ``text`` literally (a str is never parsed as markup). True if it changed."""
        if isinstance(text, str):
            text = Text(text)
        old = self._shown
        if text.plain == old.plain and text.spans == old.spans and text.style == old.style:
            return False
        self._shown = text
        # An auto-width part, or an auto-height one that wraps, must be laid out again when
        # its length changes; anything else repaints in place, which costs a few hundred bytes
        # over SSH instead of a screen.
        width, height = self.styles.width, self.styles.height
        auto = (width is not None and width.is_auto) or (height is not None and height.is_auto)
        relayout = self.RELAYOUT_ON_CHANGE or (auto and text.cell_len != old.cell_len)
        self.update(text, layout=relayout)
        return True
