"""The fault matrix (issue 5): the real console, headless, against the emulator under each
fault of the issue's table. Every fault runs the same script on the manual clock:

1. **during** — the fault at the issue's rate for 6 scheduled refresh cycles. At every cycle
   the header is honest: "live" only with current data, otherwise "degraded" or "stale" with
   the data's age and the reason under it. Meanwhile the user aborts one job and closes
   another through the dialogs, creates a job through the new-job dialog, and someone else
   creates a job and adds a batch through the same faulty server.
2. **worst** — the fault at its worst (every request) for 3 cycles, and one more abort. Now
   every cycle fails, so the header must say degraded or stale with the age, and why.
3. **cleared** — no fault. Within 2 cycles the table is what the server holds, "● live · 0s".

And throughout: the app never raises; every close/abort ends with the server showing the new
state or with a visible warning/error that it may not have happened and can be retried (see
``org.judge_action``); no create or add-batch request reaches the server twice.

Latency is simulated on the manual clock (``FaultyTransport.latency``): a request started at t
is answered at t + 3 s of clock time, and requests in flight together overlap. The console
reads time only from that clock (poller schedule, retry budget, reply timing, header age), so
to it this is a 3 s network, without 3 s of wall time per request (the emulator's own
``latency=3000`` sleeps in wall time: a cycle would take 10-15 s). Its worst case is past the
client's 30 s read timeout: every request then times out, in simulated time too.

Random faults use the emulator's seeded RNG (``seed=3``) and the client's retry jitter a
seeded ``random.Random``: every run sends the same requests and meets the same faults.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from textual.widgets import Input

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import ContentType, JobState, Operation
from bulktui.api.errors import AmbiguousResultError, BulkError
from bulktui.api.retry import RetryPolicy
from bulktui.core.config import PollerConfig
from bulktui.core.live import LiveBackend
from bulktui.core.snapshot import LinkState
from bulktui.emulator import ManualClock
from bulktui.ui.app import ConsoleApp
from bulktui.ui.screens.confirm import AbortJobModal, CloseJobModal
from bulktui.ui.screens.new_job import NewJobModal
from tests.reliability.console import (
    ADD_BATCH,
    CREATE,
    T0,
    Console,
    Gate,
    build_console,
)
from tests.reliability.loopback import EmulatorProcess, free_port
from tests.reliability.org import (
    ActionReport,
    assert_current,
    busy_org,
    header_is_honest,
    judge_action,
    open_jobs,
    running,
    server_state,
)
from tests.ui.harness import wait_until

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

DURING_CYCLES = 8
WORST_CYCLES = 3
LOAD = ("Name\n" + "".join(f"Lead {i}\n" for i in range(50))).encode()
CREATE_PATH = r"/services/async/64\.0/job/?"
BATCH_PATH = r"/services/async/64\.0/job/\w{18}/batch/?"


@dataclass(frozen=True)
class Fault:
    name: str
    during: str = ""  # emulator fault spec at the rate
    worst: str = ""  # the same fault on every request
    latency: float = 0.0  # simulated seconds per answer, during
    worst_latency: float = 0.0
    reauth_fails: bool = False  # during "worst", signing in again is refused
    visible_during: bool = False  # every cycle fails or is slow even at the rate
    invisible_during: bool = False  # handled without the user noticing

    def __str__(self) -> str:
        return self.name


FAULTS = [
    # worst: past the client's 30 s read timeout, so every request times out
    Fault("latency 3 s", latency=3.0, worst_latency=40.0, visible_during=True),
    Fault("503 on 30%", "http503=0.3,seed=3", "http503=1"),
    Fault("reset on 20%", "reset=0.2,seed=3", "reset=1"),
    Fault("malformed on 10%", "malformed=0.1,seed=3", "malformed=1"),
    Fault("HTML maintenance page", "html=1", "html=1", visible_during=True),
    Fault("API limit exceeded", "quota=1", "quota=1", visible_during=True),
    # Renewal is meant to be invisible: "during", the header stays live. "worst": the
    # sessions expire now and signing in again is refused.
    Fault(
        "session expires every 30 s",
        "expire-sessions-every=30",
        "expire-sessions-every=30",
        reauth_fails=True,
        invisible_during=True,
    ),
]


# --------------------------------------------------------------------------- user actions


async def act(pilot: Any, console: Console, action: str, job_id: str) -> None:
    """Select the job, press c or a, confirm with y, and wait for the outcome."""
    main = console.app.main
    assert main is not None
    await wait_until(pilot, lambda: main.table.select_job(job_id), timeout=10)
    await pilot.pause()
    await pilot.press("c" if action == "close" else "a")
    await pilot.pause()
    modal = CloseJobModal if action == "close" else AbortJobModal
    assert isinstance(console.app.screen, modal), console.said[-1:]
    await pilot.press("y")
    await wait_until(pilot, lambda: job_id not in console.app.pending, timeout=20)
    await wait_until(pilot, console.quiet, timeout=20)
    await console.paint(pilot)


async def create_through_dialog(pilot: Any, console: Console) -> None:
    """n, type the object, enter: the console's own create."""
    before = len(console.said)
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(console.app.screen, NewJobModal)
    await pilot.press(*"Case")
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: any(
            "Created" in m or "created" in m for m, _ in console.said[before:] if "Case" in m
        ),
        timeout=20,
    )
    await wait_until(pilot, console.quiet, timeout=20)
    await pilot.pause()
    if isinstance(console.app.screen, NewJobModal):
        # Refused (the API limit): the dialog came back with what was typed; nothing was
        # created, and the user may correct it or, as here, cancel.
        assert console.app.screen.query_one("#object", Input).value == "Case"
        await pilot.press("escape")
        await pilot.pause()
    await console.paint(pilot)


async def someone_loads(console: Console) -> dict[str, int]:
    """Another client of the same org creates a job and adds a batch through the faults."""
    calls = {"create": 0, "batch": 0}
    try:
        calls["create"] += 1
        job = await console.admin.create_job("Lead", Operation.INSERT)
        calls["batch"] += 1
        await console.admin.add_batch(job.id, LOAD, ContentType.CSV)
    except AmbiguousResultError as exc:
        assert "may or may not have been" in str(exc)
    except BulkError:
        pass  # refused outright (quota, a dead session): nothing was created
    return calls


def judged(console: Console, action: str, job_id: str) -> ActionReport:
    return judge_action(action, job_id, server_state(console, job_id), console.said)


def assert_sent_once(console: Console, creates: int, batches: int) -> None:
    """No create or add-batch reached the server twice: every resend the transports saw
    followed a session refusal (the server did nothing), and the server's own counters
    (``/_emulator/stats``) agree."""
    sent, refused = console.transport.sent("POST", CREATE_PATH)
    assert sent - refused <= console_creates(console), (sent, refused)
    sent, refused = console.admin_transport.sent("POST", CREATE_PATH)
    assert sent - refused <= creates, (sent, refused, creates)
    sent, refused = console.admin_transport.sent("POST", BATCH_PATH)
    assert sent - refused <= batches, (sent, refused, batches)
    assert console.transport.sent("POST", BATCH_PATH) == (0, 0)  # the console never adds one
    # The server's side: jobs and batches that exist, per object.
    cases = [j for j in console.engine.jobs.values() if j.object_name == "Case"]
    leads = [j for j in console.engine.jobs.values() if j.object_name == "Lead"]
    assert len(cases) <= console_creates(console)
    assert len(leads) <= creates
    assert sum(len(j.batches) for j in leads) <= batches


def console_creates(console: Console) -> int:
    return sum(1 for m, _ in console.said if m.startswith("creating a insert job on Case"))


# --------------------------------------------------------------------------- the matrix


def seed(console: Console) -> None:
    console.jobs += [running(console.engine).id, running(console.engine, rate=2.0).id]


@pytest.mark.parametrize("fault", FAULTS, ids=str)
async def test_fault(fault: Fault) -> None:
    console = build_console(busy_org)
    seed(console)
    creates = batches = 0
    async with console.app.run_test(size=(120, 35)) as pilot:
        await console.started(pilot)
        assert_current(console)
        targets = open_jobs(console)
        reports = []

        # 1. during: the rate
        await console.faults(fault.during)
        console.transport.latency = fault.latency
        words = []
        for n in range(DURING_CYCLES):
            await console.step(pilot)
            words.append(header_is_honest(console))
            if n == 1:
                await act(pilot, console, "abort", targets[0])
                reports.append(judged(console, "abort", targets[0]))
                await act(pilot, console, "close", targets[1])
                reports.append(judged(console, "close", targets[1]))
                await create_through_dialog(pilot, console)
                calls = await someone_loads(console)
                creates += calls["create"]
                batches += calls["batch"]
        if fault.visible_during:
            assert set(words) <= {"degraded", "stale"}, words
        if fault.invisible_during:
            assert set(words) == {"live"}, words
            assert 1 <= console.reauths <= 2, console.reauths  # one renewal per expiry

        # 2. worst: every request
        await console.faults(fault.worst)
        console.transport.latency = fault.worst_latency
        console.reauth_fails = fault.reauth_fails
        if fault.reauth_fails:
            await console.control.post("/_emulator/expire-sessions")
        for n in range(WORST_CYCLES):
            await console.step(pilot)
            word = header_is_honest(console)
            assert word in ("degraded", "stale"), console.top()
            if n == 0:
                await act(pilot, console, "abort", targets[2])
                reports.append(judged(console, "abort", targets[2]))
        if fault.name.startswith("API limit"):
            # The slow probe, and the header says why (the line is cut at the screen's
            # width; the whole text is the poller's problem).
            assert "API request limit" in console.top()
            assert "checking again every 5 min" in (console.backend.status().problem or "")
            assert console.gate.asked[-1] >= 300
        if fault.reauth_fails:
            assert console.link() is LinkState.STALE
            assert "Log in again" in console.top()

        # 3. cleared: current again within 2 cycles
        await console.faults("")
        console.transport.latency = 0.0
        console.reauth_fails = False
        calls = await someone_loads(console)
        creates += calls["create"]
        batches += calls["batch"]
        for _ in range(2):
            await console.step(pilot)
            with contextlib.suppress(AssertionError):
                assert_current(console)
                break
        assert_current(console)

        assert console.app.is_running
        assert_sent_once(console, creates, batches)
        stats = await console.stats()
        failed = sum(1 for _, _, st in console.transport.log if not st.startswith("2"))
        print(  # shown with pytest -s: what the fault did (docs/reliability.md quotes it)
            f"\n{fault}: during {words}; actions "
            f"{[(r.action, r.verdict, r.messages[-1][1]) for r in reports]}; "
            f"requests {len(console.transport.log)}, not 2xx {failed}; reauths {console.reauths}; "
            f"creates {stats[CREATE]} sent / {creates + console_creates(console)} issued; "
            f"add-batch {stats[ADD_BATCH]} sent / {batches} issued"
        )
    # run_test re-raises anything the app did not handle: leaving the block is the proof.
    assert all(r.messages for r in reports)


# --------------------------------------------------------------------------- kill and restart


def _ids(n: int, start: int) -> list[str]:
    from bulktui.api.ids import make_id

    return [make_id("750", "5g", start + i) for i in range(n)]


def _seed_org(emu: EmulatorProcess, *, open_ids: list[str], closed_ids: list[str]) -> None:
    done = {"state": "Completed", "numberRecordsProcessed": 100}
    jobs = [{"id": i, "object": "Contact", "state": "Open"} for i in open_ids]
    jobs += [
        {"id": i, "object": "Account", "state": "Closed", "batches": [done]} for i in closed_ids
    ]
    emu.control("seed", {"jobs": jobs})


def _loopback_console(url: str, session_id: str) -> Console:
    """The console over the real network stack (httpx's own transport, real sockets)."""
    import random

    clock = ManualClock(T0)

    async def clock_sleep(seconds: float) -> None:
        clock.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    holder: dict[str, Console] = {}

    async def reauthenticate() -> Connection:
        # Stands in for a login method: the emulator's control route hands out a session.
        holder["c"].reauths += 1
        async with httpx.AsyncClient() as http:
            reply = await http.post(f"{url}/_emulator/session")
            reply.raise_for_status()
            return Connection(url, reply.json()["session_id"])

    retry = RetryPolicy(
        sleep=clock_sleep, random=random.Random(1).random, clock=lambda: clock.now().timestamp()
    )
    client = BulkClient(Connection(url, session_id), reauthenticate=reauthenticate, retry=retry)
    gate = Gate(clock)
    backend = LiveBackend(
        client,
        instance_url=url,
        interval=5.0,
        clock=clock,
        sleep=gate.sleep,
        config=PollerConfig(select_delay=0),
    )
    app = ConsoleApp(backend, now=clock.now, theme_dirs=None)
    console = Console(
        clock,
        None,
        app,
        backend,
        client,
        None,
        None,
        None,
        gate,
        None,
        None,  # type: ignore[arg-type]
    )
    holder["c"] = console
    shown = app.say

    def say(text: str, severity: Any = "information") -> None:
        from bulktui.text import one_line

        console.said.append((one_line(text), severity))
        shown(text, severity)

    app.say = say  # type: ignore[method-assign]
    return console


async def _server_states(url: str) -> dict[str, JobState | None]:
    async with httpx.AsyncClient() as http:
        token = (await http.post(f"{url}/_emulator/session")).json()["session_id"]
    async with BulkClient(Connection(url, token)) as admin:
        return {j.id: j.state for j in await admin.list_jobs()}


@pytest.fixture
def emulator_port() -> Iterator[int]:
    yield free_port()


async def test_emulator_killed_and_restarted_on_the_same_port(emulator_port: int) -> None:
    open_ids, closed_ids = _ids(4, 1000), _ids(3, 2000)
    emu = EmulatorProcess(emulator_port).start()
    try:
        _seed_org(emu, open_ids=open_ids, closed_ids=closed_ids)
        console = _loopback_console(emu.url, emu.ready["session_id"])
        async with console.app.run_test(size=(120, 35)) as pilot:
            await console.started(pilot)
            assert set(console.app.views) == set(open_ids + closed_ids)
            assert console.header().count("● live")

            emu.kill()  # SIGKILL: connections refused from now on
            for _ in range(3):
                await console.step(pilot)
                assert header_is_honest(console) in ("degraded", "stale")
            assert "unreachable" in console.top()
            assert set(console.app.views) == set(open_ids + closed_ids)  # the last data stays
            await act(pilot, console, "abort", open_ids[0])
            report = judge_action("abort", open_ids[0], None, console.said)  # gone with the process
            assert report.messages[-1][1] == "warning"  # may not have happened: check, retry
            await create_through_dialog_expecting_failure(pilot, console)

            emu = EmulatorProcess(emulator_port).start()  # same port, a new process
            assert emu.url == f"http://127.0.0.1:{emulator_port}"
            # The org as the new process holds it: one job was closed meanwhile.
            _seed_org(emu, open_ids=open_ids[1:], closed_ids=[*closed_ids, open_ids[0]])
            for _ in range(2):  # current again within 2 cycles
                await console.step(pilot)
                if console.link() is LinkState.LIVE:
                    break
            truth = await _server_states(emu.url)
            shown = {k: v.job.state for k, v in console.app.views.items()}
            assert shown == truth
            assert "● live" in console.header() and "0s ago" in console.header()
            assert console.reauths == 1  # the old session meant nothing to the new process
            assert emu.stats().get(CREATE, 0) == 0  # the create during the outage never landed
            assert console.app.is_running
    finally:
        emu.kill()


async def create_through_dialog_expecting_failure(pilot: Any, console: Console) -> None:
    before = len(console.said)
    await pilot.press("n")
    await pilot.pause()
    await pilot.press(*"Case", "enter")
    await wait_until(
        pilot, lambda: any(sev != "information" for _, sev in console.said[before:]), timeout=20
    )
    final, severity = console.said[-1]
    assert "may or may not have been created" in final and severity == "warning", final
    await wait_until(pilot, console.quiet, timeout=20)


# --------------------------------------------------------------------------- finished first


async def test_job_finishes_between_confirmation_and_request() -> None:
    """The abort is confirmed while the last batch is still running; the request reaches
    the server after it finished. Salesforce (1.0) still marks a Closed job Aborted then, so
    the user must read that nothing was stopped."""
    console = build_console(busy_org)
    job = running(console.engine, rows=100, rate=5.0, batches=1)  # done after ~21 s
    async with console.app.run_test(size=(120, 35)) as pilot:
        await console.started(pilot)
        main = console.app.main
        assert main is not None and main.table.select_job(job.id)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(console.app.screen, AbortJobModal)
        console.transport.hold_state_changes = asyncio.Event()
        await pilot.press("y")
        await wait_until(pilot, lambda: console.transport.held == 1)
        console.clock.advance(120)  # meanwhile the batch completes
        console.transport.hold_state_changes.set()
        await wait_until(pilot, lambda: job.id not in console.app.pending, timeout=20)
        final, severity = [(m, s) for m, s in console.said if job.id in m][-1]
        assert "had already completed all 1 batches" in final, final
        assert "nothing was stopped" in final and severity == "information"
        assert console.engine.jobs[job.id].state is JobState.ABORTED


async def test_job_aborted_elsewhere_between_confirmation_and_request() -> None:
    """Someone else aborts it in that gap: the server refuses, the user reads that it had
    already been aborted and that nothing was done."""
    console = build_console(busy_org)
    job = running(console.engine, rows=100, rate=5.0, batches=1)
    async with console.app.run_test(size=(120, 35)) as pilot:
        await console.started(pilot)
        main = console.app.main
        assert main is not None and main.table.select_job(job.id)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        console.transport.hold_state_changes = asyncio.Event()
        await pilot.press("y")
        await wait_until(pilot, lambda: console.transport.held == 1)
        await console.admin.abort_job(job.id)
        console.transport.hold_state_changes.set()
        await wait_until(pilot, lambda: job.id not in console.app.pending, timeout=20)
        final, severity = [(m, s) for m, s in console.said if job.id in m][-1]
        assert "had already changed, so nothing was aborted" in final, final
        assert severity == "error"
        await wait_until(pilot, console.quiet, timeout=20)
        await console.step(pilot)
        assert console.app.views[job.id].job.state is JobState.ABORTED
