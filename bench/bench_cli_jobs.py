"""``bulktui jobs --json`` against an emulator holding 10,000 jobs (target: under 2 s).

    python bench/bench_cli_jobs.py [--jobs 10000] [--runs 3]

Starts an EmulatorServer on loopback, seeds the jobs through ``POST /_emulator/seed``, then
times the whole command as a subprocess (interpreter start-up, imports, every page of both
listings, parsing, de-duplication, JSON output) and checks that it printed every job.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    engine = Engine()
    server = EmulatorServer(engine).start()
    try:
        seed(server.url, args.jobs)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULKTUI_")}
        env.update(BULKTUI_INSTANCE_URL=server.url, BULKTUI_SESSION_ID=engine.issue_session())
        command = [sys.executable, "-m", "bulktui", "jobs", "--json"]
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"bulktui jobs failed ({done.returncode}): {done.stderr}")
            printed = len(json.loads(done.stdout))
            if printed != len(engine.jobs):
                raise SystemExit(f"printed {printed} jobs, the emulator holds {len(engine.jobs)}")
        stats = httpx.get(f"{server.url}/_emulator/stats").json()
    finally:
        server.stop()
    print(
        f"bulktui jobs --json, {printed:,} jobs: median {statistics.median(times):.2f} s, "
        f"best {min(times):.2f} s over {args.runs} runs (target < 2 s); "
        f"{stats['total'] // args.runs} emulator requests per run"
    )


if __name__ == "__main__":
    main()
