"""SOAP login() and every OAuth grant of /services/oauth2/token."""

from __future__ import annotations

import base64
from dataclasses import replace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bulktui.api import wire
from bulktui.emulator import EngineConfig, LoginConfig

from .helpers import Org, V, make_org

SOAP = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">
  <env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">
    <n1:username>{username}</n1:username><n1:password>{password}</n1:password>
  </n1:login></env:Body></env:Envelope>"""


async def _soap(org: Org, password: str, version: str = V, username: str | None = None):  # type: ignore[no-untyped-def]
    body = SOAP.format(username=username or org.engine.login.username, password=password)
    return await org.http.post(
        f"/services/Soap/u/{version}",
        headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"},
        content=body,
    )


async def test_soap_login_success_envelope(org: Org) -> None:
    login = org.engine.login
    r = await _soap(org, login.password + login.security_token)
    assert r.status_code == 200
    doc = wire.load_xml(r.content)
    result = doc["soapenv:Envelope"]["soapenv:Body"]["loginResponse"]["result"]
    assert list(result) == [
        "metadataServerUrl",
        "passwordExpired",
        "sandbox",
        "serverUrl",
        "sessionId",
        "userId",
        "userInfo",
    ]
    org15 = org.engine.org_id[:15]
    assert result["serverUrl"] == f"http://emulator.test/services/Soap/u/{V}/{org15}"
    assert result["userInfo"]["sessionSecondsValid"] == "7200"
    assert result["userInfo"]["userName"] == login.username
    r = await org.http.get(
        f"/services/async/{V}/job/x", headers={"X-SFDC-Session": result["sessionId"]}
    )
    assert wire.parse_error(400, r.content, "application/xml").code == "InvalidJob"


@pytest.mark.parametrize("password", ["wrong", ""])
async def test_soap_invalid_login_is_a_500_fault(org: Org, password: str) -> None:
    r = await _soap(org, password)
    assert r.status_code == 500
    assert "<faultcode>sf:INVALID_LOGIN</faultcode>" in r.text
    assert 'xmlns:sf="urn:fault.partner.soap.sforce.com"' in r.text
    err = wire.parse_error(500, r.content, r.headers["content-type"])
    assert err.code == "INVALID_LOGIN"
    assert err.server_message == (
        "INVALID_LOGIN: Invalid username, password, security token; or user locked out."
    )


async def test_soap_login_needs_the_token_when_configured() -> None:
    config = replace(EngineConfig(), login=replace(LoginConfig(), require_security_token=True))
    org = make_org(config)
    async with org.http:
        r = await _soap(org, org.engine.login.password)
        assert "sf:LOGIN_MUST_USE_SECURITY_TOKEN" in r.text
        r = await _soap(org, org.engine.login.password + org.engine.login.security_token)
        assert r.status_code == 200


async def test_soap_login_is_gone_from_api_65(org: Org) -> None:
    r = await _soap(org, org.engine.login.password, "65.0")
    assert r.status_code == 500 and "sf:INVALID_OPERATION" in r.text


async def _token(org: Org, **form: str):  # type: ignore[no-untyped-def]
    return await org.http.post("/services/oauth2/token", data=form)


async def _works(org: Org, access_token: str) -> bool:
    r = await org.http.get(
        f"/services/data/v{V}/limits", headers={"Authorization": f"Bearer {access_token}"}
    )
    return r.status_code == 200


async def test_password_grant(org: Org) -> None:
    login = org.engine.login
    r = await _token(
        org,
        grant_type="password",
        client_id=login.client_id,
        client_secret=login.client_secret,
        username=login.username,
        password=login.password + login.security_token,
    )
    data = r.json()
    assert set(data) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
    }
    assert data["instance_url"] == "http://emulator.test" and data["token_type"] == "Bearer"
    assert await _works(org, data["access_token"])
    r = await _token(
        org,
        grant_type="password",
        client_id=login.client_id,
        client_secret=login.client_secret,
        username=login.username,
        password="no",
    )
    assert (r.status_code, r.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "authentication failure"},
    )
    r = await _token(
        org,
        grant_type="password",
        client_id="other",
        client_secret="x",
        username=login.username,
        password=login.password,
    )
    assert r.json()["error"] == "invalid_client_id"
    r = await _token(
        org,
        grant_type="password",
        client_id=login.client_id,
        client_secret="x",
        username=login.username,
        password=login.password,
    )
    assert r.json()["error"] == "invalid_client"


async def test_grant_errors(org: Org) -> None:
    assert (await _token(org)).json()["error"] == "invalid_request"
    assert (await _token(org, grant_type="magic")).json() == {
        "error": "unsupported_grant_type",
        "error_description": "grant type not supported",
    }


async def test_client_credentials_form_and_basic(org: Org) -> None:
    login = org.engine.login
    r = await _token(
        org,
        grant_type="client_credentials",
        client_id=login.client_id,
        client_secret=login.client_secret,
    )
    assert await _works(org, r.json()["access_token"])
    basic = base64.b64encode(f"{login.client_id}:{login.client_secret}".encode()).decode()
    r = await org.http.post(
        "/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert "refresh_token" not in r.json() and await _works(org, r.json()["access_token"])


async def test_device_flow_refresh_and_revoke(org: Org) -> None:
    login = org.engine.login
    start = (await _token(org, response_type="device_code", client_id=login.client_id)).json()
    assert set(start) == {"device_code", "user_code", "verification_uri", "interval"}
    poll = {"grant_type": "device", "client_id": login.client_id, "code": start["device_code"]}
    for _ in range(2):  # auto-approval comes after two pending polls
        r = await _token(org, **poll)
        assert (r.status_code, r.json()["error"]) == (400, "authorization_pending")
    tokens = (await _token(org, **poll)).json()
    assert await _works(org, tokens["access_token"])
    assert (await _token(org, **poll)).json()["error"] == "invalid_grant"  # used once
    refreshed = await _token(
        org,
        grant_type="refresh_token",
        client_id=login.client_id,
        refresh_token=tokens["refresh_token"],
    )
    assert await _works(org, refreshed.json()["access_token"])
    assert "refresh_token" not in refreshed.json()
    assert (await org.http.post("/_emulator/revoke-refresh-tokens")).json() == {"revoked": 1}
    r = await _token(
        org,
        grant_type="refresh_token",
        client_id=login.client_id,
        refresh_token=tokens["refresh_token"],
    )
    assert r.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }


async def test_device_flow_with_manual_approval() -> None:
    config = replace(EngineConfig(), device_auto_approve_polls=None)
    org = make_org(config)
    async with org.http:
        login = org.engine.login
        start = (await _token(org, response_type="device_code", client_id=login.client_id)).json()
        poll = {"grant_type": "device", "client_id": login.client_id, "code": start["device_code"]}
        for _ in range(5):
            assert (await _token(org, **poll)).json()["error"] == "authorization_pending"
        r = await org.http.post("/_emulator/device/approve", json={"user_code": start["user_code"]})
        assert r.json() == {"approved": 1}
        assert "refresh_token" in (await _token(org, **poll)).json()


def _keys() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, pem


async def test_jwt_bearer_grant() -> None:
    key, pem = _keys()
    config = replace(EngineConfig(), login=replace(LoginConfig(), jwt_public_key_pem=pem))
    org = make_org(config)
    async with org.http:
        login = org.engine.login
        now = int(org.engine.now().timestamp())

        def assertion(**claims: object) -> str:
            base = {
                "iss": login.client_id,
                "sub": login.username,
                "aud": "https://login.salesforce.com",
                "exp": now + 120,
            }
            return jwt.encode({**base, **claims}, key, algorithm="RS256")

        grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
        r = await _token(org, grant_type=grant, assertion=assertion())
        assert r.status_code == 200 and await _works(org, r.json()["access_token"])
        cases = {
            "invalid_client_id": assertion(iss="someone-else"),
            "audience is invalid": assertion(aud="https://evil.example"),
            "invalid assertion": assertion(exp=now + 3600),
            "user hasn't approved this consumer": assertion(sub="nobody@example.com"),
        }
        for expected, token in cases.items():
            data = (await _token(org, grant_type=grant, assertion=token)).json()
            assert expected in (data["error"], data["error_description"])
        other, _ = _keys()
        forged = jwt.encode(
            {
                "iss": login.client_id,
                "sub": login.username,
                "aud": "https://login.salesforce.com",
                "exp": now + 60,
            },
            other,
            algorithm="RS256",
        )
        data = (await _token(org, grant_type=grant, assertion=forged)).json()
        assert data == {"error": "invalid_grant", "error_description": "invalid assertion"}
        await org.tick(600, renew=False)
        assert (await _token(org, grant_type=grant, assertion=assertion())).status_code == 400


async def test_expire_sessions_control(org: Org) -> None:
    assert (await org.http.post("/_emulator/expire-sessions")).json()["expired"] >= 1
    r = await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)
    assert r.status_code == 401
