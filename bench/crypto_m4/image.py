"""Builds a bare-metal Cortex-M4 image (QEMU mps2-an386) of the crypto core plus one `main`
C file that defines wm_app_main, linked with the firmware's own mps2 start-up and port
(firmware/src/port/mps2) and a MEMORY block generated from boards/mps2-an386.json, the same
way the firmware's PlatformIO platform does. Used by bench/crypto_verify.py and by
tests/crypto (the crypto on the real target instruction set)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CRYPTO_SRC = REPO / "firmware" / "src" / "core" / "crypto"
PORT_DIR = REPO / "firmware" / "src" / "port" / "mps2"
BOARD = REPO / "boards" / "mps2-an386.json"
WARN = ["-Wall", "-Wextra", "-Werror"]


class ImageBuildError(Exception):
    """The cross compiler refused; the message carries its output."""


@dataclass
class M4Image:
    elf: Path
    board: dict[str, Any]

    def qemu_command(self) -> list[str]:
        """Deterministic: with -icount shift=0 one instruction is 1 ns of virtual time."""
        qemu = self.board["wasmote"]["qemu"]
        return [qemu["system"], "-M", qemu["machine"], "-kernel", str(self.elf), "-display",
                "none", "-monitor", "none", "-serial", "stdio", "-icount",
                "shift=0,align=off,sleep=off"]


def build_image(main_c: Path, out: Path, opt: str = "-Os",
                include_dirs: tuple[Path, ...] = ()) -> M4Image:
    board = json.loads(BOARD.read_text())
    wm = board["wasmote"]
    out.mkdir(parents=True, exist_ok=True)
    mem = wm["memory"]
    regions = [("FLASH", "rx", mem["flash"]), ("STORE", "rw", mem["store"]),
               ("RAM", "rwx", mem["ram"])]
    ld = "MEMORY\n{\n" + "".join(
        f"    {n} ({a}) : ORIGIN = {int(str(r['base']), 0):#010x}, LENGTH = {int(r['size']):#x}\n"
        for n, a, r in regions) + f"}}\n__stack_size = {int(mem['stack']):#x};\n"
    ld += f"INCLUDE {wm['ldsections']}\n"
    (out / "memory.ld").write_text(ld)
    cpu = board["build"]["cflags"].split()
    defines = [f"-DF_CPU={board['build']['f_cpu']}", f'-DWM_BOARD_NAME="{BOARD.stem}"',
               f'-DWM_CPU_NAME="{wm["cpu"]}"', f"-DWM_UART_BASE={wm['uart']['base']}u",
               f"-DWM_STORE_SECTOR={int(mem['store']['sector'])}u",
               f"-DWM_UART_RX_IRQ={int(wm['uart']['rx_irq'])}u"]
    sources = [*sorted(CRYPTO_SRC.glob("*.c")), PORT_DIR / "startup.c",
               PORT_DIR / "mps2_port.c", main_c]
    elf = out / (main_c.stem + ".elf")
    cmd = ["arm-none-eabi-gcc", "-std=c99", opt, *cpu, "-ffreestanding", "-fno-builtin",
           "-ffunction-sections", "-fdata-sections", *WARN, *defines,
           f"-I{REPO / 'firmware' / 'include'}", f"-I{CRYPTO_SRC}", f"-I{PORT_DIR}",
           *[f"-I{d}" for d in include_dirs], *map(str, sources), "-nostdlib",
           "-nostartfiles", "-Wl,--gc-sections", f"-L{PORT_DIR}", f"-T{out / 'memory.ld'}",
           "-lgcc", "-o", str(elf)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ImageBuildError(f"building {elf.name} failed:\n{proc.stderr[-3000:]}")
    return M4Image(elf, board)
