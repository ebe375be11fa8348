"""Pilot tests of every console flow, against the in-process emulator."""

from __future__ import annotations

from bulktui.api.enums import JobState
from bulktui.ui.screens.confirm import AbortJobModal
from bulktui.ui.widgets.job_table import JobTable
from tests.ui.harness import build, screen_text, started
from tests.ui.seeds import small_org


async def test_table_lists_jobs_newest_first() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        table = h.app.screen.query_one(JobTable)
        created = [h.engine.jobs[j].created for j in table.order]
        assert created == sorted(created, reverse=True)
        text = screen_text(h.app)
        assert "Olivia Ops" in text and "Grace Hopper" in text
        assert "○ Open" in text and "× Aborted" in text and "! Failed" in text
        print(text)


async def test_abort_confirmed_with_y() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        table = h.app.screen.query_one(JobTable)
        job_id = table.cursor_id
        assert job_id is not None
        await pilot.press("a")
        assert isinstance(h.app.screen, AbortJobModal)
        await pilot.press("y")
        await pilot.pause(0.3)
        assert h.engine.jobs[job_id].state is JobState.ABORTED
        print(screen_text(h.app))
