"""The one lifecycle rule: kind, liveness and allowed actions for every kind and state."""

from __future__ import annotations

import pytest

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.lifecycle import (
    JobAction,
    JobKind,
    Liveness,
    action_label,
    allowed_actions,
    kind_of,
    liveness,
    refusal,
)
from bulktui.api.models import JobInfo

ID = "7505g00000ABCDEAA4"


def job(state: str, job_type: str | None = None, **kw: object) -> JobInfo:
    return JobInfo(
        id=ID,
        state=JobState(state),
        job_type=JobType(job_type) if job_type else None,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("state", "job_type", "operation", "kind"),
    [
        ("Open", "Classic", "insert", JobKind.V1),
        ("Open", None, "insert", JobKind.V1),  # a 1.0 GET carries no jobType
        ("Open", "V2Ingest", "insert", JobKind.V2_INGEST),
        ("JobComplete", "V2Query", "query", JobKind.V2_QUERY),
        ("InProgress", None, "upsert", JobKind.V2_INGEST),
        ("UploadComplete", None, "queryAll", JobKind.V2_QUERY),
        ("Open", "BigObjectIngest", "insert", JobKind.V1),
    ],
)
def test_kind(state: str, job_type: str | None, operation: str, kind: JobKind) -> None:
    assert kind_of(job(state, job_type, operation=Operation(operation))) is kind


def test_v1_closed_job_is_live_while_batches_pending() -> None:
    row = job("Closed", "Classic")
    assert liveness(row) is Liveness.UNKNOWN
    pending = job("Closed", "Classic", number_batches_total=3, number_batches_queued=1)
    assert liveness(pending) is Liveness.LIVE
    done = job("Closed", "Classic", number_batches_total=3, number_batches_completed=3)
    assert liveness(done) is Liveness.ENDED


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("Open", Liveness.LIVE),
        ("UploadComplete", Liveness.LIVE),
        ("InProgress", Liveness.LIVE),
        ("JobComplete", Liveness.ENDED),
        ("Failed", Liveness.ENDED),
        ("Aborted", Liveness.ENDED),
    ],
)
def test_v2_liveness_needs_no_counts(state: str, expected: Liveness) -> None:
    assert liveness(job(state, "V2Ingest")) is expected


def test_unknown_state_is_read() -> None:
    assert liveness(job("Pausing", "V2Ingest")) is Liveness.UNKNOWN
    assert allowed_actions(job("Pausing", "V2Ingest")) == frozenset()


@pytest.mark.parametrize(
    ("state", "job_type", "allowed"),
    [
        ("Open", "Classic", {JobAction.CLOSE, JobAction.ABORT}),
        ("Closed", "Classic", {JobAction.ABORT}),
        ("Aborted", "Classic", set()),
        ("Failed", "Classic", set()),
        ("Open", "V2Ingest", {JobAction.CLOSE, JobAction.ABORT}),
        ("UploadComplete", "V2Ingest", {JobAction.ABORT}),
        ("InProgress", "V2Ingest", {JobAction.ABORT}),
        ("JobComplete", "V2Ingest", set()),
        ("UploadComplete", "V2Query", {JobAction.ABORT}),
        ("InProgress", "V2Query", {JobAction.ABORT}),
        ("JobComplete", "V2Query", set()),
    ],
)
def test_allowed_actions(state: str, job_type: str, allowed: set[JobAction]) -> None:
    subject = job(state, job_type)
    assert allowed_actions(subject) == allowed
    for action in JobAction:
        assert (refusal(subject, action) is None) == (action in allowed)


def test_labels() -> None:
    assert action_label(job("Open", "V2Ingest"), JobAction.CLOSE) == "mark upload complete"
    assert action_label(job("Open", "Classic"), JobAction.CLOSE) == "close"
    assert "nothing to close" in (refusal(job("InProgress", "V2Query"), JobAction.CLOSE) or "")
