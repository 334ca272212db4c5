"""The longest the device's install takes on the Cortex-M4F (mps2-an386 under QEMU,
-icount shift=0: SysTick ticks once per 40 instructions, the board's 25 MHz clock), beside
the supervisor's 2 s watchdog.

A bare-metal image (bench/install_m4/install_bench_main.c) runs the runtime's wm_load
(decode and validate) and wm_instantiate on modules as large as the store lets a package
be (PACKAGE_BYTES: the mps2 store less its key-value area), each shaped to make one part
of the install costly: one function of the densest validated code, or as many small
functions as the module's bytes allow. The install's other parts are taken from their own
measurements: SHA-256 of the package (docs/crypto.md: 34 instructions a byte, the store's
read-back hash) and the import link (docs/reliability.md, "The cost of linking").

    python -m bench.install_worst
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bench.bare_image import build_bare_image, run_icount
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR
from wasmote.wasm.leb128 import encode_unsigned as uleb

BOARD = "mps2-an386"
INSNS_PER_TICK = 40  # SysTick on the 25 MHz CPU clock, one instruction per ns
CLOCK_HZ = 25_000_000
WATCHDOG_MS = 2000
PACKAGE_BYTES = 1024 * 1024 - 64 * 1024  # mps2-an386's store less its key-value area
MANY_FUNCTIONS = 68_000  # what 3.5 MiB of arena holds (the device's pool is smaller)
SHA256_PER_BYTE = 34  # docs/crypto.md, Cortex-M4F
CORE = FIRMWARE_DIR / "src" / "core"
HERE = Path(__file__).resolve().parent / "install_m4"


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + uleb(len(body)) + body


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


HEADER = b"\x00asm\x01\x00\x00\x00"
VOID = b"\x60\x00\x00"  # () -> ()


def dense_code(size: int) -> bytes:
    """One function with one i32 local: `loop; local.get 0; local.get 0; i32.add;
    local.set 0; end` over and over (a loop is a fuel check point: straight-line code is
    capped), up to `size` bytes of module."""
    step = b"\x03\x40\x20\x00\x20\x00\x6a\x21\x00\x0b"
    n = (size - 64) // len(step)
    body = b"\x01\x01\x7f" + step * n + b"\x0b"
    return (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"]))
            + _section(10, _vec([uleb(len(body)) + body])))


def many_functions(size: int) -> bytes:
    """As many empty `() -> ()` functions as the module's RAM holds (4 bytes each:
    function entry, body size, no locals, end; ~51 bytes of RAM each)."""
    n = min((size - 64) // 4, MANY_FUNCTIONS)
    return (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"] * n))
            + _section(10, _vec([b"\x02\x00\x0b"] * n)))


def _name3(i: int) -> bytes:
    """A 3-character ASCII name (names are UTF-8), most significant character first."""
    return bytes(0x21 + (i // 90 ** k) % 90 for k in (2, 1, 0))


def exports(n: int) -> bytes:
    """One empty function exported `n` times under 3-character names (counters, most
    significant first): the most exports a module's bytes hold, names compared at length."""
    names = [uleb(3) + _name3(i) + b"\x00\x00" for i in range(n)]
    return (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"]))
            + _section(7, _vec(names)) + _section(10, _vec([b"\x02\x00\x0b"])))


# A small export count and nearly the largest the arena holds (16 bytes an export,
# 8 more while the loader checks their names; the image's flash holds no more).
EXPORT_COUNTS = (4000, 120_000)
def _cases(size: int) -> dict[str, bytes]:
    return {"dense_code": dense_code(size), "many_functions": many_functions(size),
            **{f"exports_{n}": exports(n) for n in EXPORT_COUNTS}}


def _header(out: Path, size: int) -> None:
    lines = ["#include <stddef.h>", "#include <stdint.h>",
             "typedef struct { const char *name; const uint8_t *bytes; size_t len; } install_case;"]
    cases = _cases(size)
    for name, data in cases.items():
        body = ",".join(str(b) for b in data)
        lines.append(f"static const uint8_t m_{name}[{len(data)}] = {{{body}}};")
    lines.append("static const install_case install_cases[] = {"
                 + ",".join(f'{{"{n}", m_{n}, sizeof m_{n}}}' for n in cases) + "};")
    lines.append(f"#define INSTALL_CASES {len(cases)}u")
    out.mkdir(parents=True, exist_ok=True)
    (out / "install_modules.h").write_text("\n".join(lines) + "\n")


def build(size: int = PACKAGE_BYTES) -> Path:
    out = BUILD_DIR / "bench" / "install_m4"
    _header(out / "gen", size)
    sources = [*sorted((CORE / "runtime").glob("*.c")), *sorted((CORE / "base").glob("*.c")),
               HERE / "install_bench_main.c"]
    return build_bare_image(sources, out, "install_bench.elf", board_name=BOARD, opt="-Os",
                            include_dirs=(out / "gen", HERE.parent))


def run(elf: Path) -> dict[tuple[str, str], tuple[int, int]]:
    res: dict[tuple[str, str], tuple[int, int]] = {}
    for line in run_icount(elf, "install bench"):
        m = re.search(r"install (\S+) (\S+) ticks=(\d+) rc=(\d+)", line)
        if m:
            res[(m.group(1), m.group(2))] = (int(m.group(3)) * INSNS_PER_TICK, int(m.group(4)))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    r = run(build())
    sha = SHA256_PER_BYTE * PACKAGE_BYTES
    print(f"Cortex-M4F (mps2-an386, QEMU -icount shift=0), modules of ~{PACKAGE_BYTES} bytes")
    print("| step | module | instructions | ms at 25 MHz | result |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| SHA-256 of the package (34/byte, docs/crypto.md) | any | {sha:,} | "
          f"{sha / CLOCK_HZ * 1e3:.0f} | - |")
    for (what, name), (insns, rc) in r.items():
        print(f"| {what} | {name} | {insns:,} | {insns / CLOCK_HZ * 1e3:.0f} | rc={rc} |")


if __name__ == "__main__":
    main()
