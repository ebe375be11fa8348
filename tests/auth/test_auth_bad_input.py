"""Bad input: one clear line on stderr and exit code 2, whichever command meets it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bulktui.auth.profiles import config_path
from tests.auth.emu import Emu, run_cli, running_emulator


@pytest.fixture
def emu() -> Iterator[Emu]:
    with running_emulator() as e:
        yield e


def one_clear_line(result: object, *needles: str) -> str:
    code, err = result.code, result.err  # type: ignore[attr-defined]
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("bulktui: "), err
    for needle in needles:
        assert needle in err, err
    return str(err)


def test_unknown_profile_everywhere() -> None:
    for argv in (
        ["login", "--check", "--profile", "nope"],
        ["jobs", "--profile", "nope"],
        ["--profile", "nope", "jobs"],
        ["logout", "--profile", "nope"],
    ):
        one_clear_line(run_cli(*argv), "no profile named 'nope'", str(config_path()))


def test_unknown_profile_from_the_environment() -> None:
    result = run_cli("jobs", env={"BULKTUI_PROFILE": "fromenv"})
    one_clear_line(result, "'fromenv'")


def test_corrupt_config_names_file_and_line() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text('default = "a"\n[profiles.a]\nmethod = "sf"\ntarget_org = \n')
    for argv in (["profiles"], ["jobs", "--profile", "a"], ["login", "--check"], ["jobs"]):
        one_clear_line(run_cli(*argv), f"{path}, line 4: not valid TOML")


def test_unreadable_key_file(emu: Emu, tmp_path: Path) -> None:
    login = emu.login
    base = ["login", "--method", "jwt", "--login-url", emu.url, "--client-id", login.client_id]
    base += ["--username", login.username]
    missing = tmp_path / "missing.key"
    one_clear_line(
        run_cli(*base, "--key-file", str(missing)), "cannot read the key file", str(missing)
    )
    unreadable = tmp_path / "locked.key"
    unreadable.write_text("x")
    unreadable.chmod(0)
    try:
        if not _readable(unreadable):
            one_clear_line(run_cli(*base, "--key-file", str(unreadable)), "cannot read")
    finally:
        unreadable.chmod(0o600)
    garbage = tmp_path / "cert.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    one_clear_line(run_cli(*base, "--key-file", str(garbage)), "is not a PEM private key")
    assert not config_path().exists()  # nothing saved for a login that never worked


def test_key_file_gone_after_login(emu: Emu, tmp_path: Path) -> None:
    from tests.auth.emu import key_pair

    login = emu.login
    key = tmp_path / "k.pem"
    key.write_text(key_pair()[0])
    assert (
        run_cli(
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
        ).code
        == 0
    )
    key.unlink()
    run_cli("logout", "--profile", "ci")  # drops the cached token: the next use must mint
    one_clear_line(run_cli("jobs", "--profile", "ci"), "cannot read the key file", str(key))


def _readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:
        return False
    return True  # running as root: permissions do not stop us


def test_wrong_password_is_invalid_login(emu: Emu) -> None:
    login = emu.login
    result = run_cli(
        "login",
        "--method",
        "password",
        "--login-url",
        emu.url,
        "--username",
        login.username,
        "--secret-stdin",
        stdin=f"not-the-password\n{login.security_token}\n",
    )
    err = one_clear_line(result, "INVALID_LOGIN")
    assert "not-the-password" not in err
    assert not config_path().exists()


def test_missing_settings_and_secrets() -> None:
    one_clear_line(run_cli("login", "--profile", "x"), "--method")
    one_clear_line(run_cli("login", "--method", "oauth"), "--client-id")
    one_clear_line(run_cli("login", "--method", "session"), "--instance-url")
    # A secret with no terminal and no --secret-stdin: say so, never block.
    one_clear_line(
        run_cli("login", "--method", "session", "--instance-url", "https://x.my.salesforce.com"),
        "--secret-stdin",
    )
    one_clear_line(
        run_cli(
            "login",
            "--method",
            "session",
            "--instance-url",
            "http://evil.example",
            "--secret-stdin",
            stdin="x\n",
        ),
        "plain http",
    )
