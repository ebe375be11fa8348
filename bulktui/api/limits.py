"""The ``Sforce-Limit-Info`` response header (docs/wire-facts.md §4.2, §12)."""

from __future__ import annotations

import re

from bulktui.api.models import ApiUsage

# ASCII digits, at most 12 (an org's daily limit is in the millions): a 5,000-digit number
# would otherwise make int() raise, and Unicode digits are not numbers on the wire.
_API_USAGE = re.compile(r"api-usage=([0-9]{1,12})/([0-9]{1,12})(?![0-9])", re.ASCII)


def parse_limit_info(value: str | None) -> ApiUsage | None:
    """``api-usage=18/15000`` (newer servers append ``; api-bursts=a/b``) → ApiUsage."""
    if not value or len(value) > 1024:
        return None
    match = _API_USAGE.search(value)
    if match is None:
        return None
    return ApiUsage(used=int(match.group(1)), limit=int(match.group(2)))
