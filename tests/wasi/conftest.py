"""Fixtures of the WASI tests: the official suite's folder (skipped only when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_DIR

WASI_SUITE_DIR = SHARED_DIR / "wasi-testsuite"


@pytest.fixture(scope="session")
def wasi_suite_dir() -> Path:
    if not WASI_SUITE_DIR.is_dir():
        pytest.skip(f"WASI test suite not found at {WASI_SUITE_DIR} (expected ../shared "
                    "beside the repo)")
    return WASI_SUITE_DIR


@pytest.fixture(scope="session")
def tour_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """programs/libc_tour.c built once with zig cc -target wasm32-wasi."""
    from tests.wasi.programs import build_tour

    return build_tour(tmp_path_factory.mktemp("tour"))


@pytest.fixture(scope="session")
def fib_wasm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """programs/fib.ts built once per AssemblyScript runtime (asc takes seconds)."""
    from tests.wasi.programs import build_fib

    out = tmp_path_factory.mktemp("fib")
    return {rt: build_fib(out, rt) for rt in ("stub", "incremental")}
