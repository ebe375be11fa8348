"""Turning snapshot values into short display strings.

Pure functions, no widgets: numbers, relative times, state glyphs and words. Every string that
comes from the server passes through :func:`safe` (control characters made visible, one line) and
is only ever put into a ``rich.text.Text`` as plain text, never parsed as markup.

Every function here is total: a counter of 10**4000, an infinite rate or a date in year 9999 is
shown as well as can be, never raised. A server is hostile until proven otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from bulktui.api import lifecycle
from bulktui.api.enums import BatchState, JobState
from bulktui.api.lifecycle import JobKind, Liveness
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core.snapshot import JobView, LinkState
from bulktui.text import counted as counted  # the screens say "1 job" through fmt
from bulktui.text import one_line

DASH = "–"
ELLIPSIS = "…"

# Glyphs kept to the ones the Linux console font has (CP437-ish), so a 16-colour VT shows them.
STATE_GLYPHS: dict[str, str] = {
    JobState.OPEN: "○",
    JobState.CLOSED: "►",
    JobState.UPLOAD_COMPLETE: "↑",  # 2.0: all data uploaded, waiting to be processed
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
WARNING_GLYPH = "▲"  # a finished job that did not load everything: a batch failed as a whole
LOADING_GLYPH = "…"  # only a list row so far: the job's detail has not arrived
INVALID_GLYPH = "?"  # a list row that failed to parse in part (``extra["_bulktui_invalid"]``)
INVALID_KEY = "_bulktui_invalid"

# The Setup page's words for a job's kind, and the short forms for a narrow column.
KIND_WORDS: dict[JobKind, str] = {k: k.value for k in JobKind}
KIND_SHORT: dict[JobKind, str] = {
    JobKind.V1: "V1",
    JobKind.V2_INGEST: "V2",
    JobKind.V2_QUERY: "V2Q",
}

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


HUGE = 10**15  # from here on a count is shown in scientific form: no one reads 16 digits


def _scientific(value: int) -> str:
    """``1.23e4000`` for an int of any size, without float conversion or str() (both refuse
    very large ints)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    exponent = max(0, int((value.bit_length() - 1) * 0.30102999566398))
    while 10 ** (exponent + 1) <= value:
        exponent += 1
    while exponent and 10**exponent > value:
        exponent -= 1
    mantissa = value * 100 // 10**exponent  # three significant digits
    return f"{sign}{mantissa // 100}.{mantissa % 100:02d}e{exponent}"


def clip(text: object, limit: int) -> tuple[str, bool]:
    """Server text made safe (:func:`safe`) and cut to ``limit`` characters for display, and
    whether anything was cut. Only the head of a long text is looked at, so a 4 MB value costs
    what a short one does."""
    raw = "" if text is None else str(text)
    head = raw[: limit * 4]  # folding whitespace can only shorten it, escapes only lengthen it
    shown = safe(head)
    if len(shown) <= limit and len(head) == len(raw):
        return shown, False
    return shown[:limit], True


def _whole(value: float) -> int | None:
    """An int for a count that arrived as a float (a hostile server's ``1e300``); None for
    NaN or infinity."""
    if isinstance(value, int):
        return value
    return int(value) if math.isfinite(value) else None


def count(value: float | None) -> str:
    if value is None or (value := _whole(value)) is None:
        return DASH
    if abs(value) >= HUGE:
        return _scientific(value)
    return f"{value:,}"


def compact(value: float | None) -> str:
    """``12.3M``, ``456k``: a count that must fit a narrow column."""
    if value is None or (value := _whole(value)) is None:
        return DASH
    if abs(value) >= 1000 * 1_000_000_000:
        return _scientific(value)
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 100 else f"{scaled:,.0f}{suffix}"
    return str(value)


def finite(value: float | None) -> float | None:
    """``value`` if it is a real number, else None (NaN, ±Infinity)."""
    if value is None or not math.isfinite(value):
        return None
    return value


def failure_rate(view: JobView) -> float | None:
    """Failed / processed, or None when it cannot be computed (nothing processed yet, or
    counters too large for a float)."""
    try:
        return finite(view.failure_rate)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None


def percent(rate: float | None) -> str:
    rate = finite(rate)
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
    """Records per second, short; ``0/s`` when nothing moves."""
    per_second = finite(per_second)
    if per_second is None:
        return DASH
    if per_second <= 0:
        return "0/s"
    if per_second >= 1e9:
        return f"{compact(int(per_second))}/s"
    if per_second < 10:
        return f"{per_second:.1f}/s"
    if per_second < 100_000:
        return f"{per_second:,.0f}/s"
    return f"{per_second / 1000:,.0f}k/s"


def duration(seconds: float) -> str:
    """``45s``, ``3m 20s``, ``2h 05m``, ``3d 4h``; a dash for a duration that is not a number.
    An int of any size works (a float could not hold 10**4000 seconds)."""
    whole = _whole(seconds)
    if whole is None:
        return DASH
    s = max(0, whole)
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m:02d}m"
    d, h = divmod(h, 24)
    return f"{count(d)}d {h}h"


def duration_ms(milliseconds: float) -> str:
    """A server's millisecond counter as a duration (integer arithmetic: no overflow)."""
    whole = _whole(milliseconds)
    return DASH if whole is None else duration(whole // 1000)


def ago(when: datetime | None, now: datetime, *, short: bool = False) -> str:
    """``3s ago`` / ``12m ago`` / ``4h ago`` / ``2d ago`` (``12m`` when short)."""
    if when is None:
        return DASH
    s = int((now - when).total_seconds())
    if s >= 1000 * 86400:
        return ">999d" if short else ">999d ago"
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
    if when.utcoffset() == timedelta(0):
        return f"{when.year:04d}-{when:%m-%d %H:%M:%S} UTC"  # %Y is not 4 digits before 1000
    return when.isoformat(sep=" ", timespec="seconds")


def job_state_word(job: JobInfo) -> str:
    return safe(job.state) if job.state is not None else "unknown"


def invalid_reason(job: JobInfo) -> str | None:
    """Why the list row of this job could not be read in full, if it could not (plain words)."""
    reason = job.extra.get(INVALID_KEY)
    if reason is None:
        return None
    return safe(reason) or "this row could not be read in full"


def is_loading(view: JobView) -> bool:
    """Only a list row so far, and the row does not say the job has ended: what it shows may be
    out of date, so it is neither "running" nor counted live until its detail arrives."""
    return view.loading and not view.purged


def is_live(view: JobView) -> bool:
    """Can this job still change? Those rows stand out from finished ones and count as live.
    (A live job that is still loading is not: what its row shows may be out of date.)"""
    return view.liveness is Liveness.LIVE and not view.loading


def whole_batches_failed(view: JobView) -> int:
    """Batches of a finished job that failed as a whole: none of their records were processed,
    and the job's failure rate does not count them."""
    job = view.job
    if view.purged or not job.has_counts or lifecycle.is_live(job):
        return 0
    return max(0, job.number_batches_failed or 0)


def job_glyph(view: JobView) -> str:
    job = view.job
    if view.purged:
        return PURGED_GLYPH
    if invalid_reason(job) is not None:
        return INVALID_GLYPH
    if job.state is None or not job.state.known:
        return UNKNOWN_GLYPH
    if is_loading(view):
        return LOADING_GLYPH
    glyph = STATE_GLYPHS.get(job.state, UNKNOWN_GLYPH)
    if job.state is JobState.CLOSED and lifecycle.liveness(job) is Liveness.ENDED:
        glyph = CLOSED_DONE_GLYPH
    if glyph == CLOSED_DONE_GLYPH and whole_batches_failed(view):
        return WARNING_GLYPH  # "done" would hide that part of the data never loaded
    return glyph


def job_state(view: JobView, pending: str | None = None) -> str:
    """The state cell: glyph plus word, or the pending action (``» aborting…``)."""
    if pending:
        return f"{PENDING_GLYPH} {pending}"
    if view.purged:
        return f"{PURGED_GLYPH} purged"
    return f"{job_glyph(view)} {job_state_word(view.job)}"


def is_running(view: JobView) -> bool:
    """Records are being (or about to be) processed: the ``►`` rows."""
    return is_live(view) and job_glyph(view) == STATE_GLYPHS[JobState.IN_PROGRESS]


def job_kind(job: JobInfo, *, short: bool = False) -> str:
    """``V1``, ``V2`` or ``V2 query``, as the Setup page says (``V2Q`` when short)."""
    kind = lifecycle.kind_of(job)
    return KIND_SHORT[kind] if short else KIND_WORDS[kind]


def is_flagged(view: JobView, threshold: float) -> bool:
    """Worth a look: failures over the threshold, or a finished job with a batch that failed."""
    rate = failure_rate(view)
    return (rate is not None and rate > threshold) or whole_batches_failed(view) > 0


def derived_words(view: JobView, threshold: float) -> tuple[str, ...]:
    """The words the filter matches beyond the row's own text: what people call these jobs."""
    job = view.job
    words = [job_kind(job).lower()]
    if is_live(view):
        words.append("live")
    if is_running(view):
        words.append("running")
    if is_loading(view):
        words.append("loading")
    if (
        job.state is JobState.FAILED
        or (job.number_records_failed or 0) > 0
        or (job.number_batches_failed or 0) > 0
    ):
        words.append("failed")
    if is_flagged(view, threshold):
        words.append("flagged")
    if view.purged:
        words.append("purged")
    if invalid_reason(job) is not None:
        words.append("invalid")
    return tuple(words)


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
    rate = failure_rate(view)
    flagged = is_flagged(view, threshold)
    pct = percent(rate) if rate is not None and failed else ""
    parts = [count(failed)] if with_count else []
    if pct:
        parts.append(f"{FLAG_GLYPH}{pct}" if flagged else pct)
    elif flagged:
        parts.append(FLAG_GLYPH)  # a batch failed as a whole, no record counted as failed
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
    end = now if lifecycle.is_live(job) else (job.system_modstamp or now)
    return max(0.0, (end - job.created_date).total_seconds())


def average_throughput(job: JobInfo, now: datetime) -> float | None:
    seconds = elapsed(job, now)
    if not seconds or job.number_records_processed is None:
        return None
    try:
        return finite(job.number_records_processed / seconds)
    except OverflowError:
        return None


PURGE_AFTER = timedelta(days=7)
PURGE_SLACK = timedelta(hours=24)


def purge_time(job: JobInfo, batches: tuple[BatchInfo, ...] | None) -> tuple[datetime, str] | None:
    """When Salesforce removes the job: 7 days after the youngest batch (or the job, if none),
    up to 24 h late; a 2.0 job 7 days after it ended. Returns (earliest time, what it was
    computed from), or None when nothing to compute from (or a date past year 9999)."""
    try:
        return _purge_time(job, batches)
    except OverflowError:
        return None


def _purge_time(job: JobInfo, batches: tuple[BatchInfo, ...] | None) -> tuple[datetime, str] | None:
    if lifecycle.kind_of(job).is_v2:
        if lifecycle.liveness(job) is Liveness.ENDED and job.system_modstamp is not None:
            return job.system_modstamp + PURGE_AFTER, "job end"
        if job.created_date is None:
            return None
        return job.created_date + PURGE_AFTER, "job creation"
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
