"""The demo org (``--seed demo``): filled in by the next commit."""

from __future__ import annotations

import random

from bulktui.emulator.engine import Engine


def seed_demo(engine: Engine, rng: random.Random) -> None:
    del engine, rng
