"""Builds a bare-metal QEMU image of the crypto core plus one `main` C file that defines
wm_app_main, linked with the firmware's own start-up and port for the board
(firmware/src/port/<port>) and a MEMORY block generated from boards/<board>.json, the same way
the firmware's PlatformIO platform does. The default board is mps2-an386 (Cortex-M4); any
QEMU board of the repo works (riscv32-virt too). Used by bench/crypto_verify.py and by
tests/crypto (the crypto on the real target instruction sets)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CRYPTO_SRC = REPO / "firmware" / "src" / "core" / "crypto"
PORTS_DIR = REPO / "firmware" / "src" / "port"
BOARDS_DIR = REPO / "boards"
WARN = ["-Wall", "-Wextra", "-Werror"]


class ImageBuildError(Exception):
    """The cross compiler refused; the message carries its output."""


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
                include_dirs: tuple[Path, ...] = (), board_name: str = "mps2-an386"
                ) -> TargetImage:
    board = json.loads((BOARDS_DIR / f"{board_name}.json").read_text())
    wm = board["wasmote"]
    port_dir = PORTS_DIR / wm["port"]
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
    # Link flags choose libgcc's multilib (which knows no ISA extensions like _zicsr).
    link_cpu = board["build"].get("ldflags", board["build"]["cflags"]).split()
    defines = [f"-DF_CPU={board['build']['f_cpu']}", f'-DWM_BOARD_NAME="{board_name}"',
               f'-DWM_CPU_NAME="{wm["cpu"]}"', f"-DWM_UART_BASE={wm['uart']['base']}u",
               f"-DWM_STORE_SECTOR={int(mem['store']['sector'])}u"]
    if "rx_irq" in wm["uart"]:
        defines.append(f"-DWM_UART_RX_IRQ={int(wm['uart']['rx_irq'])}u")
    sources = [*sorted(CRYPTO_SRC.glob("*.c")), *sorted(port_dir.glob("*.c")),
               *sorted(port_dir.glob("*.S")), main_c]
    elf = out / (main_c.stem + ".elf")
    gcc = wm["toolchain"] + "-gcc"
    compile_flags = ["-std=c99", opt, *cpu, "-ffreestanding", "-fno-builtin",
                     "-ffunction-sections", "-fdata-sections", *WARN, *defines,
                     f"-I{REPO / 'firmware' / 'include'}", f"-I{CRYPTO_SRC}", f"-I{port_dir}",
                     # ports include core interface headers (sandbox/gpio.h, store/flash.h)
                     f"-I{REPO / 'firmware' / 'src' / 'core'}",
                     *[f"-I{d}" for d in include_dirs]]
    objects = []
    for src in sources:
        obj = out / (src.name + ".o")
        _run([gcc, *compile_flags, "-c", str(src), "-o", str(obj)])
        objects.append(str(obj))
    _run([gcc, *link_cpu, *objects, "-nostdlib", "-nostartfiles", "-Wl,--gc-sections",
          f"-L{port_dir}", f"-T{out / 'memory.ld'}", "-lgcc", "-o", str(elf)])
    return TargetImage(elf, board)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ImageBuildError(f"{' '.join(cmd[:4])}... failed:\n{proc.stderr[-3000:]}")
