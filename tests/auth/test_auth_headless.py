"""A headless host: keyring's fail backend. ``login`` explains the three ways out, and each
works: the encrypted file (master password from us, never from the backend's getpass),
--no-store (asked for on every run), and a Secret Service of one's own (the advice here; the
real thing runs in test_auth_secret_service.py under dbus-run-session)."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import bulktui.auth.prompt
from bulktui.auth.secrets import encrypted_file_path
from tests.auth.emu import Emu, grep_tree, run_cli, running_emulator

MASTER = "correct horse battery"


@pytest.fixture
def emu() -> Iterator[Emu]:
    with running_emulator() as e:
        yield e


@pytest.fixture(autouse=True)
def headless(fail_keyring: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> str:
        raise AssertionError("something called getpass")

    monkeypatch.setattr(getpass, "getpass", refuse)


def oauth_login(emu: Emu, *extra: str, stdin: str | None = None, **kw: object) -> object:
    return run_cli(
        "login",
        "--profile",
        "ops",
        "--method",
        "oauth",
        "--login-url",
        emu.url,
        "--client-id",
        emu.login.client_id,
        "--secret-stdin",
        *extra,
        stdin=stdin if stdin is not None else f"\n{emu.refresh_token()}\n",
        **kw,  # type: ignore[arg-type]
    )


def test_login_explains_three_choices(emu: Emu) -> None:
    result = oauth_login(emu)
    assert result.code == 2  # type: ignore[attr-defined]
    err = result.err  # type: ignore[attr-defined]
    lines = err.splitlines()
    assert lines[0].startswith("bulktui: no usable OS keyring")
    assert 5 <= len(lines) <= 10
    assert "dbus-run-session" in err and "gnome-keyring-daemon --unlock" in err
    assert "docs/credentials.md" in err
    assert "--keyring encrypted-file" in err and "--no-store" in err
    assert "bulktui login --profile ops --method oauth" in err  # the user's own command
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "bulktui").exists()  # nothing saved


def test_choice_encrypted_file(emu: Emu, isolated_home: Path) -> None:
    env = {"BULKTUI_KEYRING_PASSWORD": MASTER}
    refresh = emu.refresh_token()
    result = oauth_login(
        emu, "--keyring", "encrypted-file", stdin=f"{emu.login.client_secret}\n{refresh}\n", env=env
    )
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    assert "encrypted keyring file" in result.out  # type: ignore[attr-defined]
    path = encrypted_file_path()
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    # Listing needs no master password (entry names only).
    listed = run_cli("profiles")
    assert listed.code == 0 and "refresh-token yes" in listed.out
    # Use: the master password comes first, before anything is drawn.
    emu.control("expire-sessions")
    assert run_cli("jobs", "--profile", "ops", env=env).code == 0
    wrong = run_cli("jobs", "--profile", "ops", env={"BULKTUI_KEYRING_PASSWORD": "nope"})
    assert wrong.code == 2 and wrong.err.count("\n") == 1
    assert "wrong master password" in wrong.err
    no_way = run_cli("jobs", "--profile", "ops")
    assert no_way.code == 2 and "BULKTUI_KEYRING_PASSWORD" in no_way.err
    assert grep_tree(isolated_home, [refresh, emu.login.client_secret]) == []
    out = run_cli("logout", "--profile", "ops", "--forget")
    assert out.code == 0 and "refresh-token" in out.out


def test_choice_encrypted_file_typed_at_the_terminal(
    emu: Emu, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The master password is asked by bulktui itself (twice for a new file)."""
    typed: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        typed.append(prompt)
        return MASTER

    monkeypatch.setattr(bulktui.auth.prompt, "has_terminal", lambda: True)
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    assert oauth_login(emu, "--keyring", "encrypted-file").code == 0  # type: ignore[attr-defined]
    assert typed == ["Choose a master password: ", "Type it again: "]
    typed.clear()
    assert run_cli("jobs", "--profile", "ops").code == 0
    assert len(typed) == 1 and typed[0].startswith("Master password for ")


def test_choice_no_store(emu: Emu, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refresh = emu.refresh_token()
    result = oauth_login(emu, "--no-store", stdin=f"\n{refresh}\n")
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    assert "asked for on every run" in result.out  # type: ignore[attr-defined]
    listed = run_cli("profiles")
    assert "asked for on every run (--no-store)" in listed.out
    # The next run asks again (a terminal here), and keeps it in memory only.
    asked: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return refresh if prompt.startswith("Refresh token") else ""

    no_tty = run_cli("jobs", "--profile", "ops")
    assert no_tty.code == 2 and "asked for on every run; run from a terminal" in no_tty.err
    monkeypatch.setattr(bulktui.auth.prompt, "has_terminal", lambda: True)
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    assert run_cli("jobs", "--profile", "ops").code == 0
    assert [p.split(" (")[0].rstrip(": ") for p in asked] == [
        "Client secret",
        "Refresh token",
    ]
    assert grep_tree(isolated_home, [refresh]) == []


def test_no_silent_fall_back_to_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing configured, keyring itself would chain to the keyrings.alt plain-text and
    cryptfile backends installed here; bulktui refuses and explains instead."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    result = run_cli(
        "login", "--method", "session", "--instance-url", "https://x.my.salesforce.com"
    )
    assert result.code == 2 and "dbus-run-session" in result.err
    assert not list(Path(os.environ["XDG_DATA_HOME"]).rglob("*.cfg"))


def test_subprocess_without_a_terminal_never_hangs(tmp_path: Path) -> None:
    """stdin /dev/null, no controlling terminal, encrypted file and no master password:
    a clear error, not a getpass prompt waiting forever."""
    env = dict(os.environ)
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "bulktui", "login", "--method", "session"),
            *("--instance-url", "https://x.my.salesforce.com", "--keyring", "encrypted-file"),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        start_new_session=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "BULKTUI_KEYRING_PASSWORD" in proc.stderr
    assert proc.stderr.count("\n") == 1
