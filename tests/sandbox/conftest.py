from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.sandbox.sandbox_support import build_harness


@pytest.fixture(scope="session")
def harness() -> Path:
    if shutil.which("wat2wasm") is None:
        pytest.skip("wat2wasm (wabt) not installed; scripts/bootstrap.sh installs it")
    return build_harness("asan")
