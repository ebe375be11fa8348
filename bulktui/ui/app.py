"""The console app: starts the backend, keeps the latest snapshot and the poller's status as
reactive attributes (screens and widgets watch them), runs one clock for time-based text, and
dispatches the keys that are not about one job. Acting on jobs is ``JobActionsApp``'s part.

All network work happens in the backend, called from workers that only post messages back
(``JobsRefreshed``, ``JobAborted``, ``ActionFailed``…).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer

from bulktui.api import ids
from bulktui.core.journal_null import NullJournal
from bulktui.core.live import Backend
from bulktui.core.snapshot import Snapshot
from bulktui.text import one_line
from bulktui.ui import format as fmt
from bulktui.ui import keys
from bulktui.ui.commands import JobCommands
from bulktui.ui.job_actions import detail_screen
from bulktui.ui.live_controls import LiveControlsApp
from bulktui.ui.messages import GuardEventArrived, JobsRefreshed, PollerStopped
from bulktui.ui.screens.main import MainScreen
from bulktui.ui.screens.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallScreen
from bulktui.ui.themes import DEFAULT_THEME, ascii_borders, load_themes, with_defaults
from bulktui.ui.widgets.job_table import JobTable

if TYPE_CHECKING:
    from bulktui.core.guard_session import GuardSession
    from bulktui.core.guards import GuardEvent
    from bulktui.ui.screens.history import HistorySource

# Screens opened by a key (a job's detail, help, history, the message log) and the guard
# rules' words load when first needed: a launch loads only what paints the job list.

FREEZE_STEP = 1000
TYPED_AWAY = keys.typed_away_actions()
CLIPBOARD_HINT = (
    "it shows up only if your terminal accepts OSC 52 (in tmux: set -g set-clipboard on)"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ConsoleApp(LiveControlsApp):
    """bulktui's live console."""

    CSS_PATH = "bulktui.tcss"
    TITLE = "bulktui"
    # bulktui's own commands only: no screenshot, maximise or Textual key panel entries.
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {JobCommands}
    BINDINGS: ClassVar[list[BindingType]] = list(keys.APP_BINDINGS)
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
        guards: GuardSession | None = None,
        journal: HistorySource | None = None,
        notices: list[str] | None = None,
    ) -> None:
        super().__init__(backend, now=now, read_only=read_only)
        self.threshold = threshold
        self.guards = guards
        self.journal: HistorySource = journal if journal is not None else NullJournal()
        # Lines to say at start and later (a journal that cannot be used): the list is shared
        # with whoever found the problem, and read on the clock's tick.
        self._notices = notices if notices is not None else []
        self._notices_said = 0
        # What the header says about guard rules, in words ("guards armed"); None: no rules.
        self.guards_words = guards.arming.words() if guards is not None else None
        self._visible: frozenset[str] = frozenset()  # rows on the main screen
        self._clock: Timer | None = None
        self._frozen_at = 0  # jobs (listed + detailed) when the heap was last frozen
        self._quit_asked: datetime | None = None  # first q while an action was pending
        # Keys typed while the console starts (a fast typist, a slow link delivering them in
        # one burst) wait here until the job list is on screen with the focus; None after.
        self._early_keys: list[events.Key] | None = []
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
        # No animated scrolling or transitions: nothing moves unless data does.
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
            threshold=self.threshold,
            read_only=self.read_only,
        )

    def on_mount(self) -> None:
        self.set_class(ascii_borders(), "-ascii")
        # The journal's newest screenful goes into the first frame: no empty table first,
        # and no second paint before the user sees jobs (the rest loads in run()).
        picture = self.backend.first_picture()
        if picture is not None:
            self.snapshot = picture
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

    async def on_event(self, event: events.Event) -> None:
        # Before the job list is mounted, a screen binding such as "/" is not active yet and
        # nothing has the focus: "/Lead" lost its "/", and its "a" asked to abort. Held, they
        # act as typed once the list is ready (see _started).
        early = self._early_keys
        if early is not None and isinstance(event, events.Key) and not event.is_forwarded:
            early.append(event)
            return
        await super().on_event(event)

    def _replay_early_keys(self) -> None:
        early, self._early_keys = self._early_keys, None
        for key in early or ():
            if key.key == "ctrl+j":
                # Typed before the console took the terminal over, Enter reaches us as a line
                # feed (the terminal's line discipline turns CR into LF until then).
                self.post_message(events.Key("enter", "\r"))
            else:
                self.post_message(events.Key(key.key, key.character))

    def _started(self) -> None:
        self._replay_early_keys()
        self._check_size(self.size.width, self.size.height)
        for path, reason in self.theme_failures:
            self.say(f"theme file {path.name} skipped: {reason}", "warning")
        if self.requested_theme and self.requested_theme not in self.available_themes:
            names = ", ".join(sorted(self.available_themes))
            self.say(f"no theme called {self.requested_theme!r}; available: {names}", "warning")
        self.status = self.poll_status()
        self._say_notices()
        if self.guards is not None:
            for line in self.guards.arming.held_back:
                self.say(line, "warning")
            self.guards.add_listener(self._guard_event)
            self._run_guards()
        self._run_backend()

    def _say_notices(self) -> None:
        while self._notices_said < len(self._notices):
            self.say(self._notices[self._notices_said], "warning")
            self._notices_said += 1

    @work(group="guards", exit_on_error=False)
    async def _run_guards(self) -> None:
        assert self.guards is not None
        try:
            await self.guards.run()
        except Exception as exc:
            self.say(f"guard rules stopped: {one_line(str(exc))}", "error")

    def _guard_event(self, event: GuardEvent) -> None:
        self.post_message(GuardEventArrived(event))

    def on_guard_event_arrived(self, message: GuardEventArrived) -> None:
        """A rule's event goes to the status line and the message log (l); a flag also rings
        the bell and sends a desktop notification where the terminal supports one."""
        from bulktui.core.guard_rules import GuardAction
        from bulktui.core.guards import EventKind, Outcome

        event = message.event
        if event.event is EventKind.LINK:
            return  # the header and the message log say the link's state already
        doubtful = event.outcome in (Outcome.REFUSED, Outcome.UNCERTAIN)
        warn = event.event is EventKind.RULE_FIRED or doubtful
        self.say(event.message, "warning" if warn else "information")
        if event.event is EventKind.RULE_FIRED and self.guards is not None:
            main = self.main
            if main is not None:
                main.table.set_rule_flags(self.guards.fired)
            if event.action == GuardAction.FLAG.value:
                self.bell()
                self._notify_desktop(event.message)
            self._tell_visible()

    def _notify_desktop(self, text: str) -> None:
        """OSC 9 (iTerm2, kitty, WezTerm, Windows Terminal) and OSC 777 (urxvt, foot, VTE):
        terminals that know neither ignore them. The text is already safe (no control
        characters), so it cannot end the sequence early."""
        driver = self._driver
        if driver is None or self.is_headless:
            return
        body = one_line(text)[:200].replace(";", ",")
        driver.write(f"\x1b]9;bulktui: {body}\x07\x1b]777;notify;bulktui;{body}\x07")

    def on_job_table_visible_changed(self, message: JobTable.VisibleChanged) -> None:
        main = self.main
        if main is not None and message.control is main.table:
            self._visible = frozenset(message.job_ids)
            self._tell_visible()

    def _tell_visible(self) -> None:
        """The poller reads ended jobs' counts only for rows on screen, and for the jobs the
        guard rules may look at (issue 13: no back-fill of the whole org)."""
        wanted = self._visible
        if self.guards is not None and self.snapshot is not None:
            wanted = wanted | self.guards.wanted_job_ids(self.snapshot)
        self.backend.set_visible(wanted)

    @work(group="poller", exit_on_error=False)
    async def _run_backend(self) -> None:
        try:
            await self.backend.run(self._snapshot_arrived, settle=self._painted)
        except Exception as exc:
            self.post_message(PollerStopped(f"{type(exc).__name__}: {exc}"))

    async def _painted(self) -> None:
        """Returns once the screen has been updated for every message posted so far (the
        journal's picture, at launch)."""
        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        await painted.wait()

    def _snapshot_arrived(self, snapshot: Snapshot) -> None:
        self.post_message(JobsRefreshed(snapshot))

    async def action_quit(self) -> None:
        """Quit; but while a close/abort/create is waiting for the server, the first ``q``
        (or Ctrl+C) only says so (its outcome would otherwise be lost), and a second quits."""
        now = self.now()
        if self.pending and (
            self._quit_asked is None or (now - self._quit_asked).total_seconds() > 10
        ):
            self._quit_asked = now
            waiting = ", ".join(f"{word} {job_id}" for job_id, word in self.pending.items())
            self.say(
                f"still waiting for the server's answer ({waiting}); "
                "press q again (or Ctrl+C) to quit without it",
                "warning",
            )
            return
        if self.guards is not None:
            self.guards.stop()
        self.workers.cancel_group(self, "poller")
        self.exit()

    async def on_unmount(self) -> None:
        with contextlib.suppress(Exception):  # closing must never turn a quit into a crash
            await self.backend.aclose()

    # ------------------------------------------------------------------ snapshots

    def on_jobs_refreshed(self, message: JobsRefreshed) -> None:
        self.status = self.poll_status()
        self.snapshot = message.snapshot

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self._settle_heap(snapshot)
            self.call_after_refresh(self.schedule_clock)
            if self.guards is not None:
                self._tell_visible()  # new jobs the rules may look at

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
        self._say_notices()
        self._clock = None
        self.status = self.poll_status()  # the headers, the problem line and the table watch it
        self.schedule_clock()

    def on_poller_stopped(self, message: PollerStopped) -> None:
        self.say(f"refreshing stopped: {message.reason}; press r to retry", "error")

    # ------------------------------------------------------------------ screens

    @on(MainScreen.ViewChanged)
    def _view_changed(self, _message: MainScreen.ViewChanged) -> None:
        self._tick()

    def on_job_table_job_highlighted(self, message: JobTable.JobHighlighted) -> None:
        self.backend.select(message.job_id)

    def on_job_table_job_chosen(self, message: JobTable.JobChosen) -> None:
        self.open_detail(message.job_id)

    def open_detail(self, job_id: str) -> None:
        from bulktui.ui.screens.job_detail import JobDetailScreen

        screen = JobDetailScreen(
            job_id,
            instance_url=self.backend.instance_url,
            now=self.now,
            threshold=self.threshold,
            read_only=self.read_only,
        )
        self.backend.select(job_id)

        def feed(_value: object = None) -> None:
            # The detail screen is given the data; it does not watch the app itself.
            if self.snapshot is not None:
                screen.apply_snapshot(
                    self.snapshot,
                    self.snapshot.view(job_id),
                    self.pending.get(job_id),
                    self.status,
                )

        feed()
        screen.watch(self, "snapshot", feed, init=False)
        screen.watch(self, "pending", feed, init=False)

        def said(message: tuple[str, str] | None) -> None:
            if message is not None:
                screen.show_status(fmt_message(message))

        screen.watch(self, "last_message", said, init=False)
        self.push_screen(screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in keys.CHANGES_JOBS and self.read_only:
            return False  # hidden from the footer, the help and the palette
        if action == "refuse_read_only":
            return self.read_only
        if action not in TYPED_AWAY:
            return True
        # While the filter box is opening, every key is filter text: no dialog may open.
        main = self.main
        return not (main is not None and main.is_mounted and main.filter_opening)

    def can_run(self, action: str, node: DOMNode) -> bool:
        """Whether ``action`` (a binding's action string) would run on ``node`` now; the help
        and the palette offer only these."""
        namespace, name = keys.action_name(action)
        target: DOMNode = self if namespace == "app" else node
        if not hasattr(target, f"action_{name}"):
            return False
        return target.check_action(name, ()) is True

    def binding_allowed(self, binding: Binding) -> bool:
        """Whether the help lists ``binding``: app actions only when they can run now."""
        namespace, name = keys.action_name(binding.action)
        return namespace != "app" or self.check_action(name, ()) is True

    # ------------------------------------------------------------------ view keys

    def action_help(self) -> None:
        from bulktui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.binding_allowed))

    def action_history(self) -> None:
        """Jobs Salesforce purged, from the journal; nothing there asks the server."""
        from bulktui.ui.screens.history import HistoryScreen

        if not isinstance(self.screen, HistoryScreen):
            names = self.snapshot.user_names if self.snapshot is not None else None
            self.push_screen(
                HistoryScreen(self.journal, now=self.now, threshold=self.threshold, names=names)
            )

    def action_message_log(self) -> None:
        from bulktui.ui.screens.message_log import MessageLogScreen

        if not isinstance(self.screen, MessageLogScreen):
            self.push_screen(MessageLogScreen(self.messages))

    def action_open_detail(self) -> None:
        job_id = self.selected_job_id()
        if job_id and detail_screen(self.screen) is None:
            self.open_detail(job_id)

    def action_copy_id(self) -> None:
        job_id = self.selected_job_id()
        if not job_id:
            self.say("no job selected")
            return
        if not ids.is_valid(job_id):
            self.say(f"not copied: {fmt.safe(job_id)!r} is not a valid job id", "warning")
            return
        self.copy_to_clipboard(job_id)
        self.say(f"sent {job_id} to the terminal's clipboard (OSC 52); {CLIPBOARD_HINT}")


def fmt_message(message: tuple[str, str]) -> Text:
    text, severity = message
    return Text(text, style="" if severity == "information" else "bold")
