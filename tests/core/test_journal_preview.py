"""The journal preview on its own: a stored row that no longer parses, and hostile text
(docs/journal.md, "Launch cost"; the table's side is in tests/ui/test_views_table.py)."""

from __future__ import annotations

import dataclasses

from bulktui.api.wire import INVALID_MARK
from bulktui.core.journal_preview import JournalPreview
from bulktui.core.journal_rows import job_json
from bulktui.core.snapshot import LinkState, Snapshot
from bulktui.core.tracking import preloaded_view

from .journal_support import T0, full, job_id, list_row


def test_a_row_that_no_longer_parses_is_shown_unusable_not_raised() -> None:
    other = full(2)
    preview = JournalPreview(
        [
            (job_id(1), T0.timestamp(), '{"id": "not the row\'s job"', 1, 1),
            (other.id, T0.timestamp() - 60, job_json(other), 1, 1),
        ],
        T0,
    )
    broken = preview.view(job_id(1))
    assert broken.id == job_id(1)
    assert "could not be read" in str(broken.job.extra[INVALID_MARK])
    assert preview.view(other.id) == preloaded_view(other, T0)


def test_stored_text_stays_data_and_the_snapshot_finds_a_preview_job() -> None:
    hostile = dataclasses.replace(list_row(3), object="Acc\x1b]52;c;cGF3bmVk\x07ount")
    preview = JournalPreview([(hostile.id, None, job_json(hostile), 0, 0)], T0)
    snapshot = Snapshot(jobs={}, link=LinkState.LIVE, fetched_at=T0, preview=preview)
    view = snapshot.view(hostile.id)
    assert view is not None and view.job.object == hostile.object  # kept as data
    assert view.loading  # a list row without counts: loading, as the poller shows it
    assert preview.created_key(hostile.id) == (0.0, hostile.id)  # no date: oldest
    assert snapshot.view(job_id(4)) is None
