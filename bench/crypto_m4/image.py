"""Builds a bare-metal QEMU image of the crypto core plus one `main` C file that defines
wm_app_main, with the board's start-up and port (bench/bare_image.py). The default board is
mps2-an386 (Cortex-M4); any QEMU board of the repo works (riscv32-virt too). Used by
bench/crypto_verify.py and by tests/crypto (the crypto on the real target instruction
sets)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bare_image import ImageBuildError, build_bare_image, load_board_json
from wasmote.build_desc import build_desc
from wasmote.paths import FIRMWARE_DIR

__all__ = ["CRYPTO_SRC", "WARN", "ImageBuildError", "TargetImage", "build_image"]

CRYPTO_SRC = FIRMWARE_DIR / "src" / "core" / "crypto"
WARN = list(build_desc().warnings)  # the firmware's warnings (firmware/build.json)


@dataclass
class TargetImage:
    elf: Path
    board: dict[str, Any]

    def qemu_command(self) -> list[str]:
        """Deterministic: with -icount shift=0 one instruction is 1 ns of virtual time."""
        qemu = self.board["wasmote"]["qemu"]
        return [qemu["system"], "-M", qemu["machine"], *qemu.get("args", []), "-kernel",
                str(self.elf), "-display", "none", "-monitor", "none", "-serial", "stdio",
                "-icount", "shift=0,align=off,sleep=off"]


def build_image(main_c: Path, out: Path, opt: str = "-Os",
                include_dirs: tuple[Path, ...] = (), board_name: str = "mps2-an386",
                extra_sources: tuple[Path, ...] = ()) -> TargetImage:
    elf = build_bare_image([*sorted(CRYPTO_SRC.glob("*.c")), *extra_sources, main_c], out,
                           main_c.stem + ".elf", board_name=board_name, opt=opt,
                           include_dirs=include_dirs)
    return TargetImage(elf, load_board_json(board_name))
