"""Where a warm launch's time goes after the first frame: the steps of reading 10,000 stored
jobs back and handing them to the poller, timed one by one (docs/journal.md, "Launch cost").

    python bench/bench_preload_steps.py [--jobs 10000] [--repeats 5]

A journal of finished 2.0 ingest jobs, as ``bench_journal.py`` fills it, in a scratch
directory. Each step is timed alone, best of ``--repeats``, in this process (no console, no
Textual): the console adds its table (about 2 µs a job) and its paints. Prints the figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_journal import IDENTITY, fill, opened

from bulktui.api import wire
from bulktui.api.models import JobInfo
from bulktui.core.journal_queries import job_from_json
from bulktui.core.poller import Poller


class _NoNetwork:
    """The poller's client, never asked for anything here: preload sends no request."""

    api_usage = None
    requests_sent = 0
    requests_reached = 0


def best_ms(step: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "journal.sqlite3"
        fill(path, args.jobs, 0)
        journal = opened(path)
        db = journal._db
        assert db is not None
        sql = "SELECT job_id, info FROM jobs WHERE purged_at IS NULL ORDER BY created_date DESC"
        rows = db.execute(sql).fetchall()
        texts = [row[1] for row in rows]
        mappings = [json.loads(text) for text in texts]
        fields = [dict(_fields(m)) for m in mappings]
        jobs = journal.known_jobs(IDENTITY.org_id)

        def poller_preload() -> None:
            Poller(_NoNetwork()).preload(jobs, wire.EARLIEST_DATE)  # type: ignore[arg-type]

        steps: list[tuple[str, Callable[[], Any]]] = [
            ("SQLite: the rows, newest first", lambda: db.execute(sql).fetchall()),
            ("json.loads of each stored JobInfo", lambda: [json.loads(t) for t in texts]),
            (
                "the wire parser (checks + JobInfo)",
                lambda: [wire.job_from_mapping(m) for m in mappings],
            ),
            ("  of which building JobInfo alone", lambda: [JobInfo(**f) for f in fields]),
            (
                "job_from_json (all of the above)",
                lambda: [job_from_json(t, r[0]) for t, r in zip(texts, rows, strict=True)],
            ),
            ("journal.known_jobs() whole", lambda: journal.known_jobs(IDENTITY.org_id)),
            ("Poller.preload: tracks, views, snapshot", poller_preload),
        ]
        n = len(rows)
        print(f"preload steps, {n:,} stored jobs, best of {args.repeats}:")
        for name, step in steps:
            ms = best_ms(step, args.repeats)
            print(f"  {name:<42} {ms:7.1f} ms  {ms * 1000 / n:5.1f} µs a job")
        journal.close()


def _fields(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    """The attribute values the parser makes of one stored mapping, ready for JobInfo()."""
    job = wire.job_from_mapping(mapping)
    return [(name, getattr(job, name)) for name in JobInfo.__dataclass_fields__]


if __name__ == "__main__":
    main()
