"""Every CLI test runs in the shared throwaway home (tests/support/home.py), and without a
journal unless it asks for one (``--journal PATH``), so the job commands' requests stay what
each test expects. Subprocesses inherit both."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_journal(journal_off: None) -> None:
    return None
