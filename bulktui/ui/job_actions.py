"""Close, abort and create from the console: which job, the confirmation, the request in a
worker, and its outcome in the runner's own words.

``JobActionsApp`` is the part of the console app that acts on jobs; ``ConsoleApp`` builds on it.
Which actions a job allows, and what they are called, come from ``bulktui.api.lifecycle``;
what happened comes from the ``ActionRunner``'s outcome, shown as it is worded there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, cast

from textual import work
from textual.app import App
from textual.reactive import var

from bulktui.api import lifecycle
from bulktui.api.lifecycle import JobAction
from bulktui.core.actions import ActionOutcome, ActionSucceeded, ActionUncertain
from bulktui.core.faults import describe, is_missing_job
from bulktui.core.live import Backend, NewJobSpec
from bulktui.core.snapshot import JobView, LinkState, PollStatus, Snapshot
from bulktui.text import one_line
from bulktui.ui import format as fmt
from bulktui.ui.message_log import MessageLog, Severity
from bulktui.ui.messages import (
    ActionFailed,
    JobAborted,
    JobClosed,
    JobCreated,
    JobLookedUp,
    Said,
)
from bulktui.ui.screens.main import MainScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from bulktui.ui.screens.confirm import ConfirmFacts
    from bulktui.ui.screens.job_detail import JobDetailScreen

# The dialogs and a job's detail load when first opened: a launch loads only what paints the
# job list.
_DETAIL_MODULE = "bulktui.ui.screens.job_detail"


def detail_screen(screen: Screen[object]) -> JobDetailScreen | None:
    """``screen`` when it is a job's detail, else None. Asked without importing the detail
    screen: no screen of a class that was never imported can be on the stack."""
    module = sys.modules.get(_DETAIL_MODULE)
    if module is not None and isinstance(screen, module.JobDetailScreen):
        return cast("JobDetailScreen", screen)
    return None


Action = Literal["close", "abort"]
PENDING_WORDS = {"close": "closing…", "abort": "aborting…", "create": "creating…"}
READ_ONLY_REASON = (
    "read-only: bulktui was started with --read-only, so closing, aborting and creating jobs "
    "are disabled"
)


class JobActionsApp(App[None]):
    """The console's state that actions and screens share, and the actions on jobs."""

    # The latest snapshot the poller published (screens and the header watch it).
    snapshot: var[Snapshot | None] = var(None, always_update=True)
    # The poller's status, read on every snapshot and clock tick.
    status: var[PollStatus | None] = var(None, always_update=True)
    # Job id → "aborting…" while its request runs; replaced (never mutated) on each change.
    pending: var[Mapping[str, str]] = var(MappingProxyType({}), always_update=True)
    # The newest message on the status line, and how serious it is.
    last_message: var[tuple[str, Severity] | None] = var(None, always_update=True)

    def __init__(self, backend: Backend, *, now: Callable[[], datetime], read_only: bool) -> None:
        super().__init__()
        self.backend = backend
        self.now = now
        self.read_only = read_only
        self.messages = MessageLog()
        self._last_spec: NewJobSpec | None = None  # the create under way, to re-offer if refused

    # ------------------------------------------------------------------ saying things

    def say(self, text: str, severity: Severity = "information") -> None:
        """One message: on the status line (wrapped where there is room), in the message log
        with its time, and for errors also as a toast (which would cover the status line and
        the table at 80x24 if every warning raised one)."""
        line = one_line(text)
        self.messages.add(self.now(), line, severity)
        self.last_message = (line, severity)
        if severity == "error":
            self.notify(line, severity=severity, timeout=10, markup=False)

    def on_said(self, message: Said) -> None:
        self.say(message.text, message.severity)

    # ------------------------------------------------------------------ what is selected

    @property
    def main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    @property
    def views(self) -> Mapping[str, JobView]:
        return self.snapshot.jobs if self.snapshot is not None else MappingProxyType({})

    def selected_job_id(self) -> str | None:
        """The job the keys act on: the detail's job, or the job list's cursor."""
        detail = detail_screen(self.screen)
        if detail is not None:
            return detail.job_id
        main = self.main
        return main.table.cursor_id if main else None

    def _set_pending(self, job_id: str, word: str | None) -> None:
        pending = dict(self.pending)
        if word is None:
            pending.pop(job_id, None)
        else:
            pending[job_id] = word
        self.pending = MappingProxyType(pending)

    # ------------------------------------------------------------------ close / abort

    def action_close_job(self) -> None:
        self._confirm("close", self.selected_job_id())

    def action_abort_job(self) -> None:
        self._confirm("abort", self.selected_job_id())

    def action_refuse_read_only(self) -> None:
        self.say(READ_ONLY_REASON, "warning")

    def action_ask_job_id(self, action: Action) -> None:
        self.ask_job_id(action)

    def ask_job_id(self, action: Action) -> None:
        """Palette "abort job… / close job…": ask for an id, then confirm."""
        if self.read_only:
            self.say(READ_ONLY_REASON, "warning")
            return

        def chosen(job_id: str | None) -> None:
            if job_id:
                self.confirm_by_id(action, job_id)

        from bulktui.ui.screens.job_id import JobIdModal

        self.push_screen(JobIdModal(action.capitalize()), chosen)

    def confirm_by_id(self, action: Action, job_id: str) -> None:
        """Palette: confirm an action on a job that may not be in the table yet."""
        if self.snapshot is not None and self.snapshot.view(job_id) is not None:
            self._confirm(action, job_id)
        else:
            self.say(f"looking up job {job_id}…")
            self._fetch_then_confirm(action, job_id)

    @work(group="lookup", exit_on_error=False)
    async def _fetch_then_confirm(self, action: Action, job_id: str) -> None:
        try:
            job = await self.backend.get_job(job_id)
        except Exception as exc:
            if is_missing_job(exc):
                reason = f"no such job in this org; nothing was {action_past(action)}"
            else:
                reason = (
                    f"could not look job {job_id} up: {describe(exc)}; "
                    f"nothing was {action_past(action)}"
                )
            self.post_message(ActionFailed(action, None, reason))
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
        view = view or (self.snapshot.view(job_id) if self.snapshot is not None else None)
        if view is None:
            self.say(f"job {job_id} is not known yet")
            return
        if job_id in self.pending:
            self.say(f"job {job_id}: {self.pending[job_id]} already")
            return
        if view.purged:
            self.say(f"job {job_id} was purged by Salesforce; nothing to {action}", "warning")
            return
        job_action = JobAction(action)
        refused = lifecycle.refusal(view.job, job_action)
        if refused is not None:
            self.say(f"job {job_id}: {refused} Nothing was sent.", "warning")
            return
        from bulktui.ui.screens.confirm import AbortJobModal, CloseJobModal

        modal_type = CloseJobModal if action == "close" else AbortJobModal
        modal = modal_type(view, self._confirm_facts(view))
        label = lifecycle.action_label(view.job, job_action)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._start(action, job_id)
            else:
                self.say(f"{label} cancelled; nothing was sent")

        self.push_screen(modal, answered)

    def _confirm_facts(self, view: JobView) -> ConfirmFacts:
        from bulktui.ui.screens.confirm import ConfirmFacts

        snapshot = self.snapshot
        names = snapshot.user_names if snapshot else None
        identity = snapshot.identity if snapshot else None
        status = self.status
        age = None
        if status is not None and status.link in (LinkState.DEGRADED, LinkState.STALE):
            age = fmt.ago(status.fetched_at, self.now()) if status.fetched_at else None
        return ConfirmFacts(
            owner=fmt.created_by(view.job, names),
            my_user_id=identity.user_id if identity else None,
            link=status.link if status else None,
            data_age=age,
        )

    def _start(self, action: Action, job_id: str) -> None:
        self._set_pending(job_id, PENDING_WORDS[action])
        self.say(f"{PENDING_WORDS[action]} job {job_id}")
        self._run_action(action, job_id)

    @work(group="actions", exit_on_error=False)
    async def _run_action(self, action: Action, job_id: str) -> None:
        try:
            if action == "close":
                outcome = await self.backend.close(job_id)
            else:
                outcome = await self.backend.abort(job_id)
        except Exception as exc:  # the runner reports API problems as outcomes; this is a bug
            self.post_message(ActionFailed(action, job_id, unexpected(exc), uncertain=True))
            return
        self._post_outcome(outcome)

    def _post_outcome(self, outcome: ActionOutcome) -> None:
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
        self._set_pending(job_id, None)
        self.say(message)

    def on_job_closed(self, message: JobClosed) -> None:
        self._action_done(message.job.id, message.text)

    def on_job_aborted(self, message: JobAborted) -> None:
        self._action_done(message.job.id, message.text)

    def on_job_created(self, message: JobCreated) -> None:
        self._action_done(message.job.id, message.text)
        main = self.main
        if main is not None and not main.select_when_listed(message.job.id):
            self.say(f"{message.text} The filter hides it.", "warning")
        self.backend.refresh_now()

    def on_action_failed(self, message: ActionFailed) -> None:
        if message.job_id:
            self._set_pending(message.job_id, None)
            self.backend.invalidate(message.job_id)
        self.backend.refresh_now()
        self.say(message.reason, "warning" if message.uncertain else "error")
        spec = self._last_spec
        if message.action == "create" and not message.uncertain and spec is not None:
            # Salesforce said no and nothing was created: let the user correct what they typed.
            # (Never after an uncertain create: it may exist, and a second would load twice.)
            self._last_spec = None
            self.open_new_job(spec, message.reason)

    # ------------------------------------------------------------------ create

    def action_new_job(self) -> None:
        self.open_new_job()

    def open_new_job(self, initial: NewJobSpec | None = None, error: str | None = None) -> None:
        """The new-job dialog; after a refusal, again with what was typed and why."""
        if self.read_only:
            self.say(READ_ONLY_REASON, "warning")
            return

        def chosen(spec: NewJobSpec | None) -> None:
            if spec is None:
                self.say("new job cancelled; nothing was sent")
                return
            self.say(f"creating a {spec.operation.value} job on {spec.object}…")
            self._last_spec = spec
            self._create(spec)

        from bulktui.ui.screens.new_job import NewJobModal

        self.push_screen(NewJobModal(initial, error), chosen)

    @work(group="actions", exit_on_error=False)
    async def _create(self, spec: NewJobSpec) -> None:
        try:
            outcome = await self.backend.create(spec)
        except Exception as exc:  # the runner reports API problems as outcomes; this is a bug
            self.post_message(ActionFailed("create", None, unexpected(exc), uncertain=True))
            return
        self._post_outcome(outcome)


def action_past(action: str) -> str:
    return {"close": "closed", "abort": "aborted", "create": "created"}.get(action, "done")


def unexpected(exc: BaseException) -> str:
    """A failure the action runner did not turn into an outcome: after a request may have
    been sent, it is never "not done"."""
    return one_line(
        f"unexpected error ({type(exc).__name__}: {describe(exc)}); it may or may not have "
        "happened: refreshing to find out, check before trying again"
    )
