"""The longest the device's install takes on the Cortex-M4F (mps2-an386 under QEMU,
-icount shift=0: SysTick ticks once per 40 instructions, the board's 25 MHz clock), and
the longest stretch of it between two watchdog kicks, beside the supervisor's 2 s
watchdog.

A bare-metal image (bench/install_m4/install_bench_main.c) runs the package hash
(wm_sha256_metered), the runtime's wm_load_metered (decode and validate) and
wm_instantiate on modules as large as the store lets a package be (PACKAGE_BYTES: the
mps2 store less its key-value area), each shaped to make one part of the install costly:
one function of the densest validated code, as many small functions as the module's
bytes allow, the most exports the loader takes, one br_table of every target the bytes
hold, one function type of as many parameters, one custom section's name as long as the
module. The kicks come from the install's work meter (core/base/wm_work.h); the worst
gap is the most instructions between two of them (or the step's start or end). The
import link is measured on its own (docs/reliability.md, "The cost of linking").

    python -m bench.install_worst
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from bench.bare_image import build_bare_image, run_icount
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR
from wasmote.wasm.leb128 import encode_unsigned as uleb
from wasmote.wasm.validator import MAX_EXPORTS, MAX_TYPE_VALUES

BOARD = "mps2-an386"
INSNS_PER_TICK = 40  # SysTick on the 25 MHz CPU clock, one instruction per ns
CLOCK_HZ = 25_000_000
WATCHDOG_MS = 2000
PACKAGE_BYTES = 1024 * 1024 - 64 * 1024  # mps2-an386's store less its key-value area
MANY_FUNCTIONS = 68_000  # what 3.5 MiB of arena holds (the device's pool is smaller)
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


def imports(n: int) -> bytes:
    """`n` function imports env.a of type () -> () (the loader refuses more than
    WM_MAX_IMPORTS by their count, before reading one)."""
    entry = uleb(3) + b"env" + uleb(1) + b"a" + b"\x00\x00"
    return HEADER + _section(1, _vec([VOID])) + _section(2, _vec([entry] * n))


def br_table(size: int) -> bytes:
    """One function: `block; i32.const 0; br_table 0 0 ... 0; end` with every target the
    module's bytes hold (one byte each): the validator's and translator's longest
    single instruction."""
    n = size - 64
    body = b"\x00\x02\x40\x41\x00\x0e" + uleb(n) + b"\x00" * (n + 1) + b"\x0b\x0b"
    return (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"]))
            + _section(10, _vec([uleb(len(body)) + body])))


_WIDE = b"\x60" + (uleb(MAX_TYPE_VALUES) + b"\x7f" * MAX_TYPE_VALUES) * 2


def wide_types(size: int) -> bytes:
    """As many function types of the most i32 parameters and results the loader takes
    (WM_MAX_TYPE_VALUES) as the module's bytes hold."""
    return HEADER + _section(1, _vec([_WIDE] * ((size - 64) // len(_WIDE))))


def wide_calls(size: int) -> bytes:
    """One function of the widest type, (128 x i32) -> (128 x i32): `unreachable`, then
    `call 0` over and over: each call of two bytes pops and pushes 256 values, the
    validator's most work per byte."""
    n = (size - 64) // 2
    body = b"\x00\x00" + b"\x10\x00" * n + b"\x0b"
    return (HEADER + _section(1, _vec([_WIDE])) + _section(3, _vec([b"\x00"]))
            + _section(10, _vec([uleb(len(body)) + body])))


def loops(size: int) -> bytes:
    """One function of empty loops (3 bytes, a 6-byte LOOP in the form each): a form twice
    the module, within the install's ratio (WM_PD_FORM_RATIO)."""
    n = (size - 64) // 3
    body = b"\x00" + b"\x03\x40\x0b" * n + b"\x0b"
    return (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"]))
            + _section(10, _vec([uleb(len(body)) + body])))


def calls(size: int) -> bytes:
    """One function calling itself over and over, three `nop`s after each call (a 12-byte
    CALL and a trace map entry in the form: within the install's ratio): the longest trace
    map a module's bytes give, which every load of the form checks."""
    n = (size - 64) // 5
    body = b"\x00" + b"\x10\x00\x01\x01\x01" * n + b"\x0b"
    return (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"]))
            + _section(10, _vec([uleb(len(body)) + body])))


def custom_sections(size: int) -> bytes:
    """As many empty custom sections as the module's bytes hold (3 bytes each: id, size 1,
    an empty name): the most section headers a module can have."""
    return HEADER + b"\x00\x01\x00" * ((size - 64) // 3)


def many_tables(size: int) -> bytes:
    """As many empty funcref tables as the module's bytes hold (3 bytes each)."""
    return HEADER + _section(4, _vec([b"\x70\x00\x00"] * ((size - 64) // 3)))


def many_globals(size: int) -> bytes:
    """As many immutable i32 globals as the module's bytes hold (5 bytes each)."""
    return HEADER + _section(6, _vec([b"\x7f\x00\x41\x00\x0b"] * ((size - 64) // 5)))


def many_elems(size: int) -> bytes:
    """As many empty passive element segments as the module's bytes hold (3 bytes each)."""
    return HEADER + _section(9, _vec([b"\x01\x00\x00"] * ((size - 64) // 3)))


def big_memory(pages: int) -> bytes:
    """A module whose memory starts at `pages` pages: instantiation zeroes all of it."""
    return HEADER + _section(5, _vec([b"\x00" + uleb(pages)]))


def table_init(n: int) -> bytes:
    """A table of `n` funcref slots filled at instantiation by one active element segment
    of `n` references to the one function (a byte each)."""
    elem = b"\x00\x41\x00\x0b" + uleb(n) + b"\x00" * n
    return (HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"]))
            + _section(4, _vec([b"\x70\x00" + uleb(n)])) + _section(9, _vec([elem]))
            + _section(10, _vec([b"\x02\x00\x0b"])))


def long_name(size: int) -> bytes:
    """One custom section whose name (checked as UTF-8, in one go) is the whole module."""
    n = size - 64
    return HEADER + _section(0, uleb(n) + b"a" * n)


# The most exports the loader takes (WM_MAX_EXPORTS) and one more (refused at the count).
EXPORT_COUNTS = (MAX_EXPORTS, MAX_EXPORTS + 1)
# The image's flash (4 MiB, code included) holds two modules of the largest size: the
# shapes whose worst gap does not grow with the module are an eighth of it.
SMALL = 8


def _cases(size: int) -> dict[str, bytes]:
    return {"dense_code": dense_code(size), "many_functions": many_functions(size),
            **{f"exports_{n}": exports(n) for n in EXPORT_COUNTS},
            "br_table": br_table(size // SMALL), "wide_types": wide_types(size // SMALL),
            "wide_calls": wide_calls(size // SMALL), "loops": loops(size // SMALL),
            "calls": calls(size // SMALL), "custom_sections": custom_sections(size // 64),
            "many_tables": many_tables(size // 64), "many_globals": many_globals(size // 64),
            "many_elems": many_elems(size // 64),
            "long_name": long_name(size // 64), "big_memory": big_memory(40),
            "table_init": table_init(40_000)}


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
               CORE / "crypto" / "sha256.c", HERE / "install_bench_main.c",
               FIRMWARE_DIR / "src" / "app" / "freestanding.c"]  # memset for interp_pd.c
    return build_bare_image(sources, out, "install_bench.elf", board_name=BOARD, opt="-Os",
                            include_dirs=(out / "gen", HERE.parent, CORE / "crypto",
                                          CORE / "runtime"),
                            extra_cflags=("-DWM_PREDECODE=1",))


@dataclass(frozen=True)
class Step:
    """One step of one case: its instructions, its result (wm_err) and the most
    instructions between two of its watchdog kicks (or its start or end)."""

    insns: int
    rc: int
    worst_gap: int
    kicks: int
    form: int = 0  # predecode: the form's bytes (0: none, the module runs in place)


def run(elf: Path) -> dict[tuple[str, str], Step]:
    steps: dict[tuple[str, str], tuple[int, int]] = {}
    gaps: dict[tuple[str, str], tuple[int, int]] = {}
    forms: dict[str, int] = {}
    for line in run_icount(elf, "install bench"):
        f = re.search(r"form (\S+) bytes=(\d+)", line)
        if f:
            forms[f.group(1)] = int(f.group(2))
        m = re.search(r"install (\S+) (\S+) ticks=(\d+) rc=(\d+)", line)
        if m:
            steps[(m.group(1), m.group(2))] = (int(m.group(3)) * INSNS_PER_TICK,
                                               int(m.group(4)))
        g = re.search(r"gap (\S+) (\S+) ticks=(\d+) kicks=(\d+)", line)
        if g:
            gaps[(g.group(1), g.group(2))] = (int(g.group(3)) * INSNS_PER_TICK, int(g.group(4)))
    return {k: Step(insns, rc, *gaps.get(k, (0, 0)),
                    form=forms.get(k[1], 0) if k[0] == "predecode" else 0)
            for k, (insns, rc) in steps.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    r = run(build())
    print(f"Cortex-M4F (mps2-an386, QEMU -icount shift=0), modules of ~{PACKAGE_BYTES} bytes")
    print("| step | module | instructions | ms at 25 MHz | result | kicks | worst gap "
          "(instructions) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (what, name), s in r.items():
        form = f" (form {s.form:,} B)" if s.form else ""
        print(f"| {what} | {name}{form} | {s.insns:,} | {s.insns / CLOCK_HZ * 1e3:.0f} | "
              f"rc={s.rc} | {s.kicks} | {s.worst_gap:,} |")
    worst = max(s.worst_gap for s in r.values())
    print(f"worst gap between kicks: {worst:,} instructions "
          f"({worst / CLOCK_HZ * 1e3:.0f} ms at 25 MHz; the watchdog: {WATCHDOG_MS} ms)")


if __name__ == "__main__":
    main()
