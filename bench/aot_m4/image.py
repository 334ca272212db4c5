"""Builds the bare-metal QEMU image of bench/aot.py: the runtime core (interpreter, AOT
loader, package parser), the kernels as native C and aot_bench_main.c, linked with the
firmware's own start-up and port for the board and a MEMORY block generated from
boards/<board>.json, as the firmware's PlatformIO platform does."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from wasmote.errors import WasmoteError
from wasmote.paths import BOARDS_DIR, FIRMWARE_DIR


class ImageBuildError(WasmoteError):
    """The cross compiler refused; the message carries its output."""


def build_image(sources: Sequence[Path], include_dirs: Sequence[Path], out: Path,
                board_name: str = "mps2-an386", opt: str = "-O2") -> Path:
    board = json.loads((BOARDS_DIR / f"{board_name}.json").read_text())
    wm = board["wasmote"]
    port_dir = FIRMWARE_DIR / "src" / "port" / wm["port"]
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
    link_cpu = board["build"].get("ldflags", board["build"]["cflags"]).split()
    defines = [f"-DF_CPU={board['build']['f_cpu']}", f'-DWM_BOARD_NAME="{board_name}"',
               f'-DWM_CPU_NAME="{wm["cpu"]}"', f"-DWM_UART_BASE={wm['uart']['base']}u",
               f"-DWM_STORE_SECTOR={int(mem['store']['sector'])}u"]
    if "rx_irq" in wm["uart"]:
        defines.append(f"-DWM_UART_RX_IRQ={int(wm['uart']['rx_irq'])}u")
    all_sources = [*sources, *sorted(port_dir.glob("*.c")), *sorted(port_dir.glob("*.S"))]
    gcc = wm["toolchain"] + "-gcc"
    flags = ["-std=c99", opt, *cpu, "-ffreestanding", "-fno-builtin", "-ffp-contract=off",
             "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-Werror",
             *defines, f"-I{FIRMWARE_DIR / 'include'}", f"-I{port_dir}",
             *[f"-I{d}" for d in include_dirs]]
    objects = []
    for i, src in enumerate(all_sources):
        obj = out / f"{i:03d}_{src.name}.o"
        _run([gcc, *flags, "-c", str(src), "-o", str(obj)])
        objects.append(str(obj))
    elf = out / "aot_bench.elf"
    _run([gcc, *link_cpu, *objects, "-nostdlib", "-nostartfiles", "-Wl,--gc-sections",
          f"-L{port_dir}", f"-T{out / 'memory.ld'}", "-lgcc", "-o", str(elf)])
    return elf


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ImageBuildError(f"{' '.join(cmd[:4])}... failed:\n{proc.stderr[-3000:]}")
