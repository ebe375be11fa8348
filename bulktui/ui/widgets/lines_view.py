"""A read-only list of pre-built lines, rendered virtually: 10,000 rows cost nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LinesView(ScrollView, can_focus=True):
    """Scrollable lines of plain ``Text``; the first line can be a fixed header. ←/→ scroll
    sideways, so a long line can be read to its end."""

    DEFAULT_CSS = """
    LinesView { scrollbar-size-vertical: 1; scrollbar-size-horizontal: 1; }
    LinesView > .lines-view--header { text-style: bold; background: $panel; }
    LinesView:ansi > .lines-view--header { text-style: bold underline; }
    LinesView:focus > .lines-view--header { text-style: bold reverse; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"lines-view--header"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_up", "up", show=False),
        Binding("down,j", "scroll_down", "down", show=False),
        Binding("left,h", "scroll_left", "left", show=False),
        Binding("right,l", "scroll_right", "right", show=False),
        Binding("pageup", "page_up", "page up", show=False),
        Binding("pagedown,space", "page_down", "page down", show=False),
        Binding("home", "scroll_home", "first", show=False),
        Binding("end", "scroll_end", "last", show=False),
    ]

    def __init__(
        self,
        header: Text | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.header = header
        self._lines: Sequence[Text] = ()
        self._width = 0

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def set_lines(self, lines: Sequence[Text], *, width: int | None = None) -> None:
        """Show ``lines``; ``width`` (the widest line's cells), when the caller knows it, spares
        building every line to measure it (a lazy sequence stays lazy)."""
        self._lines = lines
        if width is None:
            width = max((line.cell_len for line in lines), default=0)
        if self.header is not None:
            width = max(width, self.header.cell_len)
        self._width = width
        self._resize()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def _resize(self) -> None:
        head = 1 if self.header is not None else 0
        self.virtual_size = Size(max(self._width, 1), len(self._lines) + head)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - (1 if self.header else 0))

    def action_page_up(self) -> None:
        self.scroll_to(y=max(0, self.scroll_y - self._page()), animate=False, immediate=True)

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self._page(), animate=False, immediate=True)

    def action_scroll_left(self) -> None:
        step = max(1, self.scrollable_content_region.width // 2)
        self.scroll_to(x=max(0, self.scroll_x - step), animate=False, immediate=True)

    def action_scroll_right(self) -> None:
        step = max(1, self.scrollable_content_region.width // 2)
        self.scroll_to(x=self.scroll_x + step, animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        scroll_x = round(self.scroll_x)
        if self.header is not None:
            if y == 0:
                style = base + self.get_component_rich_style("lines-view--header")
                line = self.header.copy()
                line.stylize(style)
                strip = Strip(line.render(self.app.console))
                return strip.crop_extend(scroll_x, scroll_x + width, style)
            y -= 1
        index = round(self.scroll_y) + y
        if index >= len(self._lines):
            return Strip.blank(width, base)
        line = self._lines[index]
        strip = Strip(line.render(self.app.console)).apply_style(base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)
