"""The keyring layer with real backends: keyrings.alt's file, the fail backend, the encrypted
file (with its master password set by us, never by getpass), and memory for --no-store."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from bulktui.auth.errors import KeyringAccessError, KeyringUnavailableError
from bulktui.auth.profiles import KeyringChoice
from bulktui.auth.prompt import Prompter
from bulktui.auth.secrets import SERVICE, SecretKind, encrypted_file_path, open_store


def test_system_store_uses_the_configured_backend(isolated_home: Path) -> None:
    store = open_store(KeyringChoice.SYSTEM)
    assert "PlaintextKeyring" in store.description
    store.set("prod", SecretKind.REFRESH_TOKEN, "rt-secret-value")
    assert store.get("prod", SecretKind.REFRESH_TOKEN) == "rt-secret-value"
    assert store.has("prod", SecretKind.REFRESH_TOKEN)
    assert not store.has("prod", SecretKind.PASSWORD)
    # One entry per profile and kind, under the service "bulktui".
    from keyrings.alt.file import PlaintextKeyring

    assert PlaintextKeyring().get_password(SERVICE, "prod:refresh-token") == "rt-secret-value"
    assert store.delete_all("prod") == [SecretKind.REFRESH_TOKEN]
    assert store.get("prod", SecretKind.REFRESH_TOKEN) is None
    assert not store.delete("prod", SecretKind.REFRESH_TOKEN)


def test_fail_backend_explains_three_choices(fail_keyring: None) -> None:
    with pytest.raises(KeyringUnavailableError) as info:
        open_store(KeyringChoice.SYSTEM, command="bulktui login --profile p --method oauth")
    advice = info.value.advice
    assert "dbus-run-session" in advice and "gnome-keyring-daemon --unlock" in advice
    assert "bulktui login --profile p --method oauth --keyring encrypted-file" in advice
    assert "bulktui login --profile p --method oauth --no-store" in advice
    assert len(advice.splitlines()) <= 8


def test_autodetect_never_picks_a_file_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing configured and no Secret Service, keyring would chain to the plain-text and
    cryptfile backends; we refuse instead of falling back silently."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(KeyringUnavailableError) as info:
        open_store(KeyringChoice.SYSTEM)
    assert "--no-store" in info.value.advice


def _no_getpass(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> str:
        raise AssertionError("a keyring backend called getpass")

    monkeypatch.setattr(getpass, "getpass", refuse)


def test_encrypted_file_never_calls_getpass(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_getpass(monkeypatch)
    asked: list[bool] = []

    def ask(path: Path, new: bool) -> str:
        asked.append(new)
        return "correct horse"

    store = open_store(KeyringChoice.ENCRYPTED_FILE, ask_master_password=ask)
    store.set("prod", SecretKind.PASSWORD, "s3cr3t-pw-value")
    path = encrypted_file_path()
    assert path.exists() and b"s3cr3t-pw-value" not in path.read_bytes()
    again = open_store(KeyringChoice.ENCRYPTED_FILE, ask_master_password=ask)
    assert again.get("prod", SecretKind.PASSWORD) == "s3cr3t-pw-value"
    assert again.has("prod", SecretKind.PASSWORD)
    assert asked == [True, False]
    with pytest.raises(KeyringAccessError, match="wrong master password"):
        open_store(KeyringChoice.ENCRYPTED_FILE, ask_master_password=lambda p, n: "wrong")


def test_encrypted_file_without_a_way_to_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_getpass(monkeypatch)
    prompter = Prompter(terminal=lambda: False, environ={})
    with pytest.raises(KeyringUnavailableError, match="BULKTUI_KEYRING_PASSWORD"):
        open_store(KeyringChoice.ENCRYPTED_FILE, ask_master_password=prompter.master_password)
    env = Prompter(terminal=lambda: False, environ={"BULKTUI_KEYRING_PASSWORD": "pw from env"})
    store = open_store(KeyringChoice.ENCRYPTED_FILE, ask_master_password=env.master_password)
    store.set("p", SecretKind.PASSWORD, "x")


def test_explicit_cryptfile_backend_gets_our_master_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A user who configured CryptFileKeyring as their keyring: we unlock it ourselves."""
    _no_getpass(monkeypatch)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.cryptfile.cryptfile.CryptFileKeyring")
    store = open_store(KeyringChoice.SYSTEM, ask_master_password=lambda p, n: "master")
    store.set("p", SecretKind.CLIENT_SECRET, "cs")
    assert store.get("p", SecretKind.CLIENT_SECRET) == "cs"


def test_memory_store_for_no_store() -> None:
    store = open_store(KeyringChoice.NONE)
    assert not store.persistent
    store.set("p", SecretKind.PASSWORD, "pw")
    assert store.get("p", SecretKind.PASSWORD) == "pw"
    assert store.delete("p", SecretKind.PASSWORD)
    assert not store.delete("p", SecretKind.PASSWORD)


async def test_async_calls_run_off_the_event_loop() -> None:
    import threading

    seen: list[str] = []
    store = open_store(KeyringChoice.NONE)
    original = store.backend.get_password

    def spy(service: str, username: str) -> str | None:
        seen.append(threading.current_thread().name)
        return original(service, username)

    store.backend.get_password = spy  # type: ignore[method-assign]
    await store.aget("p", SecretKind.PASSWORD)
    assert seen and seen[0] != threading.main_thread().name


def test_prompter_reads_lines_and_never_echoes() -> None:
    import io

    err = io.StringIO()
    p = Prompter(from_stdin=True, stdin=io.StringIO("pw\n\nlast\n"), stderr=err)
    assert p.secret("password") == "pw"
    assert p.secret("security token", optional=True) == ""
    assert p.secret("client secret", optional=True) == "last"
    assert p.secret("refresh token", optional=True) == ""
    with pytest.raises(Exception, match="ended before the refresh token"):
        p.secret("refresh token")
    assert err.getvalue() == ""
    no_tty = Prompter(terminal=lambda: False)
    with pytest.raises(Exception, match="--secret-stdin"):
        no_tty.secret("password")
    typed = Prompter(terminal=lambda: True, ask=lambda prompt: "typed")
    assert typed.secret("password") == "typed"
