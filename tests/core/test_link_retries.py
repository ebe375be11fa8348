"""A refresh that succeeded only because failed requests were retried does not say "live"."""

from __future__ import annotations

from bulktui.core.snapshot import LinkState

from .emulated import make_org


async def test_a_cycle_that_needed_retries_is_degraded_in_words() -> None:
    org = make_org("http503=0.3,seed=5")
    org.ended(30)
    poller = org.start_poller()
    degraded = []
    for _ in range(6):
        await poller.cycle()
        org.clock.advance(5)
        status = poller.status
        if status.link is LinkState.DEGRADED:
            degraded.append(status.problem or "")
    assert degraded, "30% of requests failed, yet every refresh said live"
    assert any("retried" in problem and "unreliable" in problem for problem in degraded)


async def test_a_clean_link_stays_live() -> None:
    org = make_org()
    org.ended(30)
    poller = org.start_poller()
    for _ in range(3):
        await poller.cycle()
        org.clock.advance(5)
    assert poller.status.link is LinkState.LIVE and poller.status.problem is None
