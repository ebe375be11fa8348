"""A relaunch with a warm journal, on the real emulator: the table paints from the journal,
and ended jobs with counts are never read again (list pages and live jobs only)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.lifecycle import has_counts
from bulktui.core import live
from bulktui.core.actions import ActionSucceeded
from bulktui.core.journal import Journal
from bulktui.core.journal_preview import JournalPreview
from bulktui.core.live import LiveBackend
from bulktui.core.session import api_budget_arg, open_live_backend
from bulktui.core.snapshot import Snapshot
from bulktui.emulator import Engine, EngineConfig, ManualClock, create_app
from bulktui.emulator.seeding import seed_jobs

URL = "http://127.0.0.1"
LISTS = ("GET /services/data/v{v}/jobs/ingest", "GET /services/data/v{v}/jobs/query")
GET_JOB = "GET /services/async/{v}/job/{jobId}"


def org(ended: int, live: int) -> tuple[Engine, ManualClock]:
    clock = ManualClock()
    engine = Engine(clock=clock, config=EngineConfig(list_page_size=10))
    start = clock.now() - timedelta(days=1)
    batch = {"state": "Completed", "numberRecordsProcessed": 50, "numberRecordsFailed": 1}
    specs = [
        {
            "state": "Closed",
            "createdDate": (start + timedelta(minutes=i)).isoformat(),
            "batches": [batch],
        }
        for i in range(ended)
    ]
    seed_jobs(engine, specs)
    for _ in range(live):
        engine.create_job(
            engine.default_user,
            {"operation": "insert", "object": "Account", "contentType": "CSV"},
            "64.0",
        )
    return engine, clock


def session(engine: Engine, clock: ManualClock, path: Path) -> LiveBackend:
    client = BulkClient(
        Connection(URL, engine.issue_session()),
        transport=httpx.ASGITransport(app=create_app(engine)),
    )
    journal = Journal.open(path)
    assert isinstance(journal, Journal)
    return open_live_backend(client, instance_url=URL, journal=journal, clock=clock)


async def warmed(engine: Engine, clock: ManualClock, path: Path) -> None:
    """A first session that lists the org once, so the journal at ``path`` knows it."""
    first = session(engine, clock, path)
    await first.preload()
    await first.poller.cycle()
    await first.aclose()


async def test_a_warm_relaunch_reads_list_pages_and_live_jobs_only(tmp_path: Path) -> None:
    engine, clock = org(ended=45, live=3)
    path = tmp_path / "org.sqlite3"
    first = session(engine, clock, path)
    await first.preload()
    for _ in range(4):  # the first launch back-fills every row it can see
        await first.poller.cycle()
        await first.poller.fill_backlog()
        clock.advance(5)
    assert all(has_counts(v.job) for v in first.poller.snapshot.jobs.values())
    await first.aclose()

    again = session(engine, clock, path)
    seen: list[Snapshot] = []
    again.poller.add_listener(seen.append)
    await again.preload()  # no request: the journal's picture of the org
    assert seen and seen[-1].source == "journal" and len(seen[-1].jobs) == 48
    base = Counter(engine.stats)
    for _ in range(12):  # the first 60 s
        await again.poller.cycle()
        await again.poller.fill_backlog()
        clock.advance(5)
    spent = Counter(engine.stats)
    spent.subtract(base)
    pages = sum(spent[r] for r in LISTS)
    assert spent[GET_JOB] <= 3 * 12  # the live jobs, never an ended one
    others = sum(spent.values()) - pages - spent[GET_JOB]
    assert others <= 2  # who-am-I and the creators' names, once
    assert pages == 10 + 2 * 11  # one full pass, then one page of each listing a cycle
    status = again.status()
    assert status.source == "live" and status.budget is not None
    assert status.budget.startswith("bulktui: ")
    await again.aclose()


async def test_an_action_is_journalled_and_counted(tmp_path: Path) -> None:
    engine, clock = org(ended=2, live=1)
    backend = session(engine, clock, tmp_path / "org.sqlite3")
    await backend.poller.cycle()
    live = next(j for j in engine.jobs.values() if j.state.value == "Open")
    before = backend.status().budget
    outcome = await backend.abort(live.id)
    assert isinstance(outcome, ActionSucceeded)
    assert backend.status().budget != before  # the action is counted, never held back
    assert backend.journal is not None
    assert [a.job_id for a in backend.journal.actions()] == [live.id]  # type: ignore[attr-defined]
    await backend.aclose()


def test_the_budget_option_reads_whole_numbers_only() -> None:
    assert api_budget_arg("2,000") == 2000
    for bad in ("0", "-5", "lots", "1e9"):
        try:
            api_budget_arg(bad)
        except Exception as error:
            assert "--api-budget" in str(error)
        else:
            raise AssertionError(bad)


async def test_the_first_request_waits_for_the_journals_picture_to_settle(tmp_path: Path) -> None:
    """The console passes ``settle`` (until the screen has been updated): the journal's
    picture reaches the screen before the first request, which loads the network stack."""
    engine, clock = org(ended=5, live=1)
    path = tmp_path / "org.sqlite3"
    await warmed(engine, clock, path)

    again = session(engine, clock, path)
    order: list[str] = []

    def seen(snapshot: Snapshot) -> None:
        order.append(f"snapshot from the {snapshot.source}")

    async def settle() -> None:
        order.append(f"settled after {sum(engine.stats.values()) - before} requests")
        raise asyncio.CancelledError  # stop here: the first cycle would come next

    before = sum(engine.stats.values())
    with contextlib.suppress(asyncio.CancelledError):
        async with asyncio.timeout(10):  # never settled: the cycles would go on for ever
            await again.run(seen, settle=settle)
    await again.aclose()
    assert order == ["snapshot from the journal", "settled after 0 requests"]


async def test_the_newest_screenful_is_read_at_once_and_the_rest_in_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``first_picture``: the console's first frame shows the journal's newest jobs, read
    there and then with no request; ``preload`` (in ``run``) then adds the rest, once."""
    monkeypatch.setattr(live, "FIRST_SCREEN", 4)
    engine, clock = org(ended=9, live=1)
    path = tmp_path / "org.sqlite3"
    first = session(engine, clock, path)
    assert first.first_picture() is None  # an empty journal has no picture
    await first.preload()
    await first.poller.cycle()
    known = sorted(
        first.poller.snapshot.jobs.values(), key=lambda v: str(v.job.created_date), reverse=True
    )
    await first.aclose()

    again = session(engine, clock, path)
    before = sum(engine.stats.values())
    picture = again.first_picture()
    assert picture is not None and picture.source == "journal"
    assert set(picture.jobs) == {v.id for v in known[:4]}
    assert picture.partial  # the newest four of ten: more to come
    seen: list[Snapshot] = []
    again.poller.add_listener(seen.append)
    await again.preload()
    assert [len(s.jobs) for s in seen] == [10]  # the rest, in one snapshot
    assert not seen[0].partial
    assert sum(engine.stats.values()) == before  # and still no request
    await again.aclose()


async def relaunched_with_preview(
    tmp_path: Path,
) -> tuple[LiveBackend, Snapshot, JournalPreview]:
    """A second session on a journal of ten jobs, one live, and its first picture's preview."""
    engine, clock = org(ended=9, live=1)
    path = tmp_path / "org.sqlite3"
    await warmed(engine, clock, path)
    again = session(engine, clock, path)
    picture = again.first_picture()
    assert picture is not None and picture.preview is not None
    return again, picture, picture.preview


async def test_the_first_picture_holds_every_stored_job_as_the_poller_will_show_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more jobs than the first read, the first picture carries a ``JournalPreview`` of
    them all: ids newest first, and for each the very view the poller shows once the rest is
    parsed (one rule, ``tracking.preloaded_view``). The preview leaves with the full picture."""
    monkeypatch.setattr(live, "FIRST_SCREEN", 4)
    again, picture, preview = await relaunched_with_preview(tmp_path)
    assert len(preview) == 10 and preview.complete
    created = [preview.created_key(job_id)[0] for job_id in preview.ids]
    assert created == sorted(created, reverse=True)
    assert len(preview.maybe_live) >= 1  # the live job: parsed at once to count it
    seen: list[Snapshot] = []
    again.poller.add_listener(seen.append)
    await again.preload()
    whole = seen[-1]
    assert whole.preview is None and not whole.partial
    for job_id in preview.ids:
        assert picture.view(job_id) == whole.jobs[job_id]
    await again.aclose()


async def test_the_preview_is_capped_and_then_says_it_is_not_every_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first frame's cost must not grow with the org: past ``PREVIEW_AT_MOST`` the preview
    holds the newest jobs only, and says it is not complete."""
    monkeypatch.setattr(live, "FIRST_SCREEN", 2)
    monkeypatch.setattr(live, "PREVIEW_AT_MOST", 5)
    again, _, preview = await relaunched_with_preview(tmp_path)
    assert len(preview) == 5 and not preview.complete
    await again.aclose()
