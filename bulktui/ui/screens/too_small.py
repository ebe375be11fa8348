"""Shown instead of everything else while the terminal is smaller than 80x24."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH = 80
MIN_HEIGHT = 24


def too_small_text(width: int, height: int) -> Text:
    return Text(
        f"terminal too small: {width}x{height}\n"
        f"bulktui needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\n"
        "Make the window bigger, or press q to quit.",
        justify="center",
    )


class TooSmallScreen(Screen[None]):
    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; background: $background; }
    TooSmallScreen #too-small { width: 100%; height: auto; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        yield Static(too_small_text(self.app.size.width, self.app.size.height), id="too-small")

    def show_size(self, width: int, height: int) -> None:
        self.query_one("#too-small", Static).update(too_small_text(width, height))
