"""AOT speed and size: native C vs our AOT code vs our interpreter (vs wasm3 on the host).

    python -m bench.aot [--kernels crc32,aes|kernels|programs] [--no-host] [--no-m4]
                        [--no-lx106] [--no-interp] [--no-mpu] [--scale X]

Workloads (bench/workloads.py: the kernels of bench/kernels/ and the programs nobody here
wrote, Embench-IoT and CoreMark from ../shared/bench-programs/; C with `uint32_t
run(uint32_t n)` returning a checksum) are compiled to wasm with zig cc -O2; the wasm is
AOT-compiled by `wasmote compile` (the same code path) and the C is compiled natively by the
same compiler the AOT code goes through, for the same core. All checksums must agree
(wasmtime is the referee) and the programs must pass their own verification. Everything is
measured in this run (tables per family: kernels, programs):

- host: instructions (valgrind --tool=callgrind, total Ir) of running the kernel minus the
  same engine running the empty kernel: native (cc -O2), AOT with fuel (the default), AOT
  compiled without fuel, our interpreter, wasm3 (PyPI pywasm3);
- Cortex-M4F (mps2-an386 under QEMU, -icount shift=0): instructions of the call alone, read
  from a 25 MHz timer (calibrated: 40 instructions per tick): native (arm-none-eabi-gcc -O2,
  hard float), AOT (executed in place from flash), interpreter (the runtime at -O2); also the
  load time (package hash + load + attach + instantiate) of AOT (as a stored image loads, and
  with the module's SHA-256 as the check before a commit) and interpreter;
- bounds checks vs the MPU, same image and run: AOT isolated as the product runs signed
  native code (wm_aot_attach_isolated: unprivileged under the MPU, services through the SVC
  gate), compiled with and without software bounds checks, with and without fuel, in one
  call and in the supervisor's fuel slices; the cost of a call and of a slice (empty
  kernel), and the code size with and without checks;
- Xtensa LX106 (xtensa-lx106 under QEMU, -icount shift=0): the same image and kernels
  (native: xtensa-lx106-elf-gcc -O2, call0 ABI, soft float through the port's helpers),
  counted with CCOUNT (calibrated: 25 instructions per tick); no MPU, so no isolated runs;
- sizes: the stripped wasm module vs the AOT section for the host and Cortex-M4.

The M4 images hold as many workloads as fit the board's flash (all four packages of each);
the bench builds and runs as many images as it needs. --no-interp leaves out the
interpreter (and wasm3), --no-mpu the isolated and sliced engines: quicker runs while
working on the translator.
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.aot_m4.image import ImageBuildError, build_image
from bench.bare_image import load_board_json, run_icount
from bench.interp import (
    OUT_DIR,
    callgrind_ir,
    ir_native,
    ir_wasm3,
    ours_script,
    run_native,
    run_wasmtime,
    wasm3_error,
)
from bench.program_probe import Need, usable
from bench.workloads import (
    EMPTY,
    KERNELS,
    MORE_KERNELS,
    PROGRAMS,
    PROGRAMS_LEFT_OUT,
    Workload,
    by_name,
    c_name,
    check_verified,
    select,
)
from wasmote import posix_build
from wasmote.aot.blob import AotBlob
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import get_target, target_for_board
from wasmote.errors import WasmoteError
from wasmote.package.container import Package
from wasmote.package.manifest import Manifest, Version
from wasmote.paths import FIRMWARE_DIR, REPO_ROOT
from wasmote.wasm.strip import strip_bytes

AOT_KERNELS: tuple[Workload, ...] = (*KERNELS, *MORE_KERNELS)
POOL: tuple[Workload, ...] = (*AOT_KERNELS, *PROGRAMS)
AOT_DIR = OUT_DIR / "aot"
M4_DIR = REPO_ROOT / "bench" / "aot_m4"


def _strip(wasm: Path) -> bytes:
    return bytes(strip_bytes(wasm.read_bytes())[0])


def package(kernel: str | Workload, targets: tuple[str, ...], fuel: bool = True,
            bounds_checks: bool = True) -> tuple[Path, Package]:
    """The workload's (or the one of that name's) stripped module with AOT sections for
    `targets` (cached compiles); bounds_checks=False: code that a device runs only isolated
    by its MPU."""
    w = kernel if isinstance(kernel, Workload) else by_name(kernel)
    kernel = w.name
    module = _strip(w.wasm())
    aot = tuple(compile_wasm(module, get_target(t), fuel=fuel, bounds_checks=bounds_checks,
                             source=f"{kernel}.wasm").aot
                for t in targets)
    pkg = Package(Manifest(kernel, Version(1, 0, 0)), module, aot)
    tag = "-".join(targets) + ("" if fuel else "-nofuel") + ("" if bounds_checks else "-nb")
    path = AOT_DIR / f"{kernel}.{tag}.wmp"
    AOT_DIR.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pkg.to_bytes())
    return path, pkg


# ---- host -------------------------------------------------------------------------------------


def ir_driver(driver: Path, module: Path, n: int) -> int:
    return callgrind_ir([str(driver), "--arena-mb", "64"], ours_script(module, n))


def run_driver(driver: Path, module: Path, n: int) -> int:
    out = subprocess.run([str(driver), "--arena-mb", "64"], input=ours_script(module, n),
                         capture_output=True, text=True, check=True).stdout.split("\n")
    m = re.match(r"ok i32:([0-9a-f]+)", out[2]) if len(out) > 2 else None
    if m is None:
        raise RuntimeError(f"{module.name}: driver answered {out}")
    return int(m.group(1), 16)


@dataclass
class HostRow:
    kernel: Workload
    n: int
    checksum: int
    ir: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # engines that could not run it, why


HOST_ENGINES = ("native", "aot", "aot-nofuel", "interp", "wasm3")


def measure_host(kernels: tuple[Workload, ...], scale: float,
                 interp: bool = True) -> list[HostRow]:
    """interp=False: without the interpreter and wasm3 (their columns stay empty)."""
    driver = posix_build.build_program("wasmote-spec", "release")

    def modules(k: str) -> dict[str, Path]:
        mods = {"aot": package(k, ("host",))[0], "aot-nofuel": package(k, ("host",), False)[0]}
        if interp:
            mods["interp"] = by_name(k).wasm()
        return mods

    empty = modules(EMPTY.name)
    base = {e: ir_driver(driver, p, 1) for e, p in empty.items()}
    base["native"] = ir_native(EMPTY.native(), 1)
    if interp:
        base["wasm3"] = ir_wasm3(EMPTY.wasm(), 1)
    rows = []
    for k in kernels:
        n = max(1, round(k.n * scale))
        mods = modules(k.name)
        ref = run_wasmtime(k.wasm(), n)
        check_verified(k, ref)
        if run_native(k.native(), n, 1)[0] != ref:
            raise RuntimeError(f"{k.name}: native C disagrees with wasmtime")
        for engine, path in mods.items():
            got = run_driver(driver, path, n)
            if got != ref:
                raise RuntimeError(f"{k.name}: {engine} returned {got:08x}, wasmtime {ref:08x}")
        row = HostRow(k, n, ref)
        for engine, path in mods.items():
            row.ir[engine] = ir_driver(driver, path, n) - base[engine]
        row.ir["native"] = ir_native(k.native(), n) - base["native"]
        if interp:
            try:
                row.ir["wasm3"] = ir_wasm3(k.wasm(), n) - base["wasm3"]
            except RuntimeError as e:  # wasm3 is a reference, not ours: note and go on
                row.notes.append(f"wasm3 failed on {k.name}: {wasm3_error(str(e))}")
        rows.append(row)
    return rows


# ---- Cortex-M4 under QEMU -------------------------------------------------------------------


def _c_bytes(name: str, data: bytes) -> str:
    body = ",".join(str(b) for b in data)
    return (f"static const uint8_t {name}[{len(data)}] __attribute__((aligned(8))) = "
            f"{{{body}}};\n")


# the packages of a kernel in the M4 image, in aot_bench_main.c's BENCH_V_* order:
# (fuel, bounds checks)
M4_VARIANTS = (("FUEL", True, True), ("NOFUEL", False, True), ("FUEL_NB", True, False),
               ("NOFUEL_NB", False, False))


def write_bench_data(kernels: tuple[Workload, ...], path: Path, target: str = "cortex-m4",
                     interp: bool = True, mpu: bool = True) -> None:
    out = ["/* generated by bench/aot.py */", "#include <stdint.h>",
           f"#define BENCH_INTERP {int(interp)}", f"#define BENCH_MPU {int(mpu)}",
           *(f"#define BENCH_V_{name} {i}u" for i, (name, _, _) in enumerate(M4_VARIANTS)),
           f"#define BENCH_VARIANTS {len(M4_VARIANTS)}u",
           "typedef struct bench_kernel { const char *name; uint32_t n; "
           "uint32_t (*native)(uint32_t); const uint8_t *pkg[BENCH_VARIANTS]; "
           "uint32_t len[BENCH_VARIANTS]; uint32_t again; } bench_kernel;"]
    rows = []
    for k in kernels:
        cname = c_name(k.name)
        out.append(f"uint32_t run_{cname}(uint32_t n);")
        names, lens = [], []
        for name, fuel, checks in M4_VARIANTS:
            data = package(k.name, (target,), fuel, checks)[1].to_bytes()
            out.append(_c_bytes(f"pkg_{cname}_{name.lower()}", data))
            names.append(f"pkg_{cname}_{name.lower()}")
            lens.append(f"{len(data)}u")
        rows.append(f'{{"{k.name}", {k.m4_n}u, run_{cname}, '
                    f"{{{', '.join(names)}}}, {{{', '.join(lens)}}}, {int(k == EMPTY)}u}}")
    out.append(f"#define BENCH_KERNELS {len(kernels)}u")
    out.append("static const bench_kernel bench_kernels[] = {\n    " + ",\n    ".join(rows)
               + "\n};")
    path.write_text("\n".join(out) + "\n")


M4_BOARD = "mps2-an386"
M4_RUNTIME_FLASH = 512 * 1024  # the runtime, the main and slack: what a batch leaves free


def m4_flash_need(k: Workload, board_name: str = M4_BOARD) -> int:
    """Bytes of flash a workload takes in a bench image: its packages and native code (the
    object file's size, an upper bound)."""
    cpu = load_board_json(board_name)
    obj = k.arm_object(cpu["wasmote"]["toolchain"], cpu["build"]["cflags"].split())
    target = target_for_board(board_name).name
    return obj.stat().st_size + sum(
        len(package(k, (target,), fuel, checks)[1].to_bytes())
        for _, fuel, checks in M4_VARIANTS)


def m4_batches(kernels: tuple[Workload, ...], board_name: str = M4_BOARD
               ) -> list[tuple[Workload, ...]]:
    """The workloads in groups that each fit one image's flash, in order."""
    flash = int(load_board_json(board_name)["wasmote"]["memory"]["flash"]["size"])
    budget = flash - M4_RUNTIME_FLASH
    batches: list[list[Workload]] = [[]]
    used = 0
    for k in kernels:
        need = m4_flash_need(k, board_name)
        if batches[-1] and used + need > budget:
            batches.append([])
            used = 0
        batches[-1].append(k)
        used += need
    return [tuple(b) for b in batches]


def build_m4_image(kernels: tuple[Workload, ...], board_name: str = M4_BOARD,
                   out: Path | None = None, interp: bool = True, mpu: bool = True) -> Path:
    """The bench image: runtime + aot + package parser + workloads (native) + the main."""
    out = out or AOT_DIR / "m4"
    out.mkdir(parents=True, exist_ok=True)
    gen = out / "gen"
    gen.mkdir(exist_ok=True)
    write_bench_data(kernels, gen / "aot_bench_data.h", target_for_board(board_name).name,
                     interp, mpu)
    board = load_board_json(board_name)
    natives = [k.arm_object(board["wasmote"]["toolchain"], board["build"]["cflags"].split())
               for k in kernels]
    core = FIRMWARE_DIR / "src" / "core"
    sources = [M4_DIR / "aot_bench_main.c", *sorted((core / "base").glob("*.c")),
               *sorted((core / "runtime").glob("*.c")),
               *sorted((core / "aot").glob("*.c")),
               *sorted((core / "aot" / "arch").glob("*.c")),  # the isolating half (MPU)
               *sorted((core / "aot" / "arch").glob("*.S")),
               core / "sandbox" / "package.c",
               *sorted((core / "crypto").glob("*.c")),
               FIRMWARE_DIR / "src" / "app" / "freestanding.c"]
    dirs = (gen,)  # (every core folder is on build_bare_image's path)
    return build_image(sources, dirs, out, board_name, objects=natives)


@dataclass
class M4Result:
    calib: int                               # ticks for 2 M instructions
    run: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # sum, ticks
    load: dict[tuple[str, str], int] = field(default_factory=dict)
    again: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # 2nd call
    slices: dict[tuple[str, str], int] = field(default_factory=dict)
    isolation: int = 0                       # PMSA version wm_aot_isolation() reported
    refused: set[str] = field(default_factory=set)  # no-bounds code refused unisolated

    def instructions(self, ticks: int) -> float:
        return ticks * 2_000_000 / self.calib


def run_m4(elf: Path, board_name: str = M4_BOARD, timeout: float = 1800.0) -> M4Result:
    lines = run_icount(elf, "M4 bench", board_name=board_name, timeout=timeout)
    res = M4Result(int(next(ln.split()[1] for ln in lines if ln.startswith("calib "))))
    for ln in lines:
        f = ln.split()
        if f and f[0] == "run":
            res.run[(f[1], f[2])] = (int(f[3]), int(f[4]))
        elif f and f[0] == "again":
            res.again[(f[1], f[2])] = (int(f[3]), int(f[4]))
        elif f and f[0] == "load":
            res.load[(f[1], f[2])] = int(f[3])
        elif f and f[0] == "slices":
            res.slices[(f[1], f[2])] = int(f[3])
        elif f and f[0] == "isolation":
            res.isolation = int(f[1])
        elif f and f[0] == "refused":
            res.refused.add(f[1])
    return res


def measure_m4(kernels: tuple[Workload, ...], board_name: str = M4_BOARD,
               interp: bool = True, mpu: bool = True) -> M4Result:
    """Every workload (and the empty kernel, for the fixed costs) on a QEMU board (the M4
    unless said), in as many images as they need; one result."""
    total: M4Result | None = None
    for i, batch in enumerate(m4_batches((*kernels, EMPTY), board_name)):
        elf = build_m4_image(batch, board_name, AOT_DIR / f"{board_name}-{i}", interp, mpu)
        res = run_m4(elf, board_name)
        if total is None:
            total = res
            continue
        if abs(res.calib - total.calib) > total.calib // 100:
            raise RuntimeError(f"the M4 images disagree on the calibration loop: "
                               f"{total.calib} vs {res.calib} ticks")
        total.run.update(res.run)
        total.load.update(res.load)
        total.again.update(res.again)
        total.slices.update(res.slices)
        total.refused |= res.refused
        total.isolation = total.isolation or res.isolation
    assert total is not None
    return total


# ---- report ---------------------------------------------------------------------------------


def sup_slice_max() -> int:
    """WM_SUP_SLICE_MAX, the supervisor's slice cap the bench image uses (supervisor.h)."""
    text = (FIRMWARE_DIR / "src" / "core" / "supervisor" / "supervisor.h").read_text()
    m = re.search(r"#define WM_SUP_SLICE_MAX (\d+)u", text)
    if m is None:
        raise WasmoteError("supervisor.h: WM_SUP_SLICE_MAX not found")
    return int(m.group(1))


def _m(x: float) -> str:
    return f"{x / 1e6:.2f}M" if x >= 1e5 else f"{x / 1e3:.1f}k"


def _geo(xs: list[float]) -> float:
    good = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in good) / len(good)) if good else float("nan")


def _r(num: float | None, den: float | None, digits: int = 2) -> str:
    return "-" if not num or not den else f"{num / den:.{digits}f}"


def _g(xs: list[float], digits: int = 2) -> str:
    return "-" if not xs else f"{_geo(xs):.{digits}f}"


def host_table(rows: list[HostRow]) -> str:
    head = ("| workload | n | native | AOT | AOT no fuel | interp | wasm3 | AOT/native | "
            "no-fuel/native | interp/AOT | wasm3/AOT |")
    out = [head, "|" + "---|" * 11]
    ratios: dict[str, list[float]] = {"an": [], "nn": [], "ia": [], "wa": []}
    for r in rows:
        ir: dict[str, float | None] = {e: r.ir.get(e) for e in HOST_ENGINES}
        for key, num, den in (("an", "aot", "native"), ("nn", "aot-nofuel", "native"),
                              ("ia", "interp", "aot"), ("wa", "wasm3", "aot")):
            a, b = ir[num], ir[den]
            if a and b:
                ratios[key].append(a / b)
        cells = " | ".join("-" if ir[e] is None else _m(ir[e] or 0)
                           for e in ("native", "aot", "aot-nofuel", "interp", "wasm3"))
        out.append(f"| {r.kernel.name} | {r.n} | {cells} | {_r(ir['aot'], ir['native'])} | "
                   f"{_r(ir['aot-nofuel'], ir['native'])} | {_r(ir['interp'], ir['aot'], 1)} | "
                   f"{_r(ir['wasm3'], ir['aot'], 1)} |")
    out.append(f"| **geomean** | | | | | | | **{_g(ratios['an'])}** | {_g(ratios['nn'])} | "
               f"**{_g(ratios['ia'], 1)}** | **{_g(ratios['wa'], 1)}** |")
    notes = [n for r in rows for n in r.notes]
    if notes:
        out.append("\n" + "\n".join(f"- {n}" for n in notes))
    return "\n".join(out)


def m4_table(kernels: tuple[Workload, ...], res: M4Result) -> str:
    """AOT (with and without fuel) and the interpreter against native, and the load of a
    package as AOT code and as a module to interpret."""
    head = ("| workload | n | native | AOT | AOT no fuel | interp | AOT/native | "
            "no-fuel/native | interp/AOT | load AOT | load interp | load AOT/interp | "
            "check AOT |")
    out = [head, "|" + "---|" * 13]
    cols: dict[str, list[float]] = {"an": [], "nn": [], "ia": [], "ll": []}
    for k in kernels:
        sums = {e: res.run[(k.name, e)][0] for e in ("native", "aot", "aot-nofuel", "interp")
                if (k.name, e) in res.run}
        if len(set(sums.values())) != 1 or "aot" not in sums:
            raise RuntimeError(f"{k.name} on the M4: checksums differ or missing: {sums}")
        check_verified(k, sums["native"])
        ins = {e: res.instructions(res.run[(k.name, e)][1]) for e in sums}
        load = {e: res.instructions(res.load[(k.name, e)])
                for e in ("aot", "interp", "aot-full") if (k.name, e) in res.load}
        i_int, l_int = ins.get("interp"), load.get("interp")
        for key, num, den in (("an", ins["aot"], ins["native"]),
                              ("nn", ins["aot-nofuel"], ins["native"]),
                              ("ia", i_int, ins["aot"]), ("ll", load["aot"], l_int)):
            if num and den:
                cols[key].append(num / den)
        out.append(f"| {k.name} | {k.m4_n} | {_m(ins['native'])} | {_m(ins['aot'])} | "
                   f"{_m(ins['aot-nofuel'])} | {'-' if i_int is None else _m(i_int)} | "
                   f"{_r(ins['aot'], ins['native'])} | {_r(ins['aot-nofuel'], ins['native'])} | "
                   f"{_r(i_int, ins['aot'], 1)} | {_m(load['aot'])} | "
                   f"{'-' if l_int is None else _m(l_int)} | {_r(load['aot'], l_int)} | "
                   f"{_m(load['aot-full']) if 'aot-full' in load else '-'} |")
    out.append(f"| **geomean** | | | | | | **{_g(cols['an'])}** | {_g(cols['nn'])} | "
               f"**{_g(cols['ia'], 1)}** | | | {_g(cols['ll'])} | |")
    worst = max((res.instructions(res.run[(k.name, 'aot')][1])
                 / res.instructions(res.run[(k.name, 'native')][1]), k.name) for k in kernels)
    out.append(f"\n(highest AOT/native: {worst[1]} {worst[0]:.2f})")
    return "\n".join(out)


def ratio_by_core_table(kernels: tuple[Workload, ...], cores: dict[str, M4Result]) -> str:
    """AOT/native and interp/AOT side by side, one column per core."""
    names = list(cores)
    out = ["| kernel | " + " | ".join(f"AOT/native {n}" for n in names) + " | "
           + " | ".join(f"interp/AOT {n}" for n in names) + " |",
           "|" + "---|" * (1 + 2 * len(names))]
    an: dict[str, list[float]] = {n: [] for n in names}
    ia: dict[str, list[float]] = {n: [] for n in names}
    for k in kernels:
        cells_an, cells_ia = [], []
        for n, res in cores.items():
            t_nat, t_aot, t_int = (res.run[(k.name, e)][1] for e in ("native", "aot", "interp"))
            an[n].append(t_aot / t_nat)
            ia[n].append(t_int / t_aot)
            cells_an.append(f"{t_aot / t_nat:.2f}")
            cells_ia.append(f"{t_int / t_aot:.1f}")
        out.append(f"| {k.name} | " + " | ".join(cells_an) + " | " + " | ".join(cells_ia) + " |")
    out.append("| **geomean** | " + " | ".join(f"**{_geo(an[n]):.2f}**" for n in names) + " | "
               + " | ".join(f"**{_geo(ia[n]):.1f}**" for n in names) + " |")
    return "\n".join(out)


def _checked(kernels: tuple[Workload, ...], res: M4Result, engines: tuple[str, ...]) -> None:
    """Every engine of every kernel ran and returned native's checksum; isolation was on and
    the device refused code without bounds checks outside it."""
    if res.isolation == 0:
        raise RuntimeError("the M4 bench image did not set up the MPU (wm_aot_isolation() 0)")
    for k in kernels:
        if k.name not in res.refused:
            raise RuntimeError(f"{k.name}: code without bounds checks was not refused "
                               "unisolated")
        ref = res.run[(k.name, "native")][0]
        for e in engines:
            if (k.name, e) not in res.run:
                raise RuntimeError(f"{k.name}: engine {e} did not run on the M4")
            if res.run[(k.name, e)][0] != ref:
                raise RuntimeError(f"{k.name} on the M4: {e} returned {res.run[(k.name, e)][0]}"
                                   f", native {ref}")


MPU_ENGINES = ("aot", "iso", "iso-nb", "aot-nofuel", "iso-nofuel", "iso-nofuel-nb",
               "aot-slice", "iso-slice", "iso-nb-slice")


def mpu_table(kernels: tuple[Workload, ...], res: M4Result) -> str:
    """Isolated by the MPU, with and without software bounds checks, against native and
    unisolated AOT (all with fuel; ratio columns without fuel)."""
    _checked(kernels, res, MPU_ENGINES)
    head = ("| kernel | native | AOT | MPU | MPU no checks | AOT/native | MPU/native | "
            "MPU no checks/native | no fuel: AOT/native | no fuel: MPU/native | "
            "no fuel: MPU no checks/native |")
    out = [head, "|" + "---|" * 11]
    cols: dict[str, list[float]] = {e: [] for e in MPU_ENGINES}
    for k in kernels:
        ins = {e: res.instructions(res.run[(k.name, e)][1]) for e in (*MPU_ENGINES, "native")}
        for e in MPU_ENGINES:
            cols[e].append(ins[e] / ins["native"])
        r = {e: ins[e] / ins["native"] for e in MPU_ENGINES}
        out.append(f"| {k.name} | {_m(ins['native'])} | {_m(ins['aot'])} | {_m(ins['iso'])} | "
                   f"{_m(ins['iso-nb'])} | {r['aot']:.2f} | {r['iso']:.2f} | "
                   f"{r['iso-nb']:.2f} | {r['aot-nofuel']:.2f} | {r['iso-nofuel']:.2f} | "
                   f"{r['iso-nofuel-nb']:.2f} |")
    g = {e: _geo(v) for e, v in cols.items()}
    out.append(f"| **geomean** | | | | | **{g['aot']:.2f}** | **{g['iso']:.2f}** | "
               f"**{g['iso-nb']:.2f}** | {g['aot-nofuel']:.2f} | {g['iso-nofuel']:.2f} | "
               f"{g['iso-nofuel-nb']:.2f} |")
    return "\n".join(out)


def slice_table(kernels: tuple[Workload, ...], res: M4Result) -> str:
    """The call in the supervisor's slices (WM_SUP_SLICE_MAX fuel, then wm_resume): each
    slice end is a suspension, under the MPU two more trips through the gate."""
    head = ("| kernel | slices | AOT sliced/native | MPU sliced/native | "
            "MPU no checks sliced/native |")
    out = [head, "|" + "---|" * 5]
    cols: dict[str, list[float]] = {"aot-slice": [], "iso-slice": [], "iso-nb-slice": []}
    for k in kernels:
        nat = res.instructions(res.run[(k.name, "native")][1])
        r = {e: res.instructions(res.run[(k.name, e)][1]) / nat for e in cols}
        for e in cols:
            cols[e].append(r[e])
        out.append(f"| {k.name} | {res.slices[(k.name, 'iso-slice')]} | "
                   f"{r['aot-slice']:.2f} | {r['iso-slice']:.2f} | {r['iso-nb-slice']:.2f} |")
    out.append(f"| **geomean** | | {_geo(cols['aot-slice']):.2f} | "
               f"{_geo(cols['iso-slice']):.2f} | {_geo(cols['iso-nb-slice']):.2f} |")
    return "\n".join(out)


def overheads(kernels: tuple[Workload, ...], res: M4Result) -> str:
    """Per call (the empty kernel), per slice (over all kernels) and load, AOT vs isolated."""
    _checked((EMPTY,), res, ("aot", "iso"))
    ins = res.instructions
    call = {e: ins(res.run[(EMPTY.name, e)][1]) for e in ("native", "aot", "iso")}
    again = {e: ins(res.again[(EMPTY.name, e)][1]) for e in ("aot", "iso")}
    per_slice = {}
    for plain, sliced in (("aot", "aot-slice"), ("iso", "iso-slice")):
        extra = sum(ins(res.run[(k.name, sliced)][1]) - ins(res.run[(k.name, plain)][1])
                    for k in kernels)
        n = sum(res.slices[(k.name, sliced)] - 1 for k in kernels)
        per_slice[plain] = extra / n if n else float("nan")
    load = {e: _geo([ins(res.load[(k.name, e)]) for k in kernels]) for e in ("aot", "iso")}
    return (f"- one call of the empty kernel: native {call['native']:.0f}, AOT "
            f"{call['aot']:.0f}, AOT under the MPU {call['iso']:.0f} instructions (first call "
            f"of an instance); the next call: AOT {again['aot']:.0f}, under the MPU "
            f"{again['iso']:.0f}\n"
            f"- one extra slice (suspend + wm_resume, averaged over "
            f"{sum(res.slices[(k.name, 'iso-slice')] - 1 for k in kernels)} slice ends): AOT "
            f"{per_slice['aot']:.0f}, under the MPU {per_slice['iso']:.0f} instructions\n"
            f"- load (geomean over the kernels): AOT {_m(load['aot'])}, under the MPU "
            f"{_m(load['iso'])} instructions")


def bounds_size_table(kernels: tuple[Workload, ...]) -> str:
    out = ["| kernel | M4 code, bounds checks | M4 code, no checks | smaller by |",
           "|" + "---|" * 4]
    for k in kernels:
        with_c = len(AotBlob.decode(package(k.name, ("cortex-m4",))[1].aot[0].code).code)
        without = len(AotBlob.decode(
            package(k.name, ("cortex-m4",), bounds_checks=False)[1].aot[0].code).code)
        out.append(f"| {k.name} | {with_c} | {without} | {1 - without / with_c:.0%} |")
    return "\n".join(out)


def size_table(kernels: tuple[Workload, ...]) -> str:
    out = ["| kernel | wasm (stripped) | AOT host | AOT Cortex-M4 | M4 code | M4/wasm |",
           "|" + "---|" * 6]
    for k in kernels:
        _, host = package(k.name, ("host",))
        _, m4 = package(k.name, ("cortex-m4",))
        wasm = len(m4.module)
        m4_sec = len(m4.aot[0].code) + 8
        code = len(AotBlob.decode(m4.aot[0].code).code)
        out.append(f"| {k.name} | {wasm} | {len(host.aot[0].code) + 8} | {m4_sec} | {code} | "
                   f"{m4_sec / wasm:.1f} |")
    return "\n".join(out)


def families(kernels: tuple[Workload, ...]) -> list[tuple[str, tuple[Workload, ...]]]:
    """The selection split into the tables' families (each with its own geomean)."""
    kern = tuple(k for k in kernels if k.suite == "kernel")
    progs = tuple(k for k in kernels if k.suite != "kernel")
    return [(t, ks) for t, ks in (("Kernels", kern),
                                  ("Programs nobody here wrote (Embench-IoT, CoreMark)", progs))
            if ks]


def by_family(kernels: tuple[Workload, ...], heading: Callable[[str], str],
              table: Callable[[tuple[Workload, ...]], str]) -> None:
    """Print one table per family of the selection, each under its heading."""
    for title, ks in families(kernels):
        print(heading(title))
        print(table(ks))
        print()


def left_out() -> str:
    if not PROGRAMS_LEFT_OUT:
        return ("Every Embench-IoT program of ../shared/bench-programs/ builds freestanding "
                "and verifies.")
    return "Left out: " + "; ".join(f"{k} ({v})" for k, v in PROGRAMS_LEFT_OUT.items())


def probe_needs(lx106: bool) -> tuple[Need, ...]:
    """What this bench builds of each program beyond its wasm and host builds: a discovered
    program that one of these refuses is left out with the refusal (bench/program_probe)."""
    def host(w: Workload) -> None:
        package(w, ("host",))
        package(w, ("host",), False)

    needs = [Need("AOT code for the host", host),
             Need(f"AOT code and native object for {M4_BOARD}", m4_flash_need)]
    if lx106:
        needs.append(Need("AOT code and native object for xtensa-lx106",
                          lambda w: m4_flash_need(w, "xtensa-lx106")))
    return tuple(needs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--kernels", default="",
                    help="comma-separated workloads; `kernels` or `programs` for a family "
                         "(default: all)")
    ap.add_argument("--scale", type=float, default=1.0, help="host work per workload")
    ap.add_argument("--no-host", action="store_true")
    ap.add_argument("--no-m4", action="store_true")
    ap.add_argument("--no-lx106", action="store_true", help="skip the Xtensa LX106 run")
    ap.add_argument("--no-interp", action="store_true",
                    help="leave out the interpreter (and wasm3)")
    ap.add_argument("--no-mpu", action="store_true",
                    help="leave out the isolated and sliced engines on the M4")
    ap.add_argument("--no-sizes", action="store_true")
    args = ap.parse_args(argv)
    kernels = usable(select(POOL, args.kernels), probe_needs(not args.no_lx106))
    interp, mpu = not args.no_interp, not args.no_mpu
    if any(k.suite != "kernel" for k in kernels):
        print(left_out() + "\n")
    if not args.no_host:
        rows = measure_host(kernels, args.scale, interp)
        by_family(kernels, lambda t: f"{t}. Host (x86-64): instructions executed, callgrind "
                  "Ir minus the same engine running an empty kernel\n",
                  lambda ks: host_table([r for r in rows if r.kernel in ks]))
    cores: dict[str, M4Result] = {}
    if not args.no_m4:
        res = measure_m4(kernels, interp=interp, mpu=mpu)
        cores["M4F"] = res
        by_family(kernels, lambda t: f"{t}. Cortex-M4F (mps2-an386, QEMU -icount shift=0): "
                  "instructions of the call (timer ticks x 40, calibrated); load = package "
                  "hash + load + attach + instantiate, attached as a stored image loads "
                  "(no module hash); check AOT = the same with the module's SHA-256 (what "
                  "the check before a commit pays)\n", lambda ks: m4_table(ks, res))
        if mpu:
            print(f"Bounds checks vs the MPU (PMSAv{res.isolation}): AOT isolated as the "
                  "product runs signed native code (unprivileged, SVC gate), compiled with "
                  "and without software bounds checks; fuel metering on unless said\n")
            by_family(kernels, lambda t: f"{t}:\n", lambda ks: mpu_table(ks, res))
            print(f"In the supervisor's slices of {sup_slice_max()} fuel (wm_resume after "
                  "each)\n")
            by_family(kernels, lambda t: f"{t}:\n", lambda ks: slice_table(ks, res))
            print(overheads(kernels, res))
            print()
    if not args.no_lx106:
        lx = measure_m4(kernels, "xtensa-lx106", interp=interp, mpu=False)
        cores["LX106"] = lx
        by_family(kernels, lambda t: f"{t}. Xtensa LX106 (xtensa-lx106, QEMU -icount "
                  "shift=0): instructions of the call (CCOUNT ticks x 25, calibrated); load = "
                  "package hash + load + attach + instantiate\n", lambda ks: m4_table(ks, lx))
    if len(cores) > 1 and interp:
        print("By core (QEMU -icount): AOT/native and interp/AOT\n")
        print(ratio_by_core_table(kernels, cores))
        print()
    if not args.no_sizes:
        print("AOT code size for Cortex-M4 (with fuel), with and without bounds checks "
              "(bytes)\n")
        print(bounds_size_table(kernels))
        print()
        print("Package sizes (bytes): the stripped module and the AOT sections (header, "
              "tables, code)\n")
        print(size_table(kernels))
        print()
        rep = posix_build.arm_core_size(("aot",))
        print(f"Flash cost of AOT support on the device: core/aot built -Os for Cortex-M4, "
              f"{rep.text + rep.data} bytes of objects (before linking; plus the arch switch, "
              f"~100 bytes of assembly)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (WasmoteError, RuntimeError, ImageBuildError, subprocess.CalledProcessError) as e:
        print(f"bench/aot: {e}", file=sys.stderr)
        sys.exit(1)
