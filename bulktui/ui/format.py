"""Turning snapshot values into short display strings.

Pure functions, no widgets: numbers, relative times, state glyphs and words. Every string that
comes from the server passes through :func:`safe` (control characters made visible, one line) and
is only ever put into a ``rich.text.Text`` as plain text, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bulktui.api.enums import BatchState, JobState
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core.snapshot import JobView, LinkState
from bulktui.core.text import one_line

DASH = "–"
ELLIPSIS = "…"

# Glyphs kept to the ones the Linux console font has (CP437-ish), so a 16-colour VT shows them.
STATE_GLYPHS: dict[str, str] = {
    JobState.OPEN: "○",
    JobState.CLOSED: "►",
    JobState.UPLOAD_COMPLETE: "►",
    JobState.IN_PROGRESS: "►",
    JobState.ABORTED: "×",
    JobState.FAILED: "!",
    JobState.JOB_COMPLETE: "√",
}
CLOSED_DONE_GLYPH = "√"  # a Closed job with no batch left to run
PURGED_GLYPH = "·"
PENDING_GLYPH = "»"
UNKNOWN_GLYPH = "?"
FLAG_GLYPH = "▲"  # failure rate over the threshold

LINK_GLYPHS: dict[LinkState, str] = {
    LinkState.LIVE: "●",
    LinkState.PAUSED: "‖",
    LinkState.DEGRADED: "▲",
    LinkState.STALE: "×",
}

BATCH_GLYPHS: dict[str, str] = {
    BatchState.QUEUED: "○",
    BatchState.IN_PROGRESS: "►",
    BatchState.COMPLETED: "√",
    BatchState.FAILED: "!",
    BatchState.NOT_PROCESSED: "-",
}


def safe(text: object) -> str:
    """Server text made safe to show: one line, every control character visible."""
    if text is None:
        return ""
    return one_line(str(text))


def count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def compact(value: int | None) -> str:
    """``12.3M``, ``456k``: a count that must fit a narrow column."""
    if value is None:
        return DASH
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 100 else f"{scaled:,.0f}{suffix}"
    return str(value)


def percent(rate: float | None) -> str:
    if rate is None:
        return DASH
    pct = rate * 100
    if pct == 0:
        return "0%"
    if pct < 0.1:
        return "<0.1%"
    if pct < 10:
        return f"{pct:.1f}%"
    return f"{pct:.0f}%"


def rate(per_second: float | None) -> str:
    """Records per second, short."""
    if per_second is None:
        return DASH
    if per_second < 10:
        return f"{per_second:.1f}/s"
    if per_second < 100_000:
        return f"{per_second:,.0f}/s"
    return f"{per_second / 1000:,.0f}k/s"


def duration(seconds: float) -> str:
    """``45s``, ``3m 20s``, ``2h 05m``, ``3d 4h``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d {h}h"


def ago(when: datetime | None, now: datetime, *, short: bool = False) -> str:
    """``3s ago`` / ``12m ago`` / ``4h ago`` / ``2d ago`` (``12m`` when short)."""
    if when is None:
        return DASH
    s = int((now - when).total_seconds())
    if s < 0:
        return "now"
    if s < 60:
        text = f"{s}s"
    elif s < 3600:
        text = f"{s // 60}m"
    elif s < 86400:
        text = f"{s // 3600}h"
    else:
        text = f"{s // 86400}d"
    return text if short else f"{text} ago"


def next_ago_change(when: datetime, now: datetime) -> float:
    """Seconds until :func:`ago` gives a different text: 1 s, then 1 min, 1 h, 1 day steps."""
    s = (now - when).total_seconds()
    if s < 0:
        return max(0.05, -s)
    step = 1 if s < 60 else 60 if s < 3600 else 3600 if s < 86400 else 86400
    return max(0.05, step - (s % step))


def timestamp(when: datetime | None) -> str:
    if when is None:
        return DASH
    return (
        when.strftime("%Y-%m-%d %H:%M:%S UTC")
        if when.utcoffset() == timedelta(0)
        else (when.isoformat(sep=" ", timespec="seconds"))
    )


def job_state_word(job: JobInfo) -> str:
    return safe(job.state) if job.state is not None else "unknown"


def job_glyph(view: JobView) -> str:
    job = view.job
    if view.purged:
        return PURGED_GLYPH
    if job.state is None or not job.state.known:
        return UNKNOWN_GLYPH
    if job.state is JobState.CLOSED and job.has_counts and job.batches_pending == 0:
        return CLOSED_DONE_GLYPH
    return STATE_GLYPHS.get(job.state, UNKNOWN_GLYPH)


def job_state(view: JobView, pending: str | None = None) -> str:
    """The state cell: glyph plus word, or the pending action (``» aborting…``)."""
    if pending:
        return f"{PENDING_GLYPH} {pending}"
    if view.purged:
        return f"{PURGED_GLYPH} purged"
    return f"{job_glyph(view)} {job_state_word(view.job)}"


def is_live(view: JobView) -> bool:
    """Can this job still change? Those rows stand out from finished ones."""
    return not view.purged and view.job.can_change


def object_operation(job: JobInfo, width: int | None = None) -> str:
    """``Object operation``; when it must be cut to ``width``, the object name is cut and the
    operation kept whole, since "insert" vs "hardDelete" is what must never be hidden."""
    obj = safe(job.object) if job.object else "?"
    op = safe(job.operation) if job.operation else "?"
    text = f"{obj} {op}"
    if width is None or len(text) <= width:
        return text
    room = width - len(op) - 2  # the space and the ellipsis
    if room < 1:
        return text  # too narrow to keep both: the cell's own cut applies
    return f"{obj[:room]}… {op}"


def batch_progress(job: JobInfo) -> str:
    """``completed+failed/total``; ``12+1/40``; a dash for list rows without counters."""
    if not job.has_counts:
        return DASH
    done = job.number_batches_completed or 0
    failed = job.number_batches_failed or 0
    total = job.number_batches_total or 0
    return f"{done}+{failed}/{total}" if failed else f"{done}/{total}"


def failed_cell(view: JobView, threshold: float, *, with_count: bool = True) -> tuple[str, bool]:
    """(``4,211 12%``, over threshold?)."""
    job = view.job
    failed = job.number_records_failed
    if failed is None:
        return DASH, False
    failure_rate = view.failure_rate
    flagged = failure_rate is not None and failure_rate > threshold
    pct = percent(failure_rate) if failure_rate is not None and failed else ""
    parts = [count(failed)] if with_count else []
    if pct:
        parts.append(f"{FLAG_GLYPH}{pct}" if flagged else pct)
    return " ".join(parts), flagged


def created_by(job: JobInfo, names: Mapping[str, str] | None) -> str:
    if not job.created_by_id:
        return DASH
    name = names.get(job.created_by_id) if names else None
    return safe(name or job.created_by_id)


def elapsed(job: JobInfo, now: datetime) -> float | None:
    """Seconds from creation to the last change if the job has ended, else to now."""
    if job.created_date is None:
        return None
    end = now if job.can_change else (job.system_modstamp or now)
    return max(0.0, (end - job.created_date).total_seconds())


def average_throughput(job: JobInfo, now: datetime) -> float | None:
    seconds = elapsed(job, now)
    if not seconds or job.number_records_processed is None:
        return None
    return job.number_records_processed / seconds


PURGE_AFTER = timedelta(days=7)
PURGE_SLACK = timedelta(hours=24)


def purge_time(job: JobInfo, batches: tuple[BatchInfo, ...] | None) -> tuple[datetime, str] | None:
    """When Salesforce removes the job: 7 days after the youngest batch (or the job, if none),
    up to 24 h late. Returns (earliest time, what it was computed from)."""
    youngest = None
    if batches:
        dates = [b.created_date for b in batches if b.created_date is not None]
        youngest = max(dates) if dates else None
    if youngest is not None:
        return youngest + PURGE_AFTER, "youngest batch"
    if job.created_date is None:
        return None
    basis = "job creation" if batches is not None else "job creation; batches not loaded"
    return job.created_date + PURGE_AFTER, basis


def batch_state(batch: BatchInfo) -> str:
    if batch.state is None:
        return f"{UNKNOWN_GLYPH} unknown"
    glyph = BATCH_GLYPHS.get(batch.state, UNKNOWN_GLYPH)
    return f"{glyph} {safe(batch.state)}"
