"""TERM=linux: the Linux console's fonts lack heavy lines, so frames and rules are ASCII."""

from __future__ import annotations

import pytest
from textual.widgets import Rule

from tests.ui.harness import build, started
from tests.ui.seeds import small_org


async def test_term_linux_draws_ascii_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "linux")
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert h.app.has_class("-ascii")
        assert h.app.main is not None
        assert h.app.main.query_one("#summary-rule", Rule).line_style == "ascii"
        await pilot.press("question_mark")
        await pilot.pause()
        dialog = h.app.screen.query_one("#dialog")
        assert dialog.styles.border_top[0] == "ascii"


async def test_other_terminals_keep_their_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert not h.app.has_class("-ascii")
        await pilot.press("question_mark")
        await pilot.pause()
        assert h.app.screen.query_one("#dialog").styles.border_top[0] == "thick"
