"""``bulktui history``, ``actions`` and ``journal --info``: the local journal, no network."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.ids import JOB_PREFIX, make_id
from bulktui.api.models import Identity, JobInfo
from bulktui.auth.profiles import Method, Profile, ProfileStore
from bulktui.cli import build_parser, main
from bulktui.cli.history_cmd import journal_for_args
from bulktui.core.actions import Action, ActionRefused, ActionSucceeded
from bulktui.core.journal import Journal, NullJournal
from bulktui.core.journal_files import default_path
from bulktui.core.snapshot import JobView, LinkState, Snapshot

NOW = datetime.now(UTC).replace(microsecond=0)
URL = "https://acme.my.salesforce.com"
EVIL = "Acc\x1b[2J\x1b]0;owned\x07ount" + "x" * 80
IDENTITY = Identity("005000000000001AAA", "00D000000000001AAA", "ada@example.com", "Ada")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("BULKTUI_JOURNAL", "BULKTUI_PROFILE", "BULKTUI_INSTANCE_URL"):
        monkeypatch.delenv(name, raising=False)


def _job(n: int, state: JobState, days_ago: float, **changes: object) -> JobInfo:
    base: dict[str, object] = {
        "id": make_id(JOB_PREFIX, "00", n),
        "operation": Operation.INSERT,
        "object": "Account",
        "created_date": NOW - timedelta(days=days_ago),
        "system_modstamp": NOW - timedelta(days=days_ago),
        "state": state,
        "job_type": JobType.V2_INGEST,
        "number_records_processed": 10 * n,
        "number_records_failed": n,
    }
    return JobInfo(**{**base, **changes})  # type: ignore[arg-type]


def _fill(path: Path) -> None:
    journal = Journal.open(path)
    assert isinstance(journal, Journal)
    jobs = [
        _job(1, JobState.JOB_COMPLETE, 1, object=EVIL),
        _job(2, JobState.ABORTED, 2, object='=HYPERLINK("x")'),
        _job(3, JobState.FAILED, 45, object="Contact"),
        _job(4, JobState.IN_PROGRESS, 0),  # live: not history
    ]
    views = {j.id: JobView(j, purged=j.id == jobs[2].id) for j in jobs}
    journal.record_snapshot(
        Snapshot(jobs=views, link=LinkState.LIVE, fetched_at=NOW, identity=IDENTITY)
    )
    journal.record_action(ActionSucceeded(Action.ABORT, jobs[1], f"Job {jobs[1].id} aborted."))
    journal.record_action(ActionRefused(Action.CLOSE, jobs[0].id, "Salesforce said \x1b[31mno"))
    journal.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "j.sqlite3"
    _fill(target)
    return target


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_shows_past_jobs_safely(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "history", "--journal", str(path))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "CREATED", "OBJECT"]
    assert len(lines) == 4  # three past jobs, newest first; the live one is not history
    assert "\x1b" not in out and "\x07" not in out
    assert "Acc\\x1b[2J" in out and "…" in out  # shown escaped, the long cell cut
    assert "JobComplete" in lines[1] and "Failed" in lines[3]
    assert all(len(line) < 200 for line in lines)


def test_history_filters(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "history", "--journal", str(path), "--since", "30d", "--json")
    assert [row["job"]["state"] for row in json.loads(out)] == ["JobComplete", "Aborted"]
    _, out, _ = _run(capsys, "history", "--journal", str(path), "--object", "contact", "--json")
    (row,) = json.loads(out)
    assert row["purgedAt"] is not None and row["kind"] == "V2"
    _, out, _ = _run(capsys, "history", "--journal", str(path), "--state", "Aborted", "--json")
    assert [row["job"]["state"] for row in json.loads(out)] == ["Aborted"]
    code, _, err = _run(capsys, "history", "--journal", str(path), "--since", "last tuesday")
    assert code == 2 and "--since" in err
    _, out, _ = _run(capsys, "history", "--journal", str(path), "--state", "aborted,failed")
    assert len(out.splitlines()) == 3  # the header, the Aborted job and the Failed one
    # A state that is not one was "No past jobs in the journal.": as if the answer were none.
    code, out, err = _run(capsys, "history", "--journal", str(path), "--state", "Bogus")
    assert code == 2 and out == "" and "'Bogus' is not a job state (Open, Closed" in err


def test_history_json_and_csv(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "history", "--journal", str(path), "--json")
    assert "\x1b" not in out
    data = json.loads(out)
    assert data[0]["job"]["object"] == EVIL  # JSON keeps the data exactly, escaped
    _, out, _ = _run(capsys, "history", "--journal", str(path), "--csv")
    assert "\x1b" not in out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "ID" and len(rows) == 4
    assert rows[2][2] == '\'=HYPERLINK("x")'  # a spreadsheet reads it as text


def test_actions(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "actions", "--journal", str(path))
    assert code == 0 and "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 3
    assert "mark" not in lines[1] and "upload complete" in lines[1] and "refused" in lines[1]
    assert "abort" in lines[2] and "succeeded" in lines[2] and "ada@example.com" in lines[2]
    _, out, _ = _run(capsys, "actions", "--journal", str(path), "--json", "--since", "1h")
    data = json.loads(out)
    assert [a["outcome"] for a in data] == ["refused", "succeeded"]
    assert data[0]["origin"] == "console" and data[0]["orgId"] == IDENTITY.org_id


def test_journal_info(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "journal", "--info", "--journal", str(path))
    assert code == 0
    assert f"file            {path}" in out
    assert "jobs            4 (1 purged)" in out and "actions         2" in out
    assert "retention       180 days" in out


def test_the_org_is_found_without_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "history")
    assert code == 1 and "nothing recorded yet" in err
    target = default_path(URL)
    assert str(target).startswith(str(tmp_path / "state"))
    _fill(target)
    assert _run(capsys, "history", "--instance-url", URL)[0] == 0
    assert _run(capsys, "history")[0] == 0  # the only journal there is
    ProfileStore().save(
        Profile(name="acme", method=Method.SESSION, instance_url=URL), make_default=True
    )
    code, out, _ = _run(capsys, "journal", "--profile", "acme")
    assert code == 0 and str(target) in out
    _fill(default_path("https://other.my.salesforce.com"))
    assert _run(capsys, "actions", "--profile", "acme")[0] == 0
    code, _, err = _run(capsys, "actions", "--profile", "nobody")
    assert code == 2 and "nobody" in err


def test_a_missing_or_damaged_journal_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "history", "--journal", str(tmp_path / "none.sqlite3"))
    assert code == 1 and "no journal yet" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "none.sqlite3").exists()
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"\x00" * 5000)
    code, _, err = _run(capsys, "actions", "--journal", str(bad))
    assert code == 1 and "moved aside" in err and len(err.splitlines()) == 1


def test_journal_for_args_reads_the_options_and_the_environment(tmp_path: Path) -> None:
    parser = build_parser()
    from bulktui.cli.history_cmd import add_journal_options

    console = argparse.ArgumentParser()
    add_journal_options(console)
    assert parser is not None
    off = journal_for_args(console.parse_args(["--no-journal"]), URL)
    assert isinstance(off, NullJournal) and off.problem is None
    chosen = tmp_path / "chosen.sqlite3"
    opened = journal_for_args(console.parse_args(["--journal", str(chosen)]), URL)
    assert isinstance(opened, Journal) and opened.path == chosen
    opened.close()
    env = {"BULKTUI_JOURNAL": str(tmp_path / "env.sqlite3")}
    opened = journal_for_args(console.parse_args([]), URL, environ=env)
    assert opened.path == tmp_path / "env.sqlite3"
    opened.close()
    off = journal_for_args(console.parse_args([]), URL, environ={"BULKTUI_JOURNAL": "off"})
    assert isinstance(off, NullJournal)
    opened = journal_for_args(console.parse_args([]), URL, environ={})
    assert opened.path == default_path(URL) and opened.path.name == "acme.my.salesforce.com.sqlite3"
    opened.close()
    unknown = journal_for_args(console.parse_args([]), None, environ={})
    assert isinstance(unknown, NullJournal) and "not known" in (unknown.problem or "")
