"""Keys typed ahead act in the order typed, or are reported; never dropped in silence."""

from __future__ import annotations

from pathlib import Path

from textual import events

from bulktui.api.enums import JobState
from bulktui.ui import app as app_module
from bulktui.ui.app import ConsoleApp
from bulktui.ui.screens.confirm import AbortJobModal
from tests.ui.harness import build, screen_text, settle, started, wait_until
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


class TypedAtLaunch(ConsoleApp):
    """The console with keys arriving as it starts: a fast typist, or a slow SSH link that
    delivers "/Lead⏎" in one burst before the job list is mounted."""

    CSS_PATH = str(Path(app_module.__file__).with_name("bulktui.tcss"))  # not beside this file

    def on_mount(self) -> None:
        super().on_mount()
        for ch in "/Lead":
            self.post_message(events.Key("slash" if ch == "/" else ch, ch))
        # Typed before the console took the terminal over, Enter arrives as a line feed.
        self.post_message(events.Key("ctrl+j", "\n"))


async def test_keys_typed_while_the_console_starts_act_once_it_is_ready() -> None:
    h = build(small_org)
    app = TypedAtLaunch(h.backend, now=h.clock.now)
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(pilot, lambda: "filter 'Lead'" in screen_text(app))
        assert not isinstance(app.screen, AbortJobModal)  # "a" was filter text, not abort
        main = app.main
        assert main is not None and main.table.row_count == 1  # the Lead job only
        assert "no job selected" not in screen_text(app)
        await pilot.press("j")  # the Enter ended the filter: keys move the cursor again
        await pilot.pause()
        assert "filter 'Lead'" in screen_text(app) and "Leadj" not in screen_text(app)
