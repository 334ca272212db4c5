"""A bare-metal QEMU image: some firmware sources plus the board's own start-up and port
(firmware/src/port/<port>), linked with a MEMORY block generated from boards/<board>.json the
way the firmware's PlatformIO platform does. The AOT and crypto benches (and their tests)
build their images with it; any QEMU board of the repo works."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wasmote.build_desc import build_desc
from wasmote.errors import WasmoteError
from wasmote.paths import BOARDS_DIR, FIRMWARE_DIR


class ImageBuildError(WasmoteError):
    """The cross compiler refused; the message carries its output."""


def load_board_json(board_name: str) -> dict[str, Any]:
    board: dict[str, Any] = json.loads((BOARDS_DIR / f"{board_name}.json").read_text())
    return board


def run_icount(elf: Path, what: str, *, board_name: str = "mps2-an386",
               timeout: float = 1800.0) -> list[str]:
    """The lines a bench image prints on the board's UART, run under QEMU with `-icount
    shift=0` (one instruction per virtual nanosecond: counts are deterministic) until it
    prints `done`; an `error` or `panic` line, or no `done`, raises."""
    q = load_board_json(board_name)["wasmote"]["qemu"]
    cmd = [q["system"], "-M", q["machine"], *q.get("args", []), "-kernel", str(elf),
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-icount", "shift=0,align=off,sleep=off"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            line = raw.strip()
            lines.append(line)
            if line == "done" or line.startswith(("panic", "error")):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {what} did not finish in time")
    finally:
        proc.kill()
        proc.wait()
    errors = [ln for ln in lines if ln.startswith(("error", "panic"))]
    if errors or "done" not in lines:
        raise RuntimeError(f"{what} failed: {errors or lines[-5:]}")
    return lines


def compile_flags(board: dict[str, Any], board_name: str, opt: str,
                  include_dirs: Sequence[Path] = (),
                  extra_cflags: Sequence[str] = ()) -> list[str]:
    """A bare image's compile flags: the build description's target flags (with the bench's
    optimisation), the board's CPU and defines, the firmware's include path and the port's."""
    wm = board["wasmote"]
    mem = wm["memory"]
    desc = build_desc()
    defines = [f"-DF_CPU={board['build']['f_cpu']}", f'-DWM_BOARD_NAME="{board_name}"',
               f'-DWM_CPU_NAME="{wm["cpu"]}"', f"-DWM_UART_BASE={wm['uart']['base']}u",
               f"-DWM_STORE_SECTOR={int(mem['store']['sector'])}u"]
    if "rx_irq" in wm["uart"]:
        defines.append(f"-DWM_UART_RX_IRQ={int(wm['uart']['rx_irq'])}u")
    port_dir = FIRMWARE_DIR / "src" / "port" / wm["port"]
    return [*desc.target_flags(opt), *board["build"]["cflags"].split(), *extra_cflags,
            *defines, f"-I{port_dir}", *desc.include_flags(),
            f"-I{Path(__file__).resolve().parent}",  # bare_console.h
            *[f"-I{d}" for d in include_dirs]]


def target_link_flags(board: dict[str, Any]) -> list[str]:
    """The link's CPU flags (they choose libgcc's multilib, which knows no ISA extensions
    like _zicsr) and the build description's target link flags."""
    return [*board["build"].get("ldflags", board["build"]["cflags"]).split(),
            *build_desc().link]


def build_bare_image(sources: Sequence[Path], out: Path, elf_name: str, *,
                     board_name: str = "mps2-an386", opt: str = "-Os",
                     include_dirs: Sequence[Path] = (),
                     extra_cflags: Sequence[str] = (),
                     objects: Sequence[Path] = (),
                     link_flags: Sequence[str] = ()) -> Path:
    """`objects`: prebuilt relocatable objects linked in as they are (bench/workloads.py);
    `link_flags`: after every object, before libgcc (a map file, a library)."""
    board = load_board_json(board_name)
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
    all_sources = [*sources, *sorted(port_dir.glob("*.c")), *sorted(port_dir.glob("*.S"))]
    gcc = wm["toolchain"] + "-gcc"
    flags = compile_flags(board, board_name, opt, include_dirs, extra_cflags)
    linked = [str(o) for o in objects]
    for i, src in enumerate(all_sources):
        obj = out / f"{i:03d}_{src.name}.o"
        _run([gcc, *flags, "-c", str(src), "-o", str(obj)])
        linked.append(str(obj))
    elf = out / elf_name
    _run([gcc, *target_link_flags(board), *linked, f"-L{port_dir}", f"-T{out / 'memory.ld'}",
          *link_flags, *(f"-l{lib}" for lib in build_desc().libs), "-o", str(elf)])
    return elf


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ImageBuildError(f"{' '.join(cmd[:4])}... failed:\n{proc.stderr[-3000:]}")
