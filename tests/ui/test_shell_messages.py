"""What the console says is readable in full: wrapped on the status line, and in the log."""

from __future__ import annotations

from bulktui.ui.screens.message_log import MessageLogScreen
from tests.ui.harness import build, refresh, screen_text, started
from tests.ui.seeds import small_org

LONG = "the server said: " + " ".join(f"word{n}" for n in range(40)) + " THE-END"


async def test_a_long_message_wraps_on_the_status_line() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(80, 24)) as pilot:
        await started(pilot, h)
        h.app.say(LONG, "error")
        await pilot.pause()
        await pilot.pause()
        text = screen_text(h.app)
        assert "THE-END" in text or "word39" in text  # the end is on screen, not cut off


async def test_the_message_log_keeps_the_last_100_with_their_time() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        for n in range(130):
            h.app.say(f"message number {n}")
        h.app.say(LONG, "warning")
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(h.app.screen, MessageLogScreen)
        log = h.app.screen.plain
        assert "message number 29\n" not in log + "\n" and "message number 31" in log
        assert "warning: " + LONG in log  # in full
        assert "09:" in log or ":" in log.splitlines()[0][:8]
        assert len(log.splitlines()) == 100
        await pilot.press("escape")
        assert h.app.screen is h.app.main


async def test_the_pollers_problem_goes_to_the_log_once() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        h.transport.down = True
        h.clock.advance(10)
        await refresh(pilot, h)
        h.app._tick()
        await refresh(pilot, h)
        logged = [m.text for m in h.app.messages if "unreachable" in m.text]
        assert len(logged) == 1, logged
        assert logged[0].startswith(("degraded: ", "stale: "))
