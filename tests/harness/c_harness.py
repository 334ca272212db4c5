"""The C test programs' shared header (tests/harness/c/harness.h: checks, bit casts, file
reading, wasm values): the folder every build of one puts on its include path."""

from __future__ import annotations

from pathlib import Path

INCLUDE_DIR = Path(__file__).resolve().parent / "c"
