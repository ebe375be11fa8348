"""Which jobs are worth a GET this cycle, most useful first.

Jobs read before come first when due (their back-off says so, or they were invalidated);
jobs never read in full (list rows carry no counts) follow, live ones first, then newest
first, at most ``backfill_per_cycle`` of them: a launch on a big org never bursts.
"""

from __future__ import annotations

from collections.abc import Iterable

from bulktui.api.lifecycle import is_live
from bulktui.core.tracking import JobTrack


def plan(
    tracks: Iterable[JobTrack], *, cycle: int, force: bool, selected: str | None, backfill: int
) -> tuple[list[str], int]:
    """Ids to GET this cycle, and how many never-read jobs are left over for later."""
    known: list[JobTrack] = []
    unknown: list[JobTrack] = []
    for track in tracks:
        if track.id == selected or not track.wants_fetch(cycle, force=force):
            continue
        (known if track.invalidated or track.has_detail else unknown).append(track)
    unknown.sort(key=backfill_order)
    known.extend(unknown[:backfill])
    return [t.id for t in known], max(0, len(unknown) - backfill)


def never_read(tracks: Iterable[JobTrack], *, selected: str | None) -> list[JobTrack]:
    """Jobs never read in full that a GET could fill, in back-fill order."""
    unknown = [t for t in tracks if not t.has_detail and t.readable and t.id != selected]
    unknown.sort(key=backfill_order)
    return unknown


def backfill_order(track: JobTrack) -> tuple[int, float]:
    job = track.job
    live = 0 if is_live(job) else 1
    created = job.created_date.timestamp() if job.created_date is not None else 0.0
    return (live, -created)
