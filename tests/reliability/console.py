"""The real console (``ConsoleApp`` + ``LiveBackend`` + ``BulkClient``) over the in-process
emulator, on one ``ManualClock``, driven cycle by cycle.

What differs from tests/ui/harness.py (whose wait helpers this reuses):

- The poller runs its own loop with its real schedule (interval, fault back-off, the quota
  probe), but its sleep is a *gate*: each ``step()`` lets exactly one wait elapse, moving the
  manual clock by the time the poller asked to sleep. Ten steps are ten scheduled cycles.
- The client keeps the default ``RetryPolicy`` (5 attempts, 30 s budget) with its sleep and
  clock on the manual clock and a seeded jitter, so retries cost simulated time, not wall time.
- ``FaultyTransport`` adds what the emulator's middleware cannot do in process: latency in
  simulated time, a dead network, and a hold on POSTs (to act between confirm and request).
- Sessions renew through a counted re-authentication hook that can be made to fail.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.errors import BulkError
from bulktui.api.retry import RetryPolicy
from bulktui.core.config import PollerConfig
from bulktui.core.live import LiveBackend
from bulktui.core.snapshot import LinkState
from bulktui.emulator import Engine, EngineConfig, ManualClock
from bulktui.emulator.seeding import seed_jobs
from bulktui.text import one_line
from bulktui.ui import format as fmt
from bulktui.ui.app import ConsoleApp
from tests.support.clock import T0 as T0  # the tests import it from here
from tests.support.emulator import URL, emulated_org
from tests.ui.harness import screen_text, wait_until

V = "64.0"
CREATE = "POST /services/async/{v}/job"
ADD_BATCH = "POST /services/async/{v}/job/{jobId}/batch"
SET_STATE = "POST /services/async/{v}/job/{jobId}"


class FaultyTransport(httpx.AsyncBaseTransport):
    """The emulator's ASGI app behind a network the test controls.

    ``latency``: seconds of *simulated* time each answer takes. A request started at t is
    answered at t + latency on the manual clock; requests in flight together overlap, as on
    a real connection pool. ``timeout``: a request slower than this fails as httpx would
    (ReadTimeout) once that much simulated time has passed.
    """

    def __init__(self, app: Any, clock: ManualClock) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.clock = clock
        self.latency = 0.0
        self.timeout = 30.0  # the client's read timeout (bulktui.api.client.DEFAULT_TIMEOUT)
        self.down = False
        self.hold_state_changes: asyncio.Event | None = None
        self.held = 0
        self.log: list[tuple[str, str, str]] = []  # (method, path, status or exception)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        if self.down:
            self.log.append((method, path, "ConnectError"))
            raise httpx.ConnectError("connection refused (network down)", request=request)
        if (
            self.hold_state_changes is not None
            and method == "POST"
            and path.startswith("/services/async/")
            and path.rstrip("/").count("/") == 5  # /services/async/V/job/ID: close or abort
        ):
            self.held += 1
            await self.hold_state_changes.wait()
        started = self.clock.now()
        if self.latency >= self.timeout:
            self._arrive(started, self.timeout)
            self.log.append((method, path, "ReadTimeout"))
            raise httpx.ReadTimeout("timed out (simulated latency)", request=request)
        try:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
        except Exception as exc:
            self.log.append((method, path, type(exc).__name__))
            raise
        self._arrive(started, self.latency)
        session = b"InvalidSessionId" in body or b"INVALID_SESSION_ID" in body
        self.log.append((method, path, "session" if session else str(response.status_code)))
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def sent(self, method: str, pattern: str) -> tuple[int, int]:
        """(requests sent matching, of which refused for an expired session)."""
        rx = re.compile(pattern)
        hits = [status for m, path, status in self.log if m == method and rx.fullmatch(path)]
        return len(hits), sum(1 for status in hits if status == "session")

    def _arrive(self, started: datetime, seconds: float) -> None:
        if seconds <= 0:
            return
        due = started + timedelta(seconds=seconds)
        now = self.clock.now()
        if due > now:
            self.clock.advance((due - now).total_seconds())

    async def aclose(self) -> None:
        await self.inner.aclose()


class Gate:
    """The poller's sleep. It parks until ``release()``, then moves the clock by the time
    asked for, so the poller's own schedule decides *when* each cycle happens."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.parked = 0  # sleeps entered so far
        self.asked: list[float] = []  # the length of each sleep, in order
        self._go = asyncio.Event()
        self.waiting: float | None = None

    async def sleep(self, seconds: float) -> None:
        self.parked += 1
        self.asked.append(seconds)
        self.waiting = seconds
        try:
            await self._go.wait()
        finally:
            self.waiting = None
        self._go.clear()
        self.clock.advance(max(0.0, seconds))

    def release(self) -> None:
        self._go.set()


@dataclass
class Console:
    clock: ManualClock
    engine: Engine
    app: ConsoleApp
    backend: LiveBackend
    client: BulkClient
    transport: FaultyTransport
    control: httpx.AsyncClient
    admin: BulkClient
    gate: Gate
    asgi: Any
    admin_transport: FaultyTransport
    reauths: int = 0
    reauth_fails: bool = False
    jobs: list[str] = field(default_factory=list)
    said: list[tuple[str, str]] = field(default_factory=list)  # every status line, in order

    # ------------------------------------------------------------------ driving

    async def started(self, pilot: Any) -> None:
        """The first cycle ran, its snapshot is on screen and the poller sleeps."""
        await wait_until(
            pilot,
            lambda: self.backend.status().cycle >= 1 and self.quiet() and self.app.snapshot,
            timeout=20,
        )
        await self.paint(pilot)

    def quiet(self) -> bool:
        """The poller is parked in its sleep (nothing in flight)."""
        poller = self.backend.poller
        return self.gate.waiting is not None and not poller.cycling

    async def step(self, pilot: Any, n: int = 1) -> None:
        """Let the poller's next ``n`` waits elapse: each one ends in a scheduled cycle."""
        for _ in range(n):
            assert self.quiet(), "the poller is busy; step() needs it parked"
            before = self.gate.parked
            cycle = self.backend.status().cycle
            self.gate.release()
            await wait_until(
                pilot,
                lambda b=before, c=cycle: (
                    self.gate.parked > b and self.quiet() and self.backend.status().cycle > c
                ),
                timeout=20,
            )
        await self.paint(pilot)

    async def paint(self, pilot: Any) -> None:
        for _ in range(2):
            await pilot.pause()
        self.app._tick()  # the header's one-second timer, as if it just fired
        await pilot.pause()

    async def faults(self, spec: str) -> None:
        reply = await self.control.post("/_emulator/faults", content=spec)
        reply.raise_for_status()

    async def stats(self) -> Counter[str]:
        reply = await self.control.get("/_emulator/stats")
        reply.raise_for_status()
        return Counter(reply.json()["routes"])

    # ------------------------------------------------------------------ reading the screen

    def top(self) -> str:
        """The header line and the problem line under it."""
        lines = screen_text(self.app).splitlines()
        return "\n".join(lines[:2])

    def header(self) -> str:
        return screen_text(self.app).splitlines()[0]

    def age_words(self) -> str:
        fetched = self.backend.status().fetched_at
        assert fetched is not None
        return fmt.ago(fetched, self.clock.now())

    def link(self) -> LinkState:
        return self.backend.status().link

    def message(self) -> tuple[str, str]:
        return self.app.last_message or ("", "")


def build_console(
    seed: Sequence[dict[str, Any]] | Callable[[Engine], Sequence[dict[str, Any]]] = (),
    *,
    interval: float = 5.0,
    faults: str | None = None,
    config: EngineConfig | None = None,
    retry_seed: int = 1,
) -> Console:
    org = emulated_org(faults, config=config, start=T0)
    clock, engine, asgi = org.clock, org.engine, org.app
    specs = seed(engine) if callable(seed) else seed
    made = seed_jobs(engine, list(specs)) if specs else []
    transport = FaultyTransport(asgi, clock)

    async def clock_sleep(seconds: float) -> None:
        clock.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    rng = random.Random(retry_seed)
    retry = RetryPolicy(sleep=clock_sleep, random=rng.random, clock=lambda: clock.now().timestamp())
    holder: dict[str, Console] = {}

    async def reauthenticate() -> Connection:
        console = holder["console"]
        console.reauths += 1
        if console.reauth_fails:
            raise BulkError("INVALID_LOGIN: the stored login was refused (test)")
        return Connection(URL, engine.issue_session())

    client = BulkClient(
        Connection(URL, engine.issue_session()),
        transport=transport,
        reauthenticate=reauthenticate,
        retry=retry,
    )

    async def admin_reauth() -> Connection:
        return Connection(URL, engine.issue_session())

    admin_transport = FaultyTransport(asgi, clock)
    admin = BulkClient(
        Connection(URL, engine.issue_session()),
        transport=admin_transport,
        reauthenticate=admin_reauth,
        retry=RetryPolicy(
            sleep=clock_sleep,
            random=random.Random(retry_seed + 1).random,
            clock=lambda: clock.now().timestamp(),
        ),
    )
    gate = Gate(clock)
    backend = LiveBackend(
        client,
        instance_url="http://127.0.0.1:8443",
        interval=interval,
        clock=clock,
        sleep=gate.sleep,
        config=PollerConfig(select_delay=0),  # a settling pause would be one more gated sleep
    )
    app = ConsoleApp(backend, now=clock.now, theme_dirs=None)
    control = org.http()
    console = Console(
        clock,
        engine,
        app,
        backend,
        client,
        transport,
        control,
        admin,
        gate,
        asgi,
        admin_transport,
        jobs=[j.id for j in made],
    )
    holder["console"] = console
    shown = app.say

    def say(text: str, severity: Any = "information") -> None:
        console.said.append((one_line(text), severity))
        shown(text, severity)

    app.say = say  # type: ignore[method-assign]
    return console
