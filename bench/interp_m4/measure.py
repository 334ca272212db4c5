"""Our interpreter vs wasm3 on the Cortex-M4 (mps2-an386 under QEMU, -icount shift=0).

    python -m bench.interp_m4 [--kernels crc32,sha256|kernels|programs]

Each workload of bench/workloads.py (default: the five kernels of bench/interp.py; with
`programs` the Embench-IoT and CoreMark programs) is compiled to wasm (zig cc -O2) and
stripped; the same bytes go into three bare-metal images (bench/interp_m4/image.py), one per
engine, all -Os for the board's CPU. Ours interprets the module in place from flash; pd (ours
with WM_PREDECODE) translates it once after the load into the pre-decoded form, in RAM here
(a device keeps it in its flash store; under -icount the count does not depend on where it
is), and interprets the form; wasm3 (from PyPI's pywasm3 0.5.0 sdist) parses it from flash
and compiles it into RAM.

- instructions of the call run(n), n = the workload's M4 units, read from SysTick (25 MHz,
  24 bits: a call must stay under 671 M instructions) calibrated against a loop of 2 M
  instructions, minus the same engine's call of the empty
  kernel; the first call (wasm3 compiles each function there, lazily) and a second one;
- load: parse + validate + instantiate (wasm3: parse, load, compile `run`);
- install (pd): the translation into the form (wm_pd_translate_in, as a device's commit does)
  and its attach checks, once per module, not in load;
- flash: the engine (from the link map: everything but the bench main and the port, libgcc
  and libm included) + the module's bytes (pd: + the form's, where a device stores it);
- RAM: the engine's static data + what it allocated for the module and instance (ours: the
  arena's use, pd: less the form, which a device keeps in flash; wasm3: the peak of live
  heap bytes) + the peak C stack (painted); all give the module a 64 KiB value stack.

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
from bench.program_probe import usable
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
    install: dict[str, int] = field(default_factory=dict)         # ticks (pd only)
    form: dict[str, int] = field(default_factory=dict)            # bytes (pd only)

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
        ticks = 3 if f[0] in ("run", "warm") else 2   # install: ticks, then the form's bytes
        if f[0] in ("run", "warm", "load", "install") and f[ticks] == str(WRAPPED):
            raise RuntimeError(f"{engine}: {f[0]} of {f[1]} ran past the 24-bit counter "
                               f"(over 671 M instructions): give it a smaller m4_n")
        if f[0] in ("run", "warm"):
            getattr(res, f[0])[f[1]] = (int(f[2]), int(f[3]))
        elif f[0] in ("load", "heap", "stack"):
            getattr(res, f[0])[f[1]] = int(f[2])
        elif f[0] == "install":
            res.install[f[1]], res.form[f[1]] = int(f[2]), int(f[3])
    return res


@dataclass
class Row:
    w: Workload
    module_len: int
    checksum: int
    instr: dict[str, float]   # engine -> first call, minus empty
    warm: dict[str, float]    # engine -> second call, minus empty
    load: dict[str, float]
    install: float            # pd's translation + attach, instructions
    form_len: int             # pd's form, bytes
    flash: dict[str, int]
    ram: dict[str, int]


def measure(workloads: tuple[Workload, ...]) -> tuple[list[Row], dict[str, EngineRun]]:
    modules = [module_of(w) for w in (*workloads, EMPTY)]
    runs = {e: run_engine(e, modules) for e in ENGINES}
    pd = runs["pd"]
    rows = []
    for w, m in zip(workloads, modules, strict=False):  # modules: + the empty one
        ref = run_wasmtime(w.wasm(), w.m4_n)
        native = run_native(w.native(), w.m4_n, 1)[0]
        got = {e: r.run[w.name][0] for e, r in runs.items()}
        if not ref == native == got["ours"] == got["pd"] == got["wasm3"]:
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
            pd.instructions(pd.install[w.name]), pd.form[w.name],
            {e: r.footprint.flash + len(m.data) + r.form.get(w.name, 0)
             for e, r in runs.items()},
            {e: r.footprint.ram + r.heap[w.name] - r.form.get(w.name, 0) + r.stack[w.name]
             for e, r in runs.items()}))
    return rows, runs


def _geo(xs: list[float]) -> str:
    good = [x for x in xs if x > 0]
    return f"{math.exp(sum(map(math.log, good)) / len(good)):.2f}" if good else "-"


def _m(x: float) -> str:
    return f"{x / 1e6:.2f}M"


def _k(x: int) -> str:
    return f"{x / 1024:.1f}K"


def _cells(r: Row) -> list[str]:
    o, p, w = r.instr["ours"], r.instr["pd"], r.instr["wasm3"]
    return [r.w.name, str(r.w.m4_n), _m(o), _m(p), _m(w), f"{o / w:.2f}",
            f"{r.warm['ours'] / r.warm['wasm3']:.2f}", f"{p / w:.2f}",
            f"{r.warm['pd'] / r.warm['wasm3']:.2f}", _m(r.load["ours"]), _m(r.install),
            _m(r.load["wasm3"]), _k(r.module_len), _k(r.form_len),
            *[_k(r.flash[e]) for e in ENGINES], *[_k(r.ram[e]) for e in ENGINES]]


_HEAD = ["workload", "n", "ours", "pd", "wasm3", "ours/w3", "warm", "pd/w3", "pd warm",
         "load ours", "install pd", "load w3", "module", "form", "flash ours", "flash pd",
         "flash w3", "RAM ours", "RAM pd", "RAM w3"]


def _geomeans(rows: list[Row]) -> list[str]:
    return [_geo([r.instr["ours"] / r.instr["wasm3"] for r in rows]),
            _geo([r.warm["ours"] / r.warm["wasm3"] for r in rows]),
            _geo([r.instr["pd"] / r.instr["wasm3"] for r in rows]),
            _geo([r.warm["pd"] / r.warm["wasm3"] for r in rows])]


def report(rows: list[Row], runs: dict[str, EngineRun]) -> str:
    widths = [15, 3, *[9] * 3, 8, 6, 7, 8, *[11] * 3, 8, 7, *[11] * 3, *[9] * 3]
    line = "".join(f"{h:<{n}}" if i == 0 else f"{h:>{n}}"
                   for i, (h, n) in enumerate(zip(_HEAD, widths, strict=True)))
    out = ["Instructions of run(n) under QEMU -icount (minus the empty kernel, same engine); "
           "load = parse + validate + instantiate (wasm3: + compile `run`); install = pd's "
           "translation + attach; flash = engine + module (pd: + form); RAM = static + "
           "allocated (pd: less the form) + peak C stack:", line, "-" * len(line)]
    for r in rows:
        out.append("".join(f"{c:<{n}}" if i == 0 else f"{c:>{n}}"
                           for i, (c, n) in enumerate(zip(_cells(r), widths, strict=True))))
    out.append(f"{'geomean':<{sum(widths[:5])}}" + "".join(
        f"{g:>{n}}" for g, n in zip(_geomeans(rows), widths[5:9], strict=True)))
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
    out = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    out += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    out.append("| **geomean** | | | | | " + " | ".join(f"**{g}**" for g in _geomeans(rows))
               + " |" + " |" * (len(_HEAD) - 9))
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
    chosen = usable(chosen)
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
