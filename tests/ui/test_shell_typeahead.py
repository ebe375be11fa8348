"""Keys typed ahead act in the order typed, or are reported; never dropped in silence."""

from __future__ import annotations

from bulktui.api.enums import JobState
from bulktui.ui.screens.confirm import AbortJobModal
from tests.ui.harness import build, settle, started, wait_until
from tests.ui.seeds import small_org
from tests.ui.test_flows import burst, table


async def test_j_a_y_j_a_y_aborts_two_jobs_in_the_order_typed() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        order = table(h).order
        # Newest first: two Open jobs, then a Closed one with batches left.
        first, second, third = order[:3]
        assert table(h).cursor_id == first
        burst(h, "jayjay")
        await wait_until(
            pilot,
            lambda: (
                h.engine.jobs[second].state is JobState.ABORTED
                and h.engine.jobs[third].state is JobState.ABORTED
            ),
        )
        await wait_until(pilot, lambda: not h.app.pending)
        await settle(pilot, h)
        assert h.engine.jobs[first].state is JobState.OPEN
        assert not isinstance(h.app.screen, AbortJobModal)


async def test_a_second_a_in_the_dialog_is_reported_not_silent() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(h.app.screen, AbortJobModal)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(h.app.screen, AbortJobModal)
        message = (h.app.last_message or ("", ""))[0]
        assert "'a' ignored" in message and "y confirms" in message
        await pilot.press("n")
        await settle(pilot, h)
        assert h.app.screen is h.app.main
