"""Every login method end to end: ``bulktui login`` against the emulator on loopback, secrets
in a real keyring backend (keyrings.alt's PlaintextKeyring in a temp dir), then use through
``bulktui jobs --profile``, ``login --check``, ``profiles`` and ``logout``. After each run no
secret value may appear in any file under the throwaway home (config, data, state, cache)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulktui.auth import endpoints
from bulktui.auth.secrets import SERVICE
from tests.auth.emu import Emu, grep_tree, key_pair, run_cli, running_emulator
from tests.auth.fake_sf import FakeSf


@pytest.fixture
def emu() -> Iterator[Emu]:
    with running_emulator() as e:
        yield e


@pytest.fixture(autouse=True)
def fast_device_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(seconds: float) -> None:
        del seconds

    monkeypatch.setattr(endpoints, "_sleep", no_wait)


def entries(profile: str) -> dict[str, str]:
    """This profile's entries in the (file) keyring."""
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()  # reads the file under this test's XDG_DATA_HOME
    found = {}
    for kind in (
        "password",
        "security-token",
        "refresh-token",
        "client-secret",
        "private-key",
        "access-token",
    ):
        value = backend.get_password(SERVICE, f"{profile}:{kind}")
        if value is not None:
            found[kind] = value
    return found


def use_and_logout(emu: Emu, profile: str, home: Path, secrets: list[str]) -> None:
    """One-shot use with the cached token (no new login), then logout and the grep."""
    before = emu.logins()
    listed = run_cli("jobs", "--profile", profile)
    assert listed.code == 0, listed.err
    assert emu.logins() == before, "a one-shot command logged in despite a cached token"
    shown = run_cli("profiles", "--json")
    assert shown.code == 0
    row = next(p for p in json.loads(shown.out)["profiles"] if p["name"] == profile)
    assert row["instance_url"] == emu.url
    cached = {k: v for k, v in entries(profile).items() if k == "access-token"}
    out = run_cli("logout", "--profile", profile, "--forget")
    assert out.code == 0 and "settings" in out.out
    assert entries(profile) == {}
    all_secrets = [*secrets, *cached.values()]
    for value in cached.values():
        if value.startswith("{"):
            all_secrets.append(json.loads(value)["access_token"])
    assert grep_tree(home, all_secrets) == []
    assert all(s not in shown.out + listed.out + listed.err for s in all_secrets)


def test_password_soap(emu: Emu, isolated_home: Path) -> None:
    login = emu.login
    result = run_cli(
        "login",
        "--profile",
        "prod",
        "--method",
        "password",
        "--login-url",
        emu.url,
        "--username",
        login.username,
        "--secret-stdin",
        stdin=f"{login.password}\n{login.security_token}\n",
    )
    assert result.code == 0, result.err
    assert f"as {login.username}" in result.out
    assert "SOAP login() is legacy" in result.err and "65.0" in result.err
    assert "Summer '27" in result.err
    stored = entries("prod")
    assert stored["password"] == login.password
    assert stored["security-token"] == login.security_token
    assert emu.engine.stats["POST /services/Soap/u/{v}"] == 1
    check = run_cli("login", "--check", "--profile", "prod")
    assert check.code == 0 and "cached token" in check.out
    assert emu.logins() == 1
    use_and_logout(emu, "prod", isolated_home, [login.password, login.security_token])


def test_password_oauth_grant_with_client_id(emu: Emu, isolated_home: Path) -> None:
    login = emu.login
    result = run_cli(
        "login",
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
    assert "SOAP" not in result.err
    assert emu.engine.stats["POST /services/oauth2/token"] == 1
    assert emu.engine.stats["POST /services/Soap/u/{v}"] == 0
    assert entries("default")["client-secret"] == login.client_secret
    # The first profile is the default: no --profile needed.
    assert run_cli("jobs").code == 0
    use_and_logout(
        emu, "default", isolated_home, [login.password, login.security_token, login.client_secret]
    )


def test_oauth_device_flow(emu: Emu, isolated_home: Path) -> None:
    login = emu.login
    result = run_cli(
        "login",
        "--profile",
        "ops",
        "--method",
        "oauth",
        "--login-url",
        emu.url,
        "--client-id",
        login.client_id,
        "--device",
        "--secret-stdin",
        stdin=f"{login.client_secret}\n",
    )
    assert result.code == 0, result.err
    assert f"open {emu.url}/setup/connect" in result.err
    code = next(line for line in result.err.splitlines() if "enter the code" in line)
    assert code.split()[-1].isalnum()
    refresh = entries("ops")["refresh-token"]
    assert refresh and refresh not in result.text
    assert run_cli("login", "--check", "--profile", "ops").code == 0
    use_and_logout(emu, "ops", isolated_home, [refresh, login.client_secret])


def test_oauth_pasted_refresh_token_and_refresh_on_expiry(emu: Emu, isolated_home: Path) -> None:
    login = emu.login
    pasted = emu.refresh_token()
    result = run_cli(
        "login",
        "--profile",
        "ops",
        "--method",
        "oauth",
        "--login-url",
        emu.url,
        "--client-id",
        login.client_id,
        "--secret-stdin",
        stdin=f"\n{pasted}\n",  # no client secret: this app does not need one
    )
    assert result.code == 0, result.err
    assert "client-secret" not in entries("ops")
    emu.control("expire-sessions")
    before = emu.logins()
    # The cached token is dead: the client reports the expiry, the hook refreshes once.
    listed = run_cli("jobs", "--profile", "ops")
    assert listed.code == 0, listed.err
    assert emu.logins() == before + 1
    assert run_cli("jobs", "--profile", "ops").code == 0
    assert emu.logins() == before + 1  # the refreshed token was cached
    use_and_logout(emu, "ops", isolated_home, [pasted])


def test_revoked_refresh_token_says_what_failed_and_the_fix(emu: Emu) -> None:
    login = emu.login
    run_cli(
        "login",
        "--profile",
        "ops",
        "--method",
        "oauth",
        "--login-url",
        emu.url,
        "--client-id",
        login.client_id,
        "--secret-stdin",
        stdin=f"\n{emu.refresh_token()}\n",
    )
    emu.control("revoke-refresh-tokens")
    emu.control("expire-sessions")
    listed = run_cli("jobs", "--profile", "ops")
    assert listed.code == 1
    assert listed.err.count("\n") == 1
    assert "refresh token was revoked or has expired" in listed.err
    assert "bulktui login --profile ops --method oauth --device" in listed.err
    check = run_cli("login", "--check", "--profile", "ops")
    assert check.code == 2
    assert "bulktui login --profile ops --method oauth --device" in check.err


def _write_key(tmp: Path) -> Path:
    path = tmp / "server.key"
    path.write_text(key_pair()[0])
    path.chmod(0o600)
    return path


def test_jwt_with_key_file(emu: Emu, isolated_home: Path, tmp_path: Path) -> None:
    login = emu.login
    key = _write_key(tmp_path)
    args = ["--method", "jwt", "--login-url", emu.url, "--client-id", login.client_id]
    result = run_cli(
        "login", "--profile", "ci", *args, "--username", login.username, "--key-file", str(key)
    )
    assert result.code == 0, result.err
    assert "private-key" not in entries("ci")
    emu.control("expire-sessions")
    before = emu.logins()
    assert run_cli("jobs", "--profile", "ci").code == 0  # re-minted on expiry
    assert emu.logins() == before + 1
    use_and_logout(emu, "ci", isolated_home, [key_pair()[0].splitlines()[1]])


def test_jwt_with_key_in_keyring(emu: Emu, isolated_home: Path, tmp_path: Path) -> None:
    login = emu.login
    key = _write_key(tmp_path)
    result = run_cli(
        "login",
        "--profile",
        "ci",
        "--method",
        "jwt",
        "--login-url",
        emu.url,
        "--client-id",
        login.client_id,
        "--username",
        login.username,
        "--key-file",
        str(key),
        "--key-in-keyring",
    )
    assert result.code == 0, result.err
    key.unlink()  # the keyring copy is what counts now
    assert "BEGIN PRIVATE KEY" in entries("ci")["private-key"]
    profiles = json.loads(run_cli("profiles", "--json").out)["profiles"]
    assert profiles[0]["key_file"] is None and profiles[0]["secrets"] == {"private-key": True}
    emu.control("expire-sessions")
    assert run_cli("jobs", "--profile", "ci").code == 0
    use_and_logout(emu, "ci", isolated_home, [key_pair()[0].splitlines()[1]])


def test_session(emu: Emu, isolated_home: Path) -> None:
    session = emu.session()
    result = run_cli(
        "login",
        "--profile",
        "s",
        "--method",
        "session",
        "--instance-url",
        emu.url,
        "--secret-stdin",
        stdin=f"{session}\n",
    )
    assert result.code == 0, result.err
    assert "cannot be renewed" in result.out
    assert entries("s") == {"access-token": session}
    assert run_cli("jobs", "--profile", "s").code == 0
    emu.control("expire-sessions")
    expired = run_cli("jobs", "--profile", "s")
    assert expired.code == 1
    assert "a pasted session cannot be renewed" in expired.err
    assert "bulktui login --profile s --method session" in expired.err
    check = run_cli("login", "--check", "--profile", "s")
    assert check.code == 2 and "cannot be renewed" in check.err
    out = run_cli("logout", "--profile", "s")
    assert out.code == 0 and entries("s") == {}
    assert grep_tree(isolated_home, [session]) == []


@pytest.mark.parametrize("cli", ["current", "old"])
def test_sf_cli(
    emu: Emu, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: str
) -> None:
    sf = FakeSf(tmp_path / "sf")
    for key, value in sf.env().items():
        monkeypatch.setenv(key, value)
    token = emu.session()
    sf.set(
        alias="dev",
        token=token,
        instance_url=emu.url,
        username=emu.login.username,
        api_version="63.0",
        cli=cli,
    )
    result = run_cli("login", "--profile", "dev", "--method", "sf", "--target-org", "dev")
    assert result.code == 0, result.err
    assert "its access token cached in" in result.out
    cached = json.loads(entries("dev")["access-token"])  # the token only, like other methods
    assert set(entries("dev")) == {"access-token"} and cached["access_token"] == token
    row = json.loads(run_cli("profiles", "--json").out)["profiles"][0]
    assert (row["username"], row["api_version"], row["instance_url"]) == (
        emu.login.username,
        "63.0",
        emu.url,
    )
    assert row["token_cached"] is True
    display = "org display --target-org dev"
    show = "org auth show-access-token --target-org dev"
    assert sf.calls() == [display, show]  # login asks both
    # A command with a cached token costs what a --session-id command costs: no sf at all.
    assert run_cli("jobs", "--profile", "dev").code == 0
    assert sf.calls() == [display, show]
    # Refresh is running sf again, only once the server refuses the cached token; later runs
    # know the instance URL: a current CLI needs `show` only, an older one falls back.
    emu.control("expire-sessions")
    sf.set(token=emu.session())
    assert run_cli("jobs", "--profile", "dev").code == 0
    later = [show] if cli == "current" else [show, display]
    assert sf.calls() == [display, show, *later]
    assert run_cli("jobs", "--profile", "dev").code == 0  # the refreshed token was cached
    assert sf.calls() == [display, show, *later]
    assert grep_tree(isolated_home, [token]) == []
    out = run_cli("logout", "--profile", "dev")
    assert out.code == 0 and "access-token" in out.out and entries("dev") == {}


def test_sf_handing_back_the_refused_token_names_the_fix(
    emu: Emu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sf = FakeSf(tmp_path / "sf")
    for key, value in sf.env().items():
        monkeypatch.setenv(key, value)
    token = emu.session()
    sf.set(alias="dev", token=token, instance_url=emu.url, username="u@x", cli="current")
    assert run_cli("login", "--profile", "dev", "--method", "sf", "--target-org", "dev").code == 0
    emu.control("expire-sessions")  # sf's own login lapsed: it keeps handing out the old token
    result = run_cli("jobs", "--profile", "dev")
    assert result.code != 0
    assert "handed back the very token the server just refused" in result.err
    assert "sf org login web --alias dev" in result.err
    assert len(result.err.strip().splitlines()) == 1 and token not in result.err
    assert run_cli("logout", "--profile", "dev", "--forget").code == 0


def test_update_default_and_listing(emu: Emu, isolated_home: Path) -> None:
    login = emu.login
    secrets = [login.password, login.security_token]
    first = run_cli(
        "login",
        "--profile",
        "a",
        "--method",
        "password",
        "--login-url",
        emu.url,
        "--username",
        login.username,
        "--secret-stdin",
        stdin=f"{login.password}\n{login.security_token}\n",
    )
    assert first.code == 0, first.err
    refresh = emu.refresh_token()
    second = run_cli(
        "login",
        "--profile",
        "b",
        "--method",
        "oauth",
        "--login-url",
        emu.url,
        "--client-id",
        login.client_id,
        "--default",
        "--secret-stdin",
        stdin=f"\n{refresh}\n",
    )
    assert second.code == 0, second.err
    # Updating an existing profile: its method and settings are kept, secrets asked again.
    again = run_cli("login", "--profile", "a", "--secret-stdin", stdin=secrets[0] + "\n\n")
    assert again.code == 2 and "LOGIN_MUST_USE_SECURITY_TOKEN" in again.err  # token dropped
    again = run_cli(
        "login", "--profile", "a", "--secret-stdin", stdin=f"{secrets[0]}\n{secrets[1]}\n"
    )
    assert again.code == 0, again.err
    listed = run_cli("profiles")
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split() == ["PROFILE", "METHOD", "USER", "INSTANCE", "SECRETS"]
    assert lines[1].split()[:3] == ["a", "password", login.username]
    assert lines[2].split()[:3] == ["*", "b", "oauth"]  # --default moved the default
    assert "refresh-token yes" in lines[2] and "token cached" in lines[2]
    everything = [*secrets, refresh]
    assert not any(s in listed.out for s in everything)
    assert run_cli("jobs").code == 0  # the default profile, b
    assert grep_tree(isolated_home, everything) == []


def test_real_processes(emu: Emu, isolated_home: Path) -> None:
    """The same flow as separate `bulktui` processes: secrets piped on stdin, no terminal."""
    import os
    import subprocess
    import sys

    login = emu.login

    def bulktui(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bulktui", *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env=dict(os.environ),
            start_new_session=True,  # no controlling terminal: nothing may prompt
            timeout=120,
            check=False,
        )

    done = bulktui(
        "login",
        "--profile",
        "p",
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
    assert done.returncode == 0, done.stderr
    before = emu.logins()
    listed = bulktui("jobs", "--profile", "p")
    assert listed.returncode == 0, listed.stderr
    assert emu.logins() == before
    assert bulktui("logout", "--profile", "p").returncode == 0
    assert grep_tree(isolated_home, [login.password, login.client_secret]) == []
