"""Soak: the console's worker (poller + action runner + client, no painting) for hours of
simulated time against an org that keeps moving, with the faults switched on and off in turn.

    python bench/bench_soak.py                       # 8 simulated hours, emulator in a process
    python bench/bench_soak.py --hours 1 --in-process
    python bench/bench_soak.py --tracemalloc         # also trace Python allocations (slower)

The org: 2,000 jobs (ended ones spread over the past week, so some are purged during the run;
30 Open jobs; long loads that run for the whole soak), one new load every 5 simulated minutes
(create, two batches, close: by another client of the same org, through the same faults),
every session expired every 15 minutes, a close or an abort every 20 minutes, and the fault
changing every 10 minutes: none, 503 on 30 %, none, resets on 20 %, none, malformed bodies on
10 %, none, the HTML maintenance page, none, the API limit, none, 3 s latency, and again.

Time is a manual clock shared with the emulator (``--manual-clock``, moved through
``POST /_emulator/clock``): the poller runs its own loop at the default 5 s interval with its
real back-off, and its sleeps move the clock, so 8 hours take minutes. By default the emulator
is a separate ``bulktui emulator`` process on loopback, so this process's resident memory is
the console's alone.

Printed, per simulated hour: the console's requests (retries included), the worker's budget for
that hour, resident memory (and traced memory with --tracemalloc). Then the checks: memory
growth after the first hour ≤ 10 %, every cycle within its budget, one session renewal per
expiry, no create or add-batch sent twice, no action lost, the table current at the end.
The budget of a cycle is the worker's own rule (issue 3): the list pages, plus one GET per job
that can still change, plus jobs never fetched yet, plus the selected job and its batches and
one who-am-I/user-names call, each multiplied by the retry policy's 5 attempts while a fault is
on; an action adds its own few requests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import heapq
import itertools
import json
import logging
import os
import random
import re
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import ContentType, JobState, Operation
from bulktui.api.errors import AmbiguousResultError, BulkError
from bulktui.api.retry import RetryPolicy
from bulktui.api.wire import format_datetime_xml, parse_datetime
from bulktui.core.actions import ActionRefused, ActionSucceeded, ActionUncertain
from bulktui.core.live import LiveBackend
from bulktui.core.snapshot import LinkState, Snapshot
from bulktui.emulator import Engine, EngineConfig, ManualClock, create_app

INTERVAL = 5.0  # the console's default
HOUR = 3600.0
MAX_ATTEMPTS = RetryPolicy().max_attempts
FAULTS = (
    "",
    "http503=0.3",
    "",
    "reset=0.2",
    "",
    "malformed=0.1",
    "",
    "html=1",
    "",
    "quota=1",
    "",
    "latency",  # 3 s per answer, in simulated time (the transport below)
)
CREATE = re.compile(r"/services/async/[\d.]+/job/?$")
BATCH = re.compile(r"/services/async/[\d.]+/job/\w{18}/batch/?$")


@dataclass
class Config:
    hours: float = 8.0
    jobs: int = 2000
    open_jobs: int = 30
    long_loads: int = 10
    rate: float = 5.0  # records per second per batch (the emulator's --rate)
    load_rows: int = 1500  # a new load: 2 batches of this many rows (5 min at 5 rec/s)
    load_every: float = 300.0
    expire_every: float = 900.0
    action_every: float = 1200.0
    fault_every: float = 600.0
    latency: float = 3.0
    in_process: bool = False
    trace: bool = False
    seed: int = 5


# ----------------------------------------------------------------------------- the network


class SimTransport(httpx.AsyncBaseTransport):
    """The console's (and the other client's) network: simulated latency on the manual clock,
    and a log of what was sent (method, path, status or error, session refused)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: ManualClock) -> None:
        self.inner = inner
        self.clock = clock
        self.latency = 0.0
        # (kind, outcome) → count; kinds: create, batch (POSTs), other. Counts, not a log: a
        # log would grow for hours and be measured as the console's memory.
        self.counts: Counter[tuple[str, str]] = Counter()
        self.recent: Counter[str] = Counter()  # requests by route since the last reset
        self.on_advance: Callable[[float], Awaitable[None]] | None = None

    @staticmethod
    def kind(method: str, path: str) -> str:
        if method == "POST" and CREATE.search(path):
            return "create"
        if method == "POST" and BATCH.search(path):
            return "batch"
        return "other"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        kind = self.kind(request.method, request.url.path)
        route = re.sub(r"/\w{18}(?=/|$)", "/{id}", request.url.path)
        self.recent[f"{request.method} {re.sub(r'/v?[0-9.]+/', '/', route)}"] += 1
        started = self.clock.now()
        try:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
        except Exception:
            self.counts[kind, "error"] += 1
            raise
        if self.latency > 0:
            due = started + timedelta(seconds=self.latency)
            if due > self.clock.now() and self.on_advance is not None:
                await self.on_advance((due - self.clock.now()).total_seconds())
        refused = b"InvalidSessionId" in body or b"INVALID_SESSION_ID" in body
        self.counts[kind, "session" if refused else "answered"] += 1
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, kind: str) -> tuple[int, int]:
        """(requests of this kind sent, of which refused for an expired session)."""
        sent = sum(n for (k, _), n in self.counts.items() if k == kind)
        return sent, self.counts[kind, "session"]


# ----------------------------------------------------------------------------- the org


class Org:
    """The emulator, in this process or as a ``bulktui emulator`` process on loopback."""

    clock: ManualClock
    url: str

    async def control(self, path: str, body: object | None = None) -> Any:
        raise NotImplementedError

    async def advance(self, seconds: float) -> None:
        raise NotImplementedError

    def transport(self) -> httpx.AsyncBaseTransport:
        raise NotImplementedError

    def stop(self) -> None:
        pass


class InProcessOrg(Org):
    def __init__(self, rate: float) -> None:
        self.clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        self.engine = Engine(self.clock, EngineConfig(records_per_second=rate))
        self.app = create_app(self.engine)
        self.url = "http://127.0.0.1"
        self._control = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=self.url
        )

    async def control(self, path: str, body: object | None = None) -> Any:
        content = body if isinstance(body, str) else json.dumps(body or {})
        reply = await self._control.post(f"/_emulator/{path}", content=content)
        reply.raise_for_status()
        return reply.json()

    async def stats(self) -> dict[str, int]:
        return dict(self.engine.stats)

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    def session(self) -> str:
        return self.engine.issue_session()


class ProcessOrg(Org):
    def __init__(self, rate: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bulktui", "emulator", "--manual-clock", "--rate", str(rate)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        self.url = ready["instance_url"]
        self.ready = ready
        now = httpx.get(f"{self.url}/_emulator/clock").json()["now"]
        self.clock = ManualClock(parse_datetime(now))
        self._http = httpx.AsyncClient(base_url=self.url, timeout=120)

    async def control(self, path: str, body: object | None = None) -> Any:
        content = body if isinstance(body, str) else json.dumps(body or {})
        reply = await self._http.post(f"/_emulator/{path}", content=content)
        reply.raise_for_status()
        return reply.json()

    async def stats(self) -> dict[str, int]:
        reply = await self._http.get("/_emulator/stats")
        routes: dict[str, int] = reply.json()["routes"]
        return routes

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.control("clock", {"advance_seconds": seconds})

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport()

    def session(self) -> str:
        return str(httpx.post(f"{self.url}/_emulator/session").json()["session_id"])

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _iso(when: datetime) -> str:
    return format_datetime_xml(when)


def seed_specs(cfg: Config, now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(cfg.seed)
    specs: list[dict[str, Any]] = []
    ended = cfg.jobs - cfg.open_jobs - cfg.long_loads
    for i in range(ended):
        created = now - timedelta(seconds=rng.uniform(600, 6.9 * 86400))
        state = "Aborted" if i % 17 == 0 else "Failed" if i % 29 == 0 else "Closed"
        batch = {
            "state": "Completed" if state == "Closed" else "Failed",
            "numberRecordsProcessed": rng.randint(100, 10000),
            "numberRecordsFailed": rng.randint(0, 50),
            "createdDate": _iso(created),
            "systemModstamp": _iso(created + timedelta(minutes=5)),
        }
        specs.append(
            {
                "object": rng.choice(["Account", "Contact", "Lead", "Opportunity", "Case"]),
                "operation": rng.choice(["insert", "update", "upsert", "delete"]),
                "externalIdFieldName": "Email",
                "state": state,
                "createdDate": _iso(created),
                "batches": [batch],
            }
        )
    for s in specs:
        if s["operation"] != "upsert":
            del s["externalIdFieldName"]
    for i in range(cfg.open_jobs):
        specs.append(
            {"object": "Contact", "operation": "update", "state": "Open",
             "createdDate": _iso(now - timedelta(minutes=30 + i))}
        )  # fmt: skip
    return specs


# ----------------------------------------------------------------------------- the soak


@dataclass
class Cycle:
    number: int
    at: float  # simulated seconds since the start
    requests: int  # the console's requests since the previous cycle began
    budget: int
    fault: str
    routes: dict[str, int] = field(default_factory=dict)  # kept for cycles over budget


@dataclass
class ActionRecord:
    action: str
    job_id: str
    outcome: str  # succeeded / refused / uncertain
    message: str
    fault: str


@dataclass
class Result:
    cfg: Config
    cycles: int = 0
    over: list[Cycle] = field(default_factory=list)  # cycles that spent more than their budget
    hour_requests: Counter[int] = field(default_factory=Counter)
    hour_budget: Counter[int] = field(default_factory=Counter)
    hour_plain: Counter[int] = field(default_factory=Counter)  # the budget without retries
    hour_cycles: Counter[int] = field(default_factory=Counter)
    hours: list[dict[str, Any]] = field(default_factory=list)
    actions: list[ActionRecord] = field(default_factory=list)
    expiries: int = 0
    reauths: int = 0
    loads: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    wall: float = 0.0
    link_words: Counter[str] = field(default_factory=Counter)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Soak:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.org: Org = InProcessOrg(cfg.rate) if cfg.in_process else ProcessOrg(cfg.rate)
        self.clock = self.org.clock
        self.start = self.clock.now()
        self.end = self.start + timedelta(hours=cfg.hours)
        self.result = Result(cfg)
        self.fault = ""
        self._events: list[tuple[datetime, int, Callable[[], Awaitable[None]]]] = []
        self._seq = itertools.count()
        self.done = asyncio.Event()
        self.rng = random.Random(cfg.seed)

        async def clock_sleep(seconds: float) -> None:
            await self.org.advance(max(0.0, seconds))

        self.clock_sleep = clock_sleep
        self.transport = SimTransport(self.org.transport(), self.clock)
        self.transport.on_advance = clock_sleep
        self.admin_transport = SimTransport(self.org.transport(), self.clock)

        def policy(n: int) -> RetryPolicy:
            return RetryPolicy(
                sleep=clock_sleep,
                random=random.Random(cfg.seed + n).random,
                clock=lambda: self.clock.now().timestamp(),
            )

        async def reauth() -> Connection:
            self.result.reauths += 1
            return Connection(self.org.url, await asyncio.to_thread(self.org.session))

        async def admin_reauth() -> Connection:
            return Connection(self.org.url, await asyncio.to_thread(self.org.session))

        self.client = BulkClient(
            Connection(self.org.url, self.org.session()),
            transport=self.transport,
            reauthenticate=reauth,
            retry=policy(1),
        )
        self.admin = BulkClient(
            Connection(self.org.url, self.org.session()),
            transport=self.admin_transport,
            reauthenticate=admin_reauth,
            retry=policy(2),
        )
        self.backend = LiveBackend(
            self.client, instance_url=self.org.url, interval=INTERVAL, clock=self.clock,
            sleep=self.sleep,
        )  # fmt: skip
        self.backend.poller._select_delay = 0
        self.snapshot: Snapshot | None = None
        self.long_ids: list[str] = []
        self.open_ids: list[str] = []
        self.created_loads: list[str] = []
        self._last_cycle_requests = 0
        self._hour_mark: dict[str, Any] | None = None

    # ------------------------------------------------------------------ schedule

    def at(self, when: datetime, what: Callable[[], Awaitable[None]]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), what))

    def every(self, seconds: float, what: Callable[[], Awaitable[None]], first: float) -> None:
        async def repeat() -> None:
            await what()
            nxt = self.clock.now() + timedelta(seconds=seconds)
            if nxt < self.end:
                self.at(nxt, repeat)

        self.at(self.start + timedelta(seconds=first), repeat)

    async def sleep(self, seconds: float) -> None:
        """The poller's sleep: runs what is due meanwhile, then moves the clock."""
        target = self.clock.now() + timedelta(seconds=max(0.0, seconds))
        while self._events and self._events[0][0] <= target:
            when, _, what = heapq.heappop(self._events)
            if when > self.clock.now():
                await self.org.advance((when - self.clock.now()).total_seconds())
            await what()
        if target > self.clock.now():
            await self.org.advance((target - self.clock.now()).total_seconds())
        if self.clock.now() >= self.end:
            self.done.set()
            await asyncio.Event().wait()  # parked until cancelled
        await asyncio.sleep(0)

    # ------------------------------------------------------------------ events

    async def switch_fault(self) -> None:
        n = int((self.clock.now() - self.start).total_seconds() // self.cfg.fault_every)
        self.fault = FAULTS[n % len(FAULTS)]
        spec = "" if self.fault == "latency" else self.fault
        await self.org.control("faults", spec)
        self.transport.latency = self.cfg.latency if self.fault == "latency" else 0.0
        self.admin_transport.latency = self.transport.latency

    async def expire(self) -> None:
        await self.org.control("expire-sessions")
        self.result.expiries += 1

    async def new_load(self) -> None:
        body = ("Name\n" + "".join(f"Soak {i}\n" for i in range(self.cfg.load_rows))).encode()
        self.result.loads["create"] += 1
        try:
            job = await self.admin.create_job("Account", Operation.INSERT)
        except AmbiguousResultError:
            self.result.loads["create uncertain"] += 1
            return
        except BulkError:
            self.result.loads["create refused"] += 1
            return
        self.created_loads.append(job.id)
        for _ in range(2):
            self.result.loads["batch"] += 1
            try:
                await self.admin.add_batch(job.id, body, ContentType.CSV)
            except AmbiguousResultError:
                self.result.loads["batch uncertain"] += 1
            except BulkError:
                self.result.loads["batch refused"] += 1
        try:
            await self.admin.close_job(job.id)
        except BulkError:
            self.result.loads["close failed"] += 1
        # The user follows the newest load. (select() would wake the poller, whose sleep is
        # what runs this event: the selection is handed over for its next turn instead.)
        self.backend.poller._selected = job.id
        self.backend.poller._selection_dirty = True

    async def act(self) -> None:
        n = len(self.result.actions)
        if n % 2 == 0 and self.long_ids:
            action, job_id = "abort", self.long_ids.pop(0)
        elif self.open_ids:
            action, job_id = "close", self.open_ids.pop(0)
        else:
            return
        runner = self.backend.runner
        outcome = await (runner.abort(job_id) if action == "abort" else runner.close(job_id))
        if isinstance(outcome, ActionSucceeded):
            kind, message = "succeeded", outcome.message
        elif isinstance(outcome, ActionUncertain):
            kind, message = "uncertain", outcome.reason
        else:
            assert isinstance(outcome, ActionRefused)
            kind, message = "refused", outcome.reason
        self.result.actions.append(ActionRecord(action, job_id, kind, message, self.fault))

    async def sample(self) -> None:
        """Once per simulated hour: requests, budget, memory."""
        gc.collect()
        hour = round((self.clock.now() - self.start).total_seconds() / HOUR)
        r = self.result
        row: dict[str, Any] = {
            "hour": hour,
            "requests": r.hour_requests[hour - 1],
            "budget": r.hour_budget[hour - 1],
            "plain": r.hour_plain[hour - 1],
            "cycles": r.hour_cycles[hour - 1],
            "rss": rss_bytes(),
        }
        if self.cfg.trace:
            row["traced"] = tracemalloc.get_traced_memory()[0]
        self.result.hours.append(row)

    # ------------------------------------------------------------------ budget

    def _wrap_cycles(self) -> None:
        """Charge every request to the cycle it follows: from one cycle's start to the next,
        the cycle itself, the selected job's fetches and back-fill rounds between cycles, and
        any action or session renewal in that time."""
        poller = self.backend.poller
        inner = poller._cycle
        r = self.result
        prev: list[Any] = []  # [Cycle, jobs with detail at its start, actions, expiries]

        def close(cycle: Cycle, detailed: int, actions: int, expiries: int) -> None:
            cycle.requests = self.client.requests_sent - self._last_cycle_requests
            now_detailed = sum(1 for t in poller._tracks.values() if t.has_detail)
            # + the jobs fetched for the first time (never-seen jobs, once each)
            cycle.budget += max(0, now_detailed - detailed)
            plain = cycle.budget + 3 * (len(r.actions) - actions)
            if cycle.fault or self.fault:
                cycle.budget *= MAX_ATTEMPTS  # every request may be tried 5 times
            cycle.budget += 4 * MAX_ATTEMPTS * (len(r.actions) - actions)  # GET, POST, GET…
            cycle.budget += 8 * (r.expiries - expiries)  # requests refused once, then resent
            hour = int(cycle.at // HOUR)
            r.hour_requests[hour] += cycle.requests
            r.hour_budget[hour] += cycle.budget
            r.hour_plain[hour] += plain
            r.hour_cycles[hour] += 1
            if cycle.requests > cycle.budget:
                cycle.routes = dict(self.transport.recent)
                r.over.append(cycle)
            self.transport.recent.clear()

        async def counted(force: bool) -> None:
            if prev:
                close(*prev)
            self._last_cycle_requests = self.client.requests_sent
            tracks = list(poller._tracks.values())
            live = sum(1 for t in tracks if t.has_detail and t.can_change and not t.purged)
            detailed = sum(1 for t in tracks if t.has_detail)
            pages = 2 * (len(tracks) // 1000 + 1)  # both listings, 1,000 rows a page
            # the pages, one GET per job that can change, the selected job and its batches,
            # who-am-I or user names
            budget = pages + live + 2 + 1
            at = (self.clock.now() - self.start).total_seconds()
            cycle = Cycle(poller._cycle_no + 1, at, 0, budget, self.fault)
            prev[:] = [cycle, detailed, len(r.actions), r.expiries]
            r.cycles += 1
            await inner(force)
            r.link_words[poller.status.link.value] += 1

        poller._cycle = counted  # type: ignore[method-assign]

    # ------------------------------------------------------------------ run

    async def prepare(self) -> None:
        now = self.clock.now()
        made = await self.org.control("seed", {"jobs": seed_specs(self.cfg, now)})
        ids = [j["id"] for j in made["jobs"]]
        self.open_ids = ids[-self.cfg.open_jobs :]
        body_rows = int(self.cfg.rate * self.cfg.hours * HOUR * 1.2) + 100
        body = ("Name\n" + "".join(f"Long {i}\n" for i in range(body_rows))).encode()
        for _ in range(self.cfg.long_loads):
            job = await self.admin.create_job("Account", Operation.INSERT)
            await self.admin.add_batch(job.id, body, ContentType.CSV)
            await self.admin.close_job(job.id)
            self.long_ids.append(job.id)

    async def run(self) -> Result:
        cfg = self.cfg
        await self.prepare()
        self.every(cfg.fault_every, self.switch_fault, first=cfg.fault_every)
        self.every(cfg.load_every, self.new_load, first=cfg.load_every)
        self.every(cfg.expire_every, self.expire, first=cfg.expire_every)
        # Actions fall in the middle of a fault window (at 15, 35, 55… minutes), not on the
        # switch, so each one meets a fault in turn.
        self.every(cfg.action_every, self.act, first=cfg.action_every / 2 + cfg.fault_every / 2)
        self.every(HOUR, self.sample, first=HOUR)
        self._wrap_cycles()
        if cfg.trace:
            tracemalloc.start()
        gc.collect()
        self.result.hours.append({"hour": 0, "rss": rss_bytes(), "requests": 0, "budget": 0})
        started = time.perf_counter()

        def keep(snapshot: Snapshot) -> None:
            self.snapshot = snapshot

        task = asyncio.create_task(self.backend.run(keep))
        await self.done.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self.result.wall = time.perf_counter() - started
        if not self.result.hours or self.result.hours[-1]["hour"] < round(cfg.hours):
            await self.sample()  # the last hour ends with the run
        # The fault off: two more cycles must bring the table up to date.
        await self.org.control("faults", "")
        self.transport.latency = self.admin_transport.latency = 0.0
        poller = self.backend.poller
        for _ in range(2):
            await poller.cycle(force=True)
        await self.check()
        await self.client.aclose()
        await self.admin.aclose()
        self.org.stop()
        if cfg.trace:
            tracemalloc.stop()
        return self.result

    async def check(self) -> None:
        r = self.result
        poller = self.backend.poller
        if poller.status.link is not LinkState.LIVE:
            r.problems.append(f"not live at the end: {poller.status.problem}")
        truth = {j.id: j for j in await self.admin.list_jobs()}
        shown = {k: v for k, v in poller.snapshot.jobs.items() if not v.purged}
        if set(shown) != set(truth):
            r.problems.append(f"table differs: {len(set(shown) ^ set(truth))} jobs")
        wrong = [k for k in truth if k in shown and shown[k].job.state != truth[k].state]
        if wrong:
            r.problems.append(f"{len(wrong)} jobs show a stale state")
        # No lost action: every success is on the server; every other outcome told the user.
        target = {"abort": JobState.ABORTED, "close": JobState.CLOSED}
        for a in r.actions:
            state = truth[a.job_id].state if a.job_id in truth else None
            if a.outcome == "succeeded" and state != target[a.action]:
                r.problems.append(f"{a.action} {a.job_id} claimed but the server shows {state}")
            if a.outcome == "refused" and state == target[a.action]:
                r.problems.append(f"{a.action} {a.job_id} said refused but it happened")
            if a.outcome != "succeeded" and not re.search(
                r"may not|may or may|retry|try again|log in again|already", a.message, re.I
            ):
                r.problems.append(f"{a.action} {a.job_id}: {a.message!r} gives no way forward")
        # No create or add-batch sent twice (a resend only after the session was refused).
        sent, refused = self.admin_transport.count("create")
        if sent - refused > r.loads["create"] + self.cfg.long_loads:
            r.problems.append(f"creates: {sent} sent, {refused} refused, {r.loads['create']}")
        sent, refused = self.admin_transport.count("batch")
        if sent - refused > r.loads["batch"] + self.cfg.long_loads:
            r.problems.append(f"add-batch: {sent} sent, {refused} refused, {r.loads['batch']}")
        if self.transport.count("create")[0] or self.transport.count("batch")[0]:
            r.problems.append("the worker sent a create or an add-batch")
        if r.over:
            worst = max(r.over, key=lambda c: c.requests - c.budget)
            r.problems.append(
                f"{len(r.over)} cycles over budget, worst {worst.requests}/{worst.budget} "
                f"(cycle {worst.number}, {worst.fault or 'no fault'}: {worst.routes})"
            )
        if not (r.expiries - 1 <= r.reauths <= r.expiries):
            r.problems.append(f"{r.reauths} session renewals for {r.expiries} expiries")


def memory_growth(result: Result, key: str = "rss") -> float | None:
    """Growth from the end of the first simulated hour to the end, as a fraction: resident
    memory, or (``key="traced"``) the Python objects tracemalloc sees."""
    rows = [h for h in result.hours if h["hour"] >= 1 and key in h]
    if len(rows) < 2:
        return None
    return float(rows[-1][key] / rows[0][key] - 1)


def report(result: Result) -> str:
    lines = [
        f"soak: {result.cfg.hours:g} simulated hours in {result.wall:.0f} s wall, "
        f"{result.cycles} cycles, {result.cfg.jobs:,} jobs",
        f"{'hour':>4} {'requests':>9} {'budget':>8} {'+retries':>9} {'cycles':>7} {'RSS MB':>8}"
        + (f" {'traced MB':>10}" if result.cfg.trace else ""),
    ]
    for h in result.hours:
        line = (
            f"{h['hour']:>4} {h.get('requests', 0):>9,} {h.get('plain', 0):>8,} "
            f"{h.get('budget', 0):>9,} "
            f"{h.get('cycles', 0):>7} {h['rss'] / 2**20:>8.1f}"
        )
        if "traced" in h:
            line += f" {h['traced'] / 2**20:>10.1f}"
        lines.append(line)
    growth = memory_growth(result)
    per_hour = [h["requests"] for h in result.hours if h["hour"] >= 1]
    if per_hour:
        lines.append(
            f"requests per simulated hour: mean {sum(per_hour) / len(per_hour):,.0f}, "
            f"max {max(per_hour):,}"
        )
    traced = memory_growth(result, "traced")
    if growth is not None and traced is None:
        lines.append(f"RSS growth after the first hour: {growth:+.1%} (limit +10%)")
    if traced is not None:
        # tracemalloc's own bookkeeping lives in RSS and grows with every allocation traced:
        # with --tracemalloc the traced figure is the one that counts.
        lines.append(
            f"traced Python memory growth after the first hour: {traced:+.1%} (limit +10%); "
            f"RSS {growth:+.1%}, tracemalloc's own overhead included"
        )
    outcomes = Counter(a.outcome for a in result.actions)
    lines.append(f"actions: {dict(outcomes)}; session expiries {result.expiries}, "
                 f"renewals {result.reauths}; loads {dict(result.loads)}")  # fmt: skip
    lines.append(f"link at cycle ends: {dict(result.link_words)}")
    lines.append("problems: " + ("; ".join(result.problems) if result.problems else "none"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--in-process", action="store_true", help="emulator in this process")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    logging.getLogger().addHandler(logging.NullHandler())  # the poller's warnings: expected
    cfg = Config(
        hours=args.hours, jobs=args.jobs, in_process=args.in_process, trace=args.tracemalloc
    )
    result = asyncio.run(Soak(cfg).run())
    print(report(result))
    growth = memory_growth(result, "traced" if cfg.trace else "rss")
    ok = not result.problems and (growth is None or growth <= 0.10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
