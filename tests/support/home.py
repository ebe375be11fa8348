"""The throwaway home every test runs in (autouse from tests/conftest.py).

Config, data, state and cache dirs live in a fresh temporary home; keyrings.alt's
PlaintextKeyring (a real file backend) stands in for the keyring through
PYTHON_KEYRING_BACKEND; no BULKTUI_*, proxy, CA-bundle, NO_COLOR or TEXTUAL_THEME setting is
inherited from the shell; nothing prompts on the terminal pytest may run in. So no test can
touch the real user's config, state, keyring or journal. Subprocesses inherit all of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"
FAIL = "keyring.backends.fail.Keyring"
CLEARED = (
    "BULKTUI_PROFILE",
    "BULKTUI_SESSION_ID",
    "BULKTUI_INSTANCE_URL",
    "BULKTUI_KEYRING_PASSWORD",
    "BULKTUI_LOG_LEVEL",
    "BULKTUI_JOURNAL",
    "BULKTUI_JOURNAL_DAYS",
    "BULKTUI_FAILURE_THRESHOLD",
    "DBUS_SESSION_BUS_ADDRESS",
    "PYTHON_KEYRING_BACKEND",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NO_COLOR",
    "TEXTUAL_THEME",
)
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def secret_service_run() -> bool:
    """The Secret Service run (.ci/run) brings its own session bus and unlocked keyring."""
    return os.environ.get("BULKTUI_SECRET_SERVICE_TEST") == "1"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    keep_bus = secret_service_run()
    # Beside the test's tmp_path, not in it: tests count what they wrote there.
    home = tmp_path_factory.mktemp("home")
    for name in CLEARED:
        if keep_bus and name == "DBUS_SESSION_BUS_ADDRESS":
            continue
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.lower() in PROXIES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    if not keep_bus:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", PLAINTEXT)
    # Never prompt on the real terminal: prompts need --secret-stdin in tests.
    import bulktui.auth.prompt

    monkeypatch.setattr(bulktui.auth.prompt, "has_terminal", lambda: False)
    yield home


@pytest.fixture
def journal_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """No journal unless a test asks for one (``--journal PATH``), so the job commands'
    requests stay what each test expects."""
    monkeypatch.setenv("BULKTUI_JOURNAL", "off")


@pytest.fixture
def fail_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A keyring backend that refuses everything, as on a machine without one."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FAIL)
