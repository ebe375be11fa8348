"""The one check of ids that go into a URL path, for every resource (1.0 and 2.0)."""

from __future__ import annotations

import re

from bulktui.api.ids import InvalidIdError

_PATH_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def path_id(value: str) -> str:
    """An id that is safe to put in a URL path (15 or 18 letters and digits)."""
    value = value.strip()
    if not _PATH_ID.fullmatch(value):
        raise InvalidIdError(f"{value!r} is not a Salesforce id: expected 15 or 18 letters/digits")
    return value
