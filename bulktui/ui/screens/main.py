"""The job list: header, table, a summary of the selected job on tall terminals, status line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Rule

from bulktui.core.snapshot import JobView, PollStatus, Snapshot
from bulktui.ui import format as fmt
from bulktui.ui.widgets.job_table import JobTable
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


class MainScreen(Screen[None]):
    """The live job list."""

    class ViewChanged(Message):
        """Filter or sort changed: the status line has to say so."""

    # Every key here is a priority binding, so keys act in the order they were typed even when
    # several arrive at once (a paste, a slow SSH link): "j a" aborts the job below, never
    # the one the cursor left. Non-priority bindings run only after the key has travelled
    # through the focused widget, so a later priority key could overtake them.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "app.close_job", "close", priority=True),
        Binding("a", "app.abort_job", "abort", priority=True),
        Binding("n", "app.new_job", "new", priority=True),
        Binding("slash", "start_filter", "filter", priority=True),
        Binding("question_mark", "app.help", "help", priority=True),
        Binding("escape", "clear_filter", "clear filter", show=False, priority=True),
        Binding("s", "app.cycle_sort", "sort", priority=True),
        Binding("S", "app.reverse_sort", "reverse sort", show=False, priority=True),
        Binding("m", "app.only_mine", "mine", priority=True),
        Binding("r", "app.refresh", "refresh", priority=True),
        Binding("p", "app.pause", "pause", priority=True),
        Binding("plus,equals_sign", "app.change_interval(-1)", "faster", show=False, priority=True),
        Binding("minus", "app.change_interval(1)", "slower", show=False, priority=True),
        Binding("y", "app.copy_id", "copy id", show=False, priority=True),
        Binding("up,k", "move('up')", "up", show=False, priority=True),
        Binding("down,j", "move('down')", "down", show=False, priority=True),
        Binding("pageup", "move('page_up')", "page up", show=False, priority=True),
        Binding("pagedown", "move('page_down')", "page down", show=False, priority=True),
        Binding("home", "move('first')", "first", show=False, priority=True),
        Binding("end", "move('last')", "last", show=False, priority=True),
        Binding("enter", "move('choose')", "detail", show=False, priority=True),
    ]
    # Keys the filter box needs for itself while it has the focus.
    FILTER_KEYS_ACTIONS = frozenset({"move"})

    def __init__(
        self,
        *,
        instance_url: str,
        now: Callable[[], datetime],
        status: Callable[[], PollStatus | None],
        threshold: float,
        read_only: bool,
    ) -> None:
        super().__init__()
        self.instance_url = instance_url
        self.now = now
        self.status = status
        self.threshold = threshold
        self.read_only = read_only
        self._summary_for: tuple[JobView | None, str | None] | None = None
        self._names: Mapping[str, str] = {}
        self._filter_opening = False

    def compose(self) -> ComposeResult:
        yield StatusHeader(instance_url=self.instance_url, now=self.now, read_only=self.read_only)
        yield QuietStatic(id="problem")
        yield JobTable(id="jobs", now=self.now, threshold=self.threshold)
        yield Rule(id="summary-rule")
        yield QuietStatic(id="summary")
        yield Input(placeholder="filter: type words; enter keeps, escape clears", id="filter")
        with Horizontal(id="statusbar"):
            yield QuietStatic(id="status-msg")
            yield QuietStatic(id="status-view")
        yield Footer()

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    @property
    def header(self) -> StatusHeader:
        return self.query_one(StatusHeader)

    def on_mount(self) -> None:
        self.table.key_redirect = self.redirect_key
        self.table.empty_text = "waiting for the first refresh…"
        self.table.focus()
        self.query_one("#problem").display = False
        self.query_one("#filter").display = False

    def on_screen_resume(self) -> None:
        # Back from a detail view or dialog: times on screen may have moved meanwhile.
        self.post_message(self.ViewChanged())

    def on_resize(self) -> None:
        tall = self.size.height >= SUMMARY_MIN_HEIGHT
        summary = self.query_one("#summary")
        if summary.display != tall:
            summary.display = tall
            self.query_one("#summary-rule").display = tall

    # ------------------------------------------------------------------ data

    def apply(
        self,
        snapshot: Snapshot,
        views: Mapping[str, JobView],
        pending: Mapping[str, str],
    ) -> None:
        status = self.status()
        self.header.apply_snapshot(snapshot, status)
        self._show_problem(status.problem if status else snapshot.problem)
        self.table.empty_text = "no jobs match the filter" if self.table.filter_text else "no jobs"
        self._names = snapshot.user_names
        self.table.update_jobs(views, snapshot.user_names, pending)
        self.update_summary()

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
        if view is None:
            summary.show(Text("no job selected", style="dim"))
        else:
            summary.show(job_summary(view, self._names, self.threshold))

    def show_status(self, text: Text) -> None:
        self.query_one("#status-msg", QuietStatic).show(text)

    def show_view_state(self, text: str) -> None:
        self.query_one("#status-view", QuietStatic).show(Text(text))

    # ------------------------------------------------------------------ clock

    def tick(self, status: PollStatus | None) -> None:
        """The app's clock: repaint whatever time-based text changed (usually nothing)."""
        if status is not None:
            self.header.apply_status(status)
            self._show_problem(status.problem)
        else:
            self.header.refresh_age()
        self.table.refresh_times()

    def next_time_change(self) -> float | None:
        return self.table.next_time_change()

    # ------------------------------------------------------------------ filter

    def action_start_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()
        # Focus lands only after the next refresh; keys typed right after "/" (a paste, a
        # fast typist, a slow link delivering them together) must go into the filter, never
        # to the table's bindings, where "a" or "n" would open a dialog.
        self._filter_opening = True

    @property
    def filter_opening(self) -> bool:
        """The filter was asked for and its box has not got the focus yet."""
        return self._filter_opening and self.focused is not self.query_one("#filter")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.filter_opening:
            # The filter box is opening: every key that arrives meanwhile is filter text (it
            # reaches the table, which hands it to the box), a second "/" included.
            return False
        # Enter, Home, End and the arrows belong to the filter box while it has the focus.
        return not (
            action in self.FILTER_KEYS_ACTIONS and self.focused is self.query_one("#filter")
        )

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

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget is self.query_one("#filter"):
            self._filter_opening = False  # left the box (tab, mouse): keys are keys again

    def redirect_key(self, event: events.Key) -> bool:
        """Keys that reached the table while the filter box is opening are filter text."""
        if not self._filter_opening:
            return False
        box = self.query_one("#filter", Input)
        if event.key == "escape":
            self._filter_opening = False
            self.action_clear_filter()
        elif event.key == "enter":
            self._filter_opening = False
            if not box.value:
                box.display = False
            self.table.focus()
        elif event.key == "backspace":
            box.value = box.value[:-1]
        elif event.is_printable and event.character:
            box.value += event.character
        box.cursor_position = len(box.value)
        return True

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        self._filter_opening = False
        if box.value or box.display:
            box.value = ""
            box.display = False
            self.table.focus()
        if self.table.filter_text:
            self.table.set_filter("", self.table.only_user)
            self.post_message(self.ViewChanged())

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.table.set_filter(event.value, self.table.only_user)
        self.post_message(self.ViewChanged())

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._filter_opening = False
        if not event.value:
            event.input.display = False
        self.table.focus()

    @on(JobTable.JobHighlighted)
    def _highlighted(self, event: JobTable.JobHighlighted) -> None:
        self.update_summary()
