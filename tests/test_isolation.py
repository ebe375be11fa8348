"""Every test runs in the throwaway home of tests/support/home.py: the places bulktui writes
(config, keyring, journal, log) all resolve inside it, whatever the developer's shell holds."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest

from bulktui.auth.profiles import config_path
from bulktui.auth.secrets import encrypted_file_path
from bulktui.core.journal_files import default_path
from bulktui.core.logfile import log_dir


def test_every_local_file_lives_in_the_isolated_home(isolated_home: Path) -> None:
    assert Path(os.environ["HOME"]) == isolated_home
    for path in (
        config_path(),
        encrypted_file_path(),
        default_path("https://example.my.salesforce.com"),
        log_dir(),
    ):
        assert path.is_relative_to(isolated_home), path


def test_the_keyring_is_a_file_in_the_isolated_home(isolated_home: Path) -> None:
    if os.environ.get("BULKTUI_SECRET_SERVICE_TEST") == "1":
        pytest.skip("the Secret Service run brings its own keyring")
    backend = keyring.core.load_keyring(os.environ["PYTHON_KEYRING_BACKEND"])
    assert type(backend).__name__ == "PlaintextKeyring"
    assert Path(backend.file_path).is_relative_to(isolated_home)  # type: ignore[attr-defined]


def test_nothing_is_inherited_from_the_shell() -> None:
    inherited = [
        name
        for name in os.environ
        if name.startswith("BULKTUI_") and name != "BULKTUI_SECRET_SERVICE_TEST"
    ]
    inherited += [n for n in os.environ if n.lower() in ("http_proxy", "https_proxy")]
    assert inherited == []
