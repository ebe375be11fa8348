"""The ``Sforce-Limit-Info`` response header (reference §4.2)."""

from __future__ import annotations

import re

from bulktui.api.models import ApiUsage

_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


def parse_limit_info(value: str | None) -> ApiUsage | None:
    """``api-usage=18/15000`` (newer servers append ``; api-bursts=a/b``) → ApiUsage."""
    if not value:
        return None
    match = _API_USAGE.search(value)
    if match is None:
        return None
    return ApiUsage(used=int(match.group(1)), limit=int(match.group(2)))
