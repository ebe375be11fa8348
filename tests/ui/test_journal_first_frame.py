"""A relaunch on a warm journal with the network down: the console's very first frame already
shows the journal's newest jobs (issue 13), not an empty table that fills a paint later."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bulktui.core import live
from bulktui.core.journal import Journal
from bulktui.core.session import open_live_backend
from bulktui.emulator import EngineConfig
from bulktui.emulator.seeding import seed_jobs
from bulktui.ui import app as app_module
from bulktui.ui.app import ConsoleApp
from tests.support.emulator import emulated_org
from tests.ui.harness import INSTANCE, T0, SwitchableTransport, screen_text, wait_until
from tests.ui.seeds import small_org


class FirstFrameApp(ConsoleApp):
    """The console, noting what its first frame showed: ``_started`` runs after the first
    refresh, before the backend is asked for anything."""

    CSS_PATH = str(Path(app_module.__file__).with_name("bulktui.tcss"))  # not beside this file
    first_frame = ""

    first_view_state = ""

    def _started(self) -> None:
        self.first_frame = screen_text(self)
        main = self.main
        self.first_view_state = main.view_state() if main is not None else ""
        super()._started()


class Silent(httpx.AsyncBaseTransport):
    """A server that takes every request and never answers (a black hole, a hung proxy)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def relaunched_offline(
    tmp_path: Path, *, silent: bool = False
) -> tuple[FirstFrameApp, list[str]]:
    """The console relaunched on a warm journal of ``small_org`` with nothing answering
    (connections refused, or with ``silent`` no answer at all), and the org's job ids."""
    org = emulated_org(config=EngineConfig(session_seconds=10**8), start=T0)
    made = seed_jobs(org.engine, small_org(org.engine))
    path = tmp_path / "org.sqlite3"

    def journal() -> Journal:
        opened = Journal.open(path)
        assert isinstance(opened, Journal)
        return opened

    transport = SwitchableTransport(org.app)
    first = open_live_backend(
        org.client(transport=transport), instance_url=INSTANCE, journal=journal()
    )
    await first.poller.cycle()  # the journal now knows the org
    await first.aclose()

    transport = SwitchableTransport(org.app)
    transport.down = True  # nothing answers from here on
    dead = Silent() if silent else transport
    again = open_live_backend(org.client(transport=dead), instance_url=INSTANCE, journal=journal())
    return FirstFrameApp(again, now=org.clock.now), [job.id for job in made]


async def test_the_first_frame_shows_the_journals_jobs_with_the_network_down(
    tmp_path: Path,
) -> None:
    app, made = await relaunched_offline(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(pilot, lambda: bool(app.first_frame))
        for job_id in made:
            assert job_id in app.first_frame
        assert "from the journal" in app.first_frame
        await wait_until(pilot, lambda: f"{len(made)} jobs" in screen_text(app))


async def test_the_status_line_counts_the_journals_jobs_before_any_answer(
    tmp_path: Path,
) -> None:
    app, made = await relaunched_offline(tmp_path, silent=True)
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(pilot, lambda: bool(app.first_frame))
        await wait_until(pilot, lambda: f"{len(made)} jobs · " in screen_text(app))
        assert "waiting for Salesforce" in screen_text(app)


async def test_a_bigger_journals_first_frame_already_holds_every_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the journal's newest jobs (here 4) are parsed for the first frame; the others
    come unparsed (``JournalPreview``) and are shown from there until the poller has parsed
    them. So the first frame has every row, counted, live ones included, and looks exactly
    as it does once the rest is read."""
    monkeypatch.setattr(live, "FIRST_SCREEN", 4)
    app, made = await relaunched_offline(tmp_path, silent=True)
    assert len(made) > 4
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(pilot, lambda: bool(app.first_frame))
        assert app.first_view_state.startswith(f"{len(made)} jobs · ")
        assert "reading the rest" not in app.first_frame

        def rows(text: str) -> list[str]:
            """The table's lines: those under its header line."""
            lines = text.splitlines()
            top = next(i for i, line in enumerate(lines) if "job id" in line and "object" in line)
            return lines[top + 1 : top + 1 + len(made)]

        first_rows = rows(app.first_frame)
        assert all(any(j in line for j in made) for line in first_rows), first_rows
        await wait_until(pilot, lambda: app.snapshot is not None and not app.snapshot.partial)
        await pilot.pause()
        assert app.snapshot is not None and app.snapshot.preview is None
        assert rows(screen_text(app)) == first_rows
        main = app.main
        assert main is not None and main.view_state() == app.first_view_state


async def test_past_the_preview_cap_the_first_frame_does_not_pass_for_the_whole_org(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal bigger than the first frame may show (``PREVIEW_AT_MOST``): the status line
    must not count the newest jobs as the org's until the rest has been read."""
    monkeypatch.setattr(live, "FIRST_SCREEN", 2)
    monkeypatch.setattr(live, "PREVIEW_AT_MOST", 4)
    app, made = await relaunched_offline(tmp_path, silent=True)
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(pilot, lambda: bool(app.first_frame))
        assert app.first_view_state.startswith("newest 4 jobs, reading the rest…")
        await wait_until(pilot, lambda: f"{len(made)} jobs · " in screen_text(app))
        assert "reading the rest" not in screen_text(app)


async def test_a_detail_opened_offline_says_its_batches_were_not_answered(
    tmp_path: Path,
) -> None:
    """Not "loading…" for ever: the batches cannot come while nothing answers."""
    app, _made = await relaunched_offline(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(pilot, lambda: "unreachable" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: "the last refresh failed" in screen_text(app))
        assert "batches: loading" not in screen_text(app)
