"""The login endpoints on the wire: SOAP ``login()``, the OAuth token endpoint (password,
refresh token, JWT bearer, device flow) and ``/services/oauth2/userinfo``.

Wire facts: docs/wire-facts.md §7. Nothing here logs or raises a secret: errors
carry the server's error code and description, never the form that was sent.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import httpx

from bulktui import __version__
from bulktui.api.errors import ProxySettingError, ResponseFormatError, TransportError
from bulktui.api.exchange import environment_client
from bulktui.api.exchange import ssl_context as api_ssl_context
from bulktui.api.proxies import check_proxy_environment
from bulktui.api.wire import parse_xml_element
from bulktui.auth.errors import LoginRejectedError, LoginTransportError
from bulktui.text import one_line

TOKEN_PATH = "/services/oauth2/token"
SOAP_LOGIN_MAX_VERSION = 64.0  # login() is not available from API 65.0 (docs/wire-facts.md §7.1)
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_MAX_TEXT = 300


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    instance_url: str
    refresh_token: str | None = None
    identity_url: str | None = None

    def __repr__(self) -> str:  # never print the tokens
        return f"Token(instance_url={self.instance_url!r})"


@dataclass(frozen=True, slots=True)
class DeviceCode:
    device_code: str
    user_code: str
    verification_uri: str
    interval: float
    expires_in: float | None

    def __repr__(self) -> str:
        return f"DeviceCode(user_code={self.user_code!r}, uri={self.verification_uri!r})"


def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """The client's context (verification always on, plus an extra CA bundle), with the
    login layer's error type."""
    try:
        return api_ssl_context(ca_file)
    except TransportError as exc:
        raise LoginTransportError(exc.message) from None


def make_http(
    ca_file: str | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The login server's client: through the environment's proxies like the API's (a login
    that went direct failed on a jump host whose only way out is HTTPS_PROXY)."""
    common: dict[str, Any] = {
        "timeout": _TIMEOUT,
        "headers": {"User-Agent": f"bulktui/{__version__}"},
        "follow_redirects": False,
    }
    if transport is not None:
        return httpx.AsyncClient(transport=transport, trust_env=False, **common)
    try:
        check_proxy_environment()
    except ProxySettingError as exc:
        raise LoginTransportError(exc.message) from None
    return environment_client(ssl_context(ca_file), **common)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


async def _post(http: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await http.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise LoginTransportError(
            f"cannot reach the login server {_host(url)}: {type(exc).__name__}"
            + (f" ({one_line(str(exc))[:_MAX_TEXT]})" if str(exc) else "")
        ) from None


def _json(response: httpx.Response) -> Mapping[str, Any] | None:
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _not_a_login_answer(response: httpx.Response, what: str) -> LoginTransportError:
    ctype = response.headers.get("content-type", "no content type")
    return LoginTransportError(
        f"{what} at {_host(str(response.request.url))} answered HTTP {response.status_code} "
        f"({ctype.split(';')[0]}), not a login answer"
    )


def _token_from(data: Mapping[str, Any], response: httpx.Response) -> Token:
    access = data.get("access_token")
    instance = data.get("instance_url")
    if not isinstance(access, str) or not access or not isinstance(instance, str):
        raise _not_a_login_answer(response, "the token endpoint")
    refresh = data.get("refresh_token")
    ident = data.get("id")
    return Token(
        access_token=access,
        instance_url=instance.rstrip("/"),
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        identity_url=ident if isinstance(ident, str) else None,
    )


class TokenEndpointError(LoginRejectedError):
    """HTTP 400 from the token endpoint: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str) -> None:
        text = f"{error}: {description}" if description else error
        super().__init__(text, code=error)
        self.error = error
        self.description = description


async def token_request(http: httpx.AsyncClient, login_url: str, form: Mapping[str, str]) -> Token:
    """POST the form to ``/services/oauth2/token``; a ``Token`` or ``TokenEndpointError``."""
    response = await _post(
        http,
        login_url.rstrip("/") + TOKEN_PATH,
        data=dict(form),
        headers={"Accept": "application/json"},
    )
    data = _json(response)
    if response.status_code == 200 and data is not None:
        return _token_from(data, response)
    if data is not None and isinstance(data.get("error"), str):
        raise TokenEndpointError(
            one_line(data["error"])[:80],
            one_line(str(data.get("error_description") or ""))[:_MAX_TEXT],
        )
    raise _not_a_login_answer(response, "the token endpoint")


def soap_version(api_version: str) -> str:
    """login() exists up to 64.0: log in there, the session works at any version."""
    try:
        wanted = float(api_version)
    except ValueError:
        return f"{SOAP_LOGIN_MAX_VERSION:.1f}"
    return api_version if wanted <= SOAP_LOGIN_MAX_VERSION else f"{SOAP_LOGIN_MAX_VERSION:.1f}"


_SOAP_LOGIN = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">
  <env:Body>
    <n1:login xmlns:n1="urn:partner.soap.sforce.com">
      <n1:username>{username}</n1:username>
      <n1:password>{password}</n1:password>
    </n1:login>
  </env:Body>
</env:Envelope>"""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> ET.Element | None:
    for element in root.iter():
        if _local(element.tag) == name:
            return element
    return None


async def soap_login(
    http: httpx.AsyncClient, login_url: str, api_version: str, username: str, password: str
) -> Token:
    """Partner SOAP ``login()``. ``password`` is the password followed by the security token."""
    body = _SOAP_LOGIN.format(username=xml_escape(username), password=xml_escape(password))
    response = await _post(
        http,
        f"{login_url.rstrip('/')}/services/Soap/u/{soap_version(api_version)}",
        content=body.encode("utf-8"),
        headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"},
    )
    try:
        root = parse_xml_element(response.content)  # the one XML guard (DTDs refused)
    except ResponseFormatError:
        raise _not_a_login_answer(response, "SOAP login()") from None
    fault = _find(root, "Fault")
    if fault is not None:
        code_el = _find(fault, "exceptionCode")
        code = (code_el.text or "") if code_el is not None else ""
        if not code:
            faultcode = _find(fault, "faultcode")
            code = ((faultcode.text or "") if faultcode is not None else "").rsplit(":", 1)[-1]
        message_el = _find(fault, "exceptionMessage")
        if message_el is None:
            message_el = _find(fault, "faultstring")
        message = (message_el.text or "") if message_el is not None else ""
        message = one_line(message.removeprefix(f"{code}: "))[:_MAX_TEXT]
        raise LoginRejectedError(f"{code}: {message}" if code else message, code=code)
    session = _find(root, "sessionId")
    server = _find(root, "serverUrl")
    if session is None or not session.text or server is None or not server.text:
        raise _not_a_login_answer(response, "SOAP login()")
    parts = urlsplit(server.text.strip())
    return Token(access_token=session.text.strip(), instance_url=f"{parts.scheme}://{parts.netloc}")


async def device_start(
    http: httpx.AsyncClient, login_url: str, client_id: str, scope: str = "api refresh_token"
) -> DeviceCode:
    response = await _post(
        http,
        login_url.rstrip("/") + TOKEN_PATH,
        data={"response_type": "device_code", "client_id": client_id, "scope": scope},
        headers={"Accept": "application/json"},
    )
    data = _json(response)
    if data is not None and response.status_code != 200 and isinstance(data.get("error"), str):
        raise TokenEndpointError(
            one_line(data["error"])[:80],
            one_line(str(data.get("error_description") or ""))[:_MAX_TEXT],
        )
    if response.status_code != 200 or data is None:
        raise _not_a_login_answer(response, "the device flow")
    try:
        interval = float(data.get("interval") or 5)
        expires = data.get("expires_in")
        return DeviceCode(
            device_code=str(data["device_code"]),
            user_code=str(data["user_code"]),
            verification_uri=str(data["verification_uri"]),
            interval=max(interval, 0.0),
            expires_in=float(expires) if expires is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        raise _not_a_login_answer(response, "the device flow") from None


Sleep = Callable[[float], Awaitable[None]]
_sleep: Sleep = asyncio.sleep  # the device flow's wait between polls (tests replace it)


async def device_poll(
    http: httpx.AsyncClient,
    login_url: str,
    client_id: str,
    code: DeviceCode,
    *,
    sleep: Sleep | None = None,
    max_polls: int = 1000,
) -> Token:
    """Poll until the user approves (or denies, or the code expires)."""
    sleep = sleep or _sleep
    interval = code.interval
    for _ in range(max_polls):
        await sleep(interval)
        try:
            return await token_request(
                http,
                login_url,
                {"grant_type": "device", "client_id": client_id, "code": code.device_code},
            )
        except TokenEndpointError as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += 5
                continue
            if exc.error == "access_denied":
                raise LoginRejectedError(
                    "the device login was denied in the browser", code=exc.error
                ) from None
            if exc.error == "expired_token":
                raise LoginRejectedError(
                    "the device code expired before it was approved: run the command again",
                    code=exc.error,
                ) from None
            raise
    raise LoginRejectedError("gave up waiting for the device login to be approved")


async def userinfo(
    http: httpx.AsyncClient, instance_url: str, access_token: str
) -> Mapping[str, Any]:
    """One API call that proves a token works: ``GET /services/oauth2/userinfo``."""
    url = instance_url.rstrip("/") + "/services/oauth2/userinfo"
    try:
        response = await http.get(
            url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        )
    except httpx.HTTPError as exc:
        raise LoginTransportError(f"cannot reach {_host(url)}: {type(exc).__name__}") from None
    data = _json(response)
    if response.status_code == 200 and data is not None:
        return data
    if response.status_code in (401, 403):
        raise LoginRejectedError(
            f"{_host(url)} refused the new session (HTTP {response.status_code})",
            code="INVALID_SESSION_ID",
        )
    raise _not_a_login_answer(response, "userinfo")
