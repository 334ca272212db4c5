"""Where the repository's non-Python parts live (firmware sources, boards, build output)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent
FIRMWARE_DIR = REPO_ROOT / "firmware"
BOARDS_DIR = REPO_ROOT / "boards"
BUILD_DIR = Path(os.environ.get("WASMOTE_BUILD_DIR", REPO_ROOT / "build"))
