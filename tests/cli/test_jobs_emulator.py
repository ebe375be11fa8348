"""The one-shot commands against a real EmulatorServer on loopback: in process through main(),
and as ``python -m bulktui`` subprocesses (exit codes, one stderr line, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bulktui.api.enums import JobState
from bulktui.cli import main
from bulktui.emulator.engine import Engine
from bulktui.emulator.seeding import seed_jobs
from bulktui.emulator.server import EmulatorServer

HOSTILE = "InvalidBatch : \x1b]0;pwned\x07\x1b[2J bad row"


@dataclass
class Org:
    server: EmulatorServer
    engine: Engine
    session: str
    open_job: str
    hostile_job: str

    @property
    def args(self) -> list[str]:
        return ["--instance-url", self.server.url, "--session-id", self.session]

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BULKTUI_")}
        return {**env, "BULKTUI_INSTANCE_URL": self.server.url, "BULKTUI_SESSION_ID": self.session}


@pytest.fixture(scope="module")
def org() -> Iterator[Org]:
    engine = Engine()
    seed_jobs(engine, [{"state": "Closed", "object": "Contact", "copies": 30}])
    (open_job,) = seed_jobs(engine, [{"state": "Open", "object": "Account"}])
    (hostile,) = seed_jobs(
        engine,
        [
            {
                "state": "Closed",
                "object": "Lead",
                "contentType": "JSON",  # JSON can carry the ESC; XML 1.0 cannot
                "batches": [{"state": "Failed", "stateMessage": HOSTILE}],
            }
        ],
    )
    server = EmulatorServer(engine).start()
    try:
        yield Org(server, engine, engine.issue_session(), open_job.id, hostile.id)
    finally:
        server.stop()


def _bulktui(
    org: Org, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bulktui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or org.env,
        stdin=subprocess.DEVNULL,
    )


def _one_clean_line(stderr: str) -> None:
    assert stderr.count("\n") == 1 and stderr.startswith("bulktui: ")
    assert "Traceback" not in stderr


def test_jobs_json_lists_every_job(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "--json", *org.args]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len({r["id"] for r in rows}) == len(org.engine.jobs)
    assert {r["jobType"] for r in rows} == {"Classic"}
    assert "numberRecordsProcessed" not in rows[0]  # list rows carry no counts


def test_jobs_table_filters_and_names(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "--state", "Open", "--object", "account", *org.args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith(org.open_job)
    assert org.engine.login.full_name in lines[1]  # created by, resolved to a name


def test_show_batches_makes_escapes_visible(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", org.hostile_job, "--batches", *org.args]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "InvalidBatch : \\x1b]0;pwned\\x07\\x1b[2J bad row" in out
    assert "numberBatchesTotal" in out and "Batches total" in out


def test_close_then_close_again(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    (job,) = seed_jobs(org.engine, [{"state": "Open"}])
    assert main(["close", job.id, "--yes", *org.args]) == 0
    assert capsys.readouterr().out.startswith(f"{job.id}: Closed")
    assert main(["abort", job.id, "--yes", *org.args]) == 0
    assert main(["close", job.id, "--yes", *org.args]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"bulktui: Job {job.id}: Only an Open job can be closed; this one is Aborted. "
        "Nothing was sent.\n"
    )


def test_create(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "create",
        "--object",
        "Contact",
        "--operation",
        "upsert",
        "--external-id-field",
        "Email",
        "--json",
        *org.args,
    ]
    assert main(argv) == 0
    job = json.loads(capsys.readouterr().out)
    assert job["id"] in org.engine.jobs and job["externalIdFieldName"] == "Email"
    assert job["state"] == "Open" and job["numberBatchesTotal"] == 0
    before = len(org.engine.jobs)
    assert main(["create", "--object", "Contact", "--operation", "upsert", *org.args]) == 2
    err = capsys.readouterr().err
    assert err == "bulktui: external id field: required for upsert; nothing was sent\n"
    assert len(org.engine.jobs) == before


def test_subprocess_jobs_json_from_the_environment(org: Org) -> None:
    done = _bulktui(org, "jobs", "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) >= 32 and done.stderr == ""


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["show", "750-not-an-id"], 2, "is not a Salesforce id"),
        (["close", "7505g0000A9Nqq0AQC"], 2, "pass --yes"),
        (["show", "7515g00007kUsL2AAK"], 2, "is not a job id"),
        (["show", "7505g000ZZZZZZZAY5"], 1, "no such job in this org"),
    ],
)
def test_subprocess_exit_codes(org: Org, argv: list[str], code: int, message: str) -> None:
    done = _bulktui(org, *argv)
    assert done.returncode == code and message in done.stderr
    _one_clean_line(done.stderr)


def test_subprocess_unreachable_org(org: Org) -> None:
    env = {**org.env, "BULKTUI_INSTANCE_URL": "http://127.0.0.1:9"}  # discard port: refused
    done = _bulktui(org, "jobs", env=env)
    assert done.returncode == 1 and "could not reach 127.0.0.1:9" in done.stderr
    _one_clean_line(done.stderr)


def test_subprocess_expired_session(org: Org) -> None:
    session = org.engine.issue_session()
    httpx.post(f"{org.server.url}/_emulator/expire-sessions")
    done = _bulktui(org, "jobs", env={**org.env, "BULKTUI_SESSION_ID": session})
    assert done.returncode == 1 and "INVALID_SESSION_ID" in done.stderr
    assert session not in done.stderr
    _one_clean_line(done.stderr)


def test_tls_needs_the_ca_bundle() -> None:
    engine = Engine()
    seed_jobs(engine, [{"state": "Closed"}])
    server = EmulatorServer(engine, tls=True).start()
    try:
        assert server.url.startswith("https://") and server.ca_file
        args = [
            "jobs",
            "--json",
            "--instance-url",
            server.url,
            "--session-id",
            engine.issue_session(),
        ]
        refused = subprocess.run(
            [sys.executable, "-m", "bulktui", *args], capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 1 and "certificate verification failed" in refused.stderr
        trusted = subprocess.run(
            [sys.executable, "-m", "bulktui", *args, "--ca-bundle", server.ca_file],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert trusted.returncode == 0, trusted.stderr
        assert len(json.loads(trusted.stdout)) == 1
    finally:
        server.stop()


def test_abort_of_an_unknown_id_is_no_such_job(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "7505g000ZZZZZZZAY5"
    fresh = ["--instance-url", org.server.url, "--session-id", org.engine.issue_session()]
    assert main(["abort", unknown, "--yes", *fresh]) == 1
    assert capsys.readouterr().err == (
        f"bulktui: Job {unknown}: no such job in this org; nothing was aborted.\n"
    )


def test_subprocess_ctrl_c_at_the_prompt_cancels_at_once(org: Org) -> None:
    import pty
    import select
    import signal

    (job,) = seed_jobs(org.engine, [{"state": "Open"}])
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulktui", "abort", job.id],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**org.env, "BULKTUI_SESSION_ID": org.engine.issue_session()},
    )
    os.close(secondary)
    try:
        assert proc.stderr is not None
        seen = b""
        while b"[y/N]" not in seen:
            ready, _, _ = select.select([proc.stderr], [], [], 30)
            assert ready, seen
            chunk = os.read(proc.stderr.fileno(), 4096)
            assert chunk, seen
            seen += chunk
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130  # no Enter needed, no second Ctrl+C
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    assert org.engine.jobs[job.id].state is JobState.OPEN
