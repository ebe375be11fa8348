"""The history view and a past job's detail at 80x24 (sync: ``snap_compare`` runs the app
itself, docs/textual-notes.md §3.2). The clock is frozen: the rows' ages count from ``T0`` and
the journal's "as of" is pinned, since the journal stamps its writes with the wall clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bulktui.ui.screens.history import HistoryScreen
from bulktui.ui.screens.journal_detail import JournalJobScreen
from tests.ui.harness import wait_until
from tests.ui.history_support import PURGED_AT, T0, HostApp, filled_journal


@pytest.mark.parametrize("keys", [(), ("enter",)], ids=["list", "detail"])
def test_history_80x24(snap_compare: Any, tmp_path: Path, keys: tuple[str, ...]) -> None:
    journal = filled_journal(tmp_path / "j.sqlite3")

    def as_of() -> datetime:
        return PURGED_AT

    journal.known_as_of = as_of  # type: ignore[method-assign]
    app = HostApp()
    screen = HistoryScreen(journal, now=lambda: T0)

    async def run_before(pilot: Any) -> None:
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.loaded)
        if keys:
            await pilot.press(*keys)
            await wait_until(pilot, lambda: isinstance(app.screen, JournalJobScreen))

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    finally:
        journal.close()
