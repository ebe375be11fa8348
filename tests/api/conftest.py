"""Fixtures for the client tests: a client wired to a scripted MockTransport."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection, ReauthHook
from bulktui.api.retry import RetryPolicy
from tests.api.api_fakes import INSTANCE, SESSION, Answer, FakeClock, Script


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(fake_clock: FakeClock) -> Callable[..., tuple[BulkClient, Script]]:
    def make(
        *answers: Answer,
        reauthenticate: ReauthHook | None = None,
        retry: RetryPolicy | None = None,
        **kw: object,
    ) -> tuple[BulkClient, Script]:
        script = Script(list(answers))
        policy = retry or RetryPolicy(
            sleep=fake_clock.sleep, clock=fake_clock.clock, random=lambda: 0.5
        )
        client = BulkClient(
            Connection(INSTANCE, SESSION),
            transport=script.transport,
            reauthenticate=reauthenticate,
            retry=policy,
            **kw,  # type: ignore[arg-type]
        )
        return client, script

    return make
