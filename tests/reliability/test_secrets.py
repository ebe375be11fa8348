"""Secrets (issue 5): nothing bulktui writes or prints holds a session id, token or password;
the log file is private; certificate verification cannot be turned off, and ``--ca-bundle`` is
the only way to trust another CA.

Every ``bulktui`` here is a real process (or the console in a pseudo-terminal) with HOME and
the XDG dirs in a temporary directory, keyrings.alt's file keyring, and BULKTUI_LOG_LEVEL=debug
so the log file says as much as it ever will.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import bulktui.emulator.server as emulator_server
from bulktui.api.redact import register_secret
from bulktui.core import logfile
from bulktui.emulator import EmulatorServer, Engine
from bulktui.emulator import tls as emulator_tls
from tests.reliability.loopback import (
    ConnectProxy,
    child_env,
    pty_available,
    scrub,
    spawn_in_pty,
)

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------ the log file


def test_log_file_is_0600_in_a_0700_dir_and_redacted(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULKTUI_LOG_LEVEL", "debug")
    monkeypatch.setattr(logfile, "MAX_BYTES", 1000)  # roll over within the test
    session = "00D5g000004WyTz!AQ" + "x" * 60
    odd = "emulator-style-token-1234567890"  # no known shape: masked because registered
    register_secret(odd)
    old = os.umask(0)  # the most permissive umask: the modes must not depend on it
    try:
        with logfile.logging_to_file() as path:
            assert path is not None
            log = logging.getLogger("bulktui.test")
            for i in range(60):
                log.debug("request %d with sid=%s password=hunter2 token %s", i, session, odd)
            log.warning("Authorization: Bearer %s", session)
            try:
                raise RuntimeError(f"boom {session}")
            except RuntimeError:
                log.exception("crash")
    finally:
        os.umask(old)
    assert path.parent == isolated_home / ".local" / "state" / "bulktui" / "log"
    files = sorted(path.parent.iterdir())
    assert [f.name for f in files] == ["bulktui.log", "bulktui.log.1", "bulktui.log.2"]  # rotated
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = ""
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        text += file.read_text()
    assert "crash" in text and "RuntimeError" in text and "request 59" in text
    for secret in (session, "hunter2", odd):
        assert secret not in text
    assert not logging.getLogger().handlers or all(
        not isinstance(h, logfile.PrivateFileHandler) for h in logging.getLogger().handlers
    )


def test_log_file_found_with_loose_mode_is_made_private(isolated_home: Path) -> None:
    directory = logfile.log_dir()
    directory.mkdir(parents=True)
    (directory / "bulktui.log").write_text("old\n")
    (directory / "bulktui.log").chmod(0o644)
    with logfile.logging_to_file() as path:
        logging.getLogger("bulktui").warning("something")
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_no_log_file_unless_something_is_logged_and_none_when_off(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULKTUI_LOG_LEVEL", "off")
    with logfile.logging_to_file() as off:
        logging.getLogger("bulktui").error("not written anywhere")
    assert off is None and not logfile.log_dir().exists()
    monkeypatch.delenv("BULKTUI_LOG_LEVEL")
    with logfile.logging_to_file() as path:
        logging.getLogger("bulktui").info("below the default level")
    assert path is not None and not path.exists()


# ------------------------------------------------------------------------------ the scan


class Recorder:
    """Every session id the emulator hands out, to look for afterwards."""

    def __init__(self, engine: Engine) -> None:
        self.sessions: list[str] = []
        issue = engine.sessions.issue

        def recording(*args: object, **kwargs: object) -> str:
            token = issue(*args, **kwargs)  # type: ignore[arg-type]
            self.sessions.append(token)
            return token

        engine.sessions.issue = recording  # type: ignore[method-assign]


@pytest.fixture
def org() -> Iterator[tuple[Engine, EmulatorServer, Recorder]]:
    engine = Engine()
    recorder = Recorder(engine)
    server = EmulatorServer(engine).start()
    try:
        yield engine, server, recorder
    finally:
        server.stop()


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path


def _forms(secret: str) -> list[bytes]:
    """The secret as written, and base64 of it (the plaintext keyring's own encoding)."""
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw)]


def test_no_secret_in_any_file_or_output(
    org: tuple[Engine, EmulatorServer, Recorder], isolated_home: Path
) -> None:
    engine, server, recorder = org
    login = engine.login
    env = child_env(isolated_home, BULKTUI_LOG_LEVEL="debug")
    outputs: list[str] = []  # what each command printed (its argv is not output)
    commands: list[str] = []

    def bulktui(*argv: str, stdin: str = "", extra: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bulktui", *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env={**env, **(extra or {})},
            start_new_session=True,
            timeout=120,
            check=False,
        )
        outputs.append(f"{done.stdout}{done.stderr}")
        commands.append(" ".join(argv[:2]))
        return f"{done.returncode}\n{done.stdout}{done.stderr}"

    # Log in (password + security token on stdin), use, fail, expire, renew.
    out = bulktui(
        "login", "--profile", "p", "--method", "password", "--login-url", server.url,
        "--username", login.username, "--client-id", login.client_id, "--secret-stdin",
        stdin=f"{login.password}\n{login.security_token}\n{login.client_secret}\n",
    )  # fmt: skip
    assert out.startswith("0\n"), out
    job = bulktui("create", "--object", "Account", "--operation", "insert", "--profile", "p")
    job_id = re.search(r"750\w{15}", job)
    assert job_id, job
    for argv in (
        ("jobs", "--profile", "p"),
        ("jobs", "--profile", "p", "--json"),
        ("show", job_id.group(), "--batches", "--profile", "p"),
        ("close", job_id.group(), "--yes", "--profile", "p"),
        ("abort", job_id.group(), "--yes", "--profile", "p"),
        ("profiles", "--json"),
        ("login", "--check", "--profile", "p"),
    ):
        assert bulktui(*argv).startswith("0\n"), outputs[-1]
    engine.sessions.expire_all()  # the cached token is dead: the next command signs in again
    assert bulktui("jobs", "--profile", "p").startswith("0\n"), outputs[-1]
    wrong = bulktui(
        "login", "--profile", "bad", "--method", "password", "--login-url", server.url,
        "--username", login.username, "--secret-stdin",
        stdin=f"{login.password}-wrong\n{login.security_token}\n",
    )  # fmt: skip
    assert "INVALID_LOGIN" in wrong, wrong
    pasted = engine.issue_session()
    assert bulktui("jobs", "--instance-url", server.url, extra={"BULKTUI_SESSION_ID": pasted})[0]
    bulktui("jobs", "--instance-url", "http://127.0.0.1:9", "--session-id", pasted)  # unreachable
    bulktui("show", "750XYZ", "--instance-url", server.url, "--session-id", pasted)  # bad id
    engine.sessions.expire_all()
    bulktui("jobs", "--instance-url", server.url, "--session-id", pasted)  # expired, no renewal

    # The console itself, on a terminal, for a few refreshes.
    terminal = b""
    if pty_available():
        term = spawn_in_pty(
            [sys.executable, "-m", "bulktui", "--profile", "p", "--interval", "1"],
            {**env, "TERM": "xterm-256color"},
        )
        try:
            assert term.wait_for(lambda o: job_id.group() in scrub(o), timeout=30)
            term.pump(2.5)
            term.send("q", 0.5)
        finally:
            term.close()
        terminal = bytes(term.output)

    written = list(_files(isolated_home))
    logs = [p for p in written if p.name.startswith("bulktui.log")]
    assert logs, "BULKTUI_LOG_LEVEL=debug wrote no log file: the scan would prove nothing"
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in logs)
    assert any("GET" in p.read_text() for p in logs)  # requests were logged, redacted
    assert bulktui("logout", "--profile", "p").startswith("0\n")
    written = sorted(set(written) | set(_files(isolated_home)))

    secrets = [
        login.password,
        login.security_token,
        login.client_secret,
        *recorder.sessions,
    ]
    assert len(recorder.sessions) >= 4  # logins, renewals, the pasted one
    found = []
    for path in written:
        data = path.read_bytes() if path.exists() else b""
        keyring_file = "python_keyring" in path.parts
        for secret in secrets:
            for form in _forms(secret)[: 1 if keyring_file else 3]:
                if form in data:
                    found.append(f"{path.relative_to(isolated_home)}: {secret[:6]}…")
    printed = "\n".join(outputs).encode() + terminal
    for secret in secrets:
        if secret.encode() in printed:
            where = [c for c, o in zip(commands, outputs, strict=True) if secret in o]
            found.append(f"output of {where or 'the console'}: {secret[:6]}…")
    print(  # shown with pytest -s (docs/reliability.md quotes it)
        f"\nscanned {len(written)} files ({', '.join(p.name for p in written)}), "
        f"{len(outputs)} commands' output and "
        f"{len(terminal):,} bytes of console output for {len(secrets)} secrets: {len(found)} found"
    )
    assert found == []
    kinds = {p.relative_to(isolated_home).parts[:3] for p in written}
    assert (".config", "bulktui", "profiles.toml") in kinds  # config was written and scanned
    assert any(part == "log" for p in written for part in p.parts)


# ------------------------------------------------------------------------------ TLS

PRIVATE_NAME = "org.bulktui.test"  # only the proxy knows where this is


@pytest.fixture
def tls_org(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, EmulatorServer]]:
    """The emulator over https with its own CA, its certificate also valid for a name that
    resolves only through the test's proxy."""
    monkeypatch.setattr(
        emulator_server,
        "generate",
        lambda hosts: emulator_tls.generate((*hosts, PRIVATE_NAME)),
    )
    engine = Engine()
    server = EmulatorServer(engine, tls=True).start()
    try:
        yield engine, server
    finally:
        server.stop()


def _jobs(url: str, session: str, *options: str, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "bulktui", "jobs", "--instance-url", url, *options],
        capture_output=True,
        text=True,
        env={**env, "BULKTUI_SESSION_ID": session},
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


TRUST_ENV = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPX_CA_BUNDLE")


def test_private_ca_needs_ca_bundle_and_nothing_else_trusts_it(
    tls_org: tuple[Engine, EmulatorServer], isolated_home: Path
) -> None:
    engine, server = tls_org
    ca = server.ca_file
    assert ca is not None
    session = engine.issue_session()
    env = child_env(isolated_home)
    code, out = _jobs(server.url, session, env=env)
    assert code == 1 and "TLS certificate verification failed" in out and "--ca-bundle" in out
    # Environment variables other tools use to trust a CA change nothing here.
    everything = {name: ca for name in TRUST_ENV} | {"SSL_CERT_DIR": str(Path(ca).parent)}
    code, out = _jobs(server.url, session, env={**env, **everything})
    assert code == 1 and "TLS certificate verification failed" in out
    code, out = _jobs(server.url, session, "--ca-bundle", ca, env=env)
    assert code == 0, out
    # Through an HTTPS proxy (httpx's env-proxy path builds its own transport): the same.
    with ConnectProxy({PRIVATE_NAME: "127.0.0.1"}) as proxy:
        proxied = f"https://{PRIVATE_NAME}:{server.port}"
        penv = {**env, "HTTPS_PROXY": proxy.url}
        code, out = _jobs(proxied, session, env={**penv, **everything})
        assert code == 1 and "TLS certificate verification failed" in out, out
        code, out = _jobs(proxied, session, "--ca-bundle", ca, env=penv)
        assert code == 0, out
        assert proxy.tunnels >= 2  # both answers went through the proxy
    # The login path verifies too.
    login = engine.login
    done = subprocess.run(
        [sys.executable, "-m", "bulktui", "login", "--profile", "t", "--method", "password",
         "--login-url", server.url, "--username", login.username, "--secret-stdin"],
        input=f"{login.password}\n{login.security_token}\n",
        capture_output=True, text=True, env={**env, **everything}, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "certificate" in (done.stdout + done.stderr).lower()


def test_no_switch_turns_verification_off() -> None:
    """No code path builds an unverified context, and no option or variable offers one."""
    sources = [p for p in (ROOT / "bulktui").rglob("*.py") if "emulator" not in p.parts]
    forbidden = re.compile(
        r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
        r"|--insecure|--no-verify|NO_VERIFY|INSECURE",
    )
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in sources
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    assert hits == []
    from bulktui.cli import build_parser

    parser = build_parser()
    helps = [parser.format_help()]
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        helps += [sub.format_help() for sub in action.choices.values()]  # type: ignore[union-attr]
    text = "\n".join(helps).lower()
    assert "--ca-bundle" in text
    assert not re.search(r"insecure|no-verify|skip-verif|verify-ssl|--verify", text)
