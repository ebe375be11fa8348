"""A proxy that does not answer, or refuses the tunnel, is named as the place that failed.

On a jump host every request goes through HTTPS_PROXY. "could not reach
x.my.salesforce.com" sent people to check Salesforce when the proxy was down; and a tunnel the
proxy refused (a 502 to CONNECT) counted as "failed after it was sent", so creating a job was
reported as perhaps done, although nothing reached Salesforce. Only loopback is touched: the
proxy is a closed port, or tests/reliability/loopback.py's CONNECT proxy.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from bulktui.api import BulkClient, Connection
from bulktui.api.errors import AmbiguousResultError, TransportError
from bulktui.api.lifecycle import JobKind
from bulktui.api.proxies import uses_proxy
from bulktui.auth.endpoints import make_http, soap_login
from bulktui.emulator import server as emulator_server
from bulktui.emulator import tls as emulator_tls
from bulktui.emulator.engine import Engine
from bulktui.emulator.server import EmulatorServer
from tests.reliability.loopback import ConnectProxy

SESSION = "00D000000000001!session-for-the-proxy-tests"
JOB_ID = "750000000000001AAA"
HIDDEN = "hunter2proxypassword"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_inherited_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


async def test_a_proxy_that_does_not_answer_is_named_never_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://ops:{HIDDEN}@127.0.0.1:{closed_port()}")
    client = BulkClient(Connection("https://org.bulktui-test.invalid", SESSION))
    async with client:
        with pytest.raises(TransportError) as raised:
            await client.get_job(JOB_ID, JobKind.V1)
    message = str(raised.value)
    assert "could not reach org.bulktui-test.invalid through the proxy in HTTPS_PROXY" in message
    assert HIDDEN not in message


async def test_a_tunnel_the_proxy_refused_is_not_a_job_that_may_have_been_created(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The proxy can resolve the name but nothing listens there: it answers 502 to CONNECT.
    with ConnectProxy({"org.bulktui-test.invalid": "127.0.0.1"}) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        url = f"https://org.bulktui-test.invalid:{closed_port()}"
        client = BulkClient(Connection(url, SESSION))
        async with client:
            with pytest.raises(TransportError) as raised:
                await client.create_job("Account", "insert")
    assert not isinstance(raised.value, AmbiguousResultError)
    assert "through the proxy in HTTPS_PROXY" in str(raised.value)
    assert "ProxyError" in str(raised.value)


async def test_a_direct_request_says_nothing_of_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    client = BulkClient(Connection(f"http://127.0.0.1:{closed_port()}", SESSION))
    async with client:
        with pytest.raises(TransportError) as raised:
            await client.get_job(JOB_ID, JobKind.V1)
    assert "could not reach 127.0.0.1" in str(raised.value)
    assert "proxy" not in str(raised.value)


def test_httpx_still_answers_which_urls_it_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """``uses_proxy`` reads httpx's mount table (there is no public way): this fails first
    should an httpx upgrade change it."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "internal.bulktui-test.invalid")
    client = httpx.AsyncClient(trust_env=True)
    assert uses_proxy(client, httpx.URL("https://org.bulktui-test.invalid/"))
    assert not uses_proxy(client, httpx.URL("https://internal.bulktui-test.invalid/"))
    assert not uses_proxy(client, httpx.URL("http://org.bulktui-test.invalid/"))  # no HTTP_PROXY


async def test_a_login_goes_through_the_proxy_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The login server is reached the way the API is: on a jump host whose only way out is
    HTTPS_PROXY, a login that went direct failed while every API call worked. The name
    resolves only at the proxy, so the login cannot succeed any other way."""
    name = "login.bulktui-test.invalid"
    monkeypatch.setattr(emulator_server, "generate", lambda hosts: emulator_tls.generate((name,)))
    engine = Engine()
    with (
        EmulatorServer(engine, tls=True) as server,
        ConnectProxy({"login.bulktui-test.invalid": "127.0.0.1"}) as proxy,
    ):
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        login = engine.login
        async with make_http(server.ca_file) as http:
            token = await soap_login(
                http,
                f"https://{name}:{server.port}",
                "64.0",
                login.username,
                login.password + login.security_token,
            )
        assert token.access_token
        assert proxy.tunnels == 1
