"""Hostile servers that are not the emulator, and hostile local machines (issue 12, items 3,
11, 13, 14, 17–22; issue 11, items 16–18).

Every probe runs the real ``bulktui`` as a process, with HOME and the XDG dirs in a throwaway
directory and keyrings.alt's file keyring, against a tiny HTTP server on loopback that answers
whatever the probe gives it (server text with terminal escapes, bidi overrides, lone
surrogates, a session id echoed in an error, a 4 MB object name), or with local files that
are devices, FIFOs, symlinks or read-only. What each probe asks is the same: one line, never a
traceback or "internal error", nothing raw from the server on the terminal, no secret shown.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bulktui.api.ids import make_id
from tests.reliability.loopback import child_env

API = "/services/data/v64.0"
# What a terminal acts on instead of drawing: a clipboard write (OSC 52), a screen clear, a
# title change, C1 CSI, a right-to-left override, zero-width characters, a BOM.
HOSTILE = (
    "ops\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x1b]0;owned\x07\x9b31m"
    "\u202e\u200b\u200d\u2060\ufeff@acme.example"
)
RAW = ("\x1b", "\x9b", "\x07", "\u202e", "\u200b", "\u200d", "\u2060", "\ufeff")
SESSION = "hostile-looking-session-token-0123456789"  # no Salesforce shape: masked by value


def bulktui(
    home: Path, *argv: str, stdin: str | None = "", timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bulktui", *argv],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        env=child_env(home, **env),
        timeout=timeout,
        start_new_session=True,  # no controlling terminal: nothing may prompt
        check=False,
    )


def sh(
    home: Path, script: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """A shell line with BULKTUI standing for the command: for closed descriptors."""
    command = script.replace("BULKTUI", f"{sys.executable} -m bulktui")
    return subprocess.run(
        ["/bin/sh", "-c", command],
        capture_output=True,
        text=True,
        env=child_env(home, **env),
        timeout=timeout,
        start_new_session=True,
        check=False,
    )


def one_clean_line(err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err


def no_raw(text: str) -> None:
    found = [hex(ord(c)) for c in RAW if c in text]
    assert not found, f"raw {found} reached the terminal: {text[:300]!r}"


# ------------------------------------------------------------------ the hostile server


class Then(list[tuple[int, Any]]):
    """Answers given in turn, the last one for good."""


class HostileServer:
    """Answers ``"METHOD /path"`` (or ``"/path"``) with (status, JSON value or bytes)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, Any] | Then] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                default = (404, [{"errorCode": "NOT_FOUND", "message": "none"}])
                entry = routes.get(f"{self.command} {path}", routes.get(path, default))
                if isinstance(entry, Then):
                    entry = entry.pop(0) if len(entry) > 1 else entry[0]
                status, value = entry
                data = value if isinstance(value, bytes) else json.dumps(value).encode()
                self.send_response(status)
                xml = data.startswith(b"<?xml")
                self.send_header("Content-Type", "application/xml" if xml else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _answer

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def jobs(self, rows: list[dict[str, Any]] | bytes) -> None:
        body = rows if isinstance(rows, bytes) else {"done": True, "records": rows}
        self.routes[f"{API}/jobs/ingest"] = (200, body)
        self.routes[f"{API}/jobs/query"] = (200, {"done": True, "records": []})


@pytest.fixture
def server() -> Iterator[HostileServer]:
    s = HostileServer()
    try:
        yield s
    finally:
        s.close()


def row(n: int, object_name: str = "Account") -> dict[str, Any]:
    return {
        "id": make_id("750", "5g", n),
        "operation": "insert",
        "object": object_name,
        "createdById": "0055g000000CaR9AAK",
        "createdDate": "2026-11-23T04:01:12.113+0000",
        "systemModstamp": "2026-11-23T04:01:23.613+0000",
        "state": "Closed",
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": 64.0,
        "jobType": "V2Ingest",
    }


def jobs_env(server: HostileServer) -> dict[str, str]:
    return {"BULKTUI_INSTANCE_URL": server.url, "BULKTUI_SESSION_ID": SESSION}


# ------------------------------------------------------- server text, wherever it is shown


def session_login(home: Path, server: HostileServer) -> subprocess.CompletedProcess[str]:
    server.routes["/services/oauth2/userinfo"] = (200, {"preferred_username": HOSTILE})
    return bulktui(
        home,
        "login",
        "--profile",
        "h",
        "--method",
        "session",
        "--instance-url",
        server.url,
        "--secret-stdin",
        stdin=SESSION + "\n",
    )


def test_login_escapes_the_server_username_and_never_saves_it_raw(
    isolated_home: Path, server: HostileServer
) -> None:
    done = session_login(isolated_home, server)
    assert done.returncode == 0, done.stderr
    no_raw(done.stdout + done.stderr)
    assert "\\x1b]52;c;" in done.stdout and "\\u202e" in done.stdout
    saved = (isolated_home / ".config" / "bulktui" / "profiles.toml").read_text()
    no_raw(saved)
    assert "\\x9b" in saved or "\\\\x9b" in saved


def test_profiles_and_login_check_print_the_server_username_escaped(
    isolated_home: Path, server: HostileServer
) -> None:
    assert session_login(isolated_home, server).returncode == 0
    listed = bulktui(isolated_home, "profiles")
    assert listed.returncode == 0, listed.stderr
    no_raw(listed.stdout + listed.stderr)
    checked = bulktui(isolated_home, "login", "--check", "--profile", "h")
    assert checked.returncode == 0, checked.stderr
    no_raw(checked.stdout + checked.stderr)
    assert "\\x1b[2J" in checked.stdout


def test_a_hand_written_profile_with_c1_and_bidi_is_printed_escaped(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "bulktui"
    config.mkdir(parents=True)
    (config / "profiles.toml").write_text(
        '[profiles.p]\nmethod = "session"\nusername = "a\\u009b2J\\u202eb\\u001b]0;t\\u0007"\n'
        'instance_url = "https://x.my.salesforce.com"\n'
    )
    listed = bulktui(isolated_home, "profiles")
    assert listed.returncode == 0, listed.stderr
    no_raw(listed.stdout)
    assert "\\x9b2J" in listed.stdout and "\\u202e" in listed.stdout


def test_the_device_flow_prints_the_code_and_address_escaped(
    isolated_home: Path, server: HostileServer
) -> None:
    start = {
        "device_code": "d",
        "user_code": "AB\x1b[2JCD\u200b",
        "verification_uri": f"{server.url}/setup\x1b]52;c;ZWNobw==\x07",
        "interval": 1,
    }
    # The token endpoint answers the start; the first poll gets access_denied.
    denied = (400, {"error": "access_denied", "error_description": "denied \x1b[2J\u202e"})
    server.routes["POST /services/oauth2/token"] = Then([(200, start), denied])
    done = bulktui(
        isolated_home,
        "login",
        "--profile",
        "d",
        "--method",
        "oauth",
        "--login-url",
        server.url,
        "--client-id",
        "cid",
        "--device",
        "--secret-stdin",
        stdin="\n",
    )
    no_raw(done.stdout + done.stderr)
    assert "AB\\x1b[2JCD\\u200b" in done.stderr and "\\x1b]52;c;" in done.stderr
    assert "Traceback" not in done.stderr


def test_bidi_and_zero_width_characters_in_an_object_name_are_escaped(
    isolated_home: Path, server: HostileServer
) -> None:
    server.jobs([row(1, "Acc\u202eount\u200b\u2066x\u2069\ufeff")])
    done = bulktui(isolated_home, "jobs", **jobs_env(server))
    assert done.returncode == 0, done.stderr
    no_raw(done.stdout)
    assert "Acc\\u202eount\\u200b\\u2066x\\u2069\\ufeff" in done.stdout


# ------------------------------------------------------------------ output that must not fail


def test_a_lone_surrogate_is_written_as_an_escape(
    isolated_home: Path, server: HostileServer
) -> None:
    server.jobs(
        b'{"done": true, "records": ['
        + json.dumps(row(1)).replace('"Account"', '"Acc\\ud800ount"').encode()
        + b"]}"
    )
    done = bulktui(isolated_home, "jobs", **jobs_env(server))
    assert done.returncode == 0, done.stderr
    assert "Acc\\ud800ount" in done.stdout


def job_xml(job_id: str, object_name: str) -> bytes:
    """A Bulk API 1.0 jobInfo, for ``show``."""
    counters = "".join(
        f"<{name}>0</{name}>"
        for name in (
            "numberBatchesQueued",
            "numberBatchesInProgress",
            "numberBatchesCompleted",
            "numberBatchesFailed",
            "numberBatchesTotal",
            "numberRecordsProcessed",
            "numberRetries",
        )
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload">'
        f"<id>{job_id}</id><operation>insert</operation><object>{object_name}</object>"
        "<createdById>0055g000000CaR9AAK</createdById>"
        "<createdDate>2026-11-23T04:01:12.000Z</createdDate>"
        "<systemModstamp>2026-11-23T04:01:23.000Z</systemModstamp><state>Closed</state>"
        "<concurrencyMode>Parallel</concurrencyMode><contentType>CSV</contentType>"
        f"{counters}<apiVersion>64.0</apiVersion></jobInfo>"
    ).encode()


def test_a_stdout_that_is_not_utf8_gets_escapes(isolated_home: Path, server: HostileServer) -> None:
    name = "Bücher_€\u202e__c"
    server.jobs([row(1, name), row(2, "Acc\u202eount")])
    done = bulktui(isolated_home, "jobs", PYTHONIOENCODING="ascii", **jobs_env(server))
    assert done.returncode == 0, done.stderr
    assert "B\\xfccher_\\u20ac\\u202e__c" in done.stdout and "Acc\\u202eount" in done.stdout
    job_id = row(1)["id"]
    server.routes[f"/services/async/64.0/job/{job_id}"] = (200, job_xml(job_id, name))
    server.routes[f"{API}/jobs/ingest/{job_id}"] = (200, row(1, name))
    shown = bulktui(isolated_home, "show", job_id, PYTHONIOENCODING="ascii", **jobs_env(server))
    assert shown.returncode == 0, shown.stderr
    assert "B\\xfccher_\\u20ac\\u202e__c" in shown.stdout


def test_one_huge_object_name_does_not_pad_every_row(
    isolated_home: Path, server: HostileServer
) -> None:
    rows = [row(n) for n in range(1, 1000)] + [row(1000, "X" * 4_000_000)]
    server.jobs(rows)
    done = bulktui(isolated_home, "jobs", timeout=120, **jobs_env(server))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1001
    assert max(len(line) for line in lines) < 400
    assert len(done.stdout) < 400_000  # not 1,000 rows padded to 4 MB each


# ------------------------------------------------------------------------------ secrets


def test_a_session_id_echoed_in_an_error_is_masked(
    isolated_home: Path, server: HostileServer
) -> None:
    echoed = [{"errorCode": "INVALID_FIELD", "message": f"bad request with session {SESSION}"}]
    server.routes[f"{API}/jobs/ingest"] = (400, echoed)
    server.routes[f"{API}/jobs/query"] = (400, echoed)
    done = bulktui(isolated_home, "jobs", **jobs_env(server))
    assert done.returncode == 1
    assert SESSION not in done.stderr and "***" in done.stderr
    one_clean_line(done.stderr)


def test_session_id_from_the_environment_a_file_or_stdin_without_a_warning(
    isolated_home: Path, server: HostileServer
) -> None:
    server.jobs([row(1)])
    url = ["--instance-url", server.url]
    secret = isolated_home / "sid"
    secret.write_text(SESSION + "\n")
    for done in (
        bulktui(isolated_home, "jobs", BULKTUI_INSTANCE_URL=server.url, BULKTUI_SESSION_ID=SESSION),
        bulktui(isolated_home, "jobs", *url, "--session-id-file", str(secret)),
        bulktui(isolated_home, "jobs", *url, "--session-id-file", "-", stdin=SESSION + "\n"),
        bulktui(isolated_home, "--session-id-file", "-", "jobs", *url, stdin=SESSION + "\n"),
    ):
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""


def test_session_id_on_the_command_line_works_and_warns_once(
    isolated_home: Path, server: HostileServer
) -> None:
    server.jobs([row(1)])
    done = bulktui(isolated_home, "jobs", "--instance-url", server.url, "--session-id", SESSION)
    assert done.returncode == 0
    one_clean_line(done.stderr)
    assert "process list" in done.stderr and "BULKTUI_SESSION_ID" in done.stderr
    assert "--session-id-file" in done.stderr


def test_a_session_id_console_that_loses_its_session_says_what_fits(
    isolated_home: Path, server: HostileServer
) -> None:
    expired = [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]
    server.routes[f"{API}/jobs/ingest"] = (401, expired)
    server.routes[f"{API}/jobs/query"] = (401, expired)
    done = bulktui(isolated_home, "jobs", **jobs_env(server))
    assert done.returncode == 1
    one_clean_line(done.stderr)
    assert "fresh session id" in done.stderr and "profile" in done.stderr


def test_a_failed_login_leaves_no_secret_behind(isolated_home: Path, server: HostileServer) -> None:
    # The login works, but its settings cannot be saved: files may not grow past 150 bytes
    # (RLIMIT_FSIZE), room for the keyring's entry but not for profiles.toml.
    import resource

    server.routes["/services/oauth2/userinfo"] = (200, {"preferred_username": "u@x"})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bulktui",
            "login",
            "--profile",
            "h",
            "--method",
            "session",
            "--instance-url",
            server.url,
            "--secret-stdin",
        ],
        input=SESSION + "\n",
        capture_output=True,
        text=True,
        env=child_env(isolated_home),
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (150, 150)),
        check=False,
    )
    assert done.returncode == 2, done.stderr
    one_clean_line(done.stderr)
    assert "cannot write" in done.stderr
    keyring_files = list((isolated_home / ".local" / "share").rglob("*.cfg"))
    assert all(b"h_3a" not in f.read_bytes() for f in keyring_files), [
        f.read_text() for f in keyring_files
    ]


# ------------------------------------------------------------------- hostile local files


def test_a_profiles_file_that_is_dev_zero_is_refused_at_once(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "bulktui"
    config.mkdir(parents=True)
    (config / "profiles.toml").symlink_to("/dev/zero")
    done = bulktui(isolated_home, "profiles", timeout=30)
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "not a regular file" in done.stderr


def test_a_profiles_file_that_is_a_fifo_does_not_hang(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "bulktui"
    config.mkdir(parents=True)
    os.mkfifo(config / "profiles.toml")
    done = bulktui(isolated_home, "profiles", timeout=30)
    assert done.returncode == 2
    one_clean_line(done.stderr)


def test_a_huge_profiles_file_is_refused(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "bulktui"
    config.mkdir(parents=True)
    with open(config / "profiles.toml", "wb") as fh:
        fh.truncate(200_000_000)  # sparse: 200 MB that costs no disk
    done = bulktui(isolated_home, "profiles", timeout=30)
    assert done.returncode == 2
    one_clean_line(done.stderr)


def test_a_symlinked_log_file_is_refused_and_its_target_untouched(
    isolated_home: Path, server: HostileServer
) -> None:
    server.jobs([row(1)])
    logs = isolated_home / ".local" / "state" / "bulktui" / "log"
    logs.mkdir(parents=True, mode=0o700)
    target = isolated_home / "precious"
    target.write_text("keep me\n")
    target.chmod(0o644)
    (logs / "bulktui.log").symlink_to(target)
    done = bulktui(isolated_home, "jobs", BULKTUI_LOG_LEVEL="debug", **jobs_env(server))
    assert done.returncode == 0
    one_clean_line(done.stderr)  # one warning, the listing goes on
    assert target.read_text() == "keep me\n" and stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_loose_log_directory_is_made_private_again(
    isolated_home: Path, server: HostileServer
) -> None:
    server.jobs([row(1)])
    logs = isolated_home / ".local" / "state" / "bulktui" / "log"
    logs.mkdir(parents=True)
    logs.chmod(0o777)
    done = bulktui(isolated_home, "jobs", BULKTUI_LOG_LEVEL="debug", **jobs_env(server))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700


def test_a_full_disk_costs_one_line_not_a_traceback_per_record(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from bulktui.core.logfile import make_handler

    handler = make_handler(isolated_home / "log", logging.DEBUG)
    log = logging.getLogger("bulktui.test.fulldisk")
    log.addHandler(handler)
    try:
        log.warning("first")  # opens the file
        handler.stream = open("/dev/full", "w")  # noqa: SIM115 - ENOSPC on every write
        for i in range(500):
            log.warning("record %d", i)
    finally:
        log.removeHandler(handler)
        handler.close()
    err = capsys.readouterr().err
    one_clean_line(err)
    assert "No space left on device" in err


@pytest.mark.skipif(os.getuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_config_directory_is_one_line(
    isolated_home: Path, server: HostileServer
) -> None:
    server.routes["/services/oauth2/userinfo"] = (200, {"preferred_username": "u@x"})
    config = isolated_home / ".config" / "bulktui"
    config.mkdir(parents=True)
    config.chmod(0o500)
    try:
        done = session_login(isolated_home, server)
    finally:
        config.chmod(0o700)
    assert done.returncode == 2
    one_clean_line(done.stderr)


# ------------------------------------------------------------ hostile environments


def test_stdout_closed_is_one_line(isolated_home: Path, server: HostileServer) -> None:
    server.jobs([row(1)])
    done = sh(isolated_home, "BULKTUI jobs >&-", **jobs_env(server))
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "standard output is closed" in done.stderr


def test_stdin_closed_is_one_line(isolated_home: Path, server: HostileServer) -> None:
    for script in (
        f"BULKTUI jobs --instance-url {server.url} --session-id-file - <&-",
        f"BULKTUI login --profile x --method session --instance-url {server.url} "
        "--secret-stdin <&-",
    ):
        done = sh(isolated_home, script)
        assert done.returncode == 2, done.stderr
        one_clean_line(done.stderr)


def test_a_socks_proxy_without_its_extra_is_one_line(
    isolated_home: Path, server: HostileServer
) -> None:
    pytest.importorskip("httpx")
    try:
        import socksio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("socksio is installed here")
    for argv in (["jobs"], []):  # [] is the console: it loads httpx only with its first request
        done = bulktui(isolated_home, *argv, ALL_PROXY="socks5://127.0.0.1:9", **jobs_env(server))
        assert done.returncode == 2, argv
        one_clean_line(done.stderr)
        assert "pip install 'httpx[socks]'" in done.stderr, argv


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HTTPS_PROXY", "ftp://user:hunter2secret@proxy.example:21"),
        ("ALL_PROXY", "http://user:hunter2secret@[broken"),
        ("https_proxy", "http://:0"),
    ],
)
def test_an_unusable_proxy_variable_is_one_line_without_its_password(
    isolated_home: Path, server: HostileServer, variable: str, value: str
) -> None:
    for argv in (["jobs"], []):  # the console too: it would load httpx only later
        done = bulktui(isolated_home, *argv, **{variable: value}, **jobs_env(server))
        assert done.returncode == 2, (argv, done.stderr)
        one_clean_line(done.stderr)
        assert f"{variable} is not a proxy URL bulktui can use" in done.stderr
        assert "hunter2secret" not in done.stderr + done.stdout


def test_no_proxy_star_turns_every_proxy_variable_off(
    isolated_home: Path, server: HostileServer
) -> None:
    done = bulktui(isolated_home, "jobs", HTTPS_PROXY="ftp://x:1", NO_PROXY="*", **jobs_env(server))
    assert "proxy" not in done.stderr.lower()


def test_encrypted_file_without_its_extra_names_the_install(isolated_home: Path) -> None:
    code = (
        "import sys; sys.modules['keyrings.cryptfile'] = None; "
        "sys.modules['keyrings.cryptfile.cryptfile'] = None; "
        "from bulktui.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "login",
            "--profile",
            "e",
            "--method",
            "session",
            "--instance-url",
            "https://x.my.salesforce.com",
            "--keyring",
            "encrypted-file",
            "--secret-stdin",
        ],
        input="x\n",
        capture_output=True,
        text=True,
        env=child_env(isolated_home, BULKTUI_KEYRING_PASSWORD="pw"),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "pip install 'bulktui[encrypted-file]'" in done.stderr


def test_the_console_without_a_terminal_exits_2_pointing_at_one_shot_commands(
    isolated_home: Path,
) -> None:
    done = bulktui(isolated_home, "--demo", stdin=None, timeout=60)
    assert done.returncode == 2
    one_clean_line(done.stderr)
    assert "bulktui jobs" in done.stderr and done.stdout == ""
