"""The console app: owns the latest snapshot and the user's pending actions, renders and
dispatches. All network work happens in the backend, called from workers that only post
messages back (``JobsRefreshed``, ``JobAborted``, ``ActionFailed``…)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from rich.text import Text
from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer

from bulktui.api.enums import JobState
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    BulkError,
    InvalidSessionError,
    ReauthenticationError,
    TransportError,
)
from bulktui.core.actions import ActionRefused, ActionSucceeded, ActionUncertain
from bulktui.core.snapshot import JobView, LinkState, PollStatus, Snapshot
from bulktui.core.text import one_line
from bulktui.ui import format as fmt
from bulktui.ui.backend import Backend, NewJobSpec
from bulktui.ui.commands import JobCommands
from bulktui.ui.keys import next_interval
from bulktui.ui.messages import (
    ActionFailed,
    BatchResultsFailed,
    BatchResultsLoaded,
    JobAborted,
    JobClosed,
    JobCreated,
    JobLookedUp,
    JobsRefreshed,
    PollerStopped,
)
from bulktui.ui.screens.confirm import AbortJobModal, CloseJobModal
from bulktui.ui.screens.failed_records import FailedRecordsScreen
from bulktui.ui.screens.help import HelpScreen
from bulktui.ui.screens.job_detail import JobDetailScreen
from bulktui.ui.screens.job_id import JobIdModal
from bulktui.ui.screens.main import MainScreen
from bulktui.ui.screens.new_job import NewJobModal
from bulktui.ui.screens.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallScreen
from bulktui.ui.themes import DEFAULT_THEME, load_themes, with_defaults
from bulktui.ui.widgets.job_table import SORT_BY_KEY, SORTS, JobTable

Action = Literal["close", "abort"]
Severity = Literal["information", "warning", "error"]
FREEZE_STEP = 1000
# App actions bound on the job list: while its filter box is opening they must not run.
TYPED_AWAY = frozenset(
    {
        "close_job",
        "abort_job",
        "new_job",
        "help",
        "cycle_sort",
        "reverse_sort",
        "only_mine",
        "refresh",
        "pause",
        "change_interval",
        "copy_id",
    }
)
PENDING_WORDS = {"close": "closing…", "abort": "aborting…"}
READ_ONLY_REASON = (
    "read-only: bulktui was started with --read-only, so closing, aborting and creating jobs "
    "are disabled"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def explain(action: str, job_id: str | None, exc: BaseException) -> str:
    """Why an action did not go through, in plain words (one line)."""
    what = f"{action} job {job_id}" if job_id else f"{action} the job"
    if isinstance(exc, ApiError) and exc.is_code("InvalidJobState"):
        reason = (
            f"Could not {what}: the job is no longer in a state that allows it "
            f"(it probably finished first). The server said: {exc}"
        )
    elif isinstance(exc, InvalidSessionError | ReauthenticationError):
        reason = f"Could not {what}: the session expired and could not be renewed ({exc})"
    elif isinstance(exc, ApiError):
        reason = f"Could not {what}: the server refused. It said: {exc}"
    elif isinstance(exc, AmbiguousResultError):
        reason = (
            f"Could not tell whether the request to {what} worked ({exc}); "
            "refreshing to find out"
        )
    elif isinstance(exc, TransportError):
        reason = (
            f"Could not {what}: no answer from the server ({exc}). It may or may not have "
            "happened; refreshing to find out"
        )
    elif isinstance(exc, BulkError):
        reason = f"Could not {what}: {exc}"
    else:
        reason = f"Could not {what}: unexpected error {type(exc).__name__}: {exc}"
    return one_line(reason)


class ConsoleApp(App[None]):
    """bulktui's live console."""

    CSS_PATH = "bulktui.tcss"
    TITLE = "bulktui"
    COMMANDS = App.COMMANDS | {JobCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit"),
        Binding("question_mark", "help", "help", show=False),
    ]
    # No animated scrolling or transitions: nothing moves unless data does.
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        backend: Backend,
        *,
        now: Callable[[], datetime] = utc_now,
        theme: str | None = None,
        read_only: bool = False,
        threshold: float = 0.10,
        theme_dirs: list[Path] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.now = now
        self.read_only = read_only
        self.threshold = threshold
        self.snapshot: Snapshot | None = None
        self.pending: dict[str, str] = {}  # job id → "aborting…" while the request runs
        self.paused = False
        self.only_mine = False
        self.last_message: tuple[str, Severity] | None = None
        self._views: Mapping[str, JobView] = {}
        self._select_after_refresh: str | None = None
        self._clock: Timer | None = None
        self._frozen_at = 0  # jobs (listed + detailed) when the heap was last frozen
        self._quit_asked: datetime | None = None  # first q while an action was pending
        loaded = load_themes(theme_dirs)
        self.theme_failures = loaded.failures
        for t in loaded.themes:
            self.register_theme(t)
        self.requested_theme = theme
        wanted = theme or DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        elif DEFAULT_THEME in self.available_themes:
            self.theme = DEFAULT_THEME
        self.animation_level = "none"

    # ------------------------------------------------------------------ setup

    def get_css_variables(self) -> dict[str, str]:
        variables = with_defaults(super().get_css_variables())
        self.theme_variables = variables
        return variables

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(
            instance_url=self.backend.instance_url,
            now=self.now,
            status=self.poll_status,
            threshold=self.threshold,
            read_only=self.read_only,
        )

    def on_mount(self) -> None:
        self.call_after_refresh(self._started)

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        top = self.screen_stack[-1] if self.screen_stack else None
        if small:
            if isinstance(top, TooSmallScreen):
                top.show_size(width, height)
            else:
                self.push_screen(TooSmallScreen())
        elif isinstance(top, TooSmallScreen):
            self.pop_screen()

    def _started(self) -> None:
        self._check_size(self.size.width, self.size.height)
        for path, reason in self.theme_failures:
            self.say(f"theme file {path.name} skipped: {reason}", "warning")
        if self.requested_theme and self.requested_theme not in self.available_themes:
            names = ", ".join(sorted(self.available_themes))
            self.say(f"no theme called {self.requested_theme!r}; available: {names}", "warning")
        self._update_view_state()
        self._run_backend()

    @work(group="poller", exit_on_error=False)
    async def _run_backend(self) -> None:
        try:
            await self.backend.run(self._snapshot_arrived)
        except Exception as exc:
            self.post_message(PollerStopped(f"{type(exc).__name__}: {exc}"))

    def _snapshot_arrived(self, snapshot: Snapshot) -> None:
        self.post_message(JobsRefreshed(snapshot))

    async def action_quit(self) -> None:
        """Quit; but while a close/abort/create is waiting for the server, the first ``q``
        only says so (its outcome would otherwise be lost), and a second one quits."""
        now = self.now()
        if self.pending and (
            self._quit_asked is None or (now - self._quit_asked).total_seconds() > 10
        ):
            self._quit_asked = now
            waiting = ", ".join(f"{word} {job_id}" for job_id, word in self.pending.items())
            self.say(
                f"still waiting for the server's answer ({waiting}); "
                "press q again to quit without it",
                "warning",
            )
            return
        self.workers.cancel_group(self, "poller")
        self.exit()

    async def on_unmount(self) -> None:
        with contextlib.suppress(Exception):  # closing must never turn a quit into a crash
            await self.backend.aclose()

    # ------------------------------------------------------------------ snapshots

    @property
    def main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    @property
    def views(self) -> Mapping[str, JobView]:
        return self._views

    def poll_status(self) -> PollStatus | None:
        try:
            return self.backend.status()
        except Exception:  # the header must never take the app down
            return None

    def on_jobs_refreshed(self, message: JobsRefreshed) -> None:
        self.snapshot = message.snapshot
        self._render_all()
        self._settle_heap(message.snapshot)
        if self._select_after_refresh:
            main = self.main
            if main is not None and main.table.select_job(self._select_after_refresh):
                self._select_after_refresh = None

    def _settle_heap(self, snapshot: Snapshot) -> None:
        """Keep CPython's full garbage collections out of key presses on big orgs.

        Loading 10,000 jobs builds a few hundred thousand long-lived objects, and every full
        (generation 2) collection walks them all: 60-180 ms pauses while loading, enough to
        make a key press late. ``gc.freeze()`` moves what is alive now out of the collector's
        sight. It is done after each 1,000 newly loaded jobs only, so what it pins for good
        (objects that die after the freeze) stays bounded by about one copy of the data.
        """
        jobs = snapshot.jobs
        if len(jobs) < FREEZE_STEP:
            return
        detailed = sum(1 for view in jobs.values() if view.detail_at is not None)
        loaded = len(jobs) + detailed
        if loaded - self._frozen_at >= FREEZE_STEP:
            self._frozen_at = loaded
            gc.freeze()

    def _render_all(self) -> None:
        snapshot = self.snapshot or Snapshot(jobs={}, link=LinkState.LIVE, fetched_at=None)
        self._views = snapshot.jobs
        status = self.poll_status()
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                if screen.is_mounted:
                    screen.apply(snapshot, self._views, self.pending)
            elif isinstance(screen, JobDetailScreen):
                screen.apply_snapshot(
                    snapshot,
                    self._views.get(screen.job_id),
                    self.pending.get(screen.job_id),
                    status,
                )
            elif isinstance(screen, FailedRecordsScreen):
                screen.apply_snapshot(snapshot, status)
        self._update_view_state()
        self.schedule_clock()

    # ------------------------------------------------------------------ clock

    def schedule_clock(self) -> None:
        """One timer for the next moment time-based text on screen may change: the data age,
        a relative time in the table, or the poller's next cycle (the age resets then). An
        idle console therefore wakes about once a second while the age counts seconds, and
        paints only what changed."""
        if self._clock is not None:
            self._clock.stop()
            self._clock = None
        status = self.poll_status()
        delays: list[float] = []
        now = self.now()
        if status is not None:
            if status.fetched_at is not None:
                delays.append(fmt.next_ago_change(status.fetched_at, now))
            if status.next_cycle_at is not None:
                delays.append(max(0.25, (status.next_cycle_at - now).total_seconds() + 0.1))
        main = self.main
        if main is not None and self.screen is main and main.is_mounted:
            table_delay = main.next_time_change()
            if table_delay is not None:
                delays.append(table_delay)
        if delays:
            self._clock = self.set_timer(min(delays) + 0.02, self._tick, name="clock")

    def _tick(self) -> None:
        self._clock = None
        status = self.poll_status()
        for screen in self.screen_stack:
            ticking = isinstance(screen, MainScreen | JobDetailScreen | FailedRecordsScreen)
            if ticking and screen.is_mounted:
                screen.tick(status)  # type: ignore[attr-defined]
        self.schedule_clock()

    def on_poller_stopped(self, message: PollerStopped) -> None:
        self.say(f"refreshing stopped: {message.reason}; press r to retry", "error")

    # ------------------------------------------------------------------ status line

    def say(self, text: str, severity: Severity = "information") -> None:
        """Show one line in the status bar (and as a toast for warnings and errors)."""
        line = one_line(text)
        self.last_message = (line, severity)
        style = {"information": "", "warning": "bold", "error": "bold"}[severity]
        shown = Text(line, style=style)
        for screen in self.screen_stack:
            if isinstance(screen, (MainScreen, JobDetailScreen)):
                screen.show_status(shown)
        if severity != "information":
            self.notify(line, severity=severity, timeout=10, markup=False)

    def _update_view_state(self) -> None:
        main = self.main
        if main is None:
            return
        table = main.table
        spec = SORT_BY_KEY[table.sort_key]
        descending = spec.natural_reverse != table.sort_reversed
        parts = []
        total = len(self._views)
        shown = table.row_count
        parts.append(f"{shown:,}/{total:,} jobs" if shown != total else f"{total:,} jobs")
        parts.append(f"{table.live_count:,} live")
        parts.append(f"sort {spec.title}{'↓' if descending else '↑'}")
        if table.filter_text:
            parts.append(f"filter {table.filter_text!r}")
        if self.only_mine:
            parts.append("mine")
        parts.append("paused" if self.paused else f"every {self.backend.interval:g}s")
        main.show_view_state(" · ".join(parts))

    # ------------------------------------------------------------------ selection

    def selected_job_id(self) -> str | None:
        screen = self.screen
        if isinstance(screen, JobDetailScreen):
            return screen.job_id
        main = self.main
        return main.table.cursor_id if main else None

    @on(MainScreen.ViewChanged)
    def _view_changed(self, _message: MainScreen.ViewChanged) -> None:
        self._update_view_state()
        self._tick()

    @on(JobDetailScreen.BatchChosen)
    def _batch_chosen(self, message: JobDetailScreen.BatchChosen) -> None:
        screen = FailedRecordsScreen(
            message.job_id,
            message.batch,
            instance_url=self.backend.instance_url,
            now=self.now,
            read_only=self.read_only,
        )
        if self.snapshot:
            screen.apply_snapshot(self.snapshot, self.poll_status())
        self.push_screen(screen)
        self._load_batch_results(message.job_id, message.batch.id)

    def on_job_table_job_highlighted(self, message: JobTable.JobHighlighted) -> None:
        self.backend.select(message.job_id)

    def on_job_table_job_chosen(self, message: JobTable.JobChosen) -> None:
        self.open_detail(message.job_id)

    def open_detail(self, job_id: str) -> None:
        screen = JobDetailScreen(
            job_id,
            instance_url=self.backend.instance_url,
            now=self.now,
            threshold=self.threshold,
            read_only=self.read_only,
        )
        self.backend.select(job_id)
        if self.snapshot is not None:
            screen.apply_snapshot(
                self.snapshot, self._views.get(job_id), self.pending.get(job_id), self.poll_status()
            )
        self.push_screen(screen)

    # ------------------------------------------------------------------ actions: view

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the filter box is opening, every key is filter text: no dialog may open.
        if action not in TYPED_AWAY:
            return True
        main = self.main
        return not (main is not None and main.is_mounted and main.filter_opening)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_open_detail(self) -> None:
        job_id = self.selected_job_id()
        if job_id and not isinstance(self.screen, JobDetailScreen):
            self.open_detail(job_id)

    def action_refresh(self) -> None:
        job_id = self.selected_job_id()
        if job_id:
            self.backend.invalidate(job_id)
        self.backend.refresh_now()
        self.say("refreshing now…")

    def action_pause(self) -> None:
        self.paused = not self.paused
        if self.paused:
            self.backend.pause()
            self.say("live refresh paused; p resumes, r refreshes once")
        else:
            self.backend.resume()
            self.say("live refresh resumed")
        for screen in self.screen_stack:
            for header in screen.query("StatusHeader"):
                header.set_paused(self.paused)  # type: ignore[attr-defined]
        self._update_view_state()

    def action_change_interval(self, direction: int) -> None:
        seconds = next_interval(self.backend.interval, direction)
        self.backend.set_interval(seconds)
        self.say(f"refreshing every {seconds:g}s")
        self._update_view_state()

    def action_cycle_sort(self) -> None:
        main = self.main
        if main is None:
            return
        keys = [s.key for s in SORTS]
        nxt = keys[(keys.index(main.table.sort_key) + 1) % len(keys)]
        main.table.set_sort(nxt, False)
        self._update_view_state()

    def action_reverse_sort(self) -> None:
        main = self.main
        if main is None:
            return
        main.table.set_sort(main.table.sort_key, not main.table.sort_reversed)
        self._update_view_state()

    def action_only_mine(self) -> None:
        main = self.main
        if main is None:
            return
        identity = self.snapshot.identity if self.snapshot else None
        if not self.only_mine and identity is None:
            self.say("who you are is not known yet; try again after the first refresh", "warning")
            return
        self.only_mine = not self.only_mine
        user = identity.user_id if (self.only_mine and identity) else None
        main.table.set_filter(main.table.filter_text, user)
        self.say("showing only your jobs" if self.only_mine else "showing everyone's jobs")
        self._update_view_state()

    def action_filter(self) -> None:
        main = self.main
        if main is not None and self.screen is main:
            main.action_start_filter()

    def action_copy_id(self) -> None:
        job_id = self.selected_job_id()
        if not job_id:
            self.say("no job selected")
            return
        self.copy_to_clipboard(job_id)
        self.say(f"copied {job_id} to the clipboard (OSC 52)")

    # ------------------------------------------------------------------ actions: close/abort

    def action_close_job(self) -> None:
        self._confirm("close", self.selected_job_id())

    def action_abort_job(self) -> None:
        self._confirm("abort", self.selected_job_id())

    def ask_job_id(self, action: Action) -> None:
        if self.read_only:
            self.say(READ_ONLY_REASON, "warning")
            return

        def chosen(job_id: str | None) -> None:
            if job_id:
                self.confirm_by_id(action, job_id)

        self.push_screen(JobIdModal(action.capitalize()), chosen)

    def confirm_by_id(self, action: Action, job_id: str) -> None:
        """Palette: confirm an action on a job that may not be in the table yet."""
        if job_id in self._views:
            self._confirm(action, job_id)
        else:
            self.say(f"looking up job {job_id}…")
            self._fetch_then_confirm(action, job_id)

    @work(group="lookup", exit_on_error=False)
    async def _fetch_then_confirm(self, action: Action, job_id: str) -> None:
        try:
            job = await self.backend.get_job(job_id)
        except Exception as exc:
            self.post_message(ActionFailed(action, job_id, explain(action, job_id, exc)))
            return
        self.post_message(JobLookedUp(action, job))

    def on_job_looked_up(self, message: JobLookedUp) -> None:
        self._confirm(message.action, message.job.id, JobView(job=message.job))

    def _confirm(self, action: Action, job_id: str | None, view: JobView | None = None) -> None:
        if self.read_only:
            self.say(READ_ONLY_REASON, "warning")
            return
        if not job_id:
            self.say("no job selected")
            return
        view = view or self._views.get(job_id)
        if view is None:
            self.say(f"job {job_id} is not known yet")
            return
        if job_id in self.pending:
            self.say(f"job {job_id}: {self.pending[job_id]} already")
            return
        if view.purged:
            self.say(f"job {job_id} was purged by Salesforce; nothing to {action}", "warning")
            return
        state = view.job.state
        allowed = (JobState.OPEN,) if action == "close" else (JobState.OPEN, JobState.CLOSED)
        if state not in allowed:
            which = "Open" if action == "close" else "Open or Closed"
            self.say(
                f"job {job_id} is {fmt.job_state_word(view.job)}: only {which} jobs can be "
                f"{'closed' if action == 'close' else 'aborted'}",
                "warning",
            )
            return
        modal = CloseJobModal(view) if action == "close" else AbortJobModal(view)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._start(action, job_id)
            else:
                self.say(f"{action} cancelled; nothing was sent")

        self.push_screen(modal, answered)

    def _start(self, action: Action, job_id: str) -> None:
        self.pending[job_id] = PENDING_WORDS[action]
        self.say(f"{PENDING_WORDS[action]} job {job_id}")
        self._render_all()
        self._run_action(action, job_id)

    @work(group="actions", exit_on_error=False)
    async def _run_action(self, action: Action, job_id: str) -> None:
        try:
            if action == "close":
                outcome = await self.backend.close(job_id)
            else:
                outcome = await self.backend.abort(job_id)
        except Exception as exc:  # the runner reports API problems as outcomes; this is a bug
            self.post_message(ActionFailed(action, job_id, explain(action, job_id, exc)))
            return
        self._post_outcome(outcome)

    def _post_outcome(self, outcome: ActionSucceeded | ActionRefused | ActionUncertain) -> None:
        if isinstance(outcome, ActionSucceeded):
            kind = {"close": JobClosed, "abort": JobAborted, "create": JobCreated}[
                outcome.action.value
            ]
            self.post_message(kind(outcome.job, outcome.message))
        else:
            self.post_message(
                ActionFailed(
                    outcome.action.value,
                    outcome.job_id,
                    outcome.reason,
                    uncertain=isinstance(outcome, ActionUncertain),
                )
            )

    def _action_done(self, job_id: str, message: str) -> None:
        self.pending.pop(job_id, None)
        self.say(message)
        self._render_all()

    def on_job_closed(self, message: JobClosed) -> None:
        self._action_done(message.job.id, message.text)

    def on_job_aborted(self, message: JobAborted) -> None:
        self._action_done(message.job.id, message.text)

    def on_job_created(self, message: JobCreated) -> None:
        self._action_done(message.job.id, message.text)
        main = self.main
        if main is not None and not main.table.select_job(message.job.id):
            if main.table.filter_text or main.table.only_user:
                self.say(f"{message.text} The filter hides it.", "warning")
            self._select_after_refresh = message.job.id
        self.backend.refresh_now()

    def on_action_failed(self, message: ActionFailed) -> None:
        if message.job_id:
            self.pending.pop(message.job_id, None)
            self.backend.invalidate(message.job_id)
        self.backend.refresh_now()
        self._render_all()
        self.say(message.reason, "warning" if message.uncertain else "error")

    # ------------------------------------------------------------------ actions: create

    def action_new_job(self) -> None:
        if self.read_only:
            self.say(READ_ONLY_REASON, "warning")
            return

        def chosen(spec: NewJobSpec | None) -> None:
            if spec is None:
                self.say("new job cancelled; nothing was sent")
                return
            self.say(f"creating a {spec.operation.value} job on {spec.object}…")
            self._create(spec)

        self.push_screen(NewJobModal(), chosen)

    @work(group="actions", exit_on_error=False)
    async def _create(self, spec: NewJobSpec) -> None:
        try:
            outcome = await self.backend.create(spec)
        except Exception as exc:
            self.post_message(ActionFailed("create", None, explain("create", None, exc)))
            return
        self._post_outcome(outcome)

    # ------------------------------------------------------------------ failed records

    @work(group="results", exclusive=True, exit_on_error=False)
    async def _load_batch_results(self, job_id: str, batch_id: str) -> None:
        try:
            results = await self.backend.batch_results(job_id, batch_id)
        except Exception as exc:
            self.post_message(BatchResultsFailed(job_id, batch_id, explain_load(exc)))
            return
        self.post_message(BatchResultsLoaded(job_id, batch_id, results))

    def on_batch_results_loaded(self, message: BatchResultsLoaded) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, FailedRecordsScreen) and screen.batch_info.id == message.batch_id:
                screen.show_results(message.results)

    def on_batch_results_failed(self, message: BatchResultsFailed) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, FailedRecordsScreen) and screen.batch_info.id == message.batch_id:
                screen.show_error(message.reason)


def explain_load(exc: BaseException) -> str:
    if isinstance(exc, BulkError):
        return one_line(str(exc))
    return one_line(f"unexpected error {type(exc).__name__}: {exc}")
