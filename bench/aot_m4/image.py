"""Builds the bare-metal QEMU image of bench/aot.py: the runtime core (interpreter, AOT
loader, package parser), the workloads as native code (objects from bench/workloads.py) and
aot_bench_main.c, with the board's start-up and port (bench/bare_image.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.bare_image import ImageBuildError, build_bare_image

__all__ = ["ImageBuildError", "build_image"]


def build_image(sources: Sequence[Path], include_dirs: Sequence[Path], out: Path,
                board_name: str = "mps2-an386", opt: str = "-O2",
                objects: Sequence[Path] = ()) -> Path:
    return build_bare_image(sources, out, "aot_bench.elf", board_name=board_name, opt=opt,
                            include_dirs=include_dirs, extra_cflags=["-ffp-contract=off"],
                            objects=objects)
