"""The console over the in-process emulator: a ManualClock shared by the engine, the poller and
the app, an ASGI transport (no sockets), and helpers to wait for the poller and the UI."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.retry import RetryPolicy
from bulktui.core.config import PollerConfig
from bulktui.core.guard_rules import parse_rules
from bulktui.core.guard_session import build_guards
from bulktui.core.live import LiveBackend
from bulktui.emulator import Engine, EngineConfig, ManualClock
from bulktui.emulator.seeding import seed_jobs
from bulktui.ui.app import ConsoleApp
from tests.support.clock import T0 as T0  # the tests import it from here
from tests.support.emulator import emulated_org

INSTANCE = "http://127.0.0.1:8443"


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


class SwitchableTransport(httpx.AsyncBaseTransport):
    """The emulator's ASGI app, with a switch that makes every request fail to connect."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.down = False
        self.requests = 0
        self.hold_posts: asyncio.Event | None = None  # while set to an unset Event, POSTs wait

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("connection refused (test)", request=request)
        if self.hold_posts is not None and request.method == "POST":
            await self.hold_posts.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Harness:
    clock: ManualClock
    engine: Engine
    transport: SwitchableTransport
    client: BulkClient
    backend: LiveBackend
    app: ConsoleApp
    admin: BulkClient  # a second client, to act on the org behind the console's back
    jobs: list[str] = field(default_factory=list)

    def status_cycle(self) -> int:
        return self.backend.status().cycle


def build(
    seed: Sequence[dict[str, Any]] | Callable[[Engine], Sequence[dict[str, Any]]] = (),
    *,
    read_only: bool = False,
    interval: float = 3600.0,
    theme: str | None = None,
    theme_dirs: list[Path] | None = None,
    rules: str | None = None,
    arm: bool = False,
) -> Harness:
    org = emulated_org(config=EngineConfig(session_seconds=10**8), start=T0)
    clock, engine, asgi = org.clock, org.engine, org.app
    specs = seed(engine) if callable(seed) else seed
    made = seed_jobs(engine, list(specs)) if specs else []
    transport = SwitchableTransport(asgi)
    retry = RetryPolicy(max_attempts=2, sleep=_no_sleep)
    client = BulkClient(
        Connection("http://127.0.0.1", engine.issue_session()), transport=transport, retry=retry
    )
    admin = BulkClient(
        Connection("http://127.0.0.1", engine.issue_session()),
        transport=httpx.ASGITransport(app=asgi),
        retry=retry,
    )
    # no need to let a cursor settle in tests
    config = PollerConfig(select_delay=0)
    backend = LiveBackend(
        client, instance_url=INSTANCE, interval=interval, clock=clock, config=config
    )
    guards = None
    if rules is not None:
        guards = build_guards(
            parse_rules(rules), backend, arm=arm, read_only=read_only, dry_run=False, clock=clock
        )
    app = ConsoleApp(
        backend,
        now=clock.now,
        read_only=read_only,
        theme=theme,
        theme_dirs=theme_dirs,
        guards=guards,
    )
    return Harness(clock, engine, transport, client, backend, app, admin, [j.id for j in made])


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the console")
        await pilot.pause(0.01)
    await pilot.pause()


def idle(h: Harness) -> bool:
    return not h.backend.poller.busy


async def started(pilot: Any, h: Harness) -> None:
    """The first cycle has run and its snapshot is on screen."""
    await wait_until(
        pilot, lambda: h.status_cycle() >= 1 and idle(h) and h.app.snapshot is not None
    )
    await settle(pilot, h)


async def settle(pilot: Any, h: Harness) -> None:
    """Let the poller finish what it is doing and the UI paint it."""
    await wait_until(pilot, lambda: idle(h))
    for _ in range(3):
        await pilot.pause()


async def refresh(pilot: Any, h: Harness) -> None:
    """A full forced cycle, as the r key does, and its result on screen."""
    before = h.status_cycle()
    h.backend.refresh_now()
    await wait_until(pilot, lambda: h.status_cycle() > before and idle(h))
    await settle(pilot, h)


def screen_text(app: ConsoleApp) -> str:
    """The plain text of the top screen, line by line, as the terminal shows it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def job_where(h: Harness, *, state: str | None = None, obj: str | None = None) -> str:
    """The id of the newest job in the emulator matching the given state / object."""
    found = [
        j
        for j in h.engine.jobs.values()
        if (state is None or j.state.value == state) and (obj is None or j.object_name == obj)
    ]
    assert found, f"no job with state={state} object={obj}"
    return max(found, key=lambda j: j.created).id


def row_text(h: Harness, job_id: str) -> str:
    """The rendered line of one job in the table (it must be on screen)."""
    table = h.app.main.table  # type: ignore[union-attr]
    index = table.order.index(job_id)
    y = index - round(table.scroll_y) + 1
    return table.render_line(y).text
