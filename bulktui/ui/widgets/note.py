"""A wrapped note of a few lines (a message in full): lays itself out again when its text
changes, since the number of lines it needs may have changed with it."""

from __future__ import annotations

from bulktui.ui.widgets.quiet import QuietStatic


class Note(QuietStatic):
    DEFAULT_CSS = """
    Note { height: auto; padding: 0 1; }
    """

    RELAYOUT_ON_CHANGE = True
