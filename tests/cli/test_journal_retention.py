"""BULKTUI_JOURNAL_DAYS sets how long the journal keeps a job; a bad value is one line."""

from __future__ import annotations

import pytest

from bulktui.cli.common import UsageError
from bulktui.cli.history_cmd import retention_days


def test_retention_days_from_the_environment() -> None:
    assert retention_days({}) is None
    assert retention_days({"BULKTUI_JOURNAL_DAYS": "30"}) == 30
    for bad in ("0", "-1", "3.5", "²", "99999999", "thirty"):
        with pytest.raises(UsageError, match="BULKTUI_JOURNAL_DAYS"):
            retention_days({"BULKTUI_JOURNAL_DAYS": bad})
