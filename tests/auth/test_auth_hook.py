"""The ReauthHook's own guarantees, against a scripted token endpoint (httpx.MockTransport):
one shared refresh for concurrent callers, a plain-words error with the fix command, and no
more than one login attempt per minute after a failure (on a manual clock)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from bulktui.api.errors import ReauthenticationError
from bulktui.auth.authenticator import Authenticator
from bulktui.auth.profiles import Method, Profile
from bulktui.auth.secrets import SecretKind, SecretStore

INSTANCE = "https://acme.my.salesforce.com"


class TokenEndpoint:
    def __init__(self) -> None:
        self.calls = 0
        self.revoked = False
        self.gate: asyncio.Event | None = None

    async def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/services/oauth2/token"
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.revoked:
            return httpx.Response(
                400,
                json={
                    "error": "invalid_grant",
                    "error_description": "expired access/refresh token",
                },
            )
        form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
        assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "rt-1"
        return httpx.Response(
            200, json={"access_token": f"00Dxx!AQtoken{self.calls}", "instance_url": INSTANCE}
        )


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(endpoint: TokenEndpoint, clock: ManualClock) -> tuple[Authenticator, SecretStore]:
    profile = Profile(name="prod", method=Method.OAUTH, client_id="cid", instance_url=INSTANCE)
    store = SecretStore.memory()
    store.set("prod", SecretKind.REFRESH_TOKEN, "rt-1")
    auth = Authenticator(
        profile, store, transport=httpx.MockTransport(endpoint.handle), clock=clock
    )
    return auth, store


async def test_concurrent_callers_share_one_refresh() -> None:
    endpoint, clock = TokenEndpoint(), ManualClock()
    endpoint.gate = asyncio.Event()
    auth, store = make(endpoint, clock)
    tasks = [asyncio.create_task(auth.reauthenticate()) for _ in range(10)]
    await asyncio.sleep(0.01)
    endpoint.gate.set()
    connections = await asyncio.gather(*tasks)
    assert endpoint.calls == 1 and auth.logins == 1
    assert {c.session_id for c in connections} == {"00Dxx!AQtoken1"}
    cached = json.loads(store.get("prod", SecretKind.ACCESS_TOKEN) or "{}")
    assert cached == {"access_token": "00Dxx!AQtoken1", "instance_url": INSTANCE}


async def test_a_cancelled_caller_does_not_cancel_the_shared_refresh() -> None:
    endpoint, clock = TokenEndpoint(), ManualClock()
    endpoint.gate = asyncio.Event()
    auth, _ = make(endpoint, clock)
    first = asyncio.create_task(auth.reauthenticate())
    second = asyncio.create_task(auth.reauthenticate())
    await asyncio.sleep(0.01)
    first.cancel()
    endpoint.gate.set()
    assert (await second).session_id == "00Dxx!AQtoken1"
    assert endpoint.calls == 1


async def test_cached_token_means_no_login() -> None:
    endpoint, clock = TokenEndpoint(), ManualClock()
    auth, _ = make(endpoint, clock)
    await auth.reauthenticate()
    again, _ = make(endpoint, clock)
    again.store = auth.store
    connection = await again.connection()
    assert connection.session_id == "00Dxx!AQtoken1" and endpoint.calls == 1


async def test_revoked_refresh_token_plain_words_and_rate_limit() -> None:
    endpoint, clock = TokenEndpoint(), ManualClock()
    auth, _ = make(endpoint, clock)
    endpoint.revoked = True
    with pytest.raises(ReauthenticationError) as info:
        await auth.reauthenticate()
    message = str(info.value)
    assert "refresh token was revoked or has expired" in message
    assert "To fix it, run: bulktui login --profile prod --method oauth --device" in message
    assert "rt-1" not in message
    # Callers keep asking; the login endpoint hears from us at most once a minute.
    for _ in range(50):
        clock.now += 1
        with pytest.raises(ReauthenticationError, match="next try in"):
            await auth.reauthenticate()
    assert endpoint.calls == 1
    clock.now += 11  # 61 s after the failure
    with pytest.raises(ReauthenticationError):
        await auth.reauthenticate()
    assert endpoint.calls == 2
    # The user ran the fix command elsewhere: the next attempt re-reads the keyring and heals.
    endpoint.revoked = False
    clock.now += 60
    assert (await auth.reauthenticate()).session_id == "00Dxx!AQtoken3"


async def test_session_method_says_it_cannot_renew() -> None:
    profile = Profile(name="s", method=Method.SESSION, instance_url=INSTANCE)
    store = SecretStore.memory()
    store.set("s", SecretKind.ACCESS_TOKEN, "00Dxx!AQpasted")
    auth = Authenticator(profile, store)
    assert (await auth.connection()).session_id == "00Dxx!AQpasted"
    with pytest.raises(ReauthenticationError) as info:
        await auth.reauthenticate()
    assert "a pasted session cannot be renewed" in str(info.value)
    assert "bulktui login --profile s --method session" in str(info.value)
