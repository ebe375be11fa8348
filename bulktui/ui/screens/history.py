"""History: the jobs Salesforce purged, as the journal kept them (``e``: every past job).

Read from the journal only, never from the server: the list comes from ``journal.history()``
in a worker thread (SQLite and the parsing of every stored JobInfo stay off the event loop),
capped at the newest :data:`HISTORY_CAP`. The rows are the job table's own (``JobTable`` with
``JobView(job, purged=True)``), so they look, filter and move like the live list, and a purged
row is dimmed *and* says ``purged`` in its state column. Enter opens
``JournalJobScreen``: the detail pane for the journal's record, marked "from the journal".

A journal that is off or unusable shows one line saying why (its ``problem``), no table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Input

from bulktui.core.journal_queries import HistoryEntry, JobRecord
from bulktui.core.snapshot import JobView
from bulktui.ui import format as fmt
from bulktui.ui.screens.filtered_table import FilteredTableScreen
from bulktui.ui.screens.journal_detail import JournalJobScreen
from bulktui.ui.widgets.job_table import JobTable
from bulktui.ui.widgets.quiet import QuietStatic

_MOVES_WHILE_TYPING = (("up",), ("down",), ("page_up",), ("page_down",))
HISTORY_CAP = 5_000  # rows loaded at most: the newest; a line says when there were more


class HistorySource(Protocol):
    """What this screen reads of a journal (``Journal`` and ``NullJournal`` both have it)."""

    @property
    def enabled(self) -> bool: ...
    @property
    def path(self) -> Path | None: ...
    @property
    def problem(self) -> str | None: ...

    def history(self) -> Sequence[HistoryEntry]: ...
    def job_record(self, job_id: str) -> JobRecord | None: ...
    def known_as_of(self) -> datetime | None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def unavailable_line(journal: HistorySource) -> str | None:
    """Why there is no history to show, in one line; None when the journal can be read."""
    if journal.enabled:
        return None
    if journal.problem:
        return f"no history: {fmt.safe(journal.problem)}"
    return "no history: the journal is turned off (--no-journal or BULKTUI_JOURNAL=off)"


def pick(
    entries: Sequence[HistoryEntry], *, every: bool, cap: int = HISTORY_CAP
) -> tuple[dict[str, JobView], int]:
    """The rows to show (purged only, or every past job), newest first as the journal gave
    them, at most ``cap``; and how many there were in all."""
    chosen = [e for e in entries if every or e.purged_at is not None]
    views: dict[str, JobView] = {}
    for entry in chosen[:cap]:
        views[entry.job.id] = JobView(entry.job, purged=entry.purged_at is not None)
    return views, len(chosen)


class HistoryScreen(FilteredTableScreen):
    """Past jobs from the journal; nothing here asks the server."""

    FILTER_BOX = "history-filter"

    DEFAULT_CSS = """
    HistoryScreen { background: $background; }
    HistoryScreen #history-title {
        height: 1;
        padding: 0 1;
        background: $surface;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    HistoryScreen:ansi #history-title { text-style: bold underline; }
    HistoryScreen #history-note { height: auto; padding: 0 1; }
    HistoryScreen #history-filter { height: 1; border: none; padding: 0 1; }
    """

    # Priority bindings, as on the job list: a key acts in the order it was typed even when
    # several arrive at once (a paste, a slow link), so "/upsert" filters and never toggles
    # with its "e". ``check_action`` lets the filter box have its letters.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "back",
            priority=True,
            tooltip="clear the filter; without one: back to the job list",
            id="history-back",
        ),
        Binding(
            "slash",
            "start_filter",
            "filter",
            priority=True,
            tooltip="filter: words match id, object, operation, state, user",
            key_display="/",
            id="history-filter",
        ),
        Binding(
            "e",
            "toggle_every",
            "purged / every past job",
            priority=True,
            tooltip="every past job the journal holds, or only the ones Salesforce purged",
            id="history-every",
        ),
        Binding(
            "enter",
            "move('choose')",
            "detail",
            priority=True,
            tooltip="the job as the journal kept it (nothing is asked of Salesforce)",
            id="history-detail",
        ),
        Binding(
            "up,k",
            "move('up')",
            "up",
            priority=True,
            show=False,
            tooltip="move up",
            id="history-up",
        ),
        Binding(
            "down,j",
            "move('down')",
            "down",
            priority=True,
            show=False,
            tooltip="move down",
            id="history-down",
        ),
        Binding(
            "pageup",
            "move('page_up')",
            "page up",
            priority=True,
            show=False,
            tooltip="a page up",
            id="history-page-up",
        ),
        Binding(
            "pagedown",
            "move('page_down')",
            "page down",
            priority=True,
            show=False,
            tooltip="a page down",
            id="history-page-down",
        ),
        Binding(
            "home",
            "move('first')",
            "first",
            priority=True,
            show=False,
            tooltip="the newest",
            id="history-first",
        ),
        Binding(
            "end",
            "move('last')",
            "last",
            priority=True,
            show=False,
            tooltip="the oldest",
            id="history-last",
        ),
    ]

    class Loaded(Message):
        """The journal's past jobs were read (in a worker thread)."""

        def __init__(
            self, entries: Sequence[HistoryEntry], as_of: datetime | None, problem: str | None
        ) -> None:
            super().__init__()
            self.entries = entries
            self.as_of = as_of
            self.problem = problem

    class RecordLoaded(Message):
        """One job's record was read from the journal (None: it is no longer there)."""

        def __init__(self, job_id: str, record: JobRecord | None) -> None:
            super().__init__()
            self.job_id = job_id
            self.record = record

    def __init__(
        self,
        journal: HistorySource,
        *,
        now: Callable[[], datetime] = _utc_now,
        threshold: float = 0.10,
        cap: int = HISTORY_CAP,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        # user id -> name from the live org's directory: a past job's creator is named when
        # the console knows them (the journal keeps ids, never a directory of its own).
        self.names: Mapping[str, str] = dict(names or {})
        self.journal = journal
        self.now = now
        self.threshold = threshold
        self.cap = cap
        self.every = False  # False: only the jobs Salesforce purged
        self.loaded = False
        self._entries: Sequence[HistoryEntry] = ()
        self._as_of: datetime | None = None

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="history-title")
        yield QuietStatic(id="history-note")
        yield JobTable(id="history-jobs", now=self.now, threshold=self.threshold)
        yield Input(
            placeholder="filter: type words; enter keeps, escape clears",
            id="history-filter",
            select_on_focus=False,  # keys typed before it had the focus stay, not replaced
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#history-filter").display = False
        self._show_title()
        why = unavailable_line(self.journal)
        if why is not None:
            self._show_unavailable(why)
            return
        self.table.empty_text = "reading the journal…"
        self.table.key_redirect = self.redirect_key
        self.table.focus()
        self._load()

    # ------------------------------------------------------------------ loading

    @work(group="history-load", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        journal = self.journal

        def read() -> tuple[Sequence[HistoryEntry], datetime | None]:
            return journal.history(), journal.known_as_of()

        try:
            entries, as_of = await asyncio.to_thread(read)
        except Exception as exc:  # the journal never raises for a file problem; be sure anyway
            self.post_message(self.Loaded((), None, f"the journal could not be read ({exc})"))
            return
        # A file that failed while being read turns the journal off and says why.
        self.post_message(self.Loaded(entries, as_of, unavailable_line(journal)))

    def on_history_screen_loaded(self, message: Loaded) -> None:
        self.loaded = True
        if message.problem is not None:
            self._show_unavailable(fmt.safe(message.problem))
            return
        self._entries = message.entries
        self._as_of = message.as_of
        self._show_title()
        self._fill()

    def _fill(self) -> None:
        views, total = pick(self._entries, every=self.every, cap=self.cap)
        what = self._what()
        self._set_empty_text()
        self.table.update_jobs(views, self.names, {})
        note = self.query_one("#history-note", QuietStatic)
        if total > len(views):
            note.show(
                Text(
                    f"showing the newest {fmt.count(len(views))} of {fmt.count(total)} {what}",
                    style="bold",
                )
            )
        else:
            note.show(Text(f"{fmt.counted(total, what)}; e: " + self._other_words(), style="dim"))

    def _what(self) -> str:
        return "past jobs" if self.every else "purged jobs"

    def _set_empty_text(self) -> None:
        table = self.table
        if table.filter_text:
            table.empty_text = "no jobs match the filter"
        elif self.loaded:
            table.empty_text = f"the journal holds no {self._what()}"
        table.refresh()

    def _other_words(self) -> str:
        return "only the purged ones" if self.every else "every past job"

    def _show_title(self) -> None:
        title = Text()
        title.append("History: " + ("every past job" if self.every else "jobs Salesforce purged"))
        title.append(", from the journal")
        if self._as_of is not None:
            title.append(f", as of {fmt.timestamp(self._as_of)}")
        self.query_one("#history-title", QuietStatic).show(title)

    def _show_unavailable(self, why: str) -> None:
        self.table.display = False
        self.query_one("#history-note", QuietStatic).show(Text(why))

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        box_focused = self.focused is self.filter_box
        if self.filter_opening:
            # The filter box is opening: every key that arrives meanwhile reaches the table,
            # which hands it to the box (escape and enter included).
            return False
        if box_focused:
            # The box types letters and answers enter, home and end itself.
            return action == "back" or (action == "move" and parameters in _MOVES_WHILE_TYPING)
        # Without a journal there is no table: only escape means anything.
        return action == "back" or self.table.display

    def action_toggle_every(self) -> None:
        self.every = not self.every
        self._show_title()
        if self.loaded:
            self._fill()

    def action_back(self) -> None:
        box = self.filter_box
        if box.display or self.table.filter_text:
            self.clear_filter()
            return
        self.dismiss(None)

    # ------------------------------------------------------------------ filter

    def use_filter(self, text: str) -> None:
        self.table.set_filter(text, None)
        self._set_empty_text()

    # ------------------------------------------------------------------ detail

    @on(JobTable.JobChosen)
    def _chosen(self, event: JobTable.JobChosen) -> None:
        event.stop()
        self._read_record(event.job_id)

    @work(group="history-record", exclusive=True, exit_on_error=False)
    async def _read_record(self, job_id: str) -> None:
        try:
            record = await asyncio.to_thread(self.journal.job_record, job_id)
        except Exception:  # the journal never raises for a file problem; be sure anyway
            record = None
        self.post_message(self.RecordLoaded(job_id, record))

    def on_history_screen_record_loaded(self, message: RecordLoaded) -> None:
        if message.record is None:
            self.query_one("#history-note", QuietStatic).show(
                Text(f"{fmt.safe(message.job_id)}: the journal no longer holds this job")
            )
            return
        self.app.push_screen(
            JournalJobScreen(
                message.record, now=self.now, threshold=self.threshold, names=self.names
            )
        )
