"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
SPEC_JSON_DIR = SHARED_DIR / "spec-tests" / "json"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def spec_json_dir() -> Path:
    if not SPEC_JSON_DIR.is_dir():
        pytest.skip(f"spec suite not found at {SPEC_JSON_DIR} (expected ../shared beside the repo)")
    return SPEC_JSON_DIR
