"""The header says where the data comes from, and copes with a status that does not say."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from bulktui.core.snapshot import LinkState
from bulktui.ui.widgets.quiet import QuietStatic
from bulktui.ui.widgets.status_header import StatusHeader
from tests.ui.harness import T0, build, started
from tests.ui.seeds import small_org


def _journal_status(as_of: datetime, **changes: object) -> SimpleNamespace:
    """A status as the poller gives it before anything came from Salesforce this session."""
    fields: dict[str, object] = {
        "link": LinkState.LIVE,
        "fetched_at": None,
        "problem": None,
        "api_usage": None,
        "cycle": 0,
        "requests": 0,
        "next_cycle_at": None,
        "source": "journal",
        "source_as_of": as_of,
    }
    return SimpleNamespace(**{**fields, **changes})


async def test_journal_data_is_named_with_its_age_and_a_plain_status_still_works() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        header = h.app.screen.query_one(StatusHeader)
        journal = _journal_status(T0 - timedelta(hours=2))
        header.apply_status(journal)  # type: ignore[arg-type]
        await pilot.pause()
        assert header.query_one("#hdr-age", QuietStatic).plain == "journal 2h"
        link = header.query_one("#hdr-link", QuietStatic).plain
        assert "from the journal" in link
        assert "live" not in link  # nothing has come from Salesforce yet
        header.apply_status(h.backend.status())  # no source: live data, said as before
        await pilot.pause()
        assert header.query_one("#hdr-link", QuietStatic).plain == "● live"
        assert header.query_one("#hdr-age", QuietStatic).plain.endswith("ago")


async def test_at_80_columns_the_link_state_and_the_age_are_never_cut() -> None:
    """A launch on a big org at 80x24: the org's usage has arrived, the listing has not. All
    the words would take 96 columns; the link drops what the age says, then our spend
    shortens, and the state and the age stay whole."""
    h = build(small_org)
    async with h.app.run_test(size=(80, 24)) as pilot:
        await started(pilot, h)
        header = h.app.screen.query_one(StatusHeader)
        usage = SimpleNamespace(used=12_345, limit=15_000)
        waiting = _journal_status(
            T0 - timedelta(seconds=35),
            api_usage=usage,
            budget_compact="us 1,234/2,000 an hour, slowed",
            budget_short="us 1,234/2,000/h slowed",
        )

        def shown() -> tuple[str, str, str]:
            api, link, age = (
                header.query_one(f"#hdr-{name}", QuietStatic).plain
                for name in ("api", "link", "age")
            )
            return api, link, age

        header.apply_status(waiting)  # type: ignore[arg-type]
        await pilot.pause()
        narrow = ("api 12,345/15,000 (us 1,234/2,000/h slowed)", "… waiting", "journal 35s")
        assert shown() == narrow
        row = h.app.screen.query_one(StatusHeader).region
        text = "".join(segment.text for segment in h.app.screen._compositor.render_strips()[row.y])
        assert "… waiting" in text and "journal 35s" in text and text.lstrip().startswith("b")
        await pilot.resize_terminal(140, 24)
        await pilot.pause()
        api, link, _ = shown()
        assert link == "… waiting for Salesforce · from the journal"
        assert api == "api 12,345/15,000 (us 1,234/2,000 an hour, slowed)"
