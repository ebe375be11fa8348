"""Themes: a bad variable is reported and the file skipped; the high-contrast theme uses the
terminal's own foreground; TERM=linux asks for ASCII borders (issue 11 item 22, 12 item 21)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bulktui.ui.themes import ascii_borders, load_themes, repo_dir, variable_problem
from tests.ui.harness import build, screen_text, started


def test_a_theme_with_a_bad_variable_is_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(
        'name = "good"\nprimary = "#ff0088"\n[variables]\njob-live = "ansi_default"\n'
        'block-cursor-text-style = "bold reverse"\njob-done = "#808080 50%"\n'
    )
    (tmp_path / "bad-var.toml").write_text(
        'name = "bad"\nprimary = "#ff0088"\n[variables]\njob-live = "not-a-colour"\n'
    )
    (tmp_path / "bad-ansi.toml").write_text(
        'name = "bad2"\nprimary = "#ff0088"\n[variables]\njob-flag = "ansi_purple"\n'
    )
    loaded = load_themes([tmp_path])
    assert [t.name for t in loaded.themes] == ["good"]
    reasons = {path.name: reason for path, reason in loaded.failures}
    assert "job-live: 'not-a-colour' is not a colour" in reasons["bad-var.toml"]
    assert "job-flag" in reasons["bad-ansi.toml"]


def test_variable_values() -> None:
    assert variable_problem("bold reverse") is None
    assert variable_problem("ansi_default 50%") is None
    assert variable_problem("transparent") is None
    assert variable_problem("") == "is empty"
    assert variable_problem("$primary") is not None  # no references: Textual would not resolve it


async def test_the_console_starts_with_a_bad_theme_file_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "bad-var.toml").write_text(
        'name = "bad"\nprimary = "#ff0088"\n[variables]\njob-live = "oops"\n'
    )
    h = build(theme_dirs=[tmp_path])
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert "bad-var.toml skipped" in (h.app.last_message or ("", ""))[0]
        assert "bad" not in h.app.available_themes
        assert "no jobs" in screen_text(h.app)


def test_high_contrast_uses_the_terminals_foreground_not_bright_white() -> None:
    folder = repo_dir()
    assert folder is not None
    data = tomllib.loads((folder / "bulktui-high-contrast.toml").read_text())
    values = [v for k, v in data.items() if isinstance(v, str)] + list(data["variables"].values())
    assert not any("bright_white" in v or "bright_yellow" in v for v in values)
    assert data["foreground"] == "ansi_default"
    assert data["variables"]["job-live"] == "ansi_default"
    assert "reverse" in data["variables"]["block-cursor-text-style"]


def test_ascii_borders_on_the_linux_console() -> None:
    assert ascii_borders({"TERM": "linux"})
    assert not ascii_borders({"TERM": "xterm-256color"})
    assert not ascii_borders({})
