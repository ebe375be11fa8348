"""The org the fault matrix runs against, and the checks every fault shares."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bulktui.api.enums import JobState
from bulktui.api.wire import format_datetime_xml
from bulktui.emulator import Engine
from bulktui.emulator.state import Job
from tests.reliability.console import T0, Console
from tests.support.emulator import running_job

ENDED = 20
OPEN = 8


def at(minutes_ago: float) -> str:
    return format_datetime_xml(T0 - timedelta(minutes=minutes_ago))


def busy_org(engine: Engine) -> list[dict[str, Any]]:
    """Twenty finished jobs, eight Open ones of the console's user (things to close and
    abort), and, created through the engine after seeding, two loads that really run."""
    done = {"state": "Completed", "numberRecordsProcessed": 500, "numberRecordsFailed": 7}
    specs: list[dict[str, Any]] = [
        {
            "object": "Account",
            "operation": "insert",
            "state": "Closed",
            "createdDate": at(60 + i),
            "batches": [{**done, "createdDate": at(60 + i), "systemModstamp": at(50 + i)}],
        }
        for i in range(ENDED)
    ]
    specs += [
        {"object": "Contact", "operation": "update", "state": "Open", "createdDate": at(10 + i)}
        for i in range(OPEN)
    ]
    return specs


def running(engine: Engine, *, rows: int = 3000, rate: float = 5.0, batches: int = 2) -> Job:
    """A load that processes ``rate`` records/s per batch on the engine's clock."""
    return running_job(engine, rows=rows, rate=rate, batches=batches)


def open_jobs(console: Console) -> list[str]:
    """Open jobs of the console's user that no action has touched yet, newest first."""
    user = console.engine.default_user.id
    found = [
        j
        for j in console.engine.jobs.values()
        if j.state is JobState.OPEN and j.created_by == user and j.object_name == "Contact"
    ]
    return [j.id for j in sorted(found, key=lambda j: j.created, reverse=True)]


# ------------------------------------------------------------------------------- the header

_LINK_WORD = re.compile(r"\b(live|degraded|stale|paused)\b")


def header_is_honest(console: Console) -> str:
    """The header's promise about the data holds; returns the link word it shows.

    - "live" only when the last cycle succeeded, and then the age is the true age;
    - otherwise "degraded" or "stale", together with the data's age in words.
    """
    header = console.header()
    match = _LINK_WORD.search(header)
    assert match, f"no link word in the header: {header!r}"
    word = match.group(1)
    status = console.backend.status()
    assert word == status.link.value, (header, status.link)
    assert console.age_words() in header, (header, console.age_words())
    if word == "live":
        assert status.problem is None, (header, status.problem)
    else:
        assert word in ("degraded", "stale"), header
        assert status.problem, "degraded or stale without saying why"
        assert status.problem[:30] in " ".join(console.top().split()), console.top()
    return word


def assert_current(console: Console) -> None:
    """What the console shows is what the server holds right now."""
    status = console.backend.status()
    assert status.link.value == "live", console.top()
    assert "● live" in console.header() and "0s ago" in console.header(), console.header()
    views = console.app.views
    for job in console.engine.jobs.values():
        view = views.get(job.id)
        assert view is not None, f"job {job.id} is missing from the table"
        assert not view.purged
        assert view.job.state == job.state, (job.id, view.job.state, job.state)
        if job.state in (JobState.OPEN, JobState.CLOSED) and view.job.has_counts:
            truth = console.engine.job_info(job)
            if _can_change(truth):
                assert view.job.number_records_processed == truth.number_records_processed, (
                    job.id,
                    view.job.number_records_processed,
                    truth.number_records_processed,
                )
    shown = console.app.main.table.row_count  # type: ignore[union-attr]
    assert shown == len(console.engine.jobs)


def _can_change(info: Any) -> bool:
    return bool((info.number_batches_queued or 0) + (info.number_batches_in_progress or 0))


# ------------------------------------------------------------------------------- actions

SUCCESS = {"close": "closed", "abort": "aborted"}
TARGET = {"close": JobState.CLOSED, "abort": JobState.ABORTED}


@dataclass
class ActionReport:
    action: str
    job_id: str
    server_state: JobState | None
    messages: list[tuple[str, str]]

    @property
    def verdict(self) -> str:
        return "applied" if self.server_state == TARGET[self.action] else "not applied"


def server_state(console: Console, job_id: str) -> JobState | None:
    job = console.engine.jobs.get(job_id)
    return job.state if job else None


def judge_action(
    action: str, job_id: str, state: JobState | None, said: Iterable[tuple[str, str]]
) -> ActionReport:
    """A close or abort ended visibly and truthfully:

    - the server shows the new state and the user was told so, or was told it *may* not have
      happened; or
    - the server does not show it and the user saw a warning or error saying it did not (or
      may not have) happened, with a way forward (retry / check / try again);
    - never a success the server does not show, never "nothing was done" when it was done,
      never silence.
    """
    mine = [(m, sev) for m, sev in said if job_id in m]
    report = ActionReport(action, job_id, state, mine)
    assert mine, f"{action} of {job_id}: the user was told nothing"
    final, severity = mine[-1]
    claims_success = severity == "information" and (
        f"{SUCCESS[action]}." in final or "now marked" in final
    )
    uncertain = "may not have happened" in final or "may or may not" in final
    denies = f"nothing was {SUCCESS[action]}" in final or f"was not {SUCCESS[action]}" in final
    if claims_success:
        assert state == TARGET[action], f"claimed {final!r} but the server shows {state}"
    elif state == TARGET[action]:
        assert uncertain and not denies, f"done on the server, yet the user read {final!r}"
    else:
        assert severity in ("warning", "error"), (final, severity)
        assert uncertain or denies, final
        assert re.search(r"retry|try again|check|log in again", final, re.IGNORECASE), final
    return report
