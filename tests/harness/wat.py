"""Modules written as WAT in a test, assembled with wabt's wat2wasm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def wat_module(tmp_path_factory: pytest.TempPathFactory, name: str, wat: str) -> Path:
    """`wat` assembled into a fresh directory; the test skips when wabt is absent."""
    if shutil.which("wat2wasm") is None:
        pytest.skip("wat2wasm (wabt) is not installed")
    d = tmp_path_factory.mktemp(name)
    (d / "m.wat").write_text(wat)
    subprocess.run(["wat2wasm", str(d / "m.wat"), "-o", str(d / "m.wasm")], check=True)
    return d / "m.wasm"
