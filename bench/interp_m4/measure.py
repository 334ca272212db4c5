"""Our interpreter vs wasm3 on the Cortex-M4 (mps2-an386 under QEMU, -icount shift=0).

    python -m bench.interp_m4 [--kernels crc32,sha256|kernels|programs]

Each workload of bench/workloads.py (default: the five kernels of bench/interp.py; with
`programs` the Embench-IoT and CoreMark programs) is compiled to wasm (zig cc -O2) and
stripped; the same bytes go into two bare-metal images (bench/interp_m4/image.py), one per
engine, both -Os for the board's CPU. Ours interprets the module in place from flash; wasm3
(from PyPI's pywasm3 0.5.0 sdist) parses it from flash and compiles it into RAM.

- instructions of the call run(n), n = the workload's M4 units, read from SysTick (25 MHz,
  24 bits: a call must stay under 671 M instructions) calibrated against a loop of 2 M
  instructions, minus the same engine's call of the empty
  kernel; the first call (wasm3 compiles each function there, lazily) and a second one;
- load: parse + validate + instantiate (wasm3: parse, load, compile `run`);
- flash: the engine (from the link map: everything but the bench main and the port, libgcc
  and libm included) + the module's bytes;
- RAM: the engine's static data + what it allocated for the module and instance (ours: the
  arena's use; wasm3: the peak of live heap bytes) + the peak C stack (painted); both give
  the module a 64 KiB value stack.

Every checksum must equal native C's (host build) and wasmtime's, and the programs must pass
their own verification.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field

from bench.bare_image import run_icount
from bench.interp import run_native, run_wasmtime
from bench.interp_m4.image import ENGINES, Footprint, Module, build, engine_footprint
from bench.workloads import (
    EMPTY,
    KERNELS,
    PROGRAMS,
    PROGRAMS_LEFT_OUT,
    Workload,
    check_verified,
    select,
)
from wasmote.errors import WasmoteError
from wasmote.paths import BUILD_DIR
from wasmote.wasm.strip import strip_bytes

OUT_DIR = BUILD_DIR / "bench-interp-m4"
BOARD = "mps2-an386"
WRAPPED = 0xFFFFFFFF  # what the image prints for a measure that wrapped the counter


@dataclass
class EngineRun:
    """What one engine's image printed."""

    calib: int                                   # ticks of 2 M instructions
    footprint: Footprint
    run: dict[str, tuple[int, int]] = field(default_factory=dict)   # checksum, ticks
    warm: dict[str, tuple[int, int]] = field(default_factory=dict)
    load: dict[str, int] = field(default_factory=dict)
    heap: dict[str, int] = field(default_factory=dict)
    stack: dict[str, int] = field(default_factory=dict)

    def instructions(self, ticks: int) -> float:
        return ticks * 2_000_000 / self.calib


def module_of(w: Workload) -> Module:
    return Module(w.name, w.m4_n, bytes(strip_bytes(w.wasm().read_bytes())[0]))


def run_engine(engine: str, modules: list[Module]) -> EngineRun:
    out = OUT_DIR / engine
    elf = build(engine, modules, out, BOARD)
    lines = run_icount(elf, f"{engine} M4 interpreter bench", board_name=BOARD)
    calib = next(int(ln.split()[2]) for ln in lines if ln.startswith("calib "))
    res = EngineRun(calib, engine_footprint(out / "image.map", BOARD))
    for ln in lines:
        f = ln.split()
        if not f:
            continue
        if f[0] in ("run", "warm", "load") and f[-1] == str(WRAPPED):
            raise RuntimeError(f"{engine}: {f[0]} of {f[1]} ran past the 24-bit counter "
                               f"(over 671 M instructions): give it a smaller m4_n")
        if f[0] in ("run", "warm"):
            getattr(res, f[0])[f[1]] = (int(f[2]), int(f[3]))
        elif f[0] in ("load", "heap", "stack"):
            getattr(res, f[0])[f[1]] = int(f[2])
    return res


@dataclass
class Row:
    w: Workload
    module_len: int
    checksum: int
    instr: dict[str, float]   # engine -> first call, minus empty
    warm: dict[str, float]    # engine -> second call, minus empty
    load: dict[str, float]
    flash: dict[str, int]
    ram: dict[str, int]


def measure(workloads: tuple[Workload, ...]) -> tuple[list[Row], dict[str, EngineRun]]:
    modules = [module_of(w) for w in (*workloads, EMPTY)]
    runs = {e: run_engine(e, modules) for e in ENGINES}
    rows = []
    for w, m in zip(workloads, modules, strict=False):  # modules: + the empty one
        ref = run_wasmtime(w.wasm(), w.m4_n)
        native = run_native(w.native(), w.m4_n, 1)[0]
        got = {e: r.run[w.name][0] for e, r in runs.items()}
        if not ref == native == got["ours"] == got["wasm3"]:
            raise RuntimeError(f"{w.name}: checksums differ: native {native:08x}, wasmtime "
                               f"{ref:08x}, " + ", ".join(f"{e} {c:08x}" for e, c in got.items()))
        check_verified(w, ref)

        def net(r: EngineRun, d: dict[str, tuple[int, int]], name: str = w.name) -> float:
            return r.instructions(d[name][1] - d[EMPTY.name][1])

        rows.append(Row(
            w, len(m.data), ref,
            {e: net(r, r.run) for e, r in runs.items()},
            {e: net(r, r.warm) for e, r in runs.items()},
            {e: r.instructions(r.load[w.name]) for e, r in runs.items()},
            {e: r.footprint.flash + len(m.data) for e, r in runs.items()},
            {e: r.footprint.ram + r.heap[w.name] + r.stack[w.name] for e, r in runs.items()}))
    return rows, runs


def _geo(xs: list[float]) -> str:
    good = [x for x in xs if x > 0]
    return f"{math.exp(sum(map(math.log, good)) / len(good)):.2f}" if good else "-"


def _m(x: float) -> str:
    return f"{x / 1e6:.2f}M"


def _k(x: int) -> str:
    return f"{x / 1024:.1f}K"


def report(rows: list[Row], runs: dict[str, EngineRun]) -> str:
    head = (f"{'workload':<15}{'n':>3}{'ours':>9}{'wasm3':>9}{'o/w3':>6}{'warm o/w3':>10}"
            f"{'load ours':>10}{'load w3':>9}{'module':>8}{'flash ours':>11}{'flash w3':>9}"
            f"{'RAM ours':>9}{'RAM w3':>8}")
    out = ["Instructions of run(n) under QEMU -icount (minus the empty kernel, same engine); "
           "load = parse + validate + instantiate (wasm3: + compile `run`); flash = engine "
           "+ module; RAM = static + allocated + peak C stack:", head, "-" * len(head)]
    for r in rows:
        out.append(f"{r.w.name:<15}{r.w.m4_n:>3}{_m(r.instr['ours']):>9}"
                   f"{_m(r.instr['wasm3']):>9}{r.instr['ours'] / r.instr['wasm3']:>6.2f}"
                   f"{r.warm['ours'] / r.warm['wasm3']:>10.2f}{_m(r.load['ours']):>10}"
                   f"{_m(r.load['wasm3']):>9}{_k(r.module_len):>8}{_k(r.flash['ours']):>11}"
                   f"{_k(r.flash['wasm3']):>9}{_k(r.ram['ours']):>9}{_k(r.ram['wasm3']):>8}")
    out.append(f"{'geomean':<15}{'':>3}{'':>9}{'':>9}"
               f"{_geo([r.instr['ours'] / r.instr['wasm3'] for r in rows]):>6}"
               f"{_geo([r.warm['ours'] / r.warm['wasm3'] for r in rows]):>10}")
    out.append("")
    for e, run in runs.items():
        fp = run.footprint
        heap = [run.heap[r.w.name] for r in rows]
        stack = [run.stack[r.w.name] for r in rows]
        out.append(f"{e:<6} engine flash {fp.flash} B, static RAM {fp.ram} B; allocated "
                   f"{min(heap)}-{max(heap)} B, C stack {min(stack)}-{max(stack)} B")
    return "\n".join(out)


def markdown(rows: list[Row], runs: dict[str, EngineRun]) -> str:
    """The table of docs/performance.md."""
    out = ["| workload | n | ours | wasm3 | ours/wasm3 | warm | load ours | load wasm3 | module "
           "| flash ours | flash wasm3 | RAM ours | RAM wasm3 |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r.w.name, str(r.w.m4_n), _m(r.instr["ours"]), _m(r.instr["wasm3"]),
                 f"{r.instr['ours'] / r.instr['wasm3']:.2f}",
                 f"{r.warm['ours'] / r.warm['wasm3']:.2f}", _m(r.load["ours"]),
                 _m(r.load["wasm3"]), _k(r.module_len), _k(r.flash["ours"]),
                 _k(r.flash["wasm3"]), _k(r.ram["ours"]), _k(r.ram["wasm3"])]
        out.append("| " + " | ".join(cells) + " |")
    out.append(f"| **geomean** | | | | **{_geo([r.instr['ours'] / r.instr['wasm3'] for r in rows])}"
               f"** | **{_geo([r.warm['ours'] / r.warm['wasm3'] for r in rows])}** "
               "| | | | | | | |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--kernels", default="",
                    help="comma-separated workloads; `kernels` or `programs` for a family "
                         "(default: the kernels of bench/interp.py)")
    ap.add_argument("--markdown", action="store_true", help="the table as markdown too")
    ap.add_argument("--install", action="store_true",
                    help="instead: what the pre-decoded form costs at install "
                         "(bench/interp_m4/pd_install.py)")
    args = ap.parse_args(argv)
    chosen = select((*KERNELS, *PROGRAMS), args.kernels) if args.kernels else KERNELS
    if args.install:
        from bench.interp_m4 import pd_install  # it builds on this module's module_of

        print(pd_install.report(pd_install.measure(chosen)))
        return 0
    rows, runs = measure(chosen)
    print(report(rows, runs))
    if args.markdown:
        print()
        print(markdown(rows, runs))
    if any(w.suite != "kernel" for w in chosen) and PROGRAMS_LEFT_OUT:
        print("Left out: " + "; ".join(f"{k} ({v})" for k, v in PROGRAMS_LEFT_OUT.items()))
    return 0


def entry() -> None:
    try:
        sys.exit(main())
    except (WasmoteError, RuntimeError) as e:
        print(f"bench/interp_m4: {e}", file=sys.stderr)
        sys.exit(1)
