"""A SOAP login() answer carrying a DTD is refused before ElementTree can expand it."""

from __future__ import annotations

import re

import httpx
import pytest

from bulktui.auth.endpoints import soap_login
from bulktui.auth.errors import LoginTransportError
from bulktui.emulator import Engine, SystemClock, create_app

DTD = b'<!DOCTYPE e [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'


async def _login(transport: httpx.AsyncBaseTransport, password: str) -> object:
    async with httpx.AsyncClient(transport=transport) as http:
        return await soap_login(
            http, "http://emulator.test", "64.0", "ops@bulktui.example", password
        )


async def test_soap_login_refuses_an_answer_with_a_dtd() -> None:
    engine = Engine(SystemClock())
    password = engine.login.password + engine.login.security_token
    real = httpx.ASGITransport(app=create_app(engine))
    assert await _login(real, password)  # the untouched answer is a good login

    async def with_dtd(request: httpx.Request) -> httpx.Response:
        async with httpx.AsyncClient(transport=real) as http:
            answer = await http.send(request)
        body = re.sub(rb"(<\?xml[^>]*\?>)", rb"\1" + DTD, answer.content, count=1)
        body = re.sub(rb"(<sessionId>)[^<]*", rb"\1&lol2;", body, count=1)
        return httpx.Response(200, content=body, headers=answer.headers)

    with pytest.raises(LoginTransportError, match="not a login answer"):
        await _login(httpx.MockTransport(with_dtd), password)
