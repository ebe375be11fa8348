"""The action runner's outcomes, against a fake client whose answers are scripted."""

from __future__ import annotations

import dataclasses

from bulktui.api.enums import JobState, Operation
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    QuotaExceededError,
    TransportError,
)
from bulktui.api.models import JobInfo
from bulktui.core.actions import (
    Action,
    ActionRefused,
    ActionRunner,
    ActionSucceeded,
    ActionUncertain,
)

from .fakes import job, job_id


class ScriptedClient:
    def __init__(self, current: JobInfo, answer: JobInfo | BaseException) -> None:
        self.current = current
        self.answer = answer
        self.sent: list[str] = []

    async def get_job(self, job_id: str) -> JobInfo:
        self.sent.append("get")
        return self.current

    async def _reply(self, name: str) -> JobInfo:
        self.sent.append(name)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer

    async def close_job(self, job_id: str) -> JobInfo:
        return await self._reply("close")

    async def abort_job(self, job_id: str) -> JobInfo:
        return await self._reply("abort")

    async def create_job(self, object: str, operation: Operation, **kw: object) -> JobInfo:
        return await self._reply("create")


class Hooks:
    def __init__(self) -> None:
        self.observed: list[JobInfo] = []
        self.invalidated: list[str] = []

    def observe(self, job: JobInfo) -> None:
        self.observed.append(job)

    def invalidate(self, job_id: str) -> None:
        self.invalidated.append(job_id)


J = job_id(1)
REAL_ID = J


def runner(
    current: JobInfo, answer: JobInfo | BaseException
) -> tuple[ActionRunner, ScriptedClient, Hooks]:
    client = ScriptedClient(current, answer)
    hooks = Hooks()
    return ActionRunner(client, hooks), client, hooks  # type: ignore[arg-type]


def real(info: JobInfo, **changes: object) -> JobInfo:
    return dataclasses.replace(info, id=REAL_ID, **changes)  # type: ignore[arg-type]


async def test_abort_succeeds_and_poller_is_told() -> None:
    open_job = real(job(1, JobState.OPEN, queued=2, total=3))
    aborted = dataclasses.replace(open_job, state=JobState.ABORTED, number_batches_queued=0)
    run, _, hooks = runner(open_job, aborted)
    outcome = await run.abort(REAL_ID)
    assert isinstance(outcome, ActionSucceeded) and outcome.job.state is JobState.ABORTED
    assert hooks.observed == [aborted] and hooks.invalidated == [REAL_ID]
    assert "aborted" in outcome.message


async def test_abort_of_a_finished_job_says_nothing_was_stopped() -> None:
    finished = real(job(1, JobState.CLOSED, total=4))
    run, _, _ = runner(finished, dataclasses.replace(finished, state=JobState.ABORTED))
    outcome = await run.abort(REAL_ID)
    assert isinstance(outcome, ActionSucceeded)
    assert "had already completed all 4 batches" in outcome.message


async def test_invalid_job_state_becomes_already_completed() -> None:
    error = ApiError(400, "INVALIDJOBSTATE", "Aborting already Completed Job not allowed")
    run, _, hooks = runner(real(job(1)), error)
    outcome = await run.abort(REAL_ID)
    assert isinstance(outcome, ActionRefused)
    assert outcome.reason == f"Job {REAL_ID} had already completed; nothing was aborted."
    assert hooks.invalidated == [REAL_ID]  # the row is refreshed


async def test_invalid_job_state_without_state_word_asks_the_server() -> None:
    error = ApiError(400, "InvalidJobState", "Job is not in a valid state")
    run, client, _ = runner(real(job(1, JobState.FAILED)), error)
    outcome = await run.close(REAL_ID)
    assert isinstance(outcome, ActionRefused)
    assert "had already failed; nothing was closed" in outcome.reason
    assert client.sent == ["close", "get"]


async def test_transport_error_confirmed_by_a_get_is_success() -> None:
    aborted = real(job(1, JobState.ABORTED))
    run, client, _ = runner(aborted, TransportError("connection reset"))
    outcome = await run.abort(REAL_ID)
    assert isinstance(outcome, ActionSucceeded)
    assert client.sent == ["abort", "get"]


async def test_transport_error_not_confirmed_is_uncertain() -> None:
    run, _, _ = runner(real(job(1, JobState.OPEN, queued=1)), TransportError("timed out"))
    outcome = await run.close(REAL_ID)
    assert isinstance(outcome, ActionUncertain)
    assert "may not have happened" in outcome.reason and "retry" in outcome.reason


async def test_create_ambiguity_is_uncertain_and_never_resent() -> None:
    run, client, _ = runner(real(job(1)), AmbiguousResultError("the job may or may not exist"))
    outcome = await run.create("Account", Operation.INSERT)
    assert isinstance(outcome, ActionUncertain) and outcome.action is Action.CREATE
    assert client.sent == ["create"]


async def test_create_succeeds() -> None:
    created = real(job(1, JobState.OPEN))
    run, _, hooks = runner(created, created)
    outcome = await run.create("Account", Operation.INSERT)
    assert isinstance(outcome, ActionSucceeded) and outcome.job_id == REAL_ID
    assert hooks.observed == [created]


async def test_refusals_send_nothing_when_they_can() -> None:
    run, client, _ = runner(real(job(1)), real(job(1)))
    bad = await run.abort("750-not-an-id")
    assert isinstance(bad, ActionRefused) and "nothing was sent" in bad.reason
    upsert = await run.create("Account", Operation.UPSERT)
    assert isinstance(upsert, ActionRefused) and "external id" in upsert.reason
    ro = ActionRunner(client, read_only=True)  # type: ignore[arg-type]
    assert isinstance(await ro.abort(REAL_ID), ActionRefused)
    assert client.sent == []


async def test_quota_is_a_refusal() -> None:
    error = QuotaExceededError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    run, _, _ = runner(real(job(1)), error)
    outcome = await run.abort(REAL_ID)
    assert isinstance(outcome, ActionRefused) and "API limit" in outcome.reason


async def test_missing_job_is_refused_plainly() -> None:
    run, _, _ = runner(real(job(1)), ApiError(400, "InvalidJob", "Unable to find job"))
    outcome = await run.abort(REAL_ID)
    assert isinstance(outcome, ActionRefused) and "may have purged it" in outcome.reason
