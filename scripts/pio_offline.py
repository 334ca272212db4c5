"""Supply PlatformIO's `tool-scons` package from PyPI's scons, so `pio run` needs no registry.

PlatformIO runs `<tool-scons>/scons.py`; a package folder with package.json and a .piopm
naming owner `platformio` is accepted as installed. Idempotent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCONS_VERSION = "4.41101.0"  # PlatformIO's encoding of scons 4.11.1

SCONS_PY = """\
import sys
from SCons.Script import main

if __name__ == "__main__":
    sys.exit(main())
"""


def ensure_tool_scons(core_dir: Path) -> Path:
    pkg = core_dir / "packages" / "tool-scons"
    pkg.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": "tool-scons",
        "version": SCONS_VERSION,
        "description": "SCons from PyPI, supplied locally by wasmote",
    }
    piopm = {
        "type": "tool",
        "name": "tool-scons",
        "version": SCONS_VERSION,
        "spec": {"owner": "platformio", "id": 0, "name": "tool-scons", "requirements": None,
                 "uri": None},
    }
    files = {
        "package.json": json.dumps(manifest, indent=2),
        ".piopm": json.dumps(piopm),
        "scons.py": SCONS_PY,
    }
    for name, text in files.items():
        path = pkg / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return pkg


if __name__ == "__main__":
    ensure_tool_scons(Path(sys.argv[1]))
