from __future__ import annotations

from pathlib import Path

import pytest

CAPTURED = Path(__file__).parent / "fixtures" / "captured"


@pytest.fixture
def captured() -> Path:
    """Real Salesforce responses recorded by other projects (see fixtures/captured/README.md)."""
    return CAPTURED
