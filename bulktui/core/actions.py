"""Close, abort and create, with every ending spelt out: an action is never lost silently.

Each call returns one of three outcomes, never raises for an API problem:
- ``ActionSucceeded``: the server shows the new state (its JobInfo is attached);
- ``ActionRefused``: the server said no, or nothing was sent; nothing happened;
- ``ActionUncertain``: the request may or may not have taken effect; the user must check
  before retrying (a create is never resent on its own: it would load the data twice).

After any outcome the job is handed to the poller (``observe`` / ``invalidate``) so its row
shows what the server holds on the next paint or the next cycle.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bulktui.api.enums import ConcurrencyMode, ContentType, JobState, Operation
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    InvalidSessionError,
    QuotaExceededError,
    ReauthenticationError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.ids import InvalidIdError, parse_job_id
from bulktui.api.lifecycle import JobKind, has_counts, kind_of
from bulktui.api.models import JobInfo
from bulktui.core.faults import describe, is_missing_job
from bulktui.core.ports import ActionClient
from bulktui.core.text import one_line

log = logging.getLogger(__name__)


class Action(StrEnum):
    CLOSE = "close"
    ABORT = "abort"
    CREATE = "create"


@dataclass(frozen=True, slots=True)
class ActionSucceeded:
    action: Action
    job: JobInfo
    message: str  # plain words for a notification, e.g. "Job 750… aborted."

    @property
    def job_id(self) -> str:
        return self.job.id


@dataclass(frozen=True, slots=True)
class ActionRefused:
    action: Action
    job_id: str | None
    reason: str  # plain words: why nothing happened


@dataclass(frozen=True, slots=True)
class ActionUncertain:
    action: Action
    job_id: str | None
    reason: str  # plain words: what may have happened and what to check before retrying


ActionOutcome = ActionSucceeded | ActionRefused | ActionUncertain


class PollerHooks(Protocol):
    """What the runner tells the poller; ``Poller`` satisfies it."""

    def observe(self, job: JobInfo) -> None: ...

    def invalidate(self, job_id: str) -> None: ...


_ALREADY = re.compile(r"already\s+(\w+)\s+job", re.IGNORECASE)
_VERB = {Action.CLOSE: "closed", Action.ABORT: "aborted", Action.CREATE: "created"}
_TARGET = {Action.CLOSE: JobState.CLOSED, Action.ABORT: JobState.ABORTED}


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

    async def close(self, job_id: str) -> ActionOutcome:
        return await self._change(Action.CLOSE, job_id)

    async def abort(self, job_id: str) -> ActionOutcome:
        return await self._change(Action.ABORT, job_id)

    async def create(
        self,
        object: str,
        operation: Operation,
        *,
        content_type: ContentType = ContentType.CSV,
        external_id_field_name: str | None = None,
        concurrency_mode: ConcurrencyMode | None = None,
    ) -> ActionOutcome:
        what = f"{operation.value} job on {one_line(object)}"
        if self._read_only:
            return ActionRefused(Action.CREATE, None, _READ_ONLY)
        if operation is Operation.UPSERT and not external_id_field_name:
            return ActionRefused(
                Action.CREATE, None, "An upsert job needs an external id field; nothing was sent."
            )
        try:
            job = await self._client.create_job(
                object,
                operation,
                content_type=content_type,
                external_id_field_name=external_id_field_name or None,
                concurrency_mode=concurrency_mode,
            )
        except Exception as error:
            if _uncertain(error):
                return ActionUncertain(
                    Action.CREATE,
                    None,
                    f"The {what} may or may not have been created ({describe(error)}). "
                    "Look for it in the job list before creating it again.",
                )
            if not isinstance(error, ApiError | ReauthenticationError):
                log.exception("create job failed unexpectedly")
            return ActionRefused(
                Action.CREATE, None, f"The {what} was not created: {_refusal(error)}"
            )
        self._tell_poller(job.id, job)
        return ActionSucceeded(Action.CREATE, job, f"Created {what}: {job.id}.")

    # --------------------------------------------------------------------------------------

    async def _change(self, action: Action, raw_id: str) -> ActionOutcome:
        try:
            job_id = parse_job_id(raw_id)
        except InvalidIdError as error:
            return ActionRefused(action, None, f"{error}; nothing was sent.")
        if self._read_only:
            return ActionRefused(action, job_id, _READ_ONLY)
        call = self._client.close_job if action is Action.CLOSE else self._client.abort_job
        try:
            job = await call(job_id)
        except Exception as error:
            outcome = await self._explain(action, job_id, error)
            self._tell_poller(job_id, outcome.job if isinstance(outcome, ActionSucceeded) else None)
            return outcome
        self._tell_poller(job_id, job)
        return ActionSucceeded(action, job, _success_message(action, job))

    async def _explain(self, action: Action, job_id: str, error: Exception) -> ActionOutcome:
        verb = _VERB[action]
        if _uncertain(error):
            # Ask the server what happened: a GET is safe, and it may settle the doubt.
            current = await self._peek(job_id)
            if current is not None and current.state == _TARGET[action]:
                return ActionSucceeded(action, current, _success_message(action, current))
            shown = f" It shows as {current.state} now." if current and current.state else ""
            return ActionUncertain(
                action,
                job_id,
                f"The {action.value} of job {job_id} may not have happened ({describe(error)})."
                f"{shown} Check the job's state and retry.",
            )
        if isinstance(error, ApiError) and error.is_code("InvalidJobState"):
            return ActionRefused(action, job_id, await self._state_refusal(action, job_id, error))
        if is_missing_job(error):
            return ActionRefused(
                action,
                job_id,
                f"Job {job_id} was not found; Salesforce may have purged it. Nothing was {verb}.",
            )
        if isinstance(error, ApiError) and error.is_code("InvalidUser"):
            who = "only its creator can close it" if action is Action.CLOSE else "you may not"
            return ActionRefused(
                action,
                job_id,
                f"Salesforce refused: {who} ({describe(error)}). Nothing was {verb}.",
            )
        if not isinstance(error, ApiError | ReauthenticationError):
            log.exception("%s of %s failed unexpectedly", action.value, job_id)
        return ActionRefused(action, job_id, f"Job {job_id} was not {verb}: {_refusal(error)}")

    async def _state_refusal(self, action: Action, job_id: str, error: ApiError) -> str:
        """ "Aborting already Completed Job not allowed" → "job … had already completed"."""
        match = _ALREADY.search(error.server_message)
        state = match.group(1).lower() if match else None
        if state is None:
            current = await self._peek(job_id)
            state = str(current.state).lower() if current and current.state else None
        verb = _VERB[action]
        if state is None:
            return f"Salesforce refused to {action.value} job {job_id} ({describe(error)})."
        return f"Job {job_id} had already {_past(state)}; nothing was {verb}."

    async def _peek(self, job_id: str) -> JobInfo | None:
        try:
            return await self._client.get_job(job_id)
        except Exception as error:
            log.info("could not read job %s after a failed action: %s", job_id, describe(error))
            return None

    def _tell_poller(self, job_id: str, job: JobInfo | None) -> None:
        if self._poller is None:
            return
        if job is not None:
            self._poller.observe(job)
        self._poller.invalidate(job_id)  # counts move on after an abort: read it again


_READ_ONLY = "The console is read-only (--read-only); nothing was sent."


def _uncertain(error: BaseException) -> bool:
    """The request may have reached the server and taken effect."""
    if isinstance(error, AmbiguousResultError | TransportError | ResponseFormatError):
        return True
    return isinstance(error, ApiError) and error.status >= 500


def _refusal(error: BaseException) -> str:
    if isinstance(error, QuotaExceededError):
        return f"the org's API limit is reached ({describe(error)}). Try again later."
    if isinstance(error, InvalidSessionError | ReauthenticationError):
        return f"the session expired and could not be renewed ({describe(error)}). Log in again."
    return f"Salesforce refused ({describe(error)})."


def _past(state: str) -> str:
    """The state word of a refusal as a verb: "completed", "aborted", "closed", "failed"."""
    return {"complete": "completed", "jobcomplete": "completed"}.get(state, state)


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
    return f"Job {job.id} {_VERB[action]}.{state}"
