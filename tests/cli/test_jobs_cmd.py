"""The one-shot job commands, run through main() against a scripted org."""

from __future__ import annotations

import dataclasses
import io
import json
import sys

import pytest

from bulktui.api.enums import JobState, JobType
from bulktui.api.ids import JOB_PREFIX, make_id
from bulktui.cli import main
from tests.cli.cli_fakes import (
    BATCH,
    CONNECT,
    JOB_A,
    JOB_B,
    SESSION,
    URL,
    USER,
    FakeOrg,
    Terminal,
    install,
)


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> FakeOrg:
    monkeypatch.delenv("BULKTUI_INSTANCE_URL", raising=False)
    monkeypatch.delenv("BULKTUI_SESSION_ID", raising=False)
    monkeypatch.delenv("BULKTUI_PROFILE", raising=False)
    fake = FakeOrg()
    install(monkeypatch, fake)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal unless a test says so
    return fake


def _no_escape(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text


# --------------------------------------------------------------------------- jobs


def test_jobs_json_is_an_array_keyed_by_wire_names(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", "--json", *CONNECT]) == 0
    out = capsys.readouterr().out
    _no_escape(out)
    data = json.loads(out)
    assert [row["id"] for row in data] == [JOB_B, JOB_A]  # newest first, each id once
    assert data[1]["createdById"] == USER and data[1]["state"] == "Open"
    assert data[1]["createdDate"] == "2026-03-02T09:14:07.000+0000"
    assert data[0]["object"] == "Contact\x1b[31m"  # literal, escaped by JSON itself
    assert not any("q" in r.url.params for r in org.requests)  # no names for JSON


def test_jobs_table_is_aligned_with_names_and_safe(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", *CONNECT]) == 0
    out = capsys.readouterr().out
    _no_escape(out)
    header, first, second = out.splitlines()
    assert header.split() == [
        "JOB",
        "ID",
        "OBJECT",
        "OPERATION",
        "STATE",
        "TYPE",
        "CREATED",
        "BY",
        "CREATED",
    ]
    assert first.startswith(JOB_B) and "Contact\\x1b[31m" in first
    assert "Ops \\x1b[2J User" in second
    for column in ("OBJECT", "STATE", "CREATED BY"):
        assert len({line.index(line.split()[0]) for line in (header,)}) == 1
        assert header.index(column) >= 0
    assert first.index("Closed") == header.index("STATE") == second.index("Open")


def test_jobs_filters(org: FakeOrg, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "--json", "--state", "open", "--state", "Aborted", *CONNECT]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [JOB_A]
    assert main(["jobs", "--json", "--object", "ACCOUNT", *CONNECT]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [JOB_A]


def test_an_unknown_state_is_a_usage_error(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", "--state", "Done", *CONNECT]) == 2
    assert "'Done' is not a job state" in capsys.readouterr().err
    assert org.requests == []


def test_connection_from_the_environment_and_before_the_command(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*CONNECT, "jobs", "--json"]) == 0
    monkeypatch.setenv("BULKTUI_INSTANCE_URL", URL)
    monkeypatch.setenv("BULKTUI_SESSION_ID", SESSION)
    assert main(["jobs", "--json"]) == 0
    assert all(r.headers["Authorization"] == f"Bearer {SESSION}" for r in org.requests)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["jobs"], "no connection: --instance-url is missing"),
        (["jobs", "--instance-url", URL], "--session-id is missing"),
        (
            ["jobs", "--instance-url", "http://org.example.com", "--session-id", "x"],
            "refusing plain http to org.example.com",
        ),
        (["jobs", *CONNECT, "--api-version", "v64"], "is not like 64.0"),
        (["jobs", *CONNECT, "--ca-bundle", "/nonexistent.pem"], "no such file"),
    ],
)
def test_connection_problems_exit_2_with_one_line(
    org: FakeOrg, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert org.requests == []


# --------------------------------------------------------------------------- show


def test_show_lists_every_field_with_label_and_wire_name(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", JOB_A[:15], *CONNECT]) == 0  # a 15-character id works too
    out = capsys.readouterr().out
    _no_escape(out)
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert "createdById" in lines["Created by"] and "Ops \\x1b[2J User" in lines["Created by"]
    assert "contentType" in lines["Content type"] and lines["Content type"].endswith("CSV")
    assert "2026-03-02 09:14:07Z" in lines["Created"]
    assert any(r.url.path.endswith(f"/job/{JOB_A}") for r in org.requests)  # found as 1.0


def test_show_batches_shows_state_messages_safely(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", JOB_A, "--batches", *CONNECT]) == 0
    out = capsys.readouterr().out
    _no_escape(out)
    assert BATCH in out and "InvalidBatch : bad\\x1b]0;pwned\\x07 header" in out


def test_show_json_with_batches(org: FakeOrg, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", JOB_A, "--json", "--batches", *CONNECT]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == JOB_A and data["state"] == "Open"
    assert data["batchInfo"][0]["stateMessage"].startswith("InvalidBatch : bad\x1b]0;")


@pytest.mark.parametrize("bad", ["750", "7508Z00000QxJb2QAX", "7518Z00000T3mWqQAJ", "../x"])
def test_a_malformed_job_id_is_refused_before_any_request(
    org: FakeOrg, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    for argv in (["show", bad], ["close", bad, "--yes"], ["abort", bad, "--yes"]):
        assert main([*argv, *CONNECT]) == 2
    assert org.requests == []
    assert capsys.readouterr().err.count("\n") == 3


def test_show_of_an_unknown_id_is_exit_1_in_one_line(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "7508Z00000QxJb4QAF", *CONNECT]) == 1
    err = capsys.readouterr().err
    assert err == "bulktui: job 7508Z00000QxJb4QAF: no such job in this org\n"


# --------------------------------------------------------------------------- close / abort


def test_close_with_yes(org: FakeOrg, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["close", JOB_A, "--yes", *CONNECT]) == 0
    assert capsys.readouterr().out.startswith(f"{JOB_A}: Closed")
    # its kind (2.0 ingest, 2.0 query, then 1.0: docs/wire-facts.md §6.2), then the close
    assert [r.method for r in org.requests] == ["GET", "GET", "GET", "POST"]


def test_close_off_a_terminal_without_yes_is_refused(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["close", JOB_A, *CONNECT]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert org.requests == []


@pytest.mark.parametrize("answer", ["\n", "n\n", "", "maybe\n"])
def test_abort_on_a_terminal_defaults_to_no(
    org: FakeOrg,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    assert main(["abort", JOB_A, *CONNECT]) == 1
    err = capsys.readouterr().err
    assert f"Abort job {JOB_A} (V1 insert Account Open)? [y/N]" in err
    assert err.endswith(f"bulktui: nothing was sent; job {JOB_A} is unchanged\n")
    assert [r.method for r in org.requests] == ["GET", "GET", "GET"]  # 2.0, 2.0, then 1.0


def test_abort_on_a_terminal_with_yes_answered(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert main(["abort", JOB_A, *CONNECT]) == 0
    assert capsys.readouterr().out.startswith(f"{JOB_A}: Aborted")
    assert [r.method for r in org.requests] == ["GET", "GET", "GET", "POST"]


def test_closing_an_aborted_job_shows_the_reason(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["abort", JOB_A, "-y", *CONNECT]) == 0
    assert main(["close", JOB_A, "-y", *CONNECT]) == 1
    assert capsys.readouterr().err == (
        f"bulktui: Job {JOB_A}: Only an Open job can be closed; this one is Aborted. "
        "Nothing was sent.\n"
    )


# --------------------------------------------------------------------------- create


def test_create_prints_the_job(org: FakeOrg, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["create", "--object", "Account", "--operation", "insert", "--concurrency", "Serial"]
    assert main([*argv, "--json", *CONNECT]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == JOB_A
    body = org.requests[0].content.decode()
    assert "<concurrencyMode>Serial</concurrencyMode>" in body
    assert "<contentType>CSV</contentType>" in body
    assert main([*argv, *CONNECT]) == 0
    assert "Job ID" in capsys.readouterr().out


def test_create_failure(org: FakeOrg, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--object", "Fail", "--operation", "insert", *CONNECT]) == 1
    assert capsys.readouterr().err == (
        "bulktui: The insert job on Fail was not created: "
        "Salesforce refused (InvalidJob: Unable to find object: Fail).\n"
    )


# --------------------------------------------------------------------------- one action path


def test_a_reset_after_the_abort_was_sent_says_it_may_have_happened(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    org.reset_posts = True
    assert main(["abort", JOB_A, "--yes", *CONNECT]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not reach" not in err.split("(")[0]
    assert "was sent, but it may or may not have happened" in err
    assert f"Check its state (bulktui show {JOB_A})" in err
    assert "POST" in [r.method for r in org.requests]


def test_an_unknown_id_is_no_such_job(org: FakeOrg, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = "7508Z00000QxJb4QAF"
    assert main(["abort", unknown, "--yes", *CONNECT]) == 1
    err = capsys.readouterr().err
    assert err == f"bulktui: Job {unknown}: no such job in this org; nothing was aborted.\n"
    assert [r.method for r in org.requests] == ["GET", "GET", "GET"]  # its kind; nothing sent


class Interrupted(Terminal):
    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise KeyboardInterrupt


def test_ctrl_c_at_the_prompt_cancels_and_sends_nothing(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Interrupted(""))
    assert main(["abort", JOB_A, *CONNECT]) == 130
    assert [r.method for r in org.requests] == ["GET", "GET", "GET"]  # its kind; nothing sent


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--object", "Account", "--operation", "Insert"], "operation: 'Insert' is not insert"),
        (["--object", "Acc ount", "--operation", "insert"], "object: 'Acc ount' is not an API"),
        (["--object", "Account", "--operation", "upsert"], "external id field: required"),
        (
            ["--object", "Account", "--operation", "insert", "--external-id-field", "X__c"],
            "external id field: only for upsert",
        ),
        (
            ["--object", "Account", "--operation", "insert", "--content-type", "csv"],
            "content type: 'csv' is not CSV",
        ),
        (
            ["--object", "Account", "--operation", "insert", "--concurrency", "serial"],
            "concurrency mode: 'serial' is not Parallel or Serial",
        ),
    ],
)
def test_create_validates_like_the_dialog_before_sending(
    org: FakeOrg, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["create", *argv, *CONNECT]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"bulktui: {message}") and err.endswith("; nothing was sent\n")
    assert org.requests == []


def test_jobs_shows_the_kind_and_filters_by_type(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    v2 = make_id(JOB_PREFIX, "8Z", 77)
    org.jobs[v2] = dataclasses.replace(
        org.jobs[JOB_A], id=v2, job_type=JobType.V2_INGEST, state=JobState.IN_PROGRESS
    )
    assert main(["jobs", *CONNECT]) == 0
    lines = capsys.readouterr().out.splitlines()
    kinds = {line.split()[0]: line[lines[0].index("TYPE") :].split()[0] for line in lines[1:]}
    assert kinds == {JOB_A: "V1", JOB_B: "V1", v2: "V2"}
    assert main(["jobs", "--json", "--type", "v2", *CONNECT]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [v2]
    assert main(["jobs", "--json", "--type", "v1", "--type", "v2query", *CONNECT]) == 0
    assert {r["id"] for r in json.loads(capsys.readouterr().out)} == {JOB_A, JOB_B}
    with pytest.raises(SystemExit) as refused:
        main(["jobs", "--type", "v3", *CONNECT])
    assert refused.value.code == 2


def test_show_of_a_2_0_job_lists_no_batches(
    org: FakeOrg, capsys: pytest.CaptureFixture[str]
) -> None:
    org.jobs[JOB_A] = dataclasses.replace(
        org.jobs[JOB_A], job_type=JobType.V2_INGEST, state=JobState.IN_PROGRESS
    )
    assert main(["show", JOB_A, "--batches", *CONNECT]) == 0
    captured = capsys.readouterr()
    assert "InProgress" in captured.out  # a 2.0-only state: the kind is V2
    assert captured.err == "bulktui: a Bulk API 2.0 job has no batches to list\n"
    assert not any(r.url.path.endswith("/batch") for r in org.requests)
