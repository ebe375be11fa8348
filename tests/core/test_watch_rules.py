"""The guard runner's edges found in review, and ``--exec`` with real child processes."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bulktui.core.guard_rules import (
    RuleFileError,
    default_rules_path,
    load_rules_or_default,
    parse_rules,
)
from bulktui.core.guards import EventKind, GuardEngine, GuardEvent, Outcome
from bulktui.core.watcher import EventCommand
from tests.core.test_guards import T0, RecordingActions, job, runner_for, snap

ABORT_ALL = (
    'armed = true\n[[rule]]\nname = "all"\nobject = "*"\nwhen = "always"\naction = "abort"\n'
)


async def test_a_journal_snapshot_is_never_acted_on() -> None:
    actions = RecordingActions()
    runner, events = runner_for(ABORT_ALL, actions, arm=True)
    await runner.handle(dataclasses.replace(snap(job(1)), source="journal"))
    assert events == [] and actions.calls == []
    await runner.handle(snap(job(1)))
    assert actions.calls == [(job(1).id, "rule", "all")]


async def test_a_glob_star_scope_is_still_every_job_and_is_counted_first() -> None:
    actions = RecordingActions()
    runner, events = runner_for(ABORT_ALL, actions, arm=False)  # armed = true in the file only
    await runner.handle(snap(job(1), job(2), job(3, state="JobComplete")))
    held = events[0]
    assert held.event is EventKind.HELD_BACK
    assert held.message == (
        "rule 'all' would abort every job in the org: 2 jobs right now "
        "(not armed: it is armed only with --arm on the command line)"
    )
    assert actions.calls == []
    assert {e.outcome for e in events[1:] if e.event is EventKind.ACTION} == {Outcome.DRY_RUN}


def test_abort_rules_leave_finished_new_jobs_alone_but_flags_see_them() -> None:
    rules = parse_rules(
        '[[rule]]\nname = "stop"\nwhen = "failed > 5"\naction = "abort"\n'
        '[[rule]]\nname = "tell"\nwhen = "failed > 5"\naction = "flag"\n'
    )
    engine = GuardEngine(rules, started_at=T0)
    # A 1.0 job created after we started, Closed with every batch done: 1.0 would let it be
    # aborted, which would only relabel a finished load.
    done = dataclasses.replace(
        job(1, state="Closed", job_type="Classic", processed=100, failed=50),
        created_date=T0 + timedelta(seconds=5),
        number_batches_total=2,
        number_batches_completed=2,
        number_batches_queued=0,
        number_batches_in_progress=0,
        number_batches_failed=0,
    )
    fired = engine.evaluate(snap(done), T0 + timedelta(seconds=10))
    assert [f.rule.name for f in fired] == ["tell"]


def sink_script(tmp_path: Path) -> Path:
    script = tmp_path / "sink.py"
    script.write_text(
        "import json, os, sys\n"
        "event = json.load(sys.stdin)\n"
        "event['secret_seen'] = any(k.startswith('BULKTUI_') for k in os.environ)\n"
        f"open({str(tmp_path / 'out.jsonl')!r}, 'a').write(json.dumps(event) + '\\n')\n"
    )
    return script


def event(n: int) -> GuardEvent:
    return GuardEvent(T0, EventKind.RULE_FIRED, f"rule 'r' fired; $(touch pwned) `x` {n}", "r")


async def test_exec_gets_each_event_on_stdin_without_a_shell_or_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULKTUI_SESSION_ID", "00Dsecret!token")
    reports: list[str] = []
    command = EventCommand(f"{sys.executable} {sink_script(tmp_path)}", report=reports.append)
    for n in range(3):
        command(event(n))
    command.close()
    await command.run()
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [x["message"] for x in lines] == [event(n).message for n in range(3)]
    assert not any(x["secret_seen"] for x in lines)
    assert reports == [] and not (tmp_path / "pwned").exists()


async def test_exec_failures_are_reported_and_the_next_event_still_runs(tmp_path: Path) -> None:
    reports: list[str] = []
    failing = EventCommand(f"{sys.executable} -c 'raise SystemExit(4)'", report=reports.append)
    await failing.run_one(event(1))
    slow = EventCommand(
        f"{sys.executable} -c 'import time; time.sleep(30)'", report=reports.append, timeout=0.5
    )
    await slow.run_one(event(2))
    missing = EventCommand(str(tmp_path / "no-such-command"), report=reports.append)
    await missing.run_one(event(3))
    assert reports[0].endswith("exited with status 4")
    assert reports[1].endswith("killed after 0.5 s")
    assert "cannot start it" in reports[2]


def test_rules_come_from_the_given_file_or_the_config_dir_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert default_rules_path() == tmp_path / "config" / "bulktui" / "guards.toml"
    assert load_rules_or_default(None) is None  # no file: no guards, not an error
    default_rules_path().parent.mkdir(parents=True)
    default_rules_path().write_text('[[rule]]\nname = "a"\nwhen = "always"\naction = "flag"\n')
    found = load_rules_or_default(None)
    assert found is not None and [r.name for r in found.rules] == ["a"]
    with pytest.raises(RuleFileError, match="not a regular file"):
        load_rules_or_default(tmp_path / "missing.toml")
