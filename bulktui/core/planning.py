"""Which jobs are worth a GET this cycle, most useful first, and what each GET is for.

- "live": jobs that can still change and are due (per-job back-off), jobs invalidated (an
  action, a changed list row, a vanished row to confirm), and never-read jobs that are live
  by their row or appeared during this session. Never held back by a budget.
- "backfill": reading a job that looks ended only for its counts (list rows carry none).
  Only for rows the user can see (``Poller.set_visible``; every row while the UI has said
  nothing), newest first, at most ``backfill_per_cycle`` a cycle, and only as far as the
  API budget allows: a launch on a big org never bursts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from bulktui.api.lifecycle import Liveness
from bulktui.core.tracking import JobTrack


@dataclass(slots=True)
class Plan:
    live: list[str] = field(default_factory=list)
    backfill: list[str] = field(default_factory=list)
    left: int = 0  # back-fill candidates left for later rounds

    @property
    def ids(self) -> list[str]:
        return self.live + self.backfill


def plan(
    tracks: Iterable[JobTrack],
    *,
    cycle: int,
    force: bool,
    selected: str | None,
    backfill: int,
    visible: Collection[str] | None = None,
    allow: Callable[[int], bool] | None = None,
) -> Plan:
    """What to GET this cycle; ``allow(n)`` asks the budget for ``n`` back-fill reads."""
    result = Plan()
    candidates: list[JobTrack] = []
    for track in tracks:
        if track.id == selected or not track.wants_fetch(cycle, force=force):
            continue
        if track.invalidated or track.has_detail or _live_without_counts(track):
            result.live.append(track.id)
        elif visible is None or track.id in visible:
            candidates.append(track)
    candidates.sort(key=backfill_order)
    result.backfill = _granted([t.id for t in candidates[:backfill]], allow)
    result.left = len(candidates) - len(result.backfill)
    return result


def backfill_candidates(
    tracks: Iterable[JobTrack], *, selected: str | None, visible: Collection[str] | None
) -> list[JobTrack]:
    """Jobs never read in full that a GET could fill, in back-fill order."""
    found = [
        t
        for t in tracks
        if not t.has_detail
        and t.readable
        and t.id != selected
        and (visible is None or t.id in visible or _live_without_counts(t))
    ]
    found.sort(key=backfill_order)
    return found


def granted(ids: list[str], allow: Callable[[int], bool] | None) -> list[str]:
    return _granted(ids, allow)


def _granted(ids: list[str], allow: Callable[[int], bool] | None) -> list[str]:
    """As many of ``ids`` as the budget allows, in order (asked once, then halving)."""
    if allow is None or not ids:
        return ids
    n = len(ids)
    while n > 0 and not allow(n):
        n //= 2
    return ids[:n]


def _live_without_counts(track: JobTrack) -> bool:
    """Never read, but live by its row, or new in this session: read it as a live job."""
    return track.new_in_session or track.liveness is Liveness.LIVE


def backfill_order(track: JobTrack) -> tuple[int, float]:
    job = track.job
    live = 0 if track.liveness is Liveness.LIVE else 1
    created = job.created_date.timestamp() if job.created_date is not None else 0.0
    return (live, -created)
