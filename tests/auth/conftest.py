"""Every credentials test runs in a throwaway home: config, data, state and cache dirs under
tmp_path, and keyrings.alt's PlaintextKeyring (a real file backend) through
PYTHON_KEYRING_BACKEND. The user's real keyring and config are never touched."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"
FAIL = "keyring.backends.fail.Keyring"
_CLEARED = (
    "BULKTUI_PROFILE",
    "BULKTUI_SESSION_ID",
    "BULKTUI_INSTANCE_URL",
    "BULKTUI_KEYRING_PASSWORD",
    "DBUS_SESSION_BUS_ADDRESS",
    "PYTHON_KEYRING_BACKEND",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # The Secret Service run (.ci/run) brings its own session bus and unlocked keyring.
    keep_bus = os.environ.get("BULKTUI_SECRET_SERVICE_TEST") == "1"
    home = tmp_path / "home"
    home.mkdir()
    for name in _CLEARED:
        if keep_bus and name == "DBUS_SESSION_BUS_ADDRESS":
            continue
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    if not keep_bus:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", PLAINTEXT)
    # Never prompt on the real terminal pytest may run in: prompts need --secret-stdin here.
    import bulktui.auth.prompt

    monkeypatch.setattr(bulktui.auth.prompt, "has_terminal", lambda: False)
    yield home


@pytest.fixture
def fail_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FAIL)
