"""How long the journal keeps a job: ``BULKTUI_JOURNAL_DAYS``, else ``[journal]
retention_days`` in ``config.toml``, else 180 days. A setting that cannot be used is one line
and means no journal that run, never the default (which could prune history the user kept)."""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bulktui.cli import main
from bulktui.cli.history_cmd import journal_for_args
from bulktui.core.journal import Journal, NullJournal
from bulktui.core.settings import (
    Retention,
    SettingsError,
    journal_retention,
    settings_path,
)


def _settings(text: str) -> Path:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_is_180_days() -> None:
    assert journal_retention({}) == Retention(180, "default")


def test_the_environment_sets_it() -> None:
    assert journal_retention({"BULKTUI_JOURNAL_DAYS": "30"}) == Retention(
        30, "BULKTUI_JOURNAL_DAYS"
    )
    for bad in ("0", "-1", "3.5", "²", "99999999", "thirty"):
        with pytest.raises(SettingsError, match="BULKTUI_JOURNAL_DAYS"):
            journal_retention({"BULKTUI_JOURNAL_DAYS": bad})


def test_the_settings_file_sets_it_and_the_environment_wins() -> None:
    path = _settings("[journal]\nretention_days = 365\n")
    assert journal_retention({}) == Retention(365, str(path))
    assert journal_retention({"BULKTUI_JOURNAL_DAYS": "7"}).days == 7


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[journal]\nretention_days = 0\n", "from 1 to 36,500"),
        ("[journal]\nretention_days = 365.0\n", "whole number"),
        ("[journal]\nretention_days = true\n", "whole number"),
        ('[journal]\nretention_days = "365"\n', "whole number"),
        ("[journal]\nretention_days = 99999999\n", "from 1 to 36,500"),
        ("[journal]\nretention_day = 365\n", "unknown setting journal.retention_day"),
        ("[jornal]\nretention_days = 365\n", "unknown section [jornal]"),
        ("journal = 365\n", "must be a table"),
        ("[journal\nretention_days = 365\n", "not valid TOML"),
        ("[journal]\nretention_days = 1\x1b[2J\n", "not valid TOML"),
    ],
)
def test_a_bad_settings_file_is_refused_in_one_line(text: str, words: str) -> None:
    path = _settings(text)
    with pytest.raises(SettingsError) as caught:
        journal_retention({})
    message = str(caught.value)
    assert words in message and str(path) in message
    assert "\n" not in message and "\x1b" not in message


def test_a_settings_path_that_is_not_a_file_is_refused() -> None:
    path = settings_path()
    path.mkdir(parents=True)
    with pytest.raises(SettingsError, match="not a regular file"):
        journal_retention({})


def test_the_journal_of_a_run_prunes_by_the_setting(tmp_path: Path) -> None:
    _settings("[journal]\nretention_days = 400\n")
    args = argparse.Namespace(journal=str(tmp_path / "j.sqlite3"), no_journal=False)
    journal = journal_for_args(args, None, environ={})
    try:
        assert isinstance(journal, Journal) and journal.retention == timedelta(days=400)
    finally:
        journal.close()


def test_a_bad_setting_means_no_journal_this_run(tmp_path: Path) -> None:
    target = tmp_path / "j.sqlite3"
    args = argparse.Namespace(journal=str(target), no_journal=False)
    journal = journal_for_args(args, None, environ={"BULKTUI_JOURNAL_DAYS": "0"})
    assert isinstance(journal, NullJournal)
    assert journal.problem is not None and "BULKTUI_JOURNAL_DAYS='0'" in journal.problem
    assert "without the journal" in journal.problem
    assert not target.exists()  # nothing created, nothing pruned


def test_journal_info_says_the_retention_and_where_it_comes_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "j.sqlite3"
    Journal.open(target).close()
    path = _settings("[journal]\nretention_days = 365\n")

    def info() -> str:
        assert main(["journal", "--info", "--journal", str(target)]) == 0
        out, err = capsys.readouterr()
        assert err == ""
        return next(line for line in out.splitlines() if line.startswith("retention"))

    assert info().split(None, 1)[1] == f"365 days (from {path})"
    monkeypatch.setenv("BULKTUI_JOURNAL_DAYS", "30")
    assert info().split(None, 1)[1] == "30 days (from BULKTUI_JOURNAL_DAYS)"
    monkeypatch.setenv("BULKTUI_JOURNAL_DAYS", "0")
    assert "not usable: BULKTUI_JOURNAL_DAYS='0'" in info()
    monkeypatch.delenv("BULKTUI_JOURNAL_DAYS")
    os.remove(path)
    assert info().split(None, 1)[1] == "180 days"
