"""Writing command output: aligned tables, label/value listings and JSON.

Everything the server sent passes through ``one_line`` (bulktui/text.py) before it reaches
the terminal, so a hostile ``stateMessage`` or object name cannot move the cursor, retitle the
window or reverse a column. JSON is written with ``ensure_ascii``, which escapes control
characters as ``\\u001b`` on its own. ``emit`` writes whatever the terminal's encoding cannot
hold as backslash escapes, and every table cell is cut at ``MAX_CELL`` characters, so one huge
value cannot pad every row (``--json`` has the whole value).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from bulktui.api.models import BATCH_FIELDS, JOB_FIELDS, BatchInfo, JobInfo
from bulktui.core.labels import JOB_LABELS, MILLISECOND_FIELDS
from bulktui.text import CUT_MARK as CUT_MARK  # the cut's mark, for callers and tests
from bulktui.text import cut, one_line

MAX_CELL = 120  # characters of one table cell; the rest is cut with CUT_MARK


def emit(text: str) -> None:
    """Write to stdout; a reader that went away (``| head``) ends the command quietly, and
    what stdout's encoding cannot hold (a lone surrogate, any non-ASCII under LANG=C) is
    written as backslash escapes rather than ending the command."""
    stream = sys.stdout
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # a text-only stream (io.StringIO): nothing can fail to encode
            stream.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
        else:
            stream.flush()
            buffer.write(text.encode(stream.encoding or "utf-8", "backslashreplace"))
            buffer.flush()
    except BrokenPipeError:
        # Further writes (and the interpreter's own flush at exit) would fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None


def emit_json(value: Any) -> None:
    emit(json.dumps(value, indent=2, ensure_ascii=True) + "\n")


def cell(value: Any) -> str:
    """A value as safe, single-line terminal text."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    elif isinstance(value, datetime):
        return format_when(value)
    elif isinstance(value, bool):
        return "true" if value else "false"
    return one_line(str(value))


def format_when(value: datetime) -> str:
    if value.utcoffset() == timedelta(0):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    return value.isoformat()


def clip(text: str, limit: int = MAX_CELL) -> str:
    """At most ``limit`` characters, the cut marked (a table cell's default width)."""
    return cut(text, limit)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell, each cell cut at ``MAX_CELL`` characters; cells are
    expected to be ``cell()``-safe already."""
    body = [[clip(text) for text in r] for r in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    lines = []
    for row in [list(headers), *body]:
        padded = [text.ljust(widths[i]) for i, text in enumerate(row[:-1])]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def job_details(job: JobInfo, user_names: dict[str, str] | None = None) -> str:
    """Every field the server sent: label, wire name, value; unknown fields at the end."""
    rows = []
    for f in JOB_FIELDS:
        value = getattr(job, f.attr)
        if value is None:
            continue
        text = cell(value)
        if f.wire == "createdById" and user_names and value in user_names:
            text = f"{text} ({cell(user_names[value])})"
        label = JOB_LABELS.get(f.wire, f.wire)
        if f.wire in MILLISECOND_FIELDS:
            label += " (ms)"
        rows.append([label, f.wire, text])
    for key, value in job.extra.items():
        rows.append(["(unknown field)", cell(key), cell(value)])
    return table(["FIELD", "WIRE NAME", "VALUE"], rows)


def batch_table(batches: Sequence[BatchInfo]) -> str:
    if not batches:
        return "No batches.\n"
    headers = ["BATCH ID", "STATE", "PROCESSED", "FAILED", "CREATED", "MODIFIED", "STATE MESSAGE"]
    rows = [
        [
            cell(b.id),
            cell(b.state),
            cell(b.number_records_processed),
            cell(b.number_records_failed),
            cell(b.created_date),
            cell(b.system_modstamp),
            cell(b.state_message),
        ]
        for b in batches
    ]
    return table(headers, rows)


def batch_wire(batch: BatchInfo) -> dict[str, Any]:
    """A BatchInfo keyed by wire names, stateMessage included even when absent (as null)."""
    out = {f.wire: None for f in BATCH_FIELDS if f.wire == "stateMessage"}
    out.update(batch.to_wire())
    return out
