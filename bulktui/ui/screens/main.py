"""The job list: header, table, a summary of the selected job on tall terminals, status line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import var
from textual.widgets import Footer, Input, Rule

from bulktui.core.snapshot import JobView, PollStatus, Snapshot
from bulktui.ui import format as fmt
from bulktui.ui import keys
from bulktui.ui.messages import Said
from bulktui.ui.screens.filtered_table import FilteredTableScreen
from bulktui.ui.themes import ascii_borders
from bulktui.ui.widgets.job_table import SORT_BY_KEY, SORTS, JobTable
from bulktui.ui.widgets.quiet import QuietStatic
from bulktui.ui.widgets.status_header import StatusHeader

SUMMARY_MIN_HEIGHT = 30  # the selected-job summary shows from this terminal height up


def job_summary(view: JobView, names: Mapping[str, str], threshold: float) -> Text:
    job = view.job
    text = Text()
    text.append(fmt.safe(view.id), style="bold")
    text.append(f"  {fmt.object_operation(job)}  ")
    text.append(fmt.job_state(view), style="bold")
    text.append(f"  by {fmt.created_by(job, names)}  created {fmt.timestamp(job.created_date)}")
    text.append("\nbatches ")
    text.append(fmt.batch_progress(job))
    if job.has_counts:
        text.append(
            f" ({job.number_batches_queued or 0} queued, "
            f"{job.number_batches_in_progress or 0} in progress)"
        )
    text.append(f"  processed {fmt.count(job.number_records_processed)}")
    failed, flagged = fmt.failed_cell(view, threshold)
    text.append("  failed ")
    text.append(failed, style="bold" if flagged else "")
    if flagged:
        text.append(f" (over the {fmt.percent(threshold)} threshold)")
    text.append(f"  {fmt.rate(view.throughput)}")
    text.append(
        f"\ncontent {fmt.safe(job.content_type) or fmt.DASH}"
        f"  concurrency {fmt.safe(job.concurrency_mode) or fmt.DASH}"
        f"  api {fmt.safe(job.api_version) or fmt.DASH}"
        f"  last change {fmt.timestamp(job.system_modstamp)}"
    )
    if job.external_id_field_name:
        text.append(f"  external id {fmt.safe(job.external_id_field_name)}")
    if view.purged:
        text.append("\npurged: Salesforce removed this job (7-day lifespan)")
    elif job.error_message:
        text.append(f"\nerror: {fmt.safe(job.error_message)}")
    else:
        text.append("\nenter: every field and the batches", style="dim")
    return text


class MainScreen(FilteredTableScreen):
    """The live job list.

    What the list shows is this screen's reactive state (sort, filter, only mine); what the
    data is comes from the app's reactive ``snapshot``, ``pending``, ``status``, ``paused`` and
    ``interval``, which this screen watches. Each watcher repaints what depends on it, and the
    line that says how the list is viewed is computed from that state, never pushed.
    """

    class ViewChanged(Message):
        """Filter or sort changed: times on screen (and so the app's clock) may change."""

    BINDINGS: ClassVar[list[BindingType]] = list(keys.MAIN_BINDINGS)
    FILTER_BOX = "filter"
    # Keys the filter box needs for itself while it has the focus.
    FILTER_KEYS_ACTIONS = frozenset({"move"})

    DEFAULT_CSS = """
    MainScreen #problem {
        height: auto;
        max-height: 3;
        background: $warning 25%;
        color: $foreground;
        padding: 0 1;
    }
    MainScreen #statusbar { height: auto; background: $surface; }
    MainScreen #status-msg { width: 1fr; height: auto; max-height: 5; padding: 0 1; }
    MainScreen #status-view { width: auto; padding: 0 1; color: $text-muted; }
    MainScreen #statusbar.-stacked { layout: vertical; }
    MainScreen #statusbar.-stacked #status-msg { width: 100%; }
    MainScreen #statusbar.-stacked #status-view { width: 100%; text-align: right; }
    App:ansi MainScreen #statusbar { text-style: reverse; }
    """

    sort_key: var[str] = var("created")
    sort_reversed: var[bool] = var(False)  # relative to the column's natural direction
    filter_text: var[str] = var("")
    only_mine: var[bool] = var(False)

    def __init__(
        self,
        *,
        instance_url: str,
        now: Callable[[], datetime],
        threshold: float,
        read_only: bool,
    ) -> None:
        super().__init__()
        self.instance_url = instance_url
        self.now = now
        self.threshold = threshold
        self.read_only = read_only
        self._summary_for: tuple[JobView | None, str | None] | None = None
        self._snapshot: Snapshot | None = None
        self._views: Mapping[str, JobView] = MappingProxyType({})
        self._pending: Mapping[str, str] = MappingProxyType({})
        self._status: PollStatus | None = None
        self._paused = False
        self._interval: float | None = None
        self._select_when_listed: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(instance_url=self.instance_url, now=self.now, read_only=self.read_only)
        yield QuietStatic(id="problem")
        yield JobTable(id="jobs", now=self.now, threshold=self.threshold)
        yield Rule(id="summary-rule", line_style="ascii" if ascii_borders() else "solid")
        yield QuietStatic(id="summary")
        yield Input(placeholder="filter: type words; enter keeps, escape clears", id="filter")
        with Horizontal(id="statusbar"):
            yield QuietStatic(id="status-msg")
            yield QuietStatic(id="status-view")
        yield Footer(compact=True)

    @property
    def header(self) -> StatusHeader:
        return self.query_one(StatusHeader)

    def on_mount(self) -> None:
        self.table.key_redirect = self.redirect_key
        self.table.empty_text = "waiting for the first refresh…"
        self.table.focus()
        self.query_one("#problem").display = False
        self.query_one("#filter").display = False
        app = self.app
        self.watch(app, "paused", self._paused_changed)
        self.watch(app, "interval", self._interval_changed)
        self.watch(app, "status", self._status_changed)
        self.watch(app, "pending", self._pending_changed)
        self.watch(app, "snapshot", self._snapshot_changed)
        self.watch(app, "last_message", self._message_changed)

    def on_screen_resume(self) -> None:
        # Back from a detail view or dialog: times on screen may have moved meanwhile.
        self.table.refresh_times()
        self.post_message(self.ViewChanged())

    def on_resize(self) -> None:
        tall = self.size.height >= SUMMARY_MIN_HEIGHT
        summary = self.query_one("#summary")
        if summary.display != tall:
            summary.display = tall
            self.query_one("#summary-rule").display = tall

    # ------------------------------------------------------------------ the app's state

    def _snapshot_changed(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        self._snapshot = snapshot
        self._views = snapshot.jobs
        self._show_jobs()
        if self._select_when_listed and self.table.select_job(self._select_when_listed):
            self._select_when_listed = None

    def _pending_changed(self, pending: Mapping[str, str]) -> None:
        self._pending = pending
        if self._snapshot is not None:
            self._show_jobs()

    def _status_changed(self, status: PollStatus | None) -> None:
        self._status = status
        if status is not None:
            self._show_problem(status.problem)
        self.table.refresh_times()

    def _paused_changed(self, paused: bool) -> None:
        self._paused = paused
        self._show_view_state()

    def _interval_changed(self, interval: float) -> None:
        self._interval = interval
        self._show_view_state()

    def _message_changed(self, message: tuple[str, str] | None) -> None:
        if message is None:
            return
        text, severity = message
        style = "" if severity == "information" else "bold"
        self.show_status(Text(text, style=style))

    def _fit_statusbar(self) -> None:
        """A message that does not fit beside the view state gets the bar's full width, and
        wraps there, with the view state on a line of its own below."""
        message = self.query_one("#status-msg", QuietStatic).plain
        beside = self.size.width - len(self.view_state()) - 4
        self.query_one("#statusbar").set_class(len(message) > beside, "-stacked")

    def _show_jobs(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        if snapshot.problem and self._status is None:
            self._show_problem(snapshot.problem)
        self.table.empty_text = "no jobs match the filter" if self.filtering else "no jobs"
        self.table.update_jobs(
            self._views, snapshot.user_names, self._pending, preview=snapshot.preview
        )
        self.update_summary()
        self._show_view_state()

    def select_when_listed(self, job_id: str) -> bool:
        """Put the cursor on ``job_id`` now, or as soon as a snapshot lists it. False when the
        filter hides it."""
        if self.table.select_job(job_id):
            return True
        self._select_when_listed = job_id
        return not self.filtering

    @property
    def filtering(self) -> bool:
        return bool(self.filter_text or self.only_mine)

    def _show_problem(self, text: str | None) -> None:
        problem = self.query_one("#problem", QuietStatic)
        if text:
            link = self.header.link
            lead = f"{fmt.LINK_GLYPHS[link]} {link.value}: " if link else "! "
            problem.show(Text(f"{lead}{fmt.safe(text)}"))
            if not problem.display:
                problem.display = True
        elif problem.display:
            problem.display = False

    def update_summary(self) -> None:
        summary = self.query_one("#summary", QuietStatic)
        job_id = self.table.cursor_id
        view = self.table.view(job_id) if job_id else None
        key = (view, job_id)
        if key == self._summary_for:
            return
        self._summary_for = key
        names = self._snapshot.user_names if self._snapshot else {}
        if view is None:
            summary.show(Text("no job selected", style="dim"))
        else:
            summary.show(job_summary(view, names, self.threshold))

    def view_state(self) -> str:
        """How the list is viewed: counts, sort, filter, whose jobs, refresh."""
        table = self.table
        spec = SORT_BY_KEY[self.sort_key]
        descending = spec.natural_reverse != self.sort_reversed
        total = table.job_count
        shown = table.row_count
        snapshot = self._snapshot
        preview = snapshot.preview if snapshot is not None else None
        if snapshot is not None and snapshot.partial and (preview is None or not preview.complete):
            # Only the journal's newest jobs so far: the count is not the org's yet.
            parts = [f"newest {fmt.counted(total, 'jobs')}, reading the rest…"]
        else:
            parts = [
                f"{shown:,}/{fmt.counted(total, 'jobs')}"
                if shown != total
                else fmt.counted(total, "jobs")
            ]
        parts.append(f"{table.live_count:,} live")
        parts.append(f"sort {spec.title}{'↓' if descending else '↑'}")
        if self.filter_text:
            parts.append(f"filter {self.filter_text!r}")
        if self.only_mine:
            parts.append("mine")
        if self._paused:
            parts.append("paused")
        elif self._interval is not None:
            parts.append(f"every {self._interval:g}s")
        return " · ".join(parts)

    def _show_view_state(self) -> None:
        # Not ``is_mounted``: that is still False while on_mount runs, when the journal's
        # first picture arrives, and the line stayed empty until Salesforce answered.
        for view in self.query("#status-view").results(QuietStatic):
            view.show(Text(self.view_state()))

    def show_status(self, text: Text) -> None:
        self.query_one("#status-msg", QuietStatic).show(text)
        self._fit_statusbar()

    def next_time_change(self) -> float | None:
        return self.table.next_time_change()

    # ------------------------------------------------------------------ sort, mine

    def watch_sort_key(self) -> None:
        self._apply_sort()

    def watch_sort_reversed(self) -> None:
        self._apply_sort()

    def _apply_sort(self) -> None:
        if self.is_mounted:
            self.table.set_sort(self.sort_key, self.sort_reversed)
            self._show_view_state()

    def watch_filter_text(self) -> None:
        self._apply_filter()

    def watch_only_mine(self) -> None:
        self._apply_filter()

    def _apply_filter(self) -> None:
        if not self.is_mounted:
            return
        identity = self._snapshot.identity if self._snapshot else None
        user = identity.user_id if (self.only_mine and identity) else None
        self.table.set_filter(self.filter_text, user)
        self.table.empty_text = "no jobs match the filter" if self.filtering else "no jobs"
        self._show_view_state()
        self.update_summary()
        self.post_message(self.ViewChanged())

    def action_cycle_sort(self) -> None:
        names = [s.key for s in SORTS]
        self.sort_reversed = False
        self.sort_key = names[(names.index(self.sort_key) + 1) % len(names)]

    def action_reverse_sort(self) -> None:
        self.sort_reversed = not self.sort_reversed

    def action_only_mine(self) -> None:
        identity = self._snapshot.identity if self._snapshot else None
        if not self.only_mine and identity is None:
            self.notify_app("who you are is not known yet; try again after the first refresh")
            return
        self.only_mine = not self.only_mine
        self.notify_app("showing only your jobs" if self.only_mine else "showing everyone's jobs")

    def notify_app(self, text: str) -> None:
        """Say it on the status line and in the message log, through the app."""
        self.post_message(Said(text))

    # ------------------------------------------------------------------ filter

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.filter_opening:
            # The filter box is opening: every key that arrives meanwhile is filter text (it
            # reaches the table, which hands it to the box), a second "/" included.
            return False
        # Enter, Home, End and the arrows belong to the filter box while it has the focus.
        return not (
            action in self.FILTER_KEYS_ACTIONS and self.focused is self.query_one("#filter")
        )

    def action_clear_filter(self) -> None:
        self.clear_filter()

    def use_filter(self, text: str) -> None:
        self.filter_text = text

    @on(JobTable.JobHighlighted)
    def _highlighted(self, event: JobTable.JobHighlighted) -> None:
        self.update_summary()
