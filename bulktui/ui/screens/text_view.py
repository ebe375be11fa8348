"""One long value in full: a job field of megabytes, an error message, a failed record.

The detail view and the failed-records view cut long values for display; Enter on one opens it
here, wrapped to the terminal's width and scrolled virtually, so a 4 MB value costs only the
lines on screen. Line breaks in the value are kept; every control character is made visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, overload

from rich.cells import cell_len, chop_cells
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from bulktui.text import printable
from bulktui.ui import format as fmt
from bulktui.ui.widgets.lines_view import LinesView
from bulktui.ui.widgets.quiet import QuietStatic


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` cells: every line of the value, each made
    printable, then hard-wrapped (a value may have no spaces at all)."""
    width = max(1, width)
    out: list[str] = []
    for raw in text.split("\n"):
        line = printable(raw)
        if not line:
            out.append("")
        elif len(line) == cell_len(line):  # one cell per character: plain slicing
            out.extend(line[i : i + width] for i in range(0, len(line), width))
        else:
            out.extend(chop_cells(line, width))
    return out


class _TextLines(Sequence[Text]):
    """Wrapped pieces turned into ``Text`` only when they are shown."""

    def __init__(self, pieces: list[str]) -> None:
        self._pieces = pieces

    def __len__(self) -> int:
        return len(self._pieces)

    @overload
    def __getitem__(self, index: int) -> Text: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Text]: ...

    def __getitem__(self, index: int | slice) -> Text | Sequence[Text]:
        if isinstance(index, slice):
            return [Text(p) for p in self._pieces[index]]
        return Text(self._pieces[index])


class TextViewScreen(Screen[None]):
    """A title line and the value, wrapped; escape goes back."""

    DEFAULT_CSS = """
    TextViewScreen { background: $background; }
    TextViewScreen #text-title {
        height: 1;
        padding: 0 1;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    TextViewScreen #text-body { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "back"),
    ]

    def __init__(self, title: str, value: str) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self._wrapped_at = -1

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="text-title")
        yield LinesView(id="text-body")
        yield Footer()

    def on_mount(self) -> None:
        title = Text()
        title.append(fmt.safe(self.title_text), style="bold")
        size = len(self.value)
        noun = "character" if size == 1 else "characters"
        title.append(f"  {fmt.count(size)} {noun}  ↑↓ pgup pgdn: scroll", "dim")
        self.query_one("#text-title", QuietStatic).show(title)
        self.query_one(LinesView).focus()

    def on_resize(self) -> None:
        body = self.query_one(LinesView)
        width = max(10, self.size.width - 1)  # the vertical scrollbar's column kept free
        if width != self._wrapped_at:
            self._wrapped_at = width
            pieces = wrap_cells(self.value, width)
            body.set_lines(_TextLines(pieces), width=width)

    def action_back(self) -> None:
        self.dismiss(None)
