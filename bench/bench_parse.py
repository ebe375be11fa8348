"""Parse a 1,000-row Bulk 2.0 job-list page (target: under 20 ms).

    python bench/bench_parse.py [--rows 1000] [--runs 50]

Rows are realistic and distinct: 18-character ids with checksums, different dates, every
job state and type, Classic rows without counts, as ``/jobs/ingest`` sends them
(docs/wire-facts.md §5).
Prints the median and best of ``--runs`` parses, json.loads included.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bulktui.api import wire
from bulktui.api.ids import make_id

STATES = ["Open", "Closed", "Aborted", "Failed", "UploadComplete", "InProgress", "JobComplete"]
OBJECTS = ["Account", "Contact", "Lead", "Opportunity", "Case", "Invoice__c"]
OPERATIONS = ["insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll"]


def page_body(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    records = []
    for i in range(rows):
        created = start - timedelta(seconds=rng.randrange(7 * 86400))
        classic = rng.random() < 0.7
        row = {
            "id": make_id("750", "8Z", 10_000 + i),
            "operation": rng.choice(OPERATIONS),
            "object": rng.choice(OBJECTS),
            "createdById": make_id("005", "8Z", rng.randrange(12)),
            "createdDate": wire.format_datetime_json(created),
            "systemModstamp": wire.format_datetime_json(created + timedelta(seconds=40)),
            "state": rng.choice(STATES[:4] if classic else STATES),
            "concurrencyMode": "Parallel",
            "contentType": rng.choice(["CSV", "XML", "JSON"]) if classic else "CSV",
            "apiVersion": 64.0,
            "jobType": "Classic" if classic else "V2Ingest",
        }
        if not classic:
            row.update(lineEnding="LF", columnDelimiter="COMMA", contentUrl=None)
        records.append(row)
    next_url = "/services/data/v64.0/jobs/ingest?queryLocator=01g8Z00000ABCDe-1000"
    return json.dumps(
        {"done": False, "records": records, "nextRecordsUrl": next_url}, indent=1
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    body = page_body(args.rows)
    wire.parse_job_list_page(body)  # warm-up: imports, caches
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        page = wire.parse_job_list_page(body)
        times.append((time.perf_counter() - started) * 1000)
    assert len(page.records) == args.rows and not page.done
    print(
        f"parse {args.rows}-row job-list page ({len(body) / 1024:.0f} KiB): "
        f"median {statistics.median(times):.1f} ms, best {min(times):.1f} ms "
        f"over {args.runs} runs (target < 20 ms)"
    )


if __name__ == "__main__":
    main()
