"""Snapshot tests of the main screens at 80x24 and 120x35: frozen clock, fixed seed, no blink.

``snap_compare`` runs the app itself, so these tests are sync (docs/textual-notes.md §3.2).
Update the SVGs with ``pytest tests/ui/test_snapshots.py --snapshot-update`` after a deliberate
change.
"""

from __future__ import annotations

from typing import Any

import pytest

from bulktui.api.enums import ContentType, Operation
from bulktui.ui.screens.job_detail import JobDetailScreen
from tests.ui.harness import Harness, build, job_where, refresh, settle, started, wait_until
from tests.ui.seeds import small_org

SIZES = [(80, 24), (120, 35)]


def _main(h: Harness) -> Any:
    async def run_before(pilot: Any) -> None:
        await started(pilot, h)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main(snap_compare: Any, size: tuple[int, int]) -> None:
    h = build(small_org)
    assert snap_compare(h.app, terminal_size=size, run_before=_main(h))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_abort_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    h = build(small_org)

    async def run_before(pilot: Any) -> None:
        await started(pilot, h)
        main = h.app.main
        assert main is not None
        main.table.select_job(job_where(h, state="Closed", obj="Contact"))
        await settle(pilot, h)
        await pilot.press("a")
        await pilot.pause()

    assert snap_compare(h.app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail(snap_compare: Any, size: tuple[int, int]) -> None:
    h = build(small_org)

    async def run_before(pilot: Any) -> None:
        await started(pilot, h)
        main = h.app.main
        assert main is not None
        main.table.select_job(job_where(h, state="Closed", obj="Contact"))
        await settle(pilot, h)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))
        detail = h.app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: bool(detail.batches))
        await settle(pilot, h)

    assert snap_compare(h.app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failed_records(snap_compare: Any, size: tuple[int, int]) -> None:
    h = build()

    async def run_before(pilot: Any) -> None:
        await started(pilot, h)
        job = await h.admin.create_job("Account", Operation.INSERT)
        rows = ["Name,Industry,Website"]
        rows += [f"Acme {i},Energy,https://acme{i}.example" for i in range(30)]
        rows += [",Energy,https://nameless.example"] * 7
        rows += ["Bad Url Inc,Energy,not a url"] * 2
        await h.admin.add_batch(job.id, ("\n".join(rows) + "\n").encode(), ContentType.CSV)
        await h.admin.close_job(job.id)
        h.clock.advance(120)
        await refresh(pilot, h)
        main = h.app.main
        assert main is not None
        main.table.select_job(job.id)
        await settle(pilot, h)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobDetailScreen))
        detail = h.app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: bool(detail.batches))
        await settle(pilot, h)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(h.app.screen, "results", None) is not None)
        await settle(pilot, h)

    assert snap_compare(h.app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare: Any, size: tuple[int, int]) -> None:
    h = build(small_org)

    async def run_before(pilot: Any) -> None:
        await started(pilot, h)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(h.app, terminal_size=size, run_before=run_before)


def test_high_contrast_theme(snap_compare: Any) -> None:
    h = build(small_org, theme="bulktui-high-contrast")
    assert snap_compare(h.app, terminal_size=(80, 24), run_before=_main(h))


def test_too_small(snap_compare: Any) -> None:
    h = build(small_org)
    assert snap_compare(h.app, terminal_size=(70, 20), run_before=_main(h))
