"""Every job the journal holds, shown before it is parsed: a warm launch's bridge.

A warm launch paints the journal's newest jobs at once and parses the rest in a thread
(``LiveBackend.preload``): at 10,000 jobs the rest takes about 0.35 s of CPU, and until then
the table would hold only the newest 200. A ``JournalPreview`` is read with the first frame
(one query, no JSON parsed: about 20 ms at 10,000 jobs) and travels in the poller's snapshots
until the full picture replaces it, so the table has every row from the first frame on
(docs/journal.md, "Launch cost").

What a row shows is still decided in one place: a job's view is the one the poller would make
(``tracking.preloaded_view``) from the JobInfo parsed by the one parser (``job_from_json``),
built only when asked for: a row scrolled into sight, a sort by another column, a filter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from bulktui.api.models import JobInfo
from bulktui.api.wire import INVALID_MARK
from bulktui.core.journal_queries import job_from_json
from bulktui.core.snapshot import JobView
from bulktui.core.tracking import preloaded_view

__all__ = ["JournalPreview", "PreviewRow"]

# job_id, created_date (epoch seconds or None), the stored JobInfo's JSON, ended, full
PreviewRow = tuple[str, float | None, str, int, int]


class JournalPreview:
    """The journal's jobs, newest first, as stored. Ids and creation times are known at once;
    a job's view is parsed on first use and kept. Nothing here changes once made, apart from
    that cache, so snapshots may share it."""

    __slots__ = ("_as_of", "_created", "_texts", "_views", "complete", "ids", "maybe_live")

    def __init__(
        self, rows: Sequence[PreviewRow], as_of: datetime, *, complete: bool = True
    ) -> None:
        self.ids: tuple[str, ...] = tuple(row[0] for row in rows)
        # False: the journal holds more jobs than these newest (the first frame's cost is
        # capped): a count of them is not the org's yet.
        self.complete = complete
        self._created = {row[0]: row[1] or 0.0 for row in rows}
        self._texts = {row[0]: row[2] for row in rows}
        # Only a job with counts that has not ended can be live (one without counts is
        # shown loading): the few the table must parse at once to count the live jobs.
        self.maybe_live: tuple[str, ...] = tuple(row[0] for row in rows if row[4] and not row[3])
        self._as_of = as_of
        self._views: dict[str, JobView] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def created_key(self, job_id: str) -> tuple[float, str]:
        """The table's sort value for the creation time, without parsing the job (the same
        value the table computes from a view: epoch seconds, then the id)."""
        return (self._created[job_id], job_id)

    def view(self, job_id: str) -> JobView:
        """The view the poller would show for this stored job; parsed once. A row that no
        longer parses is shown as unusable until the poller's picture leaves it out."""
        view = self._views.get(job_id)
        if view is None:
            job = job_from_json(self._texts[job_id], job_id)
            if job is None:
                extra: dict[str, Any] = {INVALID_MARK: "the journal's copy could not be read"}
                job = JobInfo(id=job_id, extra=extra)
            view = self._views[job_id] = preloaded_view(job, self._as_of)
        return view
