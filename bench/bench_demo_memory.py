"""How the demo org grows when left running: the emulator's resident memory, its jobs and its
records, hour by hour of simulated time (docs/emulator.md, "A demo left running").

    python bench/bench_demo_memory.py [--hours 24] [--step 12] [--no-limit]

The demo seed on a manual clock, in this process (no server, no console), advanced ``--step``
hours at a time: the background loads arrive and run as they would in real time, only faster.
``--no-limit`` lifts the demo's cap on records per object, to compare with before it. Prints
the figures; asserts nothing. Each 12-hour step takes 15-30 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import time

from bulktui.emulator import Engine, ManualClock
from bulktui.emulator.demo import seed_demo


def rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--step", type=int, default=12)
    parser.add_argument("--no-limit", action="store_true")
    args = parser.parse_args()
    clock = ManualClock()
    engine = Engine(clock)
    seed_demo(engine, random.Random(7))
    if args.no_limit:
        engine.store.max_per_object = None
    print(f"demo org, records per object: {engine.store.max_per_object or 'no limit'}")
    print(f"{'hours':>5} {'RSS MB':>7} {'jobs':>7} {'records':>9} {'step s':>7}")
    for hour in range(0, args.hours + 1, args.step):
        took = 0.0
        if hour:
            started = time.perf_counter()
            clock.advance(args.step * 3600)
            engine.advance()
            took = time.perf_counter() - started
        records = sum(engine.store.counts().values())
        print(f"{hour:>5} {rss_mb():>7,} {len(engine.jobs):>7,} {records:>9,} {took:>7.1f}")


if __name__ == "__main__":
    main()
