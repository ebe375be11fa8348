"""A long watch: the poller runs for two hours of emulator time while sessions expire every
ten minutes (``expire-sessions-every``). Each expiry costs exactly one login, shared by the
concurrent requests that saw it, and nothing reaches the user: every snapshot is live with no
problem. The clock is the emulator's ManualClock, advanced by hand; nothing here waits."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest

from bulktui.api.client import BulkClient
from bulktui.api.retry import RetryPolicy
from bulktui.auth.authenticator import Authenticator
from bulktui.auth.profiles import Method, Profile
from bulktui.auth.secrets import SecretKind, SecretStore
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from bulktui.core.snapshot import LinkState, Snapshot
from bulktui.emulator.app import create_app
from bulktui.emulator.clock import ManualClock
from bulktui.emulator.demo import seed_demo
from bulktui.emulator.engine import Engine
from bulktui.emulator.faults import FaultSpec
from tests.auth.emu import SOAP, TOKEN, key_pair, make_engine

BASE = "http://127.0.0.1"
INTERVAL = 5.0
EXPIRE_EVERY = 600.0
WATCH_SECONDS = 2 * 3600


def _profile_and_store(method: Method, engine: Engine) -> tuple[Profile, SecretStore]:
    login = engine.login
    store = SecretStore.memory()
    if method is Method.OAUTH:
        profile = Profile(name="w", method=method, login_url=BASE, client_id=login.client_id)
        store.set(
            "w", SecretKind.REFRESH_TOKEN, engine.sessions.issue_refresh(engine.default_user.id)
        )
        store.set("w", SecretKind.CLIENT_SECRET, login.client_secret)
    elif method is Method.JWT:
        profile = Profile(
            name="w",
            method=method,
            login_url=BASE,
            client_id=login.client_id,
            username=login.username,
        )
        store.set("w", SecretKind.PRIVATE_KEY, key_pair()[0])
    else:
        profile = Profile(name="w", method=method, login_url=BASE, username=login.username)
        store.set("w", SecretKind.PASSWORD, login.password)
        store.set("w", SecretKind.SECURITY_TOKEN, login.security_token)
    return profile, store


@pytest.mark.parametrize("method", [Method.OAUTH, Method.JWT, Method.PASSWORD])
async def test_sessions_expiring_during_a_long_watch(method: Method) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = make_engine(clock)
    seed_demo(engine, random.Random(7))
    expiries = 0
    expire_all = engine.sessions.expire_all

    def counted_expire_all() -> int:
        nonlocal expiries
        expiries += 1
        return expire_all()

    engine.sessions.expire_all = counted_expire_all  # type: ignore[method-assign]
    app = create_app(engine, FaultSpec.parse(f"expire-sessions-every={EXPIRE_EVERY:g}"))
    transport = httpx.ASGITransport(app=app)
    profile, store = _profile_and_store(method, engine)
    auth = Authenticator(
        profile, store, transport=transport, wall_clock=lambda: clock.now().timestamp()
    )

    async def no_sleep(seconds: float) -> None:
        del seconds

    snapshots: list[Snapshot] = []
    connection = await auth.connection()
    client = BulkClient(
        connection,
        transport=transport,
        reauthenticate=auth.reauthenticate,
        retry=RetryPolicy(sleep=no_sleep),
    )
    logins_at_start = engine.stats[SOAP] + engine.stats[TOKEN]
    async with client:
        poller = Poller(client, PollerConfig(interval=INTERVAL), clock=clock)
        poller.add_listener(snapshots.append)
        elapsed = 0.0
        while elapsed < WATCH_SECONDS:
            await poller.cycle()
            clock.advance(INTERVAL)
            elapsed += INTERVAL
    logins = engine.stats[SOAP] + engine.stats[TOKEN] - logins_at_start
    # Exactly one login per expiry, however many requests were in flight when it hit.
    assert expiries == int(WATCH_SECONDS // EXPIRE_EVERY) - 1  # at 10, 20, ..., 110 minutes
    assert logins == expiries
    assert auth.logins == logins + 1  # plus the first login above
    assert snapshots and all(s.problem is None for s in snapshots), [
        s.problem for s in snapshots if s.problem
    ][:3]
    assert all(s.link is LinkState.LIVE for s in snapshots)
    assert len(snapshots[-1].jobs) > 10


async def _revoked_watch(heal: bool) -> tuple[list[Snapshot], Authenticator, Engine]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = make_engine(clock)
    seed_demo(engine, random.Random(7))
    transport = httpx.ASGITransport(app=create_app(engine))
    profile, store = _profile_and_store(Method.OAUTH, engine)
    auth = Authenticator(profile, store, transport=transport, clock=lambda: clock.now().timestamp())

    async def no_sleep(seconds: float) -> None:
        del seconds

    snapshots: list[Snapshot] = []
    client = BulkClient(
        await auth.connection(),
        transport=transport,
        reauthenticate=auth.reauthenticate,
        retry=RetryPolicy(sleep=no_sleep),
    )
    async with client:
        poller = Poller(client, PollerConfig(interval=INTERVAL), clock=clock)
        poller.add_listener(snapshots.append)
        await poller.cycle()
        engine.sessions.revoke_refresh_tokens()
        engine.sessions.expire_all()
        logins = engine.stats[TOKEN]
        for _ in range(10):  # ten cycles, an hour apart: at most one login attempt each
            clock.advance(3600)
            await poller.cycle()
        assert engine.stats[TOKEN] - logins <= 10
        if heal:
            # The user runs the fix command in another terminal: a new refresh token lands
            # in the keyring; the running console should pick it up on its next attempt.
            new = engine.sessions.issue_refresh(engine.default_user.id)
            await store.aset("w", SecretKind.REFRESH_TOKEN, new)
            clock.advance(3600)
            await poller.cycle()
    return snapshots, auth, engine


async def test_a_revoked_refresh_token_reaches_the_user_in_plain_words() -> None:
    snapshots, _, _ = await _revoked_watch(heal=False)
    last = snapshots[-1]
    assert last.link is LinkState.STALE
    assert last.problem is not None
    assert "refresh token was revoked or has expired" in last.problem
    assert "bulktui login --profile w --method oauth --device" in last.problem
    assert len(last.jobs) > 10  # the last data stays on screen


async def test_the_console_heals_after_the_fix_command() -> None:
    snapshots, _, _ = await _revoked_watch(heal=True)
    assert snapshots[-1].link is LinkState.LIVE
