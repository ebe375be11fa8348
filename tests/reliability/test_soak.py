"""The soak, short enough for CI: one simulated hour of bench/bench_soak.py with the emulator in
process and 300 jobs instead of 2,000 (the job list is what costs wall time; the rest of the
scenario is the bench's: a new load every 5 minutes, sessions expired every 15, an action every
20, the faults changing every 10 minutes). The full 8-hour run with 2,000 jobs, and the memory
figure, are ``python bench/bench_soak.py`` (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_soak.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_soak", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_soak"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def soak() -> object:
    bench = load_bench()
    logging.getLogger("bulktui").setLevel(logging.ERROR)  # the faults' warnings are expected
    try:
        cfg = bench.Config(hours=1.0, jobs=300, in_process=True)
        result = asyncio.run(bench.Soak(cfg).run())
    finally:
        logging.getLogger("bulktui").setLevel(logging.NOTSET)
    print(bench.report(result))
    return result


def test_an_hour_of_faults_loads_and_expiries_loses_nothing(soak: object) -> None:
    result = soak
    assert result.problems == []  # type: ignore[attr-defined]


def test_every_fault_and_event_happened(soak: object) -> None:
    r = soak
    assert r.cycles > 600  # type: ignore[attr-defined]  # 5 s interval, back-off included
    assert r.expiries == 3 and r.reauths == 3  # type: ignore[attr-defined]
    assert len(r.actions) == 3  # type: ignore[attr-defined]
    assert r.loads["create"] == 11  # type: ignore[attr-defined]
    words = r.link_words  # type: ignore[attr-defined]
    assert words["live"] > words["degraded"] > 0 and words["stale"] > 0


def test_requests_per_hour_within_the_workers_budget(soak: object) -> None:
    hours = [h for h in soak.hours if h["hour"] >= 1]  # type: ignore[attr-defined]
    assert hours and all(0 < h["requests"] <= h["budget"] for h in hours)
