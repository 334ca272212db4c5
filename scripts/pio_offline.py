"""Supply PlatformIO's `tool-scons` package from PyPI's scons, so `pio run` needs no registry.

Called by scripts/bootstrap.sh with the core dir; the logic lives in the package
(wasmote.firmware.ensure_tool_scons), which `wasmote build` also calls. Idempotent.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wasmote.firmware import ensure_tool_scons

if __name__ == "__main__":
    ensure_tool_scons(Path(sys.argv[1]))
