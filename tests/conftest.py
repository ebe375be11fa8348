from __future__ import annotations

from pathlib import Path

import pytest

# Every test runs in a throwaway home (autouse); see tests/support/home.py.
from tests.support.home import fail_keyring as fail_keyring
from tests.support.home import isolated_home as isolated_home
from tests.support.home import journal_off as journal_off

CAPTURED = Path(__file__).parent / "fixtures" / "captured"


@pytest.fixture
def captured() -> Path:
    """Real Salesforce responses recorded by other projects (see fixtures/captured/README.md)."""
    return CAPTURED
