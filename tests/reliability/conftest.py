"""Every reliability test runs in a throwaway home: config, data, state, cache and log dirs
under tmp_path, keyrings.alt's PlaintextKeyring through PYTHON_KEYRING_BACKEND (never the
user's real keyring), and no proxy or BULKTUI_* settings inherited from the shell."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

_CLEARED = (
    "BULKTUI_PROFILE",
    "BULKTUI_SESSION_ID",
    "BULKTUI_INSTANCE_URL",
    "BULKTUI_LOG_LEVEL",
    "DBUS_SESSION_BUS_ADDRESS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NO_COLOR",
    "TEXTUAL_THEME",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    yield home
