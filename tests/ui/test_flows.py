"""Pilot tests of every console flow, against the in-process emulator.

Actions are always checked on the server's side (the emulator's engine), not only on screen.
"""

from __future__ import annotations

import asyncio

from textual.widgets import Input, Static

from bulktui.api.enums import ContentType, JobState, Operation
from bulktui.ui import keys
from bulktui.ui.screens.confirm import AbortJobModal, CloseJobModal
from bulktui.ui.screens.failed_records import FailedRecordsScreen
from bulktui.ui.screens.help import HelpScreen
from bulktui.ui.screens.job_detail import JobDetailScreen
from bulktui.ui.screens.job_id import JobIdModal
from bulktui.ui.screens.new_job import NewJobModal
from bulktui.ui.screens.too_small import TooSmallScreen
from bulktui.ui.widgets.job_table import JobTable
from tests.ui.harness import (
    Harness,
    build,
    job_where,
    refresh,
    row_text,
    screen_text,
    settle,
    started,
    wait_until,
)
from tests.ui.seeds import MARKUP, hostile_org, small_org


def table(h: Harness) -> JobTable:
    main = h.app.main
    assert main is not None
    return main.table


def consequence(h: Harness) -> str:
    return str(h.app.screen.query_one("#consequence", Static).content)


async def select(pilot: object, h: Harness, job_id: str) -> None:
    assert table(h).select_job(job_id)
    await settle(pilot, h)


# ---------------------------------------------------------------------------------- the table


async def test_table_lists_jobs_newest_first_with_states_in_words() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        created = [h.engine.jobs[j].created for j in table(h).order]
        assert created == sorted(created, reverse=True)
        text = screen_text(h.app)
        for word in ("○ Open", "► Closed", "× Aborted", "! Failed", "√ Closed"):
            assert word in text
        assert "Olivia Ops" in text and "Grace Hopper" in text
        assert "api " in text and "● live" in text and "0s ago" in text
        # 1,500 failed of 14,000 processed is over the 10 % threshold: flagged with a glyph
        upsert = job_where(h, obj="Contact", state="Closed")
        assert "1,500 ▲11%" in row_text(h, upsert)


async def test_header_age_counts_up_and_link_word() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        h.clock.advance(3)
        h.app._tick()
        await pilot.pause()
        assert "3s ago" in screen_text(h.app).splitlines()[0]
        assert "live" in screen_text(h.app).splitlines()[0]


# ---------------------------------------------------------------------------------- abort


async def test_abort_confirmed_with_y() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        await pilot.press("a")
        await pilot.pause()
        modal = h.app.screen
        assert isinstance(modal, AbortJobModal)
        text = screen_text(h.app)
        assert job_id in text and "Account" in text and "insert" in text and "Open" in text
        assert "processed" in text and "failed" in text
        assert "no more records are processed" in consequence(h)
        assert "NOT rolled back" in consequence(h)
        assert modal.focused is not None and modal.focused.id == "cancel"
        await pilot.press("y")
        await wait_until(pilot, lambda: job_id not in h.app.pending)
        await settle(pilot, h)
        assert h.engine.jobs[job_id].state is JobState.ABORTED
        assert "× Aborted" in row_text(h, job_id)
        assert "aborted" in (h.app.last_message or ("", ""))[0]


async def test_abort_cancelled_with_escape() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        sent = h.transport.requests
        await pilot.press("a")
        assert isinstance(h.app.screen, AbortJobModal)
        await pilot.press("escape")
        await settle(pilot, h)
        assert not isinstance(h.app.screen, AbortJobModal)
        assert h.engine.jobs[job_id].state is JobState.OPEN
        assert h.transport.requests == sent  # nothing at all was sent
        assert "nothing was sent" in (h.app.last_message or ("", ""))[0]


async def test_abort_cancelled_with_enter_on_focused_cancel() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        await pilot.press("a", "enter")
        await settle(pilot, h)
        assert not isinstance(h.app.screen, AbortJobModal)
        assert h.engine.jobs[job_id].state is JobState.OPEN


async def test_abort_cancelled_with_n_and_second_a_does_nothing() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        depth = len(h.app.screen_stack)
        await pilot.press("a", "a")
        assert isinstance(h.app.screen, AbortJobModal)
        assert len(h.app.screen_stack) == depth + 1
        await pilot.press("n")
        await settle(pilot, h)
        assert len(h.app.screen_stack) == depth
        assert h.engine.jobs[job_id].state is JobState.OPEN


async def test_abort_shows_aborting_at_once_then_the_server_state() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        h.transport.hold_posts = asyncio.Event()
        await pilot.press("a", "y")
        await pilot.pause(0.05)
        assert "» aborting…" in row_text(h, job_id)
        assert h.engine.jobs[job_id].state is JobState.OPEN
        h.transport.hold_posts.set()
        await wait_until(pilot, lambda: job_id not in h.app.pending)
        await settle(pilot, h)
        assert "× Aborted" in row_text(h, job_id)


async def test_abort_only_for_open_or_closed_jobs() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Failed")
        await select(pilot, h, job_id)
        await pilot.press("a")
        assert not isinstance(h.app.screen, AbortJobModal)
        assert "Only an Open or Closed job can be aborted" in (h.app.last_message or ("", ""))[0]


async def test_refused_because_the_job_finished_first_is_said_in_plain_words() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        await pilot.press("c")
        assert isinstance(h.app.screen, CloseJobModal)
        # Behind the console's back, someone else closes the job first.
        await h.admin.close_job(job_id)
        await pilot.press("y")
        await wait_until(pilot, lambda: job_id not in h.app.pending)
        await refresh(pilot, h)
        message, severity = h.app.last_message or ("", "")
        assert "already" in message and "nothing was closed" in message, message
        assert severity == "error"
        assert "Closed" in row_text(h, job_id)


# ---------------------------------------------------------------------------------- close


async def test_close_confirmed() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(h.app.screen, CloseJobModal)
        assert "no more batches can be added" in consequence(h)
        await pilot.press("y")
        await wait_until(pilot, lambda: job_id not in h.app.pending)
        await settle(pilot, h)
        assert h.engine.jobs[job_id].state is JobState.CLOSED
        assert "Closed" in row_text(h, job_id)


async def test_close_only_for_open_jobs() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Aborted")
        await select(pilot, h, job_id)
        await pilot.press("c")
        assert not isinstance(h.app.screen, CloseJobModal)
        assert "Only an Open job can be closed" in (h.app.last_message or ("", ""))[0]


async def test_read_only_disables_close_abort_create_and_says_why() -> None:
    h = build(small_org, read_only=True)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        for key in ("a", "c", "n"):
            await pilot.press(key)
            assert h.app.screen is h.app.main
            assert "--read-only" in (h.app.last_message or ("", ""))[0]
        assert h.engine.jobs[job_id].state is JobState.OPEN
        assert "read-only" in screen_text(h.app).splitlines()[0]


# ---------------------------------------------------------------------------------- create


async def test_create_job_and_select_it() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        before = set(h.engine.jobs)
        await pilot.press("n")
        assert isinstance(h.app.screen, NewJobModal)
        await pilot.press(*"Case")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(h.engine.jobs) > len(before))
        new_id = (set(h.engine.jobs) - before).pop()
        await wait_until(pilot, lambda: table(h).cursor_id == new_id)
        job = h.engine.jobs[new_id]
        assert job.object_name == "Case" and job.operation is Operation.INSERT
        assert job.content_type is ContentType.CSV and job.state is JobState.OPEN
        assert "Case insert" in row_text(h, new_id)


async def test_create_upsert_needs_an_external_id_field() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        before = set(h.engine.jobs)
        await pilot.press("n")
        modal = h.app.screen
        assert isinstance(modal, NewJobModal)
        modal.query_one("#object").value = "Contact"  # type: ignore[attr-defined]
        modal.query_one("#operation").value = "upsert"  # type: ignore[attr-defined]
        await pilot.pause()
        modal._submit()
        await pilot.pause()
        assert "required for upsert" in screen_text(h.app)
        assert set(h.engine.jobs) == before
        modal.query_one("#external-id").value = "Email"  # type: ignore[attr-defined]
        modal._submit()
        await wait_until(pilot, lambda: len(h.engine.jobs) > len(before))
        new_id = (set(h.engine.jobs) - before).pop()
        assert h.engine.jobs[new_id].operation is Operation.UPSERT
        assert h.engine.jobs[new_id].external_id == "Email"


async def test_new_job_escape_sends_nothing() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        before = set(h.engine.jobs)
        await pilot.press("n", "escape")
        await settle(pilot, h)
        assert set(h.engine.jobs) == before
        assert h.app.screen is h.app.main


# ---------------------------------------------------------------------------------- view keys


async def test_filter_and_escape_clears_it() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("slash", *"contact")
        await pilot.pause()
        shown = table(h).order
        assert len(shown) == 2
        assert all(h.engine.jobs[j].object_name == "Contact" for j in shown)
        await pilot.press("enter")  # keeps the filter, back to the table
        assert table(h).has_focus and table(h).row_count == 2
        await pilot.press("escape")
        await pilot.pause()
        assert table(h).row_count == 6


async def test_sort_cycles_and_reverses_and_cursor_stays_on_its_job() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Failed")
        await select(pilot, h, job_id)
        keys = [table(h).sort_key]
        for _ in range(3):
            await pilot.press("s")
            keys.append(table(h).sort_key)
            assert table(h).cursor_id == job_id
        assert len(set(keys)) == 4
        order = table(h).order
        await pilot.press("S")
        assert table(h).order != order and table(h).cursor_id == job_id
        assert "sort " in screen_text(h.app)


async def test_cursor_stays_on_its_job_when_new_jobs_arrive() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Aborted")
        await select(pilot, h, job_id)
        for _ in range(3):
            await h.admin.create_job("Lead", Operation.INSERT)
        await refresh(pilot, h)
        assert table(h).row_count == 9
        assert table(h).cursor_id == job_id


async def test_only_my_jobs() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("m")
        me = h.engine.default_user.id
        shown = table(h).order
        assert shown and all(h.engine.jobs[j].created_by == me for j in shown)
        assert len(shown) < 6
        await pilot.press("m")
        assert table(h).row_count == 6


async def test_pause_and_resume() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("p")
        await pilot.pause()
        assert h.backend.poller.paused
        assert "‖ paused" in screen_text(h.app).splitlines()[0]
        sent = h.transport.requests
        h.backend.refresh_now()  # ignored while paused
        await pilot.pause(0.1)
        assert h.transport.requests == sent
        await pilot.press("p")
        await settle(pilot, h)
        assert not h.backend.poller.paused
        assert "● live" in screen_text(h.app).splitlines()[0]


async def test_refresh_now_shows_a_job_created_elsewhere() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        created = await h.admin.create_job("Lead", Operation.INSERT)
        cycle = h.status_cycle()
        await pilot.press("r")
        await wait_until(pilot, lambda: h.status_cycle() > cycle and created.id in table(h).order)


async def test_interval_keys() -> None:
    h = build(small_org, interval=5)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("minus")
        assert h.backend.interval == 10
        await pilot.press("plus")
        await pilot.press("plus")
        assert h.backend.interval == 3
        assert "every 3s" in screen_text(h.app)


async def test_copy_id_uses_the_clipboard_and_shows_it() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = table(h).cursor_id
        await pilot.press("y")
        assert h.app.clipboard == job_id
        assert job_id in screen_text(h.app)


async def test_help_lists_every_key() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 40)) as pilot:
        await started(pilot, h)
        await pilot.press("question_mark")
        assert isinstance(h.app.screen, HelpScreen)
        text = h.app.screen.plain
        for binding in (*keys.COMMAND_BINDINGS, *keys.NAVIGATION_BINDINGS):
            assert binding.tooltip in text, binding.id
        for shown in ("↑ k", "↓ j", "PgUp", "enter", "/", "+", "-", "ctrl+p", "quit"):
            assert shown in text
        assert "--read-only" not in text  # nothing is disabled here
        await pilot.press("escape")
        assert h.app.screen is h.app.main


# ---------------------------------------------------------------------------------- palette


async def test_palette_abort_by_id_validates_then_confirms() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await pilot.press("ctrl+p")
        await pilot.press(*f"abort {job_id}")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, AbortJobModal))
        assert job_id in screen_text(h.app)
        await pilot.press("y")
        await wait_until(pilot, lambda: h.engine.jobs[job_id].state is JobState.ABORTED)


async def test_palette_bad_id_sends_nothing() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        sent = h.transport.requests
        await pilot.press("ctrl+p")
        await pilot.press(*"abort 750XYZ")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not isinstance(h.app.screen, AbortJobModal)
        message = (h.app.last_message or ("", ""))[0]
        assert "750XYZ" in message and "not a Salesforce id" in message
        assert h.transport.requests == sent


# ---------------------------------------------------------------------------------- detail


async def test_detail_shows_every_field_with_its_wire_name_and_the_batches() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(150, 75)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Closed", obj="Contact")
        await select(pilot, h, job_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))
        detail = h.app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: detail.batches is not None)
        text = screen_text(h.app)
        for label, wire in (
            ("Records processed", "numberRecordsProcessed"),
            ("External ID field", "externalIdFieldName"),
            ("Concurrency mode", "concurrencyMode"),
            ("Created by", "createdById"),
            ("API active processing time", "apiActiveProcessingTime"),
        ):
            assert label in text and wire in text
        assert "Grace Hopper" in text
        assert "Purge" in text and "youngest batch + 7 days" in text
        assert "batches (3)" in text
        assert "√ Completed" in text and "► InProgress" in text and "○ Queued" in text
        await pilot.press("escape")
        assert h.app.screen is h.app.main


async def test_drill_into_failed_records_grouped_by_error_code() -> None:
    h = build()
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job = await h.admin.create_job("Account", Operation.INSERT)
        rows = ["Name,Industry"] + [f"Acme {i},Energy" for i in range(6)] + [",Energy"] * 4
        await h.admin.add_batch(job.id, ("\n".join(rows) + "\n").encode(), ContentType.CSV)
        await h.admin.close_job(job.id)
        h.clock.advance(60)
        await refresh(pilot, h)
        await select(pilot, h, job.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))
        detail = h.app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: bool(detail.batches))
        await settle(pilot, h)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, FailedRecordsScreen))
        records = h.app.screen
        assert isinstance(records, FailedRecordsScreen)
        await wait_until(pilot, lambda: records.results is not None)
        text = screen_text(h.app)
        assert "REQUIRED_FIELD_MISSING" in text
        assert "4 failed of 10 rows" in text
        assert "Required fields are missing: [Name]" in text  # brackets shown literally
        await pilot.press("escape")
        assert isinstance(h.app.screen, JobDetailScreen)


# ---------------------------------------------------------------------------------- purge, faults


async def test_purged_job_is_shown_as_purged_not_as_an_error() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Failed")
        h.clock.advance(8 * 24 * 3600)  # past the 7-day lifespan (+ up to 24 h)
        await refresh(pilot, h)
        assert job_id not in h.engine.jobs
        assert "· purged" in row_text(h, job_id)
        assert h.backend.status().link.value == "live"
        assert h.app.screen is h.app.main


async def test_fault_keeps_data_marked_degraded_then_recovers() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        rows = table(h).row_count
        h.transport.down = True
        h.clock.advance(10)
        await refresh(pilot, h)
        header = screen_text(h.app).splitlines()[0]
        assert "degraded" in header or "stale" in header
        assert "10s ago" in header
        assert table(h).row_count == rows  # the last data stays on screen
        assert "unreachable" in screen_text(h.app).splitlines()[1]  # the problem line
        h.transport.down = False
        await refresh(pilot, h)
        header = screen_text(h.app).splitlines()[0]
        assert "● live" in header and "0s ago" in header
        assert "unreachable" not in screen_text(h.app)


# ---------------------------------------------------------------------------------- small terminal


async def test_terminal_too_small_then_big_enough_again() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.resize_terminal(60, 20)
        await pilot.pause(0.1)
        assert isinstance(h.app.screen, TooSmallScreen)
        assert "terminal too small: 60x20" in screen_text(h.app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        assert h.app.screen is h.app.main
        assert table(h).row_count == 6


# ---------------------------------------------------------------------------------- server text


async def test_markup_and_escape_sequences_from_the_server_are_shown_literally() -> None:
    h = build(hostile_org)
    async with h.app.run_test(size=(180, 50)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Closed")
        assert "[bold]Mallory" in row_text(h, job_id)
        await select(pilot, h, job_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))
        detail = h.app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: bool(detail.batches))
        await settle(pilot, h)
        text = screen_text(h.app)
        assert MARKUP in text  # not turned into colour or a link
        assert "\\x1b[31mred\\x1b[0m\\x07bell" in text  # escapes made visible
        assert "[bold]Mallory[/bold] \\x1b[2J" in text
        assert "\x1b" not in text and "\x07" not in text


async def test_palette_abort_job_by_id_asks_for_the_id_and_checks_it() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await pilot.press("ctrl+p")
        await pilot.press(*"abort job")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobIdModal))
        await pilot.press(*"750bogus", "enter")
        await pilot.pause()
        assert isinstance(h.app.screen, JobIdModal)  # refused in place, nothing sent
        assert "not a Salesforce id" in screen_text(h.app)
        field = h.app.screen.query_one(Input)
        field.value = job_id[:15]  # a 15-character id is fine too
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, AbortJobModal))
        assert job_id in screen_text(h.app)
        await pilot.press("escape")
        await settle(pilot, h)
        assert h.engine.jobs[job_id].state is JobState.OPEN


async def test_palette_switches_themes() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert h.app.theme == "bulktui-dark"
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await pilot.press(*"bulktui-light")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: h.app.theme == "bulktui-light")


async def test_quit_while_an_abort_waits_for_the_server_asks_twice() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        job_id = job_where(h, state="Open", obj="Account")
        await select(pilot, h, job_id)
        h.transport.hold_posts = asyncio.Event()
        await pilot.press("a", "y")
        await pilot.pause(0.05)
        await pilot.press("q")
        await pilot.pause()
        assert h.app.is_running
        assert "press q again" in (h.app.last_message or ("", ""))[0]
        h.transport.hold_posts.set()
        await wait_until(pilot, lambda: job_id not in h.app.pending)
        assert h.engine.jobs[job_id].state is JobState.ABORTED


def burst(h: Harness, text: str) -> None:
    """Keys arriving together, as from a paste or a slow SSH link: no wait between them."""
    from textual import events

    names = {"/": "slash", " ": "space", "\r": "enter", "\x1b": "escape"}
    for ch in text:
        key = names.get(ch, ch)
        h.app.post_message(events.Key(key, None if ch in "\r\x1b" else ch))


async def test_keys_typed_right_after_slash_go_into_the_filter_not_to_dialogs() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        burst(h, "/cana\r")  # "c", "a" and "n" would open close / abort / new-job dialogs
        await pilot.pause(0.2)
        assert h.app.screen is h.app.main
        assert table(h).filter_text == "cana"
        burst(h, "\x1b")
        await pilot.pause(0.2)
        assert table(h).filter_text == ""


async def test_object_typed_right_after_n_goes_into_the_new_job_dialog() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        burst(h, "nCase_History")  # "c" then "y" must never close and confirm anything
        await pilot.pause(0.3)
        modal = h.app.screen
        assert isinstance(modal, NewJobModal)
        assert modal.query_one("#object", Input).value == "Case_History"
        assert all(j.state is not JobState.CLOSED or j.batches for j in h.engine.jobs.values())


async def test_mouse_click_selects_and_double_click_opens_the_detail() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        third = table(h).order[2]
        await pilot.click(JobTable, offset=(3, 3))  # line 0 is the header
        assert table(h).cursor_id == third
        await pilot.double_click(JobTable, offset=(3, 3))
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))


async def test_keys_arriving_together_act_in_order_on_the_right_job() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        first, second = table(h).order[:2]
        assert table(h).cursor_id == first
        burst(h, "ja")  # move down, then abort: the dialog must be about the second job
        await pilot.pause(0.3)
        modal = h.app.screen
        assert isinstance(modal, AbortJobModal)
        assert modal.view.id == second
