"""``bulktui jobs --json`` against an emulator holding 10,000 jobs (target: under 2 s).

    python bench/bench_cli_jobs.py [--jobs 10000] [--runs 3] [--journal-compare]

Starts an EmulatorServer on loopback, seeds the jobs through ``POST /_emulator/seed``, then
times the whole command as a subprocess (interpreter start-up, imports, every page of both
listings, parsing, de-duplication, JSON output) and checks that it printed every job.

``--journal-compare`` times it three ways: ``--no-journal``; with a new journal each run
(opening, creating and migrating the file, recording every job); and with a warm journal
(the usual run: only changed rows are written). ``--jobs 10`` makes it a start-up figure.
On the shared 2-core machine (load about 2), medians: 20 jobs, 0.347 s without a journal,
0.346 s new, 0.347 s warm; 10,000 jobs, 1.47 s without, 1.98 s new (the first run writes every
job), 1.50 s warm.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bulktui.emulator.engine import Engine
from bulktui.emulator.server import EmulatorServer

STATES = ["Open", "Closed", "Aborted", "Failed"]
OBJECTS = ["Account", "Contact", "Lead", "Opportunity", "Case"]
OPERATIONS = ["insert", "update", "upsert", "delete", "query"]


def seed(url: str, jobs: int) -> None:
    specs = []
    per_kind = max(1, jobs // (len(STATES) * len(OBJECTS)))
    for state in STATES:
        for i, obj in enumerate(OBJECTS):
            spec = {"state": state, "object": obj, "operation": OPERATIONS[i], "copies": per_kind}
            if OPERATIONS[i] == "upsert":
                spec["externalIdFieldName"] = "Id"
            specs.append(spec)
    remainder = jobs - per_kind * len(specs)
    if remainder > 0:
        specs.append({"state": "Closed", "copies": remainder})
    answer = httpx.post(f"{url}/_emulator/seed", json={"jobs": specs}, timeout=120)
    answer.raise_for_status()


def timed(
    command: list[str], env: dict[str, str], runs: int, expected: int, before: Any
) -> list[float]:
    times = []
    for _ in range(runs):
        before()
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0 or done.stderr:
            raise SystemExit(f"bulktui jobs failed ({done.returncode}): {done.stderr}")
        printed = len(json.loads(done.stdout))
        if printed != expected:
            raise SystemExit(f"printed {printed} jobs, the emulator holds {expected}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--journal-compare", action="store_true")
    args = parser.parse_args()
    engine = Engine()
    server = EmulatorServer(engine).start()
    folder = tempfile.TemporaryDirectory(prefix="bench-cli-journal-")
    journal = Path(folder.name) / "org.sqlite3"
    try:
        seed(server.url, args.jobs)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULKTUI_")}
        env.update(BULKTUI_INSTANCE_URL=server.url, BULKTUI_SESSION_ID=engine.issue_session())
        command = [sys.executable, "-m", "bulktui", "jobs", "--json"]
        expected = len(engine.jobs)
        if not args.journal_compare:
            times = timed([*command, "--no-journal"], env, args.runs, expected, lambda: None)
            stats = httpx.get(f"{server.url}/_emulator/stats").json()
            print(
                f"bulktui jobs --json, {expected:,} jobs: median "
                f"{statistics.median(times):.2f} s, best {min(times):.2f} s over {args.runs} "
                f"runs (target < 2 s); {stats['total'] // args.runs} emulator requests per run"
            )
            return

        def fresh() -> None:
            for side in ("", "-wal", "-shm"):
                Path(str(journal) + side).unlink(missing_ok=True)

        with_journal = [*command, "--journal", str(journal)]
        rows = [
            ("--no-journal", timed([*command, "--no-journal"], env, args.runs, expected, fresh)),
            ("new journal", timed(with_journal, env, args.runs, expected, fresh)),
        ]
        timed(with_journal, env, 1, expected, lambda: None)  # warm it
        rows.append(("warm journal", timed(with_journal, env, args.runs, expected, lambda: None)))
    finally:
        server.stop()
        folder.cleanup()
    base = statistics.median(rows[0][1])
    print(f"bulktui jobs --json, {expected:,} jobs, {args.runs} runs each:")
    for label, times in rows:
        median = statistics.median(times)
        print(
            f"  {label:<13} median {median:.3f} s, best {min(times):.3f} s "
            f"({median - base:+.3f} s against --no-journal)"
        )


if __name__ == "__main__":
    main()
