"""Shared fixtures: paths into the repository's test data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "test-data"
RECORDS = TEST_DATA / "records"
OLD_RECORDS = RECORDS / "old-schema" / "_figures"
CURRENT_RECORDS = RECORDS / "current-schema"


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture
def records() -> Path:
    return RECORDS
