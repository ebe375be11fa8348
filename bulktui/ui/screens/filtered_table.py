"""A screen around one ``JobTable`` with a "/" filter box: the job list and the history.

What both share, once: the moves bound on the screen (priority bindings, so keys act in the
order they were typed), and the filter box's opening. Focus lands on the box only after the
next refresh, so keys that arrive with the "/" (a paste, a fast typist, a slow link
delivering them together) reach the table first; the table hands them back here
(``JobTable.key_redirect``) and they become filter text, never a binding ("a" would open the
abort dialog, "e" would toggle the history's view).

A subclass names its box (``FILTER_BOX``) and says what a new filter text does
(``use_filter``).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.screen import Screen
from textual.widgets import Input

from bulktui.ui.screens.early_keys import type_into_opening_filter
from bulktui.ui.widgets.job_table import JobTable


class FilteredTableScreen(Screen[None]):
    FILTER_BOX: ClassVar[str]  # the id of the filter box (an Input) in the subclass's compose

    def __init__(self) -> None:
        super().__init__()
        self._filter_opening = False  # "/" pressed, the box has not got the focus yet

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    @property
    def filter_box(self) -> Input:
        return self.query_one(f"#{self.FILTER_BOX}", Input)

    @property
    def filter_opening(self) -> bool:
        """The filter was asked for and its box has not got the focus yet."""
        return self._filter_opening and self.focused is not self.filter_box

    def use_filter(self, text: str) -> None:
        """The filter box's text changed (``""``: cleared)."""
        raise NotImplementedError

    def action_move(self, where: str) -> None:
        table = self.table
        {
            "up": table.action_cursor_up,
            "down": table.action_cursor_down,
            "page_up": table.action_page_up,
            "page_down": table.action_page_down,
            "first": table.action_first,
            "last": table.action_last,
            "choose": table.action_choose,
        }[where]()

    def action_start_filter(self) -> None:
        box = self.filter_box
        box.display = True
        box.focus()
        self._filter_opening = True  # until the box has the focus (see the module's words)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.filter_box:
            self._filter_opening = False  # keys reach the box itself from now on

    def redirect_key(self, event: events.Key) -> bool:
        """Keys that reached the table while the filter box is opening are filter text."""
        if not self._filter_opening:
            return False
        box = self.filter_box
        ended = type_into_opening_filter(box, event)
        if ended == "escape":
            self.clear_filter()
        elif ended == "enter":
            self._filter_opening = False
            if not box.value:
                box.display = False
            self.table.focus()
        return True

    def clear_filter(self) -> None:
        box = self.filter_box
        self._filter_opening = False
        if box.value or box.display:
            box.value = ""
            box.display = False
            self.table.focus()
        self.use_filter("")

    @on(Input.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.input is self.filter_box:
            event.stop()
            self.use_filter(event.value)

    @on(Input.Submitted)
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if event.input is self.filter_box:
            event.stop()
            self._filter_opening = False
            if not event.value:
                event.input.display = False
            self.table.focus()
