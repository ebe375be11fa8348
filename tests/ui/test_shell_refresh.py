"""r, p and y say what really happened."""

from __future__ import annotations

from tests.ui.harness import build, screen_text, settle, started, wait_until
from tests.ui.seeds import small_org
from tests.ui.test_flows import table


def said(h: object) -> str:
    return (h.app.last_message or ("", ""))[0]  # type: ignore[attr-defined]


async def test_r_while_paused_refreshes_once_and_stays_paused() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("p")
        await pilot.pause()
        assert h.backend.poller.paused
        cycle = h.status_cycle()
        h.clock.advance(1)  # time moves between two cycles
        await pilot.press("r")
        await wait_until(pilot, lambda: h.status_cycle() > cycle and h.backend.poller.paused)
        await wait_until(pilot, lambda: "refreshed at" in said(h))
        await settle(pilot, h)
        assert h.status_cycle() == cycle + 1  # exactly one cycle
        assert h.backend.poller.paused and h.app.paused
        assert "‖ paused" in screen_text(h.app).splitlines()[0]
        assert "refreshing" not in screen_text(h.app).splitlines()[-2]


async def test_r_says_when_the_refresh_is_done() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        h.clock.advance(1)
        await pilot.press("r")
        # "refreshing now…" may already be gone on a fast loopback: what matters is that the
        # status never stays on it.
        await wait_until(pilot, lambda: "refreshed at" in said(h))
        assert "refreshing" not in said(h)


async def test_y_says_the_id_was_sent_with_osc_52_and_how_tmux_allows_it() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = table(h).cursor_id
        await pilot.press("y")
        assert h.app.clipboard == job_id
        assert "sent" in said(h) and "OSC 52" in said(h)
        assert "set -g set-clipboard on" in said(h)
        assert "copied" not in said(h)


async def test_y_copies_only_a_valid_id() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        h.app.copy_to_clipboard("before")
        h.app.selected_job_id = lambda: "750\x1b]52;c;$(rm -rf ~)\x07"  # type: ignore[method-assign]
        await pilot.press("y")
        assert h.app.clipboard == "before"
        assert "not copied" in said(h) and "\x1b" not in said(h)


def test_a_refresh_ends_with_new_data_or_when_the_next_cycle_begins() -> None:
    from datetime import timedelta

    from bulktui.core.snapshot import LinkState, PollStatus
    from bulktui.ui.live_controls import refresh_result
    from tests.ui.harness import T0

    def status(cycle: int, fetched: int, link: LinkState = LinkState.LIVE) -> PollStatus:
        at = T0 + timedelta(seconds=fetched)
        return PollStatus(link, at, None, None, cycle, 0, None)

    was = status(4, 0, LinkState.PAUSED)
    assert refresh_result(was, status(4, 0), 4) is None  # not started
    assert refresh_result(was, status(5, 0), 4) is None  # resumed, running: link is no sign
    assert refresh_result(was, status(5, 9), 4) is True  # new data
    assert refresh_result(was, status(6, 0), 4) is False  # over, and it brought nothing
