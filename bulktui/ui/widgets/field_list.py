"""Label, value and note per line, values wrapped, with a cursor: the job detail's fields.

A value longer than :data:`SHOWN_CHARS` is cut for display and says so; Enter on it asks for
the whole value (``FieldChosen``), which the screen opens in a scrollable view. Lines are
wrapped once per width and data change, and only the lines on screen are rendered, so a
server's 4 MB field costs what a short one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bulktui.ui import format as fmt

SHOWN_CHARS = 600  # of one value; the rest is one Enter away
LABEL_MAX = 26
NOTE_MAX = 34
VALUE_MIN = 30


@dataclass(frozen=True, slots=True)
class Field:
    """One line of the detail: ``value`` is already display text (made safe), ``full`` is the
    whole raw value when it differs (a cut value), for the full view."""

    label: str
    value: str
    note: str = ""
    full: str | None = None
    heading: bool = False  # a section title, no value

    @property
    def cut(self) -> bool:
        return self.full is not None


def field(label: str, value: str, note: str = "") -> Field:
    """A field whose value is cut to :data:`SHOWN_CHARS` for display, keeping the whole."""
    shown, was_cut = fmt.clip(value, SHOWN_CHARS)
    if not was_cut:
        return Field(label, shown, note)
    cut = f"{shown}… [{fmt.count(len(value))} characters: enter shows it all]"
    return Field(label, cut, note, full=value)


class FieldList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    FieldList { height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 1; }
    FieldList > .field-list--label { text-style: bold; }
    FieldList > .field-list--note { color: $text-muted; }
    FieldList > .field-list--heading { text-style: bold underline; }
    FieldList > .field-list--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    FieldList:focus > .field-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    FieldList:nocolor > .field-list--cursor { text-style: reverse; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "field-list--label",
        "field-list--note",
        "field-list--heading",
        "field-list--cursor",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home", "move(-1000000)", "first", show=False),
        Binding("end", "move(1000000)", "last", show=False),
        Binding("enter", "choose", "whole value", show=False),
    ]

    class FieldChosen(Message):
        """Enter on a field: show its whole value."""

        def __init__(self, field: Field) -> None:
            super().__init__()
            self.field = field

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._fields: Sequence[Field] = ()
        self.cursor = 0
        # (width) → lines: (field index, label, value piece, note)
        self._lines: list[tuple[int, str, str, str]] = []
        self._first_line: list[int] = []
        self._wrapped_for: tuple[int, Sequence[Field]] | None = None

    @property
    def fields(self) -> Sequence[Field]:
        return self._fields

    def set_fields(self, fields: Sequence[Field]) -> None:
        if list(fields) == list(self._fields):
            return
        self._fields = tuple(fields)
        self.cursor = min(self.cursor, max(0, len(self._fields) - 1))
        self._wrapped_for = None
        self._wrap()
        self.refresh()

    # ------------------------------------------------------------------ layout

    def _columns(self, width: int) -> tuple[int, int, int]:
        label_w = min(LABEL_MAX, max((cell_len(f.label) for f in self._fields), default=0))
        rest = width - label_w - 1
        note_w = min(NOTE_MAX, max((cell_len(f.note) for f in self._fields), default=0))
        note_w = max(0, min(note_w, rest - VALUE_MIN - 1))
        value_w = max(1, rest - (note_w + 1 if note_w else 0))
        return label_w, value_w, note_w

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        if width <= 0:
            return
        if self._wrapped_for == (width, self._fields):
            return
        self._wrapped_for = (width, self._fields)
        _label_w, value_w, _note_w = self._columns(width)
        lines: list[tuple[int, str, str, str]] = []
        first: list[int] = []
        for i, f in enumerate(self._fields):
            first.append(len(lines))
            if f.heading:
                lines.append((i, f.label, "", ""))
                continue
            pieces = Text(f.value).wrap(self.app.console, value_w, overflow="fold")
            for n, piece in enumerate(pieces or [Text("")]):
                lines.append((i, f.label if n == 0 else "", piece.plain, f.note if n == 0 else ""))
        self._lines = lines
        self._first_line = first
        self.virtual_size = Size(width, len(lines))

    def on_resize(self, _event: events.Resize) -> None:
        self._wrap()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._rich_style_cache.clear()

    # ------------------------------------------------------------------ cursor

    def action_move(self, step: int) -> None:
        self._go(self.cursor + step)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        if not self._lines:
            return
        line = self._first_line[self.cursor] + direction * height
        line = max(0, min(line, len(self._lines) - 1))
        self._go(self._lines[line][0])

    def _go(self, index: int) -> None:
        if not self._fields:
            return
        index = max(0, min(index, len(self._fields) - 1))
        step = 1 if index >= self.cursor else -1
        while self._fields[index].heading and 0 < index < len(self._fields) - 1:
            index += step  # headings are not stops
        self.cursor = index
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        if not self._first_line or self.cursor >= len(self._first_line):
            return
        top = self._first_line[self.cursor]
        end = (
            self._first_line[self.cursor + 1]
            if self.cursor + 1 < len(self._first_line)
            else len(self._lines)
        )
        height = max(1, self.scrollable_content_region.height)
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif end > self.scroll_y + height:
            self.scroll_to(y=max(top, end - height), animate=False, immediate=True)

    def action_choose(self) -> None:
        if self._fields and not self._fields[self.cursor].heading:
            self.post_message(self.FieldChosen(self._fields[self.cursor]))

    async def _on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if 0 <= index < len(self._lines):
            self._go(self._lines[index][0])
            if event.chain >= 2:
                self.action_choose()

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        index = round(self.scroll_y) + y
        if index >= len(self._lines):
            return Strip.blank(width, base)
        field_index, label, value, note = self._lines[index]
        label_w, value_w, note_w = self._columns(width)
        style = base
        if field_index == self.cursor and self.has_focus:
            style = base + self.get_component_rich_style("field-list--cursor")
        if self._fields[field_index].heading:
            heading = base + self.get_component_rich_style("field-list--heading")
            line = Text(label, style=heading, no_wrap=True, overflow="ellipsis")
            strip = Strip(line.render(self.app.console)).apply_style(base)
            return strip.adjust_cell_length(width, base)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append_text(_cell(label, label_w, base + self._style("field-list--label")))
        line.append(" ")
        line.append_text(_cell(value, value_w, style))
        if note_w:
            line.append(" ")
            line.append_text(_cell(note, note_w, base + self._style("field-list--note")))
        strip = Strip(line.render(self.app.console)).apply_style(base)
        return strip.adjust_cell_length(width, base)

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component)


def _cell(text: str, width: int, style: Style) -> Text:
    cell = Text(text, style=style, no_wrap=True, overflow="ellipsis")
    if cell.cell_len > width:
        cell.truncate(width, overflow="ellipsis")
    cell.pad_right(width - cell.cell_len)
    return cell
