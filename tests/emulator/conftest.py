from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .helpers import Org, make_org


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    o = make_org()
    async with o.http:
        yield o
