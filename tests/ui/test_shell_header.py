"""The header says where the data comes from, and copes with a status that does not say."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from bulktui.core.snapshot import LinkState
from bulktui.ui.widgets.quiet import QuietStatic
from bulktui.ui.widgets.status_header import StatusHeader
from tests.ui.harness import T0, build, started
from tests.ui.seeds import small_org


async def test_journal_data_is_named_with_its_age_and_a_plain_status_still_works() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        header = h.app.screen.query_one(StatusHeader)
        journal = SimpleNamespace(
            link=LinkState.LIVE,
            fetched_at=None,
            problem=None,
            api_usage=None,
            cycle=0,
            requests=0,
            next_cycle_at=None,
            source="journal",
            source_as_of=T0 - timedelta(hours=2),
        )
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
