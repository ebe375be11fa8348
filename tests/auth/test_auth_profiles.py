"""Profiles: the TOML file under platformdirs' config dir, round trips and bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bulktui.auth.errors import AuthInputError, ConfigFileError, ProfileNotFoundError
from bulktui.auth.profiles import (
    KeyringChoice,
    Method,
    Profile,
    ProfileStore,
    check_login_url,
    config_path,
)


def test_config_file_lives_under_xdg_config_home(isolated_home: Path) -> None:
    assert config_path() == isolated_home / ".config" / "bulktui" / "profiles.toml"


def test_round_trip_and_default() -> None:
    store = ProfileStore()
    prod = Profile(
        name="prod",
        method=Method.OAUTH,
        instance_url="https://acme.my.salesforce.com",
        username="ops@acme.example",
        client_id="3MVG9xyz",
    )
    dev = Profile(
        name="dev",
        method=Method.JWT,
        login_url="https://test.salesforce.com",
        username='we"ird\\name',
        client_id="3MVG9abc",
        key_file="/keys/dev key.pem",
        keyring=KeyringChoice.ENCRYPTED_FILE,
        api_version="62.0",
    )
    store.save(prod)
    store.save(dev)
    data = store.read()
    assert data.default == "prod"  # the first profile saved becomes the default
    assert data.profiles["prod"] == prod
    assert data.profiles["dev"] == dev
    store.set_default("dev")
    assert store.get(None) == dev
    assert store.resolve_name(None) == "dev"
    # Plain TOML any tool can read, mode 0600.
    parsed = tomllib.loads(store.path.read_text())
    assert parsed["profiles"]["dev"]["keyring"] == "encrypted-file"
    assert "keyring" not in parsed["profiles"]["prod"]  # defaults are not written
    assert store.path.stat().st_mode & 0o777 == 0o600


def test_delete_clears_the_default() -> None:
    store = ProfileStore()
    store.save(Profile(name="a", method=Method.SF, target_org="x"))
    store.save(Profile(name="b", method=Method.SF, target_org="y"), make_default=True)
    assert store.read().default == "b"
    assert store.delete("b")
    assert store.read().default is None
    assert not store.delete("b")
    # With no default in the file the profile called "default" is meant.
    with pytest.raises(ProfileNotFoundError, match="'default'"):
        store.get(None)


def test_unknown_profile_names_file_and_fix() -> None:
    store = ProfileStore()
    store.save(Profile(name="prod", method=Method.SF, target_org="p"))
    with pytest.raises(ProfileNotFoundError) as info:
        store.get("qa")
    message = str(info.value)
    assert "'qa'" in message and str(store.path) in message and "prod" in message
    assert "bulktui login --profile qa" in message


def test_corrupt_toml_names_file_and_line() -> None:
    store = ProfileStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_text('default = "prod"\n\n[profiles.prod]\nmethod = oauth\n')
    with pytest.raises(ConfigFileError) as info:
        store.read()
    message = str(info.value)
    assert message.startswith(f"{store.path}, line 4: not valid TOML")
    assert "\n" not in message


def test_wrong_types_name_the_profile_and_line() -> None:
    store = ProfileStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_text('[profiles.prod]\nmethod = "carrier-pigeon"\n')
    with pytest.raises(ConfigFileError, match=r"line 1: profile 'prod': method must be one of"):
        store.read()
    store.path.write_text('[profiles.prod]\nmethod = "sf"\nusername = 42\n')
    with pytest.raises(ConfigFileError, match="username must be a string"):
        store.read()


def test_unreadable_config_file(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "dir.toml")
    store.path.mkdir()
    with pytest.raises(ConfigFileError, match="cannot read"):
        store.read()


def test_bad_names_and_urls() -> None:
    with pytest.raises(AuthInputError, match="bad profile name"):
        ProfileStore().save(Profile(name="no spaces", method=Method.SF))
    assert check_login_url("acme.my.salesforce.com/") == "https://acme.my.salesforce.com"
    assert check_login_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    with pytest.raises(AuthInputError, match="plain http"):
        check_login_url("http://login.salesforce.com")


def test_control_characters_are_refused() -> None:
    with pytest.raises(AuthInputError, match="control characters"):
        ProfileStore().save(Profile(name="p", method=Method.SF, target_org="a\x1b[31m"))
