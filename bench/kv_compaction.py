"""The longest a key-value write and a config-area mount take, on the Cortex-M4F
(mps2-an386 under QEMU, -icount shift=0: SysTick ticks once per 40 instructions, the
board's 25 MHz clock).

A bare-metal image (bench/kv_m4/kv_bench_main.c: the firmware's kv store on a 64 KiB area
of 4 KiB sectors, every board's) fills the pool modules may use with the smallest live
records, then rewrites one key until the next write compacts: the worst write a module
can cause within its quota (a compaction of a bank of the most records, every one checked
and the live ones copied). Also the mount of such a full bank (it finds the superseded
records: booting and every failed write pay it), a plain append and a lookup as the
reference in the same run. The fuel a write is charged (one unit per 8 bytes programmed
or erased) is beside it.

    python -m bench.kv_compaction
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from bench.bare_image import build_bare_image, load_board_json
from wasmote import config_area
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR

BOARD = "mps2-an386"
KV, SECTOR = 64 * 1024, 4096
INSNS_PER_TICK = 40  # SysTick on the 25 MHz CPU clock, one instruction per ns
CORE = FIRMWARE_DIR / "src" / "core"
MAIN = Path(__file__).resolve().parent / "kv_m4" / "kv_bench_main.c"


def build() -> Path:
    sources = [CORE / "sandbox" / "kv.c", *sorted((CORE / "base").glob("*.c")),
               CORE / "store" / "flash_ram.c", MAIN]
    pool = config_area.module_pool(KV, SECTOR)
    return build_bare_image(sources, BUILD_DIR / "bench" / "kv_m4", "kv_bench.elf",
                            board_name=BOARD, opt="-Os",
                            extra_cflags=[f"-DKV_POOL={pool}u"])


def run(elf: Path) -> dict[str, tuple[int, int, int]]:
    qemu = load_board_json(BOARD)["wasmote"]["qemu"]
    cmd = [qemu["system"], "-M", qemu["machine"], *qemu.get("args", []), "-kernel", str(elf),
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-icount", "shift=0,align=off,sleep=off"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: dict[str, tuple[int, int, int]] = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.search(r"kv (\S+) ticks=(\d+) n=(\d+) work=(\d+)", line)
            if m:
                out[m.group(1)] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
            if "kv-bench done" in line:
                break
    finally:
        proc.kill()
        proc.wait(timeout=10)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    r = run(build())
    record = config_area.record_bytes(1, 4, 0)
    live = r["live_records"][1]
    print(f"Cortex-M4F (mps2-an386, QEMU -icount shift=0): a {KV // 1024} KiB config area of "
          f"{SECTOR}-byte sectors, {live} live records of {record} bytes (the module pool, "
          f"{config_area.module_pool(KV, SECTOR)} bytes), {r['append_mean'][1]} rewrites "
          "of one key before the bank was full")
    print("| operation | instructions | ms at 25 MHz | fuel charged (work / 8) |")
    print("| --- | --- | --- | --- |")
    for name in ("get", "append_mean", "append_slowest", "compaction", "mount_empty",
                 "mount_full"):
        insns = r[name][0] * INSNS_PER_TICK
        charged = r[name][2] // 8 if name not in ("mount_empty", "mount_full") else "-"
        print(f"| {name} | {insns:,} | {insns / 25e3:.2f} | {charged} |")


if __name__ == "__main__":
    main()
