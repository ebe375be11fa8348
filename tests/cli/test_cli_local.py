"""Where the CLI gets a session id, and how the console starts and ends (issue 12 items 1
and 17; issue 11 items 16 and 18)."""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from bulktui.api.errors import ReauthenticationError
from bulktui.cli import build_parser, connection, console_cmd
from bulktui.cli.common import UsageError

URL = "https://acme.my.salesforce.com"
SID = "00D5g000004WyTz!AQsession.value"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BULKTUI_SESSION_ID", "BULKTUI_INSTANCE_URL", "BULKTUI_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(connection, "_warned", False)


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_environment_file_and_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BULKTUI_SESSION_ID", SID)
    assert connection.session_id_from(parse("jobs")) == SID
    monkeypatch.delenv("BULKTUI_SESSION_ID")
    path = tmp_path / "sid"
    path.write_text(f"  {SID}  \nsecond line ignored\n")
    assert connection.session_id_from(parse("--session-id-file", str(path), "jobs")) == SID
    assert connection.session_id_from(parse("jobs", "--session-id-file", str(path))) == SID
    monkeypatch.setattr(sys, "stdin", io.StringIO(SID + "\n"))
    assert connection.session_id_from(parse("jobs", "--session-id-file", "-")) == SID
    assert capsys.readouterr().err == ""  # no warning for the safe forms


def test_command_line_value_works_and_warns_once(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (("--session-id", SID, "jobs"), ("jobs", "--session-id", SID)):
        assert connection.session_id_from(parse(*argv)) == SID
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "process list" in err and "--session-id-file" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "no session id"), ("two words\n", "not a session id"), ("\x00" * 100, "not a")],
)
def test_bad_session_id_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "sid"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        connection.session_id_from(parse("jobs", "--session-id-file", str(path)))
    with pytest.raises(UsageError, match="No such file"):
        connection.session_id_from(parse("jobs", "--session-id-file", str(tmp_path / "none")))
    with pytest.raises(UsageError, match="exclude each other"):
        connection.session_id_from(
            parse("jobs", "--session-id", "x", "--session-id-file", str(path))
        )


def test_a_plain_session_cannot_be_renewed_and_says_what_to_do() -> None:
    conn, hook = connection.resolve_connection(
        parse("jobs", "--instance-url", URL, "--session-id", SID)
    )
    assert conn.session_id == SID and hook is not None
    with pytest.raises(ReauthenticationError) as info:
        asyncio.run(hook())
    assert "fresh session id" in str(info.value) and "--profile" in str(info.value)


class FakeBackend:
    journal = None

    async def aclose(self) -> None:
        pass


def console_args() -> argparse.Namespace:
    return argparse.Namespace(interval=5, demo=True, theme=None, read_only=False, no_mouse=True)


def test_the_console_needs_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_cmd, "demo_backend", lambda *a, **k: FakeBackend())
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(UsageError, match=r"needs a terminal.*bulktui jobs"):
        console_cmd.run_console(console_args())


@pytest.mark.parametrize("code", [None, 0, 1])
def test_a_console_that_dies_exits_non_zero(monkeypatch: pytest.MonkeyPatch, code: Any) -> None:
    import bulktui.ui.app

    class DyingApp:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.return_code = code

        def run(self, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(console_cmd, "demo_backend", lambda *a, **k: FakeBackend())
    monkeypatch.setattr(console_cmd, "has_terminal", lambda: True)
    monkeypatch.setattr(bulktui.ui.app, "ConsoleApp", DyingApp)
    assert console_cmd.run_console(console_args()) == (code or 0)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "0.5", "3601", "100000"])
@pytest.mark.parametrize("command", [(), ("watch",)])
def test_an_interval_out_of_range_is_refused_not_clamped(
    value: str, command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """The console once took ``--interval nan`` as 1 s and 100000 as 3,600 s without a word;
    ``watch`` and the console now say the same one line (and start nothing)."""
    from bulktui.cli import main

    code = main([*command, f"--interval={value}", "--instance-url", URL])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "bulktui: --interval must be between 1 and 3,600 seconds"
