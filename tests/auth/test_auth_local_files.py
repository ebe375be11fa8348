"""Local files and keyrings that are not what they should be (issue 12 items 19–21; issue 11
item 17): config files read only if regular and small, settings written before secrets, and
the encrypted-file keyring's missing extra named."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bulktui.auth.errors import ConfigFileError, KeyringAccessError
from bulktui.auth.profiles import Method, Profile, ProfileStore
from bulktui.auth.secrets import SecretStore
from bulktui.core import files
from tests.auth.emu import Emu, run_cli, running_emulator


def test_read_config_text(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("a = 1\n")
    assert files.read_config_text(good, 100) == "a = 1\n"
    link = tmp_path / "link.toml"
    link.symlink_to(good)  # a dotfile manager's symlink is fine
    assert files.read_config_text(link, 100) == "a = 1\n"
    with pytest.raises(FileNotFoundError):
        files.read_config_text(tmp_path / "none", 100)
    with pytest.raises(files.ConfigFileError, match="not a regular file"):
        files.read_config_text("/dev/zero", 100)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(files.ConfigFileError, match="not a regular file"):
        files.read_config_text(fifo, 100)  # returns at once: no writer is waited for
    with pytest.raises(files.ConfigFileError, match="not a regular file"):
        files.read_config_text(tmp_path, 100)
    with pytest.raises(files.ConfigFileError, match="more than a config file may be"):
        files.read_config_text(good, 3)
    (tmp_path / "latin1").write_bytes(b"caf\xe9")
    with pytest.raises(files.ConfigFileError, match="not UTF-8"):
        files.read_config_text(tmp_path / "latin1", 100)


def test_profiles_file_that_is_a_device_or_unwritable(tmp_path: Path) -> None:
    device = ProfileStore(tmp_path / "profiles.toml")
    device.path.symlink_to("/dev/zero")
    with pytest.raises(ConfigFileError, match="not a regular file"):
        device.read()
    taken = tmp_path / "file"
    taken.write_text("")
    blocked = ProfileStore(taken / "bulktui" / "profiles.toml")  # its directory cannot be made
    with pytest.raises(ConfigFileError, match=r"cannot (read|write)"):
        blocked.save(Profile(name="p", method=Method.SF, target_org="a"))


def test_c1_and_format_characters_are_never_written(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.toml")
    for bad in ("a\x9bb", "a\u202eb", "a\u200bb"):
        with pytest.raises(Exception, match="control characters"):
            store.save(Profile(name="p", method=Method.SESSION, username=bad))
    assert not store.path.exists()


@pytest.fixture
def emu() -> Emu:  # type: ignore[misc]
    with running_emulator() as e:
        yield e


def test_a_secret_that_cannot_be_stored_takes_its_new_profile_with_it(
    emu: Emu, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = emu.login
    real_set = SecretStore.set
    calls: list[str] = []

    def second_write_fails(self: SecretStore, profile: str, kind: object, value: str) -> None:
        calls.append(str(kind))
        if len(calls) == 2:
            raise KeyringAccessError("the keyring refused the write")
        real_set(self, profile, kind, value)  # type: ignore[arg-type]

    monkeypatch.setattr(SecretStore, "set", second_write_fails)
    result = run_cli(
        "login",
        "--profile",
        "p",
        "--method",
        "password",
        "--login-url",
        emu.url,
        "--username",
        login.username,
        "--secret-stdin",
        stdin=f"{login.password}\n{login.security_token}\n",
    )
    assert result.code != 0 and "refused the write" in result.err
    assert ProfileStore().find("p") is None  # no profile without its secrets
    from tests.auth.test_auth_methods_e2e import entries

    assert entries("p") == {}  # and no secret without its profile


def test_encrypted_file_without_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyrings.cryptfile", None)
    monkeypatch.setitem(sys.modules, "keyrings.cryptfile.cryptfile", None)
    monkeypatch.setenv("BULKTUI_KEYRING_PASSWORD", "pw")
    result = run_cli(
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
        stdin="x\n",
    )
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "bulktui: --keyring encrypted-file needs its extra, which is not installed: "
        "pip install 'bulktui[encrypted-file]'"
    ]


def test_an_sf_profile_works_without_a_keyring(
    emu: Emu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_keyring: None
) -> None:
    from tests.auth.fake_sf import FakeSf

    sf = FakeSf(tmp_path / "sf")
    for key, value in sf.env().items():
        monkeypatch.setenv(key, value)
    sf.set(alias="dev", token=emu.session(), instance_url=emu.url, username="u@x", cli="current")
    result = run_cli("login", "--profile", "dev", "--method", "sf", "--target-org", "dev")
    assert result.code == 0, result.err
    assert "nothing cached; sf is asked on every run" in result.out
    listed = run_cli("profiles")
    assert listed.code == 0 and "none needed (sf alias dev)" in listed.out
    assert "unknown" not in listed.out
    before = len(sf.calls())
    assert run_cli("jobs", "--profile", "dev").code == 0
    assert len(sf.calls()) == before + 1  # no cache: one `sf` run per command, as before
