"""The action runner's outcomes, against a fake client whose answers are scripted."""

from __future__ import annotations

import dataclasses

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    JobNotFoundError,
    QuotaExceededError,
    TransportError,
)
from bulktui.api.lifecycle import JobKind
from bulktui.api.models import JobInfo
from bulktui.core.actions import (
    Action,
    ActionOutcome,
    ActionRefused,
    ActionRunner,
    ActionSucceeded,
    ActionUncertain,
)

from .fakes import job, job_id


class ScriptedClient:
    """``current`` is what a GET shows; ``answer`` is what the close/abort/create returns."""

    def __init__(self, current: JobInfo | None, answer: JobInfo | BaseException) -> None:
        self.current = current
        self.answer = answer
        self.sent: list[str] = []
        self.kinds: list[JobKind | None] = []

    async def get_job(self, job_id: str, kind: JobKind | None = None) -> JobInfo:
        self.sent.append("get")
        if self.current is None:
            raise JobNotFoundError(404, "NOT_FOUND", "no such job")
        return self.current

    async def find_job(self, job_id: str) -> JobInfo:
        self.sent.append("find")
        if self.current is None:
            raise JobNotFoundError(404, "NOT_FOUND", "no such job")
        return self.current

    async def _reply(self, name: str, kind: JobKind | None = None) -> JobInfo:
        self.sent.append(name)
        self.kinds.append(kind)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer

    async def close_job(self, job_id: str, kind: JobKind = JobKind.V1) -> JobInfo:
        return await self._reply("close", kind)

    async def abort_job(self, job_id: str, kind: JobKind = JobKind.V1) -> JobInfo:
        return await self._reply("abort", kind)

    async def create_job(self, object: str, operation: Operation, **kw: object) -> JobInfo:
        return await self._reply("create")


class Hooks:
    """The poller's side: what it knows (``known``) and what it was told."""

    def __init__(self, known: JobInfo | None = None) -> None:
        self.known = known
        self.observed: list[JobInfo] = []
        self.invalidated: list[str] = []

    def known_job(self, job_id: str) -> JobInfo | None:
        return self.known if self.known is not None and self.known.id == job_id else None

    def observe(self, job: JobInfo) -> None:
        self.observed.append(job)

    def invalidate(self, job_id: str) -> None:
        self.invalidated.append(job_id)


J = job_id(1)


def runner(
    current: JobInfo | None, answer: JobInfo | BaseException, *, known: JobInfo | None = None
) -> tuple[ActionRunner, ScriptedClient, Hooks]:
    client = ScriptedClient(current, answer)
    hooks = Hooks(known)
    return ActionRunner(client, hooks), client, hooks


async def test_abort_succeeds_and_poller_is_told() -> None:
    open_job = job(1, JobState.OPEN, queued=2, total=3)
    aborted = dataclasses.replace(open_job, state=JobState.ABORTED, number_batches_queued=0)
    run, client, hooks = runner(open_job, aborted, known=open_job)
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionSucceeded) and outcome.job.state is JobState.ABORTED
    assert hooks.observed == [aborted] and hooks.invalidated == [J]
    assert "aborted" in outcome.message
    assert client.sent == ["abort"]  # the poller knew the kind: no look-up


async def test_without_a_view_the_kind_comes_from_find_job() -> None:
    open_job = job(1, JobState.OPEN, job_type=JobType.V2_INGEST)
    done = dataclasses.replace(open_job, state=JobState.UPLOAD_COMPLETE)
    run, client, _ = runner(open_job, done)
    outcome = await run.close(J)
    assert client.sent == ["find", "close"] and client.kinds == [JobKind.V2_INGEST]
    assert isinstance(outcome, ActionSucceeded)
    assert outcome.message == f"Job {J} marked upload complete. It is now UploadComplete."


async def test_an_unknown_id_is_no_such_job_and_nothing_is_sent() -> None:
    run, client, _ = runner(None, job(1))
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionRefused)
    assert outcome.reason == f"Job {J}: no such job in this org; nothing was aborted."
    assert client.sent == ["find"]


async def test_a_state_that_does_not_allow_it_is_refused_in_lifecycle_words() -> None:
    failed = job(1, JobState.FAILED)
    run, client, _ = runner(failed, failed)
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionRefused)
    assert outcome.reason == (
        f"Job {J}: Only an Open or Closed job can be aborted; this one is Failed. Nothing was sent."
    )
    query = job(1, JobState.IN_PROGRESS, job_type=JobType.V2_QUERY)
    run, client, _ = runner(query, query)
    outcome = await run.close(J)
    assert isinstance(outcome, ActionRefused) and "nothing to close" in outcome.reason
    assert client.sent == ["find"]


async def test_abort_of_a_finished_job_says_nothing_was_stopped() -> None:
    finished = job(1, JobState.CLOSED, total=4)
    run, _, _ = runner(finished, dataclasses.replace(finished, state=JobState.ABORTED))
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionSucceeded)
    assert "had already completed all 4 batches" in outcome.message


async def test_invalid_job_state_is_explained_from_the_job_as_it_is_now() -> None:
    error = ApiError(400, "INVALIDJOBSTATE", "Aborting already Completed Job not allowed")
    open_job = job(1, JobState.OPEN, queued=1)
    run, client, hooks = runner(job(1, JobState.ABORTED), error, known=open_job)
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionRefused)
    assert outcome.reason == (
        f"Job {J} had already changed, so nothing was aborted: "
        "Only an Open or Closed job can be aborted; this one is Aborted."
    )
    assert client.sent == ["abort", "get"]
    assert hooks.invalidated == [J]  # the row is refreshed


async def test_transport_error_confirmed_by_a_get_is_success() -> None:
    open_job = job(1, JobState.OPEN, queued=1)
    run, client, _ = runner(job(1, JobState.ABORTED), TransportError("reset"), known=open_job)
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionSucceeded)
    assert client.sent == ["abort", "get"]


async def test_a_reset_after_the_request_is_may_have_happened_with_how_to_check() -> None:
    open_job = job(1, JobState.OPEN, queued=1)
    run, _, _ = runner(open_job, TransportError("connection reset"), known=open_job)
    outcome = await run.close(J)
    assert isinstance(outcome, ActionUncertain)
    assert "may or may not have happened" in outcome.reason
    assert f"bulktui show {J}" in outcome.reason


async def test_an_unreadable_answer_after_sending_is_uncertain_never_not_done() -> None:
    # The parser refused a value in the server's answer: the abort may well have happened.
    open_job = job(1, JobState.OPEN, queued=1)
    for error in (ValueError("Infinity"), OverflowError("int too large"), KeyError("x")):
        run, _, _ = runner(open_job, error, known=open_job)
        outcome = await run.abort(J)
        assert isinstance(outcome, ActionUncertain), error
        assert "may or may not have happened" in outcome.reason


async def test_create_ambiguity_is_uncertain_and_never_resent() -> None:
    run, client, _ = runner(job(1), AmbiguousResultError("the job may or may not exist"))
    outcome = await run.create("Account", Operation.INSERT)
    assert isinstance(outcome, ActionUncertain) and outcome.action is Action.CREATE
    assert client.sent == ["create"]
    run, _, _ = runner(job(1), ValueError("Infinity in the answer"))
    outcome = await run.create("Account", Operation.INSERT)
    assert isinstance(outcome, ActionUncertain) and "may or may not" in outcome.reason


async def test_create_succeeds() -> None:
    created = job(1, JobState.OPEN)
    run, _, hooks = runner(created, created)
    outcome = await run.create("Account", Operation.INSERT)
    assert isinstance(outcome, ActionSucceeded) and outcome.job_id == J
    assert hooks.observed == [created]


async def test_refusals_send_nothing_when_they_can() -> None:
    run, client, _ = runner(job(1), job(1))
    bad = await run.abort("750-not-an-id")
    assert isinstance(bad, ActionRefused) and "nothing was sent" in bad.reason
    upsert = await run.create("Account", Operation.UPSERT)
    assert isinstance(upsert, ActionRefused) and "external id" in upsert.reason
    name = await run.create("Account; DROP", Operation.INSERT)
    assert isinstance(name, ActionRefused) and "is not an API name" in name.reason
    pasted = await run.create("A" * 5_000, Operation.INSERT)  # a paragraph pasted by mistake
    assert isinstance(pasted, ActionRefused) and "at most 80" in pasted.reason
    assert len(pasted.reason) < 200
    ro = ActionRunner(client, read_only=True)
    assert isinstance(await ro.abort(J), ActionRefused)
    assert client.sent == []
    await run.create("ns__" + "A" * 73 + "__c", Operation.INSERT)  # 80 characters: may be real
    assert client.sent == ["create"]


async def test_quota_is_a_refusal() -> None:
    error = QuotaExceededError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    run, _, _ = runner(job(1), error, known=job(1))
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionRefused) and "API limit" in outcome.reason


async def test_missing_job_is_refused_plainly() -> None:
    error = ApiError(400, "InvalidJob", "Unable to find job")
    run, _, _ = runner(job(1), error, known=job(1))
    outcome = await run.abort(J)
    assert isinstance(outcome, ActionRefused) and "may have purged it" in outcome.reason


async def test_listeners_hear_every_outcome_with_its_origin() -> None:
    open_job = job(1, JobState.OPEN, queued=1)
    run, _, _ = runner(open_job, dataclasses.replace(open_job, state=JobState.ABORTED))
    heard: list[ActionOutcome] = []
    run.add_listener(heard.append)
    remove = run.add_listener(lambda outcome: 1 / 0)  # a broken listener changes nothing
    first = await run.abort(J, origin="rule", rule="stop-stuck-jobs")
    remove()
    second = await run.abort("bad id")
    assert heard == [first, second]
    assert (first.origin, first.rule) == ("rule", "stop-stuck-jobs")
    assert (second.origin, second.rule) == ("console", None)
