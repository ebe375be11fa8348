"""What one sighting of a job changes in the journal, and the row values it stores.

Pure functions over the journal's light per-job state (``Known``): no SQLite here, so the
rules (keep the fullest JobInfo; "last listed" kept to an hour or two, spread per job; a
vanished job's last listing) read in one place.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bulktui.api.lifecycle import Liveness, has_counts, kind_of, liveness
from bulktui.api.models import JobInfo

LISTED_STEP = 3600.0  # seconds: "last seen in a listing" is kept to an hour or two
MAX_INFO_CHARS = 64_000  # a JobInfo's JSON beyond this keeps only its known fields
MAX_TEXT = 2_000  # server words kept per action / error group

Statement = tuple[str, tuple[Any, ...]]


@dataclass(slots=True)
class Known:
    """What the journal holds of one job, enough to tell whether a new sighting changes it."""

    job: JobInfo | None  # the object last recorded by this process (identity check first)
    digest: bytes
    full: bool
    state: str | None
    kind: str
    ended: bool
    purged: bool
    last_listed: float | None


@dataclass(frozen=True, slots=True)
class Sighting:
    job: JobInfo
    purged: bool
    listed: bool  # seen in a listing (not only a GET or an action's answer)


@dataclass(frozen=True, slots=True)
class Change:
    new: Known  # the per-job state once ``statement`` is committed
    statement: Statement | None  # None: nothing to write (the cache learns the object only)
    refresh_only: bool = False  # only "last listed" moves


def plan(
    seen: Sighting, k: Known | None, now: float, *, org_id: str | None, last_listing: float | None
) -> Change | None:
    """The journal's new state for one sighting and the statement that stores it; None
    when nothing changed."""
    job = seen.job
    if (
        k is not None
        and k.job is job
        and k.purged == seen.purged
        and (not seen.listed or seen.purged or not listing_due(k.last_listed, now, job.id))
    ):
        return None
    full = has_counts(job)
    text: str | None = None
    digest = k.digest if k is not None else b""
    replace_info = False
    if k is None or k.job is not job:
        new_digest = fingerprint(job)
        # A list row never replaces a full JobInfo of the same state: keep the fullest.
        keep = k is not None and k.full and not full and k.state == state_of(job)
        replace_info = new_digest != digest and not keep
        if replace_info:
            digest = new_digest
            text = job_json(job)  # the JSON only for a row that is written
    state = state_of(job) if replace_info or k is None else k.state
    kind = kind_of(job).value if replace_info or k is None else k.kind
    ended = (liveness(job) is Liveness.ENDED) if replace_info or k is None else k.ended
    last_listed = k.last_listed if k is not None else None
    if seen.listed and not seen.purged and listing_due(last_listed, now, job.id):
        last_listed = now
    elif seen.listed and seen.purged and (k is None or not k.purged) and last_listing:
        # Gone now: it was last seen in the previous listing (the hourly value is older).
        last_listed = max(last_listed or 0.0, last_listing)
    new = Known(
        job,
        digest,
        full if replace_info or k is None else k.full,
        state,
        kind,
        ended,
        seen.purged if seen.listed else (k.purged if k is not None else False),
        last_listed,
    )
    if k is None:
        assert text is not None
        statement = (
            "INSERT INTO jobs (job_id, org_id, object, operation, state, kind, created_date,"
            " info, digest, full, ended, info_at, first_seen, last_listed, ended_at,"
            " purged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id,
                org_id,
                safe_text(job.object, 300),
                safe_text(enum_text(job.operation), 60),
                safe_text(state, 60),
                kind,
                to_ts(job.created_date) if job.created_date else None,
                text,
                digest,
                int(full),
                int(ended),
                now,
                now,
                last_listed,
                ended_at(job, now) if ended else None,
                (last_listing or now) if new.purged else None,
            ),
        )
        return Change(new, statement)
    sets: list[str] = []
    params: list[Any] = []
    if replace_info:
        assert text is not None
        sets += ["info = ?", "digest = ?", "full = ?", "state = ?", "kind = ?", "info_at = ?"]
        params += [text, digest, int(new.full), safe_text(state, 60), kind, now]
        sets += ["object = ?", "operation = ?"]
        params += [safe_text(job.object, 300), safe_text(enum_text(job.operation), 60)]
        if org_id is not None:
            sets.append("org_id = ?")
            params.append(org_id)
    if ended != k.ended:
        sets += ["ended = ?", "ended_at = ?"]
        params += [int(ended), ended_at(job, now) if ended else None]
    if new.purged != k.purged:
        sets.append("purged_at = ?")
        params.append(now if new.purged else None)
    refresh_only = False
    if last_listed != k.last_listed:
        refresh_only = not sets  # only "last listed" moves: the caller may leave it for later
        sets.append("last_listed = ?")
        params.append(last_listed)
    if not sets:
        return Change(new, None)
    params.append(job.id)
    where = "job_id = ?"
    if replace_info and not new.full:
        # Another process may have stored a full GET since we looked: a list row of the
        # same state must not replace it there either.
        where += " AND NOT (full = 1 AND state IS ?)"
        params.append(safe_text(state, 60))
    statement = (f"UPDATE jobs SET {', '.join(sets)} WHERE {where}", tuple(params))
    return Change(new, statement, refresh_only)


def to_ts(when: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def listing_due(last_listed: float | None, now: float, job_id: str) -> bool:
    """Whether "last seen in a listing" is worth rewriting: after an hour, plus a fixed
    per-job spread of up to another hour, so the jobs of a big org are refreshed a few per
    cycle instead of all in one transaction every hour."""
    if last_listed is None:
        return True
    age = now - last_listed
    return age >= LISTED_STEP and age >= LISTED_STEP * (
        1 + (zlib.crc32(job_id.encode()) % 997) / 997
    )


def state_of(job: JobInfo) -> str | None:
    return enum_text(job.state)


def enum_text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def ended_at(job: JobInfo, now: float) -> float:
    """When an ended job ended: its last modification, if the server said, else now."""
    return to_ts(job.system_modstamp) if job.system_modstamp is not None else now


def json_text(value: Any) -> str:
    # ensure_ascii: a lone surrogate from the server becomes an escape, not an encoding error.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True, default=str)


def job_json(job: JobInfo) -> str:
    text = json_text(job.to_wire())
    if len(text) > MAX_INFO_CHARS:  # a hostile row with huge unknown elements: drop them
        text = json_text(replace(job, extra={}).to_wire())
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Server words for a TEXT column: capped, lone surrogates (which SQLite cannot store as
    UTF-8) replaced. Shown later only through bulktui.text."""
    if value is None:
        return None
    return _SURROGATE.sub("\ufffd", str(value)[:limit])


def digest_of(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def fingerprint(job: JobInfo) -> bytes:
    """What tells an unchanged job from a changed one without building its JSON: a hash of
    the dataclass's repr (every field, ``extra`` included), about a third of ``job_json``'s
    cost. A fresh process (a ``jobs`` run) compares every listed job this way. Should the
    repr ever change shape, each job is simply written once more."""
    return digest_of(repr(job))


def as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
