"""The console's pure parts: formatting, column layout, themes, the CLI's console options."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bulktui.api.enums import JobState, Operation
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.cli.common import UsageError
from bulktui.core.snapshot import JobView
from bulktui.ui import format as fmt
from bulktui.ui.keys import INTERVAL_STEPS, next_interval
from bulktui.ui.screens.failed_records import group_errors
from bulktui.ui.screens.new_job import validate_spec
from bulktui.ui.themes import load_themes, package_dir, repo_dir, theme_dirs
from bulktui.ui.widgets.job_table import layout_columns
from tests.ui.harness import build, started

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def view(**changes: object) -> JobView:
    job = JobInfo(
        id="750000000000001AAA",
        operation=Operation.INSERT,
        object="Account",
        state=JobState.CLOSED,
        created_date=NOW - timedelta(minutes=10),
        number_batches_queued=1,
        number_batches_in_progress=0,
        number_batches_completed=3,
        number_batches_failed=1,
        number_batches_total=5,
        number_records_processed=1000,
        number_records_failed=150,
    )
    import dataclasses

    return JobView(job=dataclasses.replace(job, **changes))  # type: ignore[arg-type]


def test_server_text_is_made_safe() -> None:
    assert fmt.safe("[red]x[/red]") == "[red]x[/red]"
    assert fmt.safe("\x1b[31mred\x07") == "\\x1b[31mred\\x07"
    assert fmt.safe("two\nlines\ttab") == "two lines tab"
    assert fmt.safe(None) == ""


def test_relative_times_and_when_they_change() -> None:
    assert fmt.ago(NOW - timedelta(seconds=3), NOW) == "3s ago"
    assert fmt.ago(NOW - timedelta(minutes=12), NOW, short=True) == "12m"
    assert fmt.ago(NOW - timedelta(hours=5), NOW) == "5h ago"
    assert fmt.ago(NOW - timedelta(days=2), NOW) == "2d ago"
    assert fmt.ago(None, NOW) == fmt.DASH
    assert fmt.next_ago_change(NOW - timedelta(seconds=3.5), NOW) == pytest.approx(0.5)
    # past a minute the text changes once a minute, not every second
    assert fmt.next_ago_change(NOW - timedelta(seconds=90), NOW) == pytest.approx(30)


def test_state_cells_have_a_glyph_and_a_word() -> None:
    assert fmt.job_state(view(state=JobState.OPEN)) == "○ Open"
    assert fmt.job_state(view()) == "► Closed"  # a batch is still queued
    done = view(number_batches_queued=0, number_batches_failed=0, number_batches_completed=4)
    assert fmt.job_state(done) == "√ Closed"
    assert fmt.job_state(view(state=JobState.ABORTED)) == "× Aborted"
    assert fmt.job_state(view(), "aborting…") == "» aborting…"
    purged = JobView(job=view().job, purged=True)
    assert fmt.job_state(purged) == "· purged"
    assert fmt.job_state(view(state=JobState("SomethingNew"))) == "? SomethingNew"


def test_failure_rate_flag_has_a_glyph() -> None:
    assert fmt.failed_cell(view(), 0.10) == ("150 ▲15%", True)
    assert fmt.failed_cell(view(), 0.20) == ("150 15%", False)
    assert fmt.failed_cell(view(number_records_failed=0), 0.10) == ("0", False)
    assert fmt.batch_progress(view().job) == "3+1/5"
    assert fmt.count(1234567) == "1,234,567"


def test_purge_time_is_seven_days_after_the_youngest_batch() -> None:
    job = view().job
    batches = (
        BatchInfo(id="751000000000001AAA", created_date=NOW - timedelta(days=2)),
        BatchInfo(id="751000000000002AAA", created_date=NOW - timedelta(days=1)),
    )
    when, basis = fmt.purge_time(job, batches) or (None, "")
    assert when == NOW + timedelta(days=6) and basis == "youngest batch"
    when, basis = fmt.purge_time(job, ()) or (None, "")
    assert when == NOW - timedelta(minutes=10) + timedelta(days=7) and basis == "job creation"


def test_columns_fit_every_width_and_keep_the_id() -> None:
    for width in (79, 100, 119, 159, 250):
        columns = layout_columns(width)
        used = sum(w for _, w in columns) + len(columns) - 1
        assert used <= width
        assert [c.key for c, _ in columns][:3] == ["id", "objop", "state"]
    assert len(layout_columns(79)) < len(layout_columns(119)) == 10


def test_new_job_validation() -> None:
    spec = validate_spec("Account", "insert", "CSV", "", "Parallel")
    assert not isinstance(spec, str) and spec.operation is Operation.INSERT
    assert "required for upsert" in str(validate_spec("Account", "upsert", "CSV", "", "Serial"))
    assert "only for upsert" in str(validate_spec("Account", "insert", "CSV", "Ext__c", ""))
    assert "not an API name" in str(validate_spec("Acc ount", "insert", "CSV", "", ""))
    assert "operation" in str(validate_spec("Account", "Insert", "CSV", "", ""))  # exact case


def test_error_groups() -> None:
    from bulktui.api.models import RecordError, RecordResult

    def failed(code: str) -> RecordResult:
        return RecordResult(None, False, False, (RecordError(code, f"{code} msg"),))

    results = [failed("A"), failed("B"), failed("A"), RecordResult("001", True, True)]
    assert group_errors(results) == [("A", 2, "A msg"), ("B", 1, "B msg")]


def test_interval_steps() -> None:
    assert next_interval(5, 1) == 10 and next_interval(5, -1) == 3
    assert next_interval(7, -1) == 5 and next_interval(INTERVAL_STEPS[-1], 1) == INTERVAL_STEPS[-1]


# ------------------------------------------------------------------------------- themes


def test_shipped_themes_load() -> None:
    loaded = load_themes()
    names = {t.name for t in loaded.themes}
    assert {"bulktui-dark", "bulktui-light", "bulktui-high-contrast"} <= names
    hc = next(t for t in loaded.themes if t.name == "bulktui-high-contrast")
    assert hc.ansi  # 16-colour safe
    assert repo_dir() is not None or package_dir().is_dir()
    assert theme_dirs()[-1].name == "themes"


def test_broken_user_theme_is_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "mine"\nprimary = "#ff0088"\n')
    (tmp_path / "bad-toml.toml").write_text("name = \n")
    (tmp_path / "bad-key.toml").write_text('name = "x"\nprimary = "#fff"\ncolour = "red"\n')
    (tmp_path / "bad-colour.toml").write_text('name = "y"\nprimary = "not-a-colour"\n')
    loaded = load_themes([tmp_path])
    assert [t.name for t in loaded.themes] == ["mine"]
    reasons = {path.name: reason for path, reason in loaded.failures}
    assert "not valid TOML" in reasons["bad-toml.toml"]
    assert "unknown key" in reasons["bad-key.toml"]
    assert "not a colour" in reasons["bad-colour.toml"]


async def test_user_themes_register_and_broken_ones_are_said(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "mine"\nprimary = "#ff0088"\n')
    (tmp_path / "broken.toml").write_text("[[[")
    h = build(theme="mine", theme_dirs=[tmp_path])
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert h.app.theme == "mine"
        assert "mine" in h.app.available_themes
        message = h.app.last_message or ("", "")
        assert "broken.toml skipped" in message[0]


async def test_unknown_theme_falls_back_to_the_default_and_says_so() -> None:
    h = build(theme="no-such-theme")
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert h.app.theme == "bulktui-dark"
        assert "no theme called 'no-such-theme'" in (h.app.last_message or ("", ""))[0]


# ------------------------------------------------------------------------------- the CLI


def test_console_refuses_a_bad_interval_and_an_unknown_theme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bulktui.cli import console_cmd

    args = argparse.Namespace(interval=0, demo=True, theme=None, read_only=False, no_mouse=True)
    with pytest.raises(UsageError, match="--interval"):
        console_cmd.run_console(args)
    closed: list[bool] = []

    class Backend:
        async def aclose(self) -> None:
            closed.append(True)

    monkeypatch.setattr(console_cmd, "demo_backend", lambda *a, **k: Backend())
    args = argparse.Namespace(interval=5, demo=True, theme="nope", read_only=False, no_mouse=True)
    with pytest.raises(UsageError, match="no theme called 'nope'"):
        console_cmd.run_console(args)
    assert closed == [True]


def test_failure_threshold_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bulktui.cli.console_cmd import _threshold

    monkeypatch.setenv("BULKTUI_FAILURE_THRESHOLD", "25%")
    assert _threshold() == 0.25
    monkeypatch.setenv("BULKTUI_FAILURE_THRESHOLD", "0.05")
    assert _threshold() == 0.05
    monkeypatch.setenv("BULKTUI_FAILURE_THRESHOLD", "lots")
    with pytest.raises(UsageError):
        _threshold()


def test_demo_backend_serves_the_demo_org_and_closing_stops_it() -> None:
    import asyncio

    import httpx

    from bulktui.cli.console_cmd import demo_backend

    backend = demo_backend(5.0)
    url = backend.instance_url
    assert url.startswith("http://127.0.0.1:")
    stats = httpx.get(f"{url}/_emulator/stats").json()
    assert stats["jobs"] > 10
    asyncio.run(backend.aclose())
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_emulator/stats", timeout=2)


def test_compact_counts_for_narrow_columns() -> None:
    assert fmt.compact(999) == "999"
    assert fmt.compact(12_345) == "12.3k"
    assert fmt.compact(12_345_678) == "12.3M"
    assert fmt.compact(123_456_789) == "123M"


def test_object_operation_cuts_the_object_and_keeps_the_operation() -> None:
    job = JobInfo(id="750", object="Opportunity", operation=Operation.HARD_DELETE)
    assert fmt.object_operation(job) == "Opportunity hardDelete"
    assert fmt.object_operation(job, width=30) == "Opportunity hardDelete"
    assert fmt.object_operation(job, width=17) == "Oppor… hardDelete"


def test_eighty_columns_keep_object_and_operation_readable() -> None:
    narrow = dict((c.key, w) for c, w in layout_columns(80))
    wide = dict((c.key, w) for c, w in layout_columns(120))
    assert narrow["objop"] >= len("Opportunity insert")
    assert narrow["id"] == 15 and wide["id"] == 18
    assert sum(narrow.values()) + len(narrow) - 1 == 80
