"""Every CLI test keeps its journals in its own temporary state directory (never the user's),
and runs without a journal unless it asks for one (``--journal PATH``), so the job commands'
requests stay what each test expects. Subprocesses inherit the state directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_journal(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    state: Path = tmp_path_factory.mktemp("xdg-state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("BULKTUI_JOURNAL", "off")
