"""The history view (issue 13, "History"): purged jobs from a real journal file, dimmed and
marked ``purged`` in words; every past job on ``e``; the detail from the journal, marked
"from the journal, as of …"; hostile server text escaped; no journal → one line saying why."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Input

from bulktui.core.journal import Journal, NullJournal
from bulktui.core.journal_open import WITHOUT
from bulktui.ui.screens.history import HistoryScreen
from bulktui.ui.screens.journal_detail import JournalJobScreen
from bulktui.ui.screens.text_view import TextViewScreen
from bulktui.ui.widgets.field_list import FieldList
from bulktui.ui.widgets.key_table import KeyTable
from bulktui.ui.widgets.quiet import QuietStatic
from tests.ui.harness import wait_until
from tests.ui.history_support import (
    BATCH_BAD,
    ENDED_ID,
    EVIL_ID,
    T0,
    V1_ID,
    V2_ID,
    HostApp,
    filled_journal,
    screen_text,
)

SIZE = (80, 24)


async def _open(app: HostApp, pilot: object, screen: HistoryScreen) -> None:
    await app.push_screen(screen)
    await wait_until(pilot, lambda: screen.loaded or not screen.table.display)


async def test_purged_jobs_newest_first_marked_in_words(tmp_path: Path) -> None:
    journal = filled_journal(tmp_path / "j.sqlite3")
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0)
        await _open(app, pilot, screen)
        assert screen.table.order == [V1_ID, EVIL_ID, V2_ID]  # newest first; not the ended one
        text = screen_text(app)
        assert "History: jobs Salesforce purged, from the journal" in text
        rows = [line for line in text.splitlines() if "750000000000" in line]
        assert len(rows) == 3
        assert all("purged" in row for row in rows)  # in words, not by colour alone
        assert ENDED_ID not in text
        assert "3 purged jobs; e: every past job" in text

        await pilot.press("e")
        assert screen.table.order == [V1_ID, EVIL_ID, ENDED_ID, V2_ID]
        text = screen_text(app)
        assert "History: every past job" in text
        ended_row = next(line for line in text.splitlines() if ENDED_ID[:15] in line)
        assert "purged" not in ended_row and "Closed" in ended_row

        await pilot.press("e")
        assert screen.table.order == [V1_ID, EVIL_ID, V2_ID]
    journal.close()


async def test_hostile_object_name_is_shown_escaped(tmp_path: Path) -> None:
    journal = filled_journal(tmp_path / "j.sqlite3")
    app = HostApp()
    async with app.run_test(size=(120, 24)) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0)
        await _open(app, pilot, screen)
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "Acc\\x1b[31m" in text

        screen.table.select_job(EVIL_ID)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JournalJobScreen))
        detail = screen_text(app)
        assert "\x1b" not in detail and "\x07" not in detail
        assert "Acc\\x1b[31mount\\x1b]0;pwned\\x07\\u202e" in detail
    journal.close()


async def test_keys_move_and_filter(tmp_path: Path) -> None:
    journal = filled_journal(tmp_path / "j.sqlite3")
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0)
        await _open(app, pilot, screen)
        table = screen.table
        assert table.cursor_id == V1_ID
        await pilot.press("j")
        assert table.cursor_id == EVIL_ID
        await pilot.press("end")
        assert table.cursor_id == V2_ID
        await pilot.press("k")
        assert table.cursor_id == EVIL_ID
        await pilot.press("home")
        assert table.cursor_id == V1_ID
        await pilot.press("pagedown")
        assert table.cursor_id == V2_ID
        await pilot.press("pageup", "down")
        assert table.cursor_id == EVIL_ID

        await pilot.press("slash")
        await pilot.press(*"upsert")  # "e" and "j"-like letters are filter text now
        assert table.order == [V2_ID]
        assert not screen.every
        await pilot.press("enter")  # keeps the filter, back to the table
        assert table.order == [V2_ID]
        await pilot.press("escape")  # clears it
        assert table.order == [V1_ID, EVIL_ID, V2_ID]
        await pilot.press("slash", *"nothing")
        assert table.order == []
        assert "no jobs match the filter" in screen_text(app)
        await pilot.press("escape")
        assert table.order == [V1_ID, EVIL_ID, V2_ID]
        await pilot.press("escape")  # no filter: back
        assert app.screen is not screen
    journal.close()


async def test_keys_pasted_with_the_slash_are_filter_text(tmp_path: Path) -> None:
    """A paste or a slow link delivers "/upsert" at once: every key is queued before the box
    has the focus, and still all of it is filter text (its "e" does not toggle the view)."""
    journal = filled_journal(tmp_path / "j.sqlite3")
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0)
        await _open(app, pilot, screen)
        for key, character in [("slash", "/"), *((c, c) for c in "upsert")]:
            app.post_message(events.Key(key, character))
        await wait_until(pilot, lambda: screen.table.order == [V2_ID])
        assert screen.query_one("#history-filter", Input).value == "upsert"
        assert not screen.every
        await pilot.press("q")  # typed into the box, never the app's quit
        assert screen.query_one("#history-filter", Input).value == "upsertq"
        assert app.is_running
    journal.close()


async def test_enter_opens_the_journal_record_v1(tmp_path: Path) -> None:
    journal = filled_journal(tmp_path / "j.sqlite3")
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0)
        await _open(app, pilot, screen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JournalJobScreen))
        detail = app.screen
        assert isinstance(detail, JournalJobScreen)
        assert detail.job_id == V1_ID
        text = screen_text(app)
        assert "from the journal, as of 2026-03-02 09:00:00 UTC" in text
        assert "purged" in text
        batches = detail.query_one("#journal-batches", KeyTable)
        groups = detail.query_one("#journal-groups", KeyTable)
        assert batches.row_count == 2
        assert groups.row_count == 2
        assert detail.focused is groups
        await pilot.resize_terminal(120, 50)
        await pilot.pause()
        text = screen_text(app)
        assert "DUPLICATE_VALUE" in text and "REQUIRED_FIELD_MISSING" in text
        assert "results kept: processed 200 · failed 30" in text
        assert "batches (2, 1 failed as a whole) · results kept: processed 200" in text
        assert "failed records: 30 in 2 error groups; enter: a message in full" in text

        await pilot.press("enter")  # the first group's message in full
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen))
        assert "duplicate value found: Name" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is detail)

        batches.focus()
        batches.move_cursor(row=1)
        await pilot.press("enter")  # the failed batch's stateMessage in full
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen))
        text = screen_text(app)
        assert BATCH_BAD in text and "Field name not found : Nmae" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is detail)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.table.cursor_id == V1_ID
    journal.close()


async def test_enter_opens_the_journal_record_v2(tmp_path: Path) -> None:
    journal = filled_journal(tmp_path / "j.sqlite3")
    app = HostApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0)
        await _open(app, pilot, screen)
        await pilot.press("end", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JournalJobScreen))
        detail = app.screen
        assert isinstance(detail, JournalJobScreen)
        assert detail.job_id == V2_ID
        assert not detail.query_one("#journal-batches").display
        text = screen_text(app)
        assert "successful 950 · failed 50" in text
        assert "INVALID_EMAIL_ADDRESS" in text
        assert "failed records: 50 in 1 error group;" in text
    journal.close()


async def test_the_newest_are_kept_and_a_line_says_so(tmp_path: Path) -> None:
    journal = filled_journal(tmp_path / "j.sqlite3")
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0, cap=2)
        await _open(app, pilot, screen)
        assert screen.table.order == [V1_ID, EVIL_ID]
        assert "showing the newest 2 of 3 purged jobs" in screen_text(app)
    journal.close()


async def test_an_unusable_journal_shows_why_in_one_line(tmp_path: Path) -> None:
    broken = Journal.open(tmp_path)  # a directory: never a journal
    assert isinstance(broken, NullJournal) and broken.problem
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(broken, now=lambda: T0)
        await _open(app, pilot, screen)
        assert not screen.table.display
        note = screen.query_one("#history-note", QuietStatic).plain
        assert note == f"no history: journal {tmp_path} is a directory; {WITHOUT}"
        assert "no history: journal" in screen_text(app)
        await pilot.press("e", "slash", "j")  # nothing to act on
        assert not screen.table.display
        await pilot.press("escape")
        assert app.screen is not screen


async def test_a_journal_turned_off_says_so(tmp_path: Path) -> None:
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(NullJournal(), now=lambda: T0)
        await _open(app, pilot, screen)
        assert "no history: the journal is turned off" in screen_text(app)


async def test_a_journal_with_no_purged_jobs(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "empty.sqlite3")
    app = HostApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0)
        await _open(app, pilot, screen)
        assert screen.table.display and screen.table.order == []
        assert "the journal holds no purged jobs" in screen_text(app)
    journal.close()


async def test_a_creator_the_console_knows_is_named(tmp_path: Path) -> None:
    """The journal keeps user ids; the live org's directory names them, here and in the
    detail (a name is server text: shown escaped)."""
    journal = filled_journal(tmp_path / "j.sqlite3")
    names = {"005000000000001AAA": "Ada Loader\x1b[2J"}
    app = HostApp()
    async with app.run_test(size=(120, 24)) as pilot:
        screen = HistoryScreen(journal, now=lambda: T0, names=names)
        await _open(app, pilot, screen)
        text = screen_text(app)
        assert "Ada Loade…" in text and "\x1b" not in text  # the column is 10 wide
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JournalJobScreen))
        shown = {f.note: f.value for f in app.screen.query_one(FieldList).fields}
        assert shown["createdById"] == "Ada Loader\\x1b[2J (005000000000001AAA)"
    journal.close()
