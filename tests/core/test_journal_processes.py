"""Two processes share one journal: nothing is lost, and a busy file never stalls a writer."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from bulktui.api.enums import JobState
from bulktui.core.actions import Action, ActionRefused
from bulktui.core.journal import Journal

from .journal_support import T0, full, job_id, snapshot

# One process of the pair: a console or a cron job recording its own jobs and actions.
WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bulktui.api.enums import JobState, Operation
from bulktui.api.ids import JOB_PREFIX, make_id
from bulktui.api.models import JobInfo
from bulktui.core.actions import Action, ActionRefused
from bulktui.core.journal import Journal
from bulktui.core.snapshot import JobView, LinkState, Snapshot

path, first, cycles = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
journal = Journal.open(path)
assert isinstance(journal, Journal), journal.problem
problems = []
journal._on_problem = problems.append
t0 = datetime(2026, 3, 2, tzinfo=UTC)
sys.stdout.write("ready\\n")
sys.stdout.flush()
sys.stdin.readline()
views = {}
for cycle in range(cycles):
    for n in range(first + cycle * 5, first + cycle * 5 + 5):
        job = JobInfo(id=make_id(JOB_PREFIX, "00", n), operation=Operation.INSERT,
                      object="Account", state=JobState.CLOSED, created_date=t0)
        views[job.id] = JobView(job)
    at = t0 + timedelta(seconds=cycle)
    journal.record_snapshot(Snapshot(jobs=dict(views), link=LinkState.LIVE, fetched_at=at))
    journal.record_action(ActionRefused(Action.ABORT, make_id(JOB_PREFIX, "00", first), "no"))
journal.close()
print("problems", len(problems))
"""


def _start(path: Path, first: int, cycles: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(first), str(cycles)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_two_processes_write_one_journal_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    cycles = 40
    first, second = _start(path, 1, cycles), _start(path, 100_000, cycles)
    for proc in (first, second):  # both go at once
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=120)[0] for proc in (first, second)]
    assert [proc.returncode for proc in (first, second)] == [0, 0]
    assert all(out.strip().endswith("problems 0") for out in outputs)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 2 * cycles * 5
    assert db.execute("SELECT count(*) FROM actions").fetchone()[0] == 2 * cycles
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO meta VALUES ('holder', 'x')")
print("held", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
print("released", flush=True)
"""


def test_a_writer_held_up_by_another_process_defers_and_catches_up(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal.open(path)
    assert isinstance(journal, Journal)
    said: list[str] = []
    journal._on_problem = said.append
    journal.record_snapshot(snapshot([full(1)]))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    try:
        # The other process holds the write lock: these return (after a short wait) unwritten.
        journal.record_snapshot(snapshot([full(1), full(2)]))
        journal.record_action(ActionRefused(Action.ABORT, job_id(2), "no"))
        reader = sqlite3.connect(path)  # readers are never blocked (WAL)
        assert reader.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1
        assert journal.actions() == []
    finally:
        holder.communicate("\n", timeout=30)
    journal.record_snapshot(snapshot([full(1), full(2)]))  # the next cycle catches up
    assert [j.id for j in journal.known_jobs()] == [job_id(1), job_id(2)]
    assert len(journal.actions()) == 1
    assert said == [] and journal.enabled
    journal.close()


def test_a_list_row_never_overwrites_another_processes_full_jobinfo(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    from .journal_support import list_row

    console, cron = Journal.open(path), Journal.open(path)
    assert isinstance(console, Journal) and isinstance(cron, Journal)
    console.record_snapshot(snapshot([list_row(1, JobState.OPEN)]))
    cron.record_job(full(1), T0)  # the other process reads it in full
    console.record_snapshot(snapshot([list_row(1)]))  # this one still only has a list row
    assert console.known_jobs()[0].number_records_processed == 101
    console.close()
    cron.close()
