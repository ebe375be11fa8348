"""The sf method against a stand-in ``sf`` on PATH: a current CLI and an older one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulktui.auth.errors import SfCliError
from bulktui.auth.sfcli import sf_login
from tests.auth.fake_sf import FakeSf


@pytest.fixture
def fake_sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSf:
    sf = FakeSf(tmp_path / "sf")
    for key, value in sf.env().items():
        monkeypatch.setenv(key, value)
    sf.set(
        alias="dev",
        token="00D5g000004xyz!AQcurrent.token",
        instance_url="https://acme--dev.sandbox.my.salesforce.com",
        username="dev@acme.example",
        api_version="62.0",
        cli="current",
    )
    return sf


async def test_current_cli_token_from_show_access_token(fake_sf: FakeSf) -> None:
    got = await sf_login("dev")
    assert got.access_token == "00D5g000004xyz!AQcurrent.token"
    assert got.instance_url == "https://acme--dev.sandbox.my.salesforce.com"
    assert got.username == "dev@acme.example" and got.api_version == "62.0"
    assert fake_sf.calls() == [
        "org display --target-org dev",
        "org auth show-access-token --target-org dev",
    ]
    assert "token" not in repr(got)


async def test_older_cli_falls_back_to_org_display(fake_sf: FakeSf) -> None:
    fake_sf.set(cli="old", token="00D5g000004xyz!AQold.token")
    got = await sf_login("dev")
    assert got.access_token == "00D5g000004xyz!AQold.token"


async def test_refresh_is_running_it_again(fake_sf: FakeSf) -> None:
    first = await sf_login("dev")
    fake_sf.set(token="00D5g000004xyz!AQrefreshed")
    second = await sf_login("dev")
    assert (first.access_token, second.access_token) == (
        "00D5g000004xyz!AQcurrent.token",
        "00D5g000004xyz!AQrefreshed",
    )


async def test_unknown_alias_and_logged_out_org(fake_sf: FakeSf) -> None:
    with pytest.raises(SfCliError, match="No authorization information found for prod"):
        await sf_login("prod")
    fake_sf.set(logged_out=True)
    with pytest.raises(SfCliError) as info:
        await sf_login("dev")
    assert "No access token found" in str(info.value)
    assert str(info.value).endswith("log in with `sf org login web --alias dev`")


async def test_sf_missing_from_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SfCliError, match="not on PATH"):
        await sf_login("dev")


async def test_known_instance_needs_one_run_on_a_current_cli(fake_sf: FakeSf) -> None:
    got = await sf_login("dev", known_instance_url="https://acme--dev.sandbox.my.salesforce.com")
    assert got.access_token == "00D5g000004xyz!AQcurrent.token"
    assert fake_sf.calls() == ["org auth show-access-token --target-org dev"]
    fake_sf.set(cli="old", token="00D5g000004xyz!AQold.token")
    got = await sf_login("dev", known_instance_url="https://acme--dev.sandbox.my.salesforce.com")
    assert got.access_token == "00D5g000004xyz!AQold.token"
    assert fake_sf.calls()[1:] == [
        "org auth show-access-token --target-org dev",
        "org display --target-org dev",
    ]
