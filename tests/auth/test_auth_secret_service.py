"""The real OS keyring on Linux: the Secret Service (gnome-keyring) on a private session bus.

.ci/run runs this under ``dbus-run-session`` with ``gnome-keyring-daemon --unlock`` and
``BULKTUI_SECRET_SERVICE_TEST=1`` (docs/credentials.md has the same recipe for users). Anywhere
else it skips: a normal pytest run must never touch a real keyring.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulktui.auth.profiles import KeyringChoice, ProfileStore
from bulktui.auth.secrets import SERVICE, open_store
from tests.auth.emu import Emu, grep_tree, run_cli, running_emulator

pytestmark = [
    pytest.mark.secret_service,
    pytest.mark.skipif(
        os.environ.get("BULKTUI_SECRET_SERVICE_TEST") != "1",
        reason="needs .ci/run's dbus-run-session and gnome-keyring-daemon",
    ),
]


@pytest.fixture
def emu() -> Iterator[Emu]:
    with running_emulator() as e:
        yield e


def lookup(entry: str) -> str | None:
    """Ask the Secret Service directly, past bulktui and python-keyring."""
    tool = shutil.which("secret-tool")
    if tool is None:
        pytest.skip("secret-tool (libsecret-tools) is not installed")
    proc = subprocess.run(
        [tool, "lookup", "service", SERVICE, "username", entry],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return proc.stdout if proc.returncode == 0 else None


def test_the_os_keyring_is_the_secret_service() -> None:
    store = open_store(KeyringChoice.SYSTEM)
    assert store.description == "the Secret Service keyring", store.description


def test_login_use_logout_in_the_secret_service(emu: Emu, isolated_home: Path) -> None:
    login = emu.login
    result = run_cli(
        "login",
        "--profile",
        "ss",
        "--method",
        "password",
        "--login-url",
        emu.url,
        "--username",
        login.username,
        "--client-id",
        login.client_id,
        "--secret-stdin",
        stdin=f"{login.password}\n{login.security_token}\n{login.client_secret}\n",
    )
    assert result.code == 0, result.err
    assert "Secret Service" in result.out
    assert lookup("ss:password") == login.password
    assert lookup("ss:client-secret") == login.client_secret
    assert lookup("ss:access-token")  # the cached token lives there too
    # The backend is recorded, so later runs skip probing every backend.
    row = json.loads(run_cli("profiles", "--json").out)["profiles"][0]
    assert row["keyring"] == "system"
    assert ProfileStore().get("ss").keyring_backend == "keyring.backends.SecretService.Keyring"
    before = emu.logins()
    assert run_cli("jobs", "--profile", "ss").code == 0
    assert emu.logins() == before
    listed = run_cli("profiles")
    assert "password yes" in listed.out and "token cached" in listed.out
    assert run_cli("logout", "--profile", "ss", "--forget").code == 0
    assert lookup("ss:password") is None and lookup("ss:access-token") is None
    assert grep_tree(isolated_home, [login.password, login.client_secret]) == []
