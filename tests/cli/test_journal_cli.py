"""The one-shot commands and the journal, end to end: ``jobs``/``show``/``close``/``abort``/
``create``/``results`` record into a journal file against a real EmulatorServer on loopback,
and ``history``/``actions`` read it back; a journal that cannot be used never changes a
command's output or exit code."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bulktui.api.ids import JOB_PREFIX, make_id
from bulktui.cli import main
from bulktui.cli.jobs_cmd import MAX_PURGE_CHECKS
from bulktui.core.journal import Journal
from bulktui.core.journal_files import default_path
from bulktui.emulator.engine import Engine
from bulktui.emulator.seeding import seed_jobs
from bulktui.emulator.server import EmulatorServer
from tests.cli.cli_fakes import CONNECT, JOB_A, FakeOrg, Terminal, install


@dataclass
class Org:
    server: EmulatorServer
    engine: Engine
    session: str

    @property
    def args(self) -> list[str]:
        return ["--instance-url", self.server.url, "--session-id", self.session]

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULKTUI_")}
        return {
            **env,
            "BULKTUI_INSTANCE_URL": self.server.url,
            "BULKTUI_SESSION_ID": self.session,
            **extra,
        }

    def seed(self, count: int = 1, **spec: Any) -> list[str]:
        jobs = seed_jobs(self.engine, [{"state": "Closed", **spec, "copies": count}])
        return [job.id for job in jobs]

    def purge(self, job_id: str) -> None:
        self.engine.remove_job(self.engine.get_job(job_id))


@pytest.fixture(scope="module")
def org() -> Iterator[Org]:
    engine = Engine()
    seed_jobs(engine, [{"state": "Closed", "object": "Contact", "copies": 3}])
    server = EmulatorServer(engine).start()
    try:
        yield Org(server, engine, engine.issue_session())
    finally:
        server.stop()


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "org.sqlite3"


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def _ids(out: str) -> list[str]:
    return [row["id"] for row in json.loads(out)]


def _record(path: Path, job_id: str) -> Any:
    opened = Journal.open(path, create=False)
    assert isinstance(opened, Journal), opened.problem
    try:
        return opened.job_record(job_id)
    finally:
        opened.close()


# --------------------------------------------------------------------------- jobs → history


def test_history_shows_a_job_jobs_saw_that_salesforce_then_purged(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (gone,) = org.seed(object="Account")
    (kept,) = org.seed(object="Lead")
    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    listed = {row["id"] for row in _json(capsys)}
    assert {gone, kept} <= listed

    org.purge(gone)
    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    captured = capsys.readouterr()
    assert gone not in {row["id"] for row in json.loads(captured.out)}
    assert captured.err == ""  # one vanished job: confirmed quietly

    assert main(["history", "--json", "--journal", str(journal)]) == 0
    by_id = {e["job"]["id"]: e for e in _json(capsys)}
    assert by_id[gone]["purgedAt"] is not None and by_id[gone]["job"]["object"] == "Account"
    assert kept not in by_id or by_id[kept]["purgedAt"] is None  # still listed
    kept_record = _record(journal, kept)
    assert kept_record is not None and kept_record.entry.purged_at is None
    assert main(["history", "--journal", str(journal), "--object", "Account"]) == 0
    table = capsys.readouterr().out
    assert gone in table and kept not in table


def test_a_job_still_there_is_not_called_purged(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Known to the journal (from ``show``) but missing from a listing filtered by nothing:
    the confirming GET finds it, so it is recorded again, not purged."""
    (job_id,) = org.seed(object="Case")
    assert main(["show", job_id, "--json", *org.args, "--journal", str(journal)]) == 0
    capsys.readouterr()
    opened = Journal.open(journal)
    opened.record_listing([], _now())  # a listing that lacked it (a page cap, say)
    opened.close()
    assert main(["jobs", "--json", "--type", "v2", *org.args, "--journal", str(journal)]) == 0
    capsys.readouterr()
    record = _record(journal, job_id)
    assert record is not None and record.entry.purged_at is None


def test_purge_checks_are_capped_per_run_and_said(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = org.seed(MAX_PURGE_CHECKS + 5, object="Opportunity")
    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    capsys.readouterr()
    for job_id in ids:
        org.purge(job_id)

    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bulktui: journal: ")
    assert f"{MAX_PURGE_CHECKS + 5} jobs" in err and f"at most {MAX_PURGE_CHECKS} a run" in err
    assert _purged(journal, capsys) & set(ids) == set(ids[:MAX_PURGE_CHECKS])

    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    assert capsys.readouterr().err == ""  # five left: under the cap
    assert _purged(journal, capsys) >= set(ids)


def _purged(journal: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    assert main(["history", "--json", "--journal", str(journal)]) == 0
    return {e["job"]["id"] for e in _json(capsys) if e["purgedAt"]}


def test_jobs_uses_the_orgs_journal_by_default(
    org: Org, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BULKTUI_JOURNAL")
    assert main(["jobs", "--json", *org.args]) == 0
    listed = len(_json(capsys))
    path = default_path(org.server.url)
    assert path.is_file() and (path.stat().st_mode & 0o777) == 0o600
    assert main(["journal", "--info", "--instance-url", org.server.url]) == 0
    assert f"{listed:,} (0 purged)" in capsys.readouterr().out
    assert main(["jobs", "--json", *org.args, "--no-journal"]) == 0  # off: nothing changes
    capsys.readouterr()


# --------------------------------------------------------------------------- show / results


def test_show_records_the_jobinfo_and_batches(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (job_id,) = org.seed(
        object="Lead",
        contentType="JSON",
        batches=[{"state": "Failed", "stateMessage": "InvalidBatch : \x1b[2J bad row"}],
    )
    assert main(["show", job_id, "--batches", *org.args, "--journal", str(journal)]) == 0
    capsys.readouterr()
    record = _record(journal, job_id)
    assert record is not None
    assert record.entry.job.object == "Lead" and record.entry.job.number_batches_total == 1
    assert [b.state_message for b in record.batches] == ["InvalidBatch : \x1b[2J bad row"]

    org.purge(job_id)  # one GET says no endpoint knows it: the journal calls it purged
    assert main(["show", job_id, *org.args, "--journal", str(journal)]) == 1
    assert "no such job" in capsys.readouterr().err
    record = _record(journal, job_id)
    assert record is not None and record.entry.purged_at is not None


def test_results_records_the_job_and_its_counts(
    org: Org, journal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (job_id,) = org.seed(object="Account")
    out = tmp_path / "failed.csv"
    argv = ["results", job_id, "-o", str(out), *org.args, "--journal", str(journal)]
    assert main(argv) == 0
    record = _record(journal, job_id)
    assert record is not None and record.entry.job.id == job_id
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- actions


def test_actions_show_the_clis_abort_and_a_refusal_in_the_servers_words(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (job_id,) = org.seed(state="Open", object="Account")
    assert main(["abort", job_id, "--yes", *org.args, "--journal", str(journal)]) == 0
    assert main(["close", job_id, "--yes", *org.args, "--journal", str(journal)]) == 1
    refusal = capsys.readouterr().err.removeprefix("bulktui: ").strip()

    assert main(["actions", "--json", "--journal", str(journal)]) == 0
    close, abort = _json(capsys)  # newest first
    assert abort["jobId"] == close["jobId"] == job_id
    assert (abort["action"], abort["origin"], abort["outcome"]) == ("abort", "cli", "succeeded")
    assert abort["user"] == org.engine.login.username and abort["orgId"] == org.engine.org_id
    assert (close["action"], close["outcome"]) == ("close", "refused")
    assert close["message"] == refusal
    assert main(["actions", "--journal", str(journal)]) == 0
    table = capsys.readouterr().out
    assert "abort" in table and "succeeded" in table and "cli" in table

    record = _record(journal, job_id)  # the abort's answer is the journal's JobInfo
    assert record is not None and record.entry.job.state is not None
    assert record.entry.job.state.value == "Aborted"


def test_create_and_an_unknown_id_are_logged(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["create", "--object", "Account", "--operation", "insert", "--json"]
    assert main([*argv, *org.args, "--journal", str(journal)]) == 0
    created = _json(capsys)["id"]
    missing = make_id(JOB_PREFIX, "9Q", 424242)
    assert main(["abort", missing, "--yes", *org.args, "--journal", str(journal)]) == 1
    capsys.readouterr()
    assert main(["actions", "--json", "--journal", str(journal)]) == 0
    abort, create = _json(capsys)
    assert (create["action"], create["jobId"], create["outcome"]) == (
        "create",
        created,
        "succeeded",
    )
    assert (abort["outcome"], abort["origin"]) == ("refused", "cli")
    assert "no such job in this org; nothing was aborted" in abort["message"]


def test_a_2_0_close_is_logged_as_upload_complete(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (job_id,) = org.seed(state="Open", jobType="V2Ingest", object="Account")
    assert main(["close", job_id, "--yes", *org.args, "--journal", str(journal)]) == 0
    capsys.readouterr()
    assert main(["actions", "--json", "--journal", str(journal)]) == 0
    (entry,) = _json(capsys)
    assert (entry["action"], entry["outcome"]) == ("upload complete", "succeeded")


def test_asked_on_a_terminal_yes_is_logged_and_no_is_not(
    org: Org, journal: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    declined, accepted = org.seed(2, state="Open")
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert main(["abort", declined, *org.args, "--journal", str(journal)]) == 1
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert main(["close", accepted, *org.args, "--journal", str(journal)]) == 0
    capsys.readouterr()
    assert main(["actions", "--json", "--journal", str(journal)]) == 0
    (entry,) = _json(capsys)  # the declined abort sent nothing: not an action
    assert (entry["jobId"], entry["action"], entry["outcome"]) == (accepted, "close", "succeeded")
    record = _record(journal, declined)  # but its look-up is kept, as `show` would keep it
    assert record is not None and record.entry.job.state is not None
    assert record.entry.job.state.value == "Open"


def test_an_uncertain_abort_is_logged_with_its_words(
    monkeypatch: pytest.MonkeyPatch, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeOrg(reset_posts=True)  # the abort is received, then the connection drops
    install(monkeypatch, fake)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["abort", JOB_A, "--yes", *CONNECT, "--journal", str(journal)]) == 3
    said = capsys.readouterr().err.removeprefix("bulktui: ").strip()
    assert main(["actions", "--json", "--journal", str(journal)]) == 0
    (entry,) = _json(capsys)
    assert (entry["action"], entry["origin"], entry["outcome"]) == ("abort", "cli", "uncertain")
    assert entry["message"] == said and "may or may not" in said
    assert entry["user"] is None  # the fake org has no userinfo: the action is logged anyway


def test_nothing_secret_is_recorded(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (job_id,) = org.seed(state="Open")
    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    assert main(["abort", job_id, "--yes", *org.args, "--journal", str(journal)]) == 0
    capsys.readouterr()
    for path in journal.parent.iterdir():
        assert org.session.encode() not in path.read_bytes()


# --------------------------------------------------------------------------- faults


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript("PRAGMA application_id = 42; CREATE TABLE notes (body TEXT);")
    db.close()


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (_corrupt, "moved aside"),
        (_foreign, "not a bulktui journal"),
        (_directory, "is a directory"),
    ],
)
def test_an_unusable_journal_costs_one_line_and_nothing_else(
    org: Org,
    journal: Path,
    capsys: pytest.CaptureFixture[str],
    spoil: Any,
    words: str,
) -> None:
    assert main(["jobs", "--json", *org.args, "--no-journal"]) == 0
    expected = _ids(capsys.readouterr().out)
    spoil(journal)
    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    captured = capsys.readouterr()
    assert _ids(captured.out) == expected  # the same jobs (some move on meanwhile)
    assert captured.err.count("\n") == 1 and captured.err.startswith("bulktui: ")
    assert str(journal) in captured.err and words in captured.err
    assert "Traceback" not in captured.err


def test_an_unusable_journal_keeps_an_actions_exit_code(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _foreign(journal)
    (job_id,) = org.seed(state="Aborted")
    assert main(["close", job_id, "--yes", *org.args, "--journal", str(journal)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "not a bulktui journal" in err[0]
    assert "Only an Open job can be closed" in err[1]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only file")
def test_a_read_only_journal_is_said_once(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    expected = _ids(capsys.readouterr().out)
    journal.chmod(0o400)
    assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    captured = capsys.readouterr()
    assert _ids(captured.out) == expected and captured.err.count("\n") == 1
    assert "read-only" in captured.err


def test_a_locked_journal_costs_one_line(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another program holds the file in exclusive locking mode: the command waits the
    journal's short open wait, then carries on without it."""
    assert main(["jobs", "--json", *org.args, "--no-journal"]) == 0
    expected = _ids(capsys.readouterr().out)
    holder = sqlite3.connect(journal, isolation_level=None)
    try:
        holder.executescript(
            "PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE t (x); BEGIN EXCLUSIVE;"
        )
        assert main(["jobs", "--json", *org.args, "--journal", str(journal)]) == 0
    finally:
        holder.close()
    captured = capsys.readouterr()
    assert _ids(captured.out) == expected  # the same jobs (some move on meanwhile)
    assert captured.err.count("\n") == 1 and str(journal) in captured.err
    assert "locked" in captured.err


# --------------------------------------------------------------------------- two processes


def test_jobs_in_another_process_is_not_held_up_by_a_writer(
    org: Org, journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A console (here: this process) in the middle of a write does not stop a ``jobs`` run
    in another process: the run lists, prints and exits 0; its write waits a moment, then is
    left for a later run. Once the writer is done, the next run records."""
    assert main(["history", "--json", "--journal", str(journal)]) == 1  # no journal yet
    capsys.readouterr()
    first = Journal.open(journal)
    assert isinstance(first, Journal)
    first.close()
    holder = sqlite3.connect(journal, isolation_level=None, timeout=0)
    command = [sys.executable, "-m", "bulktui", "jobs", "--json", "--journal", str(journal)]
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held for the whole run
        done = subprocess.run(
            command,
            env=org.env(),
            capture_output=True,
            text=True,
            timeout=60,  # a guard against a hang, not a measurement
            stdin=subprocess.DEVNULL,
        )
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(json.loads(done.stdout)) == len(org.engine.jobs)
    assert main(["history", "--json", "--journal", str(journal)]) == 0
    assert _json(capsys) == []  # its write gave way

    again = subprocess.run(
        command, env=org.env(), capture_output=True, text=True, timeout=60, check=True
    )
    assert again.stderr == ""
    assert main(["journal", "--info", "--journal", str(journal)]) == 0
    assert f"{len(org.engine.jobs):,} (" in capsys.readouterr().out


def test_a_one_shot_command_loads_no_textual(org: Org, journal: Path) -> None:
    """(rich is loaded, by httpx's own ``httpx._main`` when rich is installed: not ours.)"""
    probe = (
        "import sys\n"
        "from bulktui.cli import main\n"
        f"code = main(['jobs', '--json', '--journal', {str(journal)!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "print(code, loaded, 'bulktui.core.journal' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=org.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr.strip() == "0 [] True"


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
