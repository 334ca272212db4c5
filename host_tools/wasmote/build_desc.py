"""The firmware's one build description (firmware/build.json) as Python sees it.

Every build of the device C reads it: the posix build, the fuzzers, the bench's bare-metal
images here, and PlatformIO's builders (which read the same JSON with the standard library:
SCons cannot import this package). What stays with each build is what only it knows: the
CPU flags (boards/*.json), a host variant's optimisation and sanitizers, an environment's
sources (platformio.ini).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wasmote.errors import WasmoteError
from wasmote.paths import FIRMWARE_DIR

BUILD_DESC = FIRMWARE_DIR / "build.json"


class BuildDescError(WasmoteError):
    """firmware/build.json is missing or malformed."""


@dataclass(frozen=True)
class BuildDesc:
    """The flags and folders every build of the firmware's C shares."""

    firmware_dir: Path
    components: tuple[str, ...]      # folders under src/core
    include_dirs: tuple[str, ...]    # relative to firmware/, before the components' folders
    c_std: str
    warnings: tuple[str, ...]
    defines: tuple[str, ...]         # NAME or NAME=VALUE
    optimize: str                    # the target images' optimisation
    debug: tuple[str, ...]
    codegen: tuple[str, ...]         # freestanding code generation for the target images
    link: tuple[str, ...]
    libs: tuple[str, ...]

    @property
    def core_dir(self) -> Path:
        return self.firmware_dir / "src" / "core"

    def include_paths(self) -> list[Path]:
        """The include path of every build: the listed folders, then each component's own
        (core folders include each other's headers by bare name)."""
        return [*(self.firmware_dir / d for d in self.include_dirs),
                *(self.core_dir / c for c in self.components)]

    def include_flags(self) -> list[str]:
        return [f"-I{d}" for d in self.include_paths()]

    def common_flags(self) -> list[str]:
        """-std, warnings and defines: what host and target builds alike compile with."""
        return [f"-std={self.c_std}", *self.warnings, *(f"-D{d}" for d in self.defines)]

    def target_flags(self, optimize: str | None = None) -> list[str]:
        """A bare-metal image's compile flags before the CPU's: common flags, optimisation
        (the description's unless a bench asks for another) and freestanding codegen."""
        return [*self.common_flags(), optimize or self.optimize, *self.codegen]

    def core_sources(self, suffix: str = ".c") -> list[Path]:
        """Every source of the listed components (`.S`: assembly)."""
        return sorted(p for c in self.components for p in (self.core_dir / c).rglob(f"*{suffix}"))


def _strings(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BuildDescError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _string(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise BuildDescError(f"{where}: '{key}' must be a string")
    return value


def parse_build_desc(path: Path) -> BuildDesc:
    """Reads a build description; the firmware folder is the one it lies in."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise BuildDescError(f"cannot read {path}: {e}") from e
    target = raw.get("target") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(target, dict):
        raise BuildDescError(f"{path}: expected an object with a 'target' object")
    where = str(path)
    return BuildDesc(
        firmware_dir=path.parent,
        components=_strings(raw, "components", where),
        include_dirs=_strings(raw, "include_dirs", where),
        c_std=_string(raw, "c_std", where),
        warnings=_strings(raw, "warnings", where),
        defines=_strings(raw, "defines", where),
        optimize=_string(target, "optimize", where + " target"),
        debug=_strings(target, "debug", where + " target"),
        codegen=_strings(target, "codegen", where + " target"),
        link=_strings(target, "link", where + " target"),
        libs=_strings(target, "libs", where + " target"),
    )


@cache
def build_desc() -> BuildDesc:
    """The repository's build description (read once)."""
    return parse_build_desc(BUILD_DESC)
