"""Placeholder: subcommands registered here arrive with their issue."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    del sub
