"""The close/abort dialog shows what it knows: type, owner, warnings, the data's age, and the
2.0 words for a 2.0 job."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.models import JobInfo
from bulktui.core.snapshot import JobView
from bulktui.emulator import Engine
from bulktui.ui.screens.confirm import AbortJobModal, CloseJobModal
from tests.ui.harness import Harness, build, job_where, refresh, settle, started, wait_until
from tests.ui.seeds import at
from tests.ui.test_flows import select


def others_org(engine: Engine) -> list[dict[str, Any]]:
    grace = engine.add_user("grace@bulktui.example", "Grace Hopper")
    done = {"numberRecordsProcessed": 10, "numberRecordsFailed": 0, "createdDate": at(60)}
    return [
        {
            "object": "Account",
            "operation": "insert",
            "state": "Open",
            "createdDate": at(2),
            "createdById": grace.id,
        },
        {
            "object": "Lead",
            "operation": "delete",
            "state": "Closed",
            "createdDate": at(60),
            "batches": [{"state": "Completed", **done}],
        },
    ]


def dialog_text(h: Harness) -> str:
    return "\n".join(str(w.content) for w in h.app.screen.query(Static))


async def test_closing_someone_elses_open_job_shows_the_owner_and_warns() -> None:
    h = build(others_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await select(pilot, h, job_where(h, state="Open"))
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(h.app.screen, CloseJobModal))
        text = dialog_text(h)
        assert "owner" in text and "Grace Hopper" in text
        assert "You did not create this job" in text and "only its creator may close" in text
        assert "V1" in text


async def test_a_closed_job_whose_batches_are_done_has_nothing_left_to_abort() -> None:
    h = build(others_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await select(pilot, h, job_where(h, state="Closed"))
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(h.app.screen, AbortJobModal))
        text = dialog_text(h)
        assert "All its batches are done: nothing is left to abort." in text
        assert "You did not create" not in text


async def test_the_dialog_gives_the_datas_age_when_the_link_is_degraded() -> None:
    h = build(others_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        h.transport.down = True
        h.clock.advance(10)
        await refresh(pilot, h)
        await select(pilot, h, job_where(h, state="Open"))
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(h.app.screen, AbortJobModal))
        text = dialog_text(h)
        assert "The link is degraded" in text or "The link is stale" in text
        assert "10s ago" in text


def v2_view(state: JobState, job_type: JobType = JobType.V2_INGEST) -> JobView:
    job = JobInfo(
        id="7505g0000A9Nqq9AQC",
        operation=Operation.INSERT,
        object="Account",
        state=state,
        job_type=job_type,
    )
    return JobView(job=job)


async def test_c_on_an_open_2_0_ingest_job_is_mark_upload_complete() -> None:
    h = build()
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        h.app._confirm("close", "7505g0000A9Nqq9AQC", v2_view(JobState.OPEN))
        await wait_until(pilot, lambda: isinstance(h.app.screen, CloseJobModal))
        text = dialog_text(h)
        assert "Mark upload complete for this job?" in text
        assert "starts processing the uploaded data" in text
        assert "Mark upload complete (y)" in str(h.app.screen.query_one("#confirm").label)
        await pilot.press("n")
        await settle(pilot, h)
        assert "mark upload complete cancelled" in (h.app.last_message or ("", ""))[0]


async def test_a_works_on_every_state_2_0_allows() -> None:
    h = build()
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        for state in (JobState.OPEN, JobState.UPLOAD_COMPLETE, JobState.IN_PROGRESS):
            h.app._confirm("abort", "7505g0000A9Nqq9AQC", v2_view(state))
            await wait_until(pilot, lambda: isinstance(h.app.screen, AbortJobModal))
            await pilot.press("n")
            await settle(pilot, h)
        h.app._confirm("abort", "7505g0000A9Nqq9AQC", v2_view(JobState.JOB_COMPLETE))
        await pilot.pause()
        assert h.app.screen is h.app.main
        assert "cannot be aborted" in (h.app.last_message or ("", ""))[0]
