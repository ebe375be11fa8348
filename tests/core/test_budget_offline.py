"""The API budget spends only requests that reached a server: an hour with the network down
must not leave bulktui "watching slowly" once it is back, nor say it spent what it never sent."""

from __future__ import annotations

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.retry import RetryPolicy
from bulktui.core.budget import ApiBudget
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from tests.support.clock import no_sleep
from tests.support.emulator import emulated_org

URL = "http://127.0.0.1"


class Refused(httpx.AsyncBaseTransport):
    """A host that refuses every connection (the emulator stopped, a dead link)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused (test)", request=request)


class Unavailable(httpx.AsyncBaseTransport):
    """A server that answers every request with 503: each one reached it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="down for maintenance")


async def _spent_after_cycles(transport: httpx.AsyncBaseTransport) -> tuple[int, int, str]:
    org = emulated_org()
    client = BulkClient(
        Connection(URL, org.engine.issue_session()),
        transport=transport,
        retry=RetryPolicy(max_attempts=3, sleep=no_sleep),
    )
    budget = ApiBudget(100, org.clock)
    poller = Poller(client, PollerConfig(budget=budget), clock=org.clock)
    for _ in range(3):
        await poller.cycle()
        org.clock.advance(5)
    await client.aclose()
    return client.requests_sent, budget.spent_this_hour(), poller.status.budget or ""


async def test_connections_that_could_not_be_made_are_not_spent() -> None:
    tried, spent, words = await _spent_after_cycles(Refused())
    assert tried >= 3  # it did try, and retried
    assert spent == 0
    assert words.startswith("bulktui: 0 requests this hour")


async def test_answered_requests_are_spent_even_when_refused() -> None:
    tried, spent, _words = await _spent_after_cycles(Unavailable())
    assert tried >= 3 and spent == tried  # each reached a server, which may have counted it
