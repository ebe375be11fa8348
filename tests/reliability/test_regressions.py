"""Bugs the reliability work found in the client and the poller, pinned one by one (the fault
matrix, the hostile-input and the secrets tests cover them end to end as well)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.errors import ReauthenticationError
from bulktui.api.lifecycle import JobKind
from bulktui.api.retry import RetryPolicy
from bulktui.emulator import Engine
from bulktui.emulator.seeding import seed_jobs
from tests.reliability.console import build_console
from tests.reliability.org import busy_org
from tests.support.emulator import URL, emulated_org


def _org() -> tuple[Engine, httpx.ASGITransport, str]:
    org = emulated_org()
    job = seed_jobs(org.engine, [{"object": "Account", "state": "Open"}])[0]
    return org.engine, httpx.ASGITransport(app=org.app), job.id


async def test_the_sign_in_goes_on_when_every_request_waiting_for_it_is_cancelled() -> None:
    """list_jobs cancels its sibling listing when one fails; a sign-in started by the
    cancelled one used to die with it, and the next request signed in again (two logins for
    one expiry, found by the soak)."""
    engine, transport, job_id = _org()
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def hook() -> Connection:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return Connection(URL, engine.issue_session())

    async with BulkClient(
        Connection(URL, engine.issue_session()), transport=transport, reauthenticate=hook
    ) as client:
        engine.sessions.expire_all()
        waiting = [asyncio.create_task(client.get_job(job_id, JobKind.V1)) for _ in range(3)]
        await started.wait()
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        release.set()
        assert (await client.get_job(job_id, JobKind.V1)).id == job_id
    assert calls == 1


async def test_after_a_failed_sign_in_a_later_request_tries_again() -> None:
    """A failed re-authentication was remembered for the session's lifetime: once the login
    failed, the console could never recover, even after the user fixed it."""
    engine, transport, job_id = _org()
    calls = 0

    async def hook() -> Connection:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the refresh token was revoked")
        return Connection(URL, engine.issue_session())

    async with BulkClient(
        Connection(URL, engine.issue_session()),
        transport=transport,
        reauthenticate=hook,
        retry=RetryPolicy.none(),
    ) as client:
        engine.sessions.expire_all()
        first = await asyncio.gather(
            *(client.get_job(job_id, JobKind.V1) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, ReauthenticationError) for r in first)
        assert calls == 1  # the waiters shared the one failure
        assert (await client.get_job(job_id, JobKind.V1)).id == job_id  # the user fixed the login
    assert calls == 2


async def test_on_a_slow_link_the_age_counts_from_the_cycle_start_and_says_slow() -> None:
    """3 s per answer: a cycle takes several answers' time. The data is as old as the
    cycle's start, not its end, and the header says degraded, Salesforce being slow."""
    console = build_console(busy_org)
    async with console.app.run_test(size=(120, 35)) as pilot:
        await console.started(pilot)
        console.transport.latency = 3.0
        assert console.gate.waiting is not None
        begins = console.clock.now() + timedelta(seconds=console.gate.waiting)
        await console.step(pilot)
        status = console.backend.status()
        assert status.fetched_at == begins
        assert console.clock.now() - begins >= timedelta(seconds=6)  # two answers at least
        assert status.link.value == "degraded"
        assert "answering slowly" in console.top()
        console.transport.latency = 0.0
        await console.step(pilot)
        assert console.backend.status().link.value == "live"
