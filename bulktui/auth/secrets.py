"""Secrets in the OS keyring: service ``bulktui``, one entry per profile and kind.

Entries are named ``<profile>:<kind>`` (``prod:refresh-token``). ``SecretStore`` wraps one
keyring backend and never lets it prompt: the encrypted-file backend gets its master password
from us (``keyring_key``), asked before any TUI is drawn. Every keyring call can block (D-Bus
round trips, 0.3 s of Argon2 per call in the encrypted file), so async code uses the ``a*``
methods, which run the call in a thread.

Backend choice (``open_store``):
- ``system``: the backend the user configured explicitly (``PYTHON_KEYRING_BACKEND`` or
  keyringrc.cfg) if any; otherwise the best *OS* backend (Secret Service, macOS, Windows,
  KWallet). keyrings.alt's plain-text files and keyrings.cryptfile are never picked on our
  own: on a headless host the answer is ``KeyringUnavailableError`` with three ways out,
  never a silent fall back to a file.
- ``encrypted-file``: keyrings.cryptfile in the bulktui data dir, unlocked with a master
  password that we ask for.
- ``none``: memory only, for ``--no-store``.
"""

from __future__ import annotations

import asyncio
import configparser
import os
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import platformdirs

from bulktui.auth.errors import KeyringAccessError, KeyringUnavailableError
from bulktui.auth.profiles import APP_NAME, KeyringChoice
from bulktui.text import one_line

SERVICE = "bulktui"
ENCRYPTED_FILE_NAME = "secrets.cfg"


class SecretKind(StrEnum):
    PASSWORD = "password"
    SECURITY_TOKEN = "security-token"
    REFRESH_TOKEN = "refresh-token"
    CLIENT_SECRET = "client-secret"
    PRIVATE_KEY = "private-key"
    # The cached access token (JSON with the instance URL); for the session method, the session.
    ACCESS_TOKEN = "access-token"


def entry_name(profile: str, kind: SecretKind) -> str:
    return f"{profile}:{kind.value}"


class Backend(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


class MemoryBackend:
    """``--no-store``: secrets for this process only. Not a keyring plugin (never discovered)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._values.pop((service, username), None) is None:
            from keyring.errors import PasswordDeleteError

            raise PasswordDeleteError("not found")


# (path of the encrypted file, whether it is new) -> the master password
AskMasterPassword = Callable[[Path, bool], str]


def headless_advice(command: str = "bulktui login ...") -> str:
    """The few lines `login` prints when there is no usable keyring."""
    return "\n".join(
        [
            "No usable OS keyring on this host (no desktop Secret Service). Choose one:",
            "  1. Start a Secret Service for this shell, unlock it, then run the command again"
            " (docs/credentials.md):",
            "       dbus-run-session -- bash",
            '       read -rs PW; printf %s "$PW" | gnome-keyring-daemon --unlock'
            " --components=secrets >/dev/null; unset PW",
            "  2. Keep secrets in an encrypted file, unlocked by a master password you type"
            " (needs pip install 'bulktui[encrypted-file]'):",
            f"       {command} --keyring encrypted-file",
            "  3. Keep secrets for this run only (asked for again on every run):",
            f"       {command} --no-store",
        ]
    )


def _describe(backend: object) -> str:
    cls = type(backend)
    names = {
        "keyring.backends.SecretService": "the Secret Service keyring",
        "keyring.backends.libsecret": "the Secret Service keyring (libsecret)",
        "keyring.backends.macOS": "the macOS Keychain",
        "keyring.backends.Windows": "the Windows Credential Locker",
        "keyring.backends.kwallet": "KWallet",
        "keyrings.cryptfile": "the encrypted keyring file",
        "keyrings.alt": f"keyrings.alt {cls.__name__} (chosen by your keyring configuration)",
    }
    for prefix, label in names.items():
        if cls.__module__.startswith(prefix):
            path = getattr(backend, "file_path", None)
            return f"{label} {path}" if prefix == "keyrings.cryptfile" and path else label
    if isinstance(backend, MemoryBackend):
        return "memory only (--no-store)"
    return f"the {cls.__module__}.{cls.__name__} keyring"


class SecretStore:
    """One keyring backend, with bulktui's naming, errors that name no secret, and no prompts."""

    def __init__(self, backend: Backend, choice: KeyringChoice, description: str = "") -> None:
        self.backend = backend
        self.choice = choice
        self.description = description or _describe(backend)
        self._lock = threading.Lock()

    @classmethod
    def memory(cls) -> SecretStore:
        return cls(MemoryBackend(), KeyringChoice.NONE)

    @property
    def persistent(self) -> bool:
        return self.choice is not KeyringChoice.NONE

    # -- synchronous: call these only where no event loop runs (CLI start-up, threads) -----

    def get(self, profile: str, kind: SecretKind) -> str | None:
        with self._lock:
            value: str | None = self._call(
                "read",
                profile,
                kind,
                lambda: self.backend.get_password(SERVICE, entry_name(profile, kind)),
            )
            return value

    def set(self, profile: str, kind: SecretKind, value: str) -> None:
        with self._lock:
            self._call(
                "write",
                profile,
                kind,
                lambda: self.backend.set_password(SERVICE, entry_name(profile, kind), value),
                secret=value,
            )

    def delete(self, profile: str, kind: SecretKind) -> bool:
        from keyring.errors import PasswordDeleteError

        def run() -> bool:
            try:
                self.backend.delete_password(SERVICE, entry_name(profile, kind))
            except PasswordDeleteError:
                return False
            return True

        with self._lock:
            result: bool = self._call("delete", profile, kind, run)
            return result

    def has(self, profile: str, kind: SecretKind) -> bool:
        """Whether the entry exists, without decrypting it when the backend allows."""
        ini = _ini_presence(self.backend, entry_name(profile, kind))
        if ini is not None:
            return ini
        return self.get(profile, kind) is not None

    def delete_all(self, profile: str) -> list[SecretKind]:
        return [kind for kind in SecretKind if self.delete(profile, kind)]

    def _call(
        self, op: str, profile: str, kind: SecretKind, fn: Callable[[], Any], secret: str = ""
    ) -> Any:
        from keyring.errors import KeyringError, NoKeyringError

        try:
            return fn()
        except NoKeyringError:
            raise KeyringUnavailableError(
                "no usable OS keyring on this host", headless_advice()
            ) from None
        except (KeyringError, ValueError, EOFError, OSError, RuntimeError) as exc:
            detail = one_line(str(exc))
            if secret:
                detail = detail.replace(secret, "***")
            raise KeyringAccessError(
                f"{self.description} could not {op} {entry_name(profile, kind)!r}: "
                f"{type(exc).__name__}: {detail}"
                + (
                    " (is it unlocked? see docs/credentials.md)"
                    if self.choice is KeyringChoice.SYSTEM
                    else ""
                )
            ) from None

    # -- asynchronous: the same calls, off the event loop ---------------------------------

    async def aget(self, profile: str, kind: SecretKind) -> str | None:
        return await asyncio.to_thread(self.get, profile, kind)

    async def aset(self, profile: str, kind: SecretKind, value: str) -> None:
        await asyncio.to_thread(self.set, profile, kind, value)

    async def adelete(self, profile: str, kind: SecretKind) -> bool:
        return await asyncio.to_thread(self.delete, profile, kind)


def _ini_presence(backend: object, username: str) -> bool | None:
    module = type(backend).__module__
    path = getattr(backend, "file_path", None)
    if not module.startswith("keyrings.cryptfile") or not isinstance(path, str):
        return None
    from keyrings.cryptfile.escape import escape

    config = configparser.RawConfigParser()
    if os.path.exists(path):
        config.read(path)
    return bool(config.has_option(escape(SERVICE), escape(username)))


# -- choosing a backend ---------------------------------------------------------------------

_NOT_OS_BACKENDS = (
    "keyrings.alt",
    "keyrings.cryptfile",
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyring.backends.chainer",
)


def encrypted_file_path() -> Path:
    return platformdirs.user_data_path(APP_NAME) / ENCRYPTED_FILE_NAME


ENCRYPTED_FILE_EXTRA = "pip install 'bulktui[encrypted-file]'"


def encrypted_file_keyring() -> Any:
    """keyrings.cryptfile's keyring on bulktui's file, still locked (enough to see or delete
    entries by name); its package is the ``encrypted-file`` extra."""
    try:
        from keyrings.cryptfile.cryptfile import CryptFileKeyring
    except ImportError:
        raise KeyringUnavailableError(
            f"--keyring encrypted-file needs its extra, which is not installed: "
            f"{ENCRYPTED_FILE_EXTRA}"
        ) from None
    kr = CryptFileKeyring()
    kr.file_path = str(encrypted_file_path())
    return kr


def open_store(
    choice: KeyringChoice,
    *,
    ask_master_password: AskMasterPassword | None = None,
    command: str = "bulktui login ...",
    backend_hint: str | None = None,
) -> SecretStore:
    """The store for a profile's keyring choice. Raises ``KeyringUnavailableError`` (with the
    three ways out in ``advice``) when the OS keyring is the fail backend. ``backend_hint`` is
    the OS backend recorded in the profile (tried first; never a file backend)."""
    if choice is KeyringChoice.NONE:
        return SecretStore.memory()
    if choice is KeyringChoice.ENCRYPTED_FILE:
        kr = encrypted_file_keyring()
        _unlock(kr, ask_master_password)
        return SecretStore(kr, choice)
    return SecretStore(_system_backend(ask_master_password, command, backend_hint), choice)


def _unlock(kr: Any, ask: AskMasterPassword | None) -> None:
    """Give a file keyring its master password ourselves, so it never calls getpass."""
    path = Path(getattr(kr, "file_path", "") or "keyring file")
    new = not path.exists() or path.stat().st_size == 0
    if ask is None:
        raise KeyringUnavailableError(
            f"the encrypted keyring file {path} needs its master password, "
            "and there is no way to ask for it here"
        )
    password = ask(path, new)
    if not password.strip():
        raise KeyringAccessError("the master password may not be blank")
    try:
        kr.keyring_key = password
    except (ValueError, AssertionError):
        raise KeyringAccessError(f"wrong master password for {path}") from None
    except OSError as exc:
        raise KeyringAccessError(f"cannot open {path}: {exc.strerror or exc}") from None


def backend_name(backend: object) -> str | None:
    """``module.Class`` of an OS keyring backend, to record in the profile; None for the
    others (files, memory), which must never be picked without the user's say-so."""
    cls = type(backend)
    if cls.__module__.startswith(_NOT_OS_BACKENDS) or isinstance(backend, MemoryBackend):
        return None
    return f"{cls.__module__}.{cls.__qualname__}"


def _load_hint(hint: str | None) -> Backend | None:
    if not hint or hint.startswith(_NOT_OS_BACKENDS):
        return None
    import keyring.core

    try:
        return keyring.core.load_keyring(hint)  # type: ignore[no-any-return]
    except Exception:  # gone, or not viable here (no D-Bus): detect afresh
        return None


def _system_backend(
    ask: AskMasterPassword | None, command: str, hint: str | None = None
) -> Backend:
    import keyring.backend
    import keyring.core
    from keyring.backends import fail, null

    try:
        explicit = keyring.core.load_env() or keyring.core.load_config()
    except Exception as exc:  # a bad PYTHON_KEYRING_BACKEND or keyringrc.cfg
        raise KeyringUnavailableError(
            f"the keyring configured in PYTHON_KEYRING_BACKEND or keyringrc.cfg cannot be "
            f"loaded: {type(exc).__name__}: {one_line(str(exc))}",
            headless_advice(command),
        ) from None
    if explicit is not None and not type(explicit).__module__.startswith(
        "keyring.backends.chainer"
    ):
        if isinstance(explicit, fail.Keyring | null.Keyring):
            raise KeyringUnavailableError(
                "no usable OS keyring: the configured keyring backend is "
                f"{type(explicit).__module__}.{type(explicit).__name__}",
                headless_advice(command),
            )
        if hasattr(type(explicit), "keyring_key"):
            _unlock(explicit, ask)
        return explicit  # type: ignore[no-any-return]
    hinted = _load_hint(hint)
    if hinted is not None:
        return hinted
    candidates = [
        kr
        for kr in keyring.backend.get_all_keyring()
        if not type(kr).__module__.startswith(_NOT_OS_BACKENDS) and _priority(kr) >= 1
    ]
    if not candidates:
        raise KeyringUnavailableError(
            "no usable OS keyring on this host (keyring found only its fail backend)",
            headless_advice(command),
        )
    return max(candidates, key=_priority)  # type: ignore[no-any-return]


def _priority(kr: object) -> float:
    try:
        return float(type(kr).priority)  # type: ignore[attr-defined]
    except Exception:
        return -1.0
