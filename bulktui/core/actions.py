"""Close, abort and create, with every ending spelt out: an action is never lost silently.

Each call returns one of three outcomes and never raises for an API problem:
- ``ActionSucceeded``: the server shows the new state (its JobInfo is attached);
- ``ActionRefused``: the server said no, or nothing was sent; nothing happened;
- ``ActionUncertain``: the request was sent and the answer is not the server's definite word
  (a reset, a 5xx, an answer that could not be read): it may or may not have happened, and
  the user must check before retrying (a create is never resent: it would load data twice).

The console, the one-shot commands and rules all act through this runner, so "uncertain"
means the same everywhere. Which actions a job allows, and the words for a refusal, come
from ``bulktui.api.lifecycle``; the job's kind (which endpoint) from the poller's view or
``client.find_job``. Every outcome goes to the listeners (a journal, a log) with where the
action came from. After any outcome the poller is told (``observe``/``invalidate``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from bulktui.api.enums import ConcurrencyMode, ContentType, JobState, Operation
from bulktui.api.errors import (
    ApiError,
    BulkError,
    InvalidSessionError,
    JobNotFoundError,
    QuotaExceededError,
    ReauthenticationError,
)
from bulktui.api.ids import InvalidIdError, parse_job_id
from bulktui.api.lifecycle import (
    JobAction,
    JobKind,
    action_label,
    has_counts,
    kind_of,
    refusal,
)
from bulktui.api.models import JobInfo
from bulktui.core.faults import describe, is_missing_job
from bulktui.core.jobspec import NewJobSpec, validate_new_job
from bulktui.core.ports import ActionClient
from bulktui.text import one_line

log = logging.getLogger(__name__)

Origin = Literal["console", "cli", "rule"]


class Action(StrEnum):
    CLOSE = "close"
    ABORT = "abort"
    CREATE = "create"


@dataclass(frozen=True, slots=True)
class ActionSucceeded:
    action: Action
    job: JobInfo
    message: str  # plain words for a notification, e.g. "Job 750… aborted."
    origin: Origin = "console"
    rule: str | None = None  # the rule that acted, when origin is "rule"

    @property
    def job_id(self) -> str:
        return self.job.id


@dataclass(frozen=True, slots=True)
class ActionRefused:
    action: Action
    job_id: str | None
    reason: str  # plain words: why nothing happened
    origin: Origin = "console"
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class ActionUncertain:
    action: Action
    job_id: str | None
    reason: str  # plain words: what may have happened and what to check before retrying
    origin: Origin = "console"
    rule: str | None = None


ActionOutcome = ActionSucceeded | ActionRefused | ActionUncertain
OutcomeListener = Callable[[ActionOutcome], None]


class PollerHooks(Protocol):
    """What the runner asks and tells the poller; ``Poller`` satisfies it."""

    def known_job(self, job_id: str) -> JobInfo | None: ...

    def observe(self, job: JobInfo) -> None: ...

    def invalidate(self, job_id: str) -> None: ...


_JOB_ACTION = {Action.CLOSE: JobAction.CLOSE, Action.ABORT: JobAction.ABORT}
_READ_ONLY = "The console is read-only (--read-only); nothing was sent."


class ActionRunner:
    def __init__(
        self,
        client: ActionClient,
        poller: PollerHooks | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._client = client
        self._poller = poller
        self._read_only = read_only
        self._listeners: list[OutcomeListener] = []

    def add_listener(self, listener: OutcomeListener) -> Callable[[], None]:
        """Hear every outcome (a journal, a log); returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    async def close(
        self,
        job_id: str,
        *,
        origin: Origin = "console",
        rule: str | None = None,
        known: JobInfo | None = None,
    ) -> ActionOutcome:
        """Close a 1.0 job, or mark a 2.0 ingest job upload complete. ``known``: the job as
        just read (the CLI's confirmation), so its kind need not be looked up again."""
        outcome = await self._change(Action.CLOSE, job_id, known)
        return self._tell(outcome, origin, rule)

    async def abort(
        self,
        job_id: str,
        *,
        origin: Origin = "console",
        rule: str | None = None,
        known: JobInfo | None = None,
    ) -> ActionOutcome:
        outcome = await self._change(Action.ABORT, job_id, known)
        return self._tell(outcome, origin, rule)

    async def look_up(self, job_id: str, action: Action) -> JobInfo | ActionRefused:
        """The job as the server holds it now, or why ``action`` cannot be sent to it (an
        unknown id, a state that does not allow it). Sends nothing but reads."""
        try:
            parsed = parse_job_id(job_id)
        except InvalidIdError as error:
            return ActionRefused(action, None, f"{error}; nothing was sent.")
        found = await self._find(action, parsed)
        if isinstance(found, JobInfo):
            why = refusal(found, _JOB_ACTION[action])
            if why is not None:
                return ActionRefused(action, parsed, f"Job {parsed}: {why} Nothing was sent.")
        return found

    async def create(
        self,
        object: str,
        operation: Operation,
        *,
        content_type: ContentType = ContentType.CSV,
        external_id_field_name: str | None = None,
        concurrency_mode: ConcurrencyMode | None = None,
        origin: Origin = "console",
        rule: str | None = None,
    ) -> ActionOutcome:
        spec = validate_new_job(
            object,
            operation.value,
            content_type.value,
            external_id_field_name or "",
            concurrency_mode.value if concurrency_mode is not None else "",
        )
        outcome = await self._create(spec, object, operation)
        return self._tell(outcome, origin, rule)

    # --------------------------------------------------------------------------------------

    def _tell(self, outcome: ActionOutcome, origin: Origin, rule: str | None) -> ActionOutcome:
        if origin != "console" or rule is not None:
            outcome = _with_origin(outcome, origin, rule)
        for listener in tuple(self._listeners):
            try:
                listener(outcome)
            except Exception:  # a broken journal must not hide the outcome from the user
                log.exception("action listener %r failed", listener)
        return outcome

    async def _create(
        self, spec: NewJobSpec | str, object: str, operation: Operation
    ) -> ActionOutcome:
        what = f"{operation.value} job on {one_line(object)}"
        if self._read_only:
            return ActionRefused(Action.CREATE, None, _READ_ONLY)
        if isinstance(spec, str):
            return ActionRefused(Action.CREATE, None, f"{spec}; nothing was sent.")
        try:
            job = await self._client.create_job(
                spec.object,
                spec.operation,
                content_type=spec.content_type,
                external_id_field_name=spec.external_id_field_name,
                concurrency_mode=spec.concurrency_mode,
            )
        except Exception as error:
            if not _definite(error):
                if not isinstance(error, BulkError):
                    log.exception("create job failed unexpectedly")
                return ActionUncertain(
                    Action.CREATE,
                    None,
                    f"The {what} may or may not have been created ({describe(error)}). "
                    "Look for it in the job list (bulktui jobs) before creating it again.",
                )
            return ActionRefused(
                Action.CREATE, None, f"The {what} was not created: {_server_refusal(error)}"
            )
        self._tell_poller(job.id, job)
        return ActionSucceeded(Action.CREATE, job, f"Created {what}: {job.id}.")

    async def _change(self, action: Action, raw_id: str, known: JobInfo | None) -> ActionOutcome:
        try:
            job_id = parse_job_id(raw_id)
        except InvalidIdError as error:
            return ActionRefused(action, None, f"{error}; nothing was sent.")
        if self._read_only:
            return ActionRefused(action, job_id, _READ_ONLY)
        if known is None and self._poller is not None:
            known = self._poller.known_job(job_id)
        if known is None:
            found = await self._find(action, job_id)
            if isinstance(found, ActionRefused):
                return found
            why = refusal(found, _JOB_ACTION[action])
            if why is not None:  # fresh from the server: it would refuse too
                self._tell_poller(job_id, found)
                return ActionRefused(action, job_id, f"Job {job_id}: {why} Nothing was sent.")
            known = found
        kind = kind_of(known)
        call = self._client.close_job if action is Action.CLOSE else self._client.abort_job
        try:
            job = await call(job_id, kind)
        except Exception as error:
            outcome = await self._explain(action, known, error)
            self._tell_poller(job_id, outcome.job if isinstance(outcome, ActionSucceeded) else None)
            return outcome
        self._tell_poller(job_id, job)
        return ActionSucceeded(action, job, _success_message(action, job))

    async def _find(self, action: Action, job_id: str) -> JobInfo | ActionRefused:
        verb = _past(action, None)
        try:
            return await self._client.find_job(job_id)
        except JobNotFoundError:
            return ActionRefused(
                action, job_id, f"Job {job_id}: no such job in this org; nothing was {verb}."
            )
        except Exception as error:
            if is_missing_job(error):
                return ActionRefused(
                    action, job_id, f"Job {job_id}: no such job in this org; nothing was {verb}."
                )
            if not isinstance(error, BulkError):
                log.exception("looking up job %s failed unexpectedly", job_id)
            return ActionRefused(
                action,
                job_id,
                f"Could not look up job {job_id} ({describe(error)}); nothing was {verb}.",
            )

    async def _explain(self, action: Action, known: JobInfo, error: Exception) -> ActionOutcome:
        job_id = known.id
        label = action_label(known, _JOB_ACTION[action])
        verb = _past(action, known)
        if not _definite(error):
            if not isinstance(error, BulkError):
                log.exception("%s of %s failed unexpectedly", action.value, job_id)
            # Ask the server what happened: a GET is safe, and it may settle the doubt.
            current = await self._peek(job_id, kind_of(known))
            if current is not None and _reached(action, known, current):
                return ActionSucceeded(action, current, _success_message(action, current))
            shown = f" It shows as {current.state} now." if current and current.state else ""
            return ActionUncertain(
                action,
                job_id,
                f"The request to {label} job {job_id} was sent, but it may or may not have "
                f"happened ({describe(error)}).{shown} Check its state (bulktui show {job_id}) "
                "before trying again.",
            )
        if isinstance(error, ApiError) and error.is_code("InvalidJobState"):
            current = await self._peek(job_id, kind_of(known))
            why = refusal(current, _JOB_ACTION[action]) if current is not None else None
            if current is not None and why is not None:
                # Someone (or the job itself) moved it on between our view and the request.
                return ActionRefused(
                    action,
                    job_id,
                    f"Job {job_id} had already changed, so nothing was {verb}: {why}",
                )
            return ActionRefused(
                action,
                job_id,
                f"Salesforce refused to {label} job {job_id} ({describe(error)}); "
                f"nothing was {verb}.",
            )
        if is_missing_job(error):
            return ActionRefused(
                action,
                job_id,
                f"Job {job_id} was not found; Salesforce may have purged it. Nothing was {verb}.",
            )
        if isinstance(error, ApiError) and error.is_code("InvalidUser"):
            who = f"only its creator can {label} it" if action is Action.CLOSE else "you may not"
            return ActionRefused(
                action,
                job_id,
                f"Salesforce refused: {who} ({describe(error)}). Nothing was {verb}.",
            )
        return ActionRefused(
            action, job_id, f"Job {job_id} was not {verb}: {_server_refusal(error)}"
        )

    async def _peek(self, job_id: str, kind: JobKind) -> JobInfo | None:
        try:
            return await self._client.get_job(job_id, kind)
        except Exception as error:
            log.info("could not read job %s after a failed action: %s", job_id, describe(error))
            return None

    def _tell_poller(self, job_id: str, job: JobInfo | None) -> None:
        if self._poller is None:
            return
        if job is not None:
            self._poller.observe(job)
        self._poller.invalidate(job_id)  # counts move on after an abort: read it again


def _definite(error: BaseException) -> bool:
    """The server's own answer that it did not do it: a 4xx error body, or a session that
    could not be renewed (the request was refused for it). Anything else after a request was
    sent (a reset, a 5xx, an answer that could not be read, a bug) leaves it open."""
    if isinstance(error, ReauthenticationError):
        return True
    return isinstance(error, ApiError) and error.status < 500


def _reached(action: Action, before: JobInfo, current: JobInfo) -> bool:
    """Whether ``current`` shows the action done (after an answer that did not say)."""
    if action is Action.ABORT:
        return current.state is JobState.ABORTED
    if kind_of(before) is JobKind.V1:
        return current.state is JobState.CLOSED
    # 2.0 ingest: upload complete, or already processing or done.
    return current.state is not None and current.state is not JobState.OPEN


def _server_refusal(error: BaseException) -> str:
    if isinstance(error, QuotaExceededError):
        return f"the org's API limit is reached ({describe(error)}). Try again later."
    if isinstance(error, ReauthenticationError) and error.says_fix:
        return f"the session expired and could not be renewed: {describe(error)}"
    if isinstance(error, InvalidSessionError | ReauthenticationError):
        return f"the session expired and could not be renewed ({describe(error)}). Log in again."
    return f"Salesforce refused ({describe(error)})."


def _past(action: Action, job: JobInfo | None) -> str:
    if action is Action.CLOSE and job is not None and kind_of(job) is JobKind.V2_INGEST:
        return "marked upload complete"
    return {Action.CLOSE: "closed", Action.ABORT: "aborted", Action.CREATE: "created"}[action]


def _with_origin(outcome: ActionOutcome, origin: Origin, rule: str | None) -> ActionOutcome:
    if isinstance(outcome, ActionSucceeded):
        return ActionSucceeded(outcome.action, outcome.job, outcome.message, origin, rule)
    if isinstance(outcome, ActionRefused):
        return ActionRefused(outcome.action, outcome.job_id, outcome.reason, origin, rule)
    return ActionUncertain(outcome.action, outcome.job_id, outcome.reason, origin, rule)


def _success_message(action: Action, job: JobInfo) -> str:
    if (
        action is Action.ABORT
        and kind_of(job) is JobKind.V1
        and has_counts(job)
        and job.batches_pending == 0
    ):
        done = (job.number_batches_completed or 0) + (job.number_batches_failed or 0)
        total = job.number_batches_total or 0
        if total and done == total:
            # 1.0 lets a finished Closed job be aborted: say that nothing was stopped.
            return (
                f"Job {job.id} had already completed all {total} batches; it is now marked "
                "Aborted, but nothing was stopped."
            )
    state = f" It is now {job.state}." if job.state else ""
    return f"Job {job.id} {_past(action, job)}.{state}"
