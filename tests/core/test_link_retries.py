"""A refresh that succeeded only because failed requests were retried does not say "live"."""

from __future__ import annotations

from bulktui.api.retry import RetryPolicy
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from bulktui.core.snapshot import LinkState, PollStatus
from tests.support.emulator import emulated_org

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


async def test_a_refresh_that_is_retrying_says_so_while_it_runs() -> None:
    """A dead network refuses each attempt at once, but five attempts and their pauses take
    about 20 s: the header said "live" (or "waiting for Salesforce") until the refresh was
    10 s late. It now says so at the first retry, with the reason, and in words."""
    org = emulated_org("http503=1.0")
    seen: list[PollStatus] = []
    pollers: list[Poller] = []

    async def look_while_retrying(_seconds: float) -> None:
        seen.append(pollers[0].status)

    client = org.client(retry=RetryPolicy(sleep=look_while_retrying))
    poller = Poller(client, PollerConfig(), clock=org.clock)
    pollers.append(poller)
    assert poller.status.link is LinkState.LIVE
    await poller.cycle()
    assert seen, "no retry happened"
    first = seen[0]
    assert first.link is LinkState.DEGRADED
    assert first.problem is not None and "being retried" in first.problem
    assert "503" in first.problem and "1 failed attempt so far" in first.problem
    assert "2 failed attempts" in (seen[1].problem or "")
    after = poller.status  # the refresh gave up: the failure, as before
    assert after.link is not LinkState.LIVE and "being retried" not in (after.problem or "")
