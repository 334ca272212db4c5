"""AOT speed and size: native C vs our AOT code vs our interpreter (vs wasm3 on the host).

    python -m bench.aot [--kernels crc32,aes] [--no-host] [--no-m4] [--no-lx106] [--scale X]

Kernels (bench/kernels/*.c, `uint32_t run(uint32_t n)` returning a checksum) are compiled to
wasm with zig cc -O2; the wasm is AOT-compiled by `wasmote compile` (the same code path) and
the C is compiled natively by the same compiler the AOT code goes through, for the same
core. All checksums must agree (wasmtime is the referee). Everything is measured in this run:

- host: instructions (valgrind --tool=callgrind, total Ir) of running the kernel minus the
  same engine running the empty kernel: native (cc -O2), AOT with fuel (the default), AOT
  compiled without fuel, our interpreter, wasm3 (PyPI pywasm3);
- Cortex-M4F (mps2-an386 under QEMU, -icount shift=0): instructions of the call alone, read
  from a 25 MHz timer (calibrated: 40 instructions per tick): native (arm-none-eabi-gcc -O2,
  hard float), AOT (executed in place from flash), interpreter (the runtime at -O2); also the
  load time (package hash + load + attach + instantiate) of AOT and interpreter;
- bounds checks vs the MPU, same image and run: AOT isolated as the product runs signed
  native code (wm_aot_attach_isolated: unprivileged under the MPU, services through the SVC
  gate), compiled with and without software bounds checks, with and without fuel, in one
  call and in the supervisor's fuel slices; the cost of a call and of a slice (empty
  kernel), and the code size with and without checks;
- Xtensa LX106 (xtensa-lx106 under QEMU, -icount shift=0): the same image and kernels
  (native: xtensa-lx106-elf-gcc -O2, call0 ABI, soft float through the port's helpers),
  counted with CCOUNT (calibrated: 25 instructions per tick); no MPU, so no isolated runs;
- sizes: the stripped wasm module vs the AOT section for the host and Cortex-M4.
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.aot_m4.image import ImageBuildError, build_image
from bench.bare_image import run_icount
from bench.interp import (
    EMPTY,
    KERNEL_DIR,
    KERNELS,
    OUT_DIR,
    Kernel,
    KernelBuildError,
    build_native,
    build_wasm,
    callgrind_ir,
    ir_native,
    ir_wasm3,
    ours_script,
    run_wasmtime,
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

AOT_KERNELS: tuple[Kernel, ...] = (
    *KERNELS,
    Kernel("aes", 8, "AES-128 CBC of 4 KiB (FIPS-197, byte-oriented)"),
    Kernel("dct", 6, "JPEG-like 8x8 integer DCT + quantisation, 64x64 image"),
    Kernel("crc64k", 1, "CRC-32C of 64 KiB, bitwise (no table)"),
)
# work per kernel on the Cortex-M4 (one pass: the interpreter is slow under QEMU)
M4_N = {"crc32": 1, "matmul": 1, "sha256": 2, "quicksort": 1, "fir": 1, "aes": 1, "dct": 1,
        "crc64k": 1}
AOT_DIR = OUT_DIR / "aot"
M4_DIR = REPO_ROOT / "bench" / "aot_m4"


def _strip(wasm: Path) -> bytes:
    return bytes(strip_bytes(wasm.read_bytes())[0])


def package(kernel: str, targets: tuple[str, ...], fuel: bool = True,
            bounds_checks: bool = True) -> tuple[Path, Package]:
    """The kernel's stripped module with AOT sections for `targets` (cached compiles);
    bounds_checks=False: code that a device runs only isolated by its MPU."""
    module = _strip(build_wasm(kernel))
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
    kernel: Kernel
    n: int
    checksum: int
    ir: dict[str, int] = field(default_factory=dict)


HOST_ENGINES = ("native", "aot", "aot-nofuel", "interp", "wasm3")


def measure_host(kernels: tuple[Kernel, ...], scale: float) -> list[HostRow]:
    driver = posix_build.build_program("wasmote-spec", "release")

    def modules(k: str) -> dict[str, Path]:
        return {"aot": package(k, ("host",))[0], "aot-nofuel": package(k, ("host",), False)[0],
                "interp": build_wasm(k)}

    empty = modules(EMPTY.name)
    base = {e: ir_driver(driver, p, 1) for e, p in empty.items()}
    base["native"] = ir_native(build_native(EMPTY.name), 1)
    base["wasm3"] = ir_wasm3(build_wasm(EMPTY.name), 1)
    rows = []
    for k in kernels:
        n = max(1, round(k.n * scale))
        mods = modules(k.name)
        ref = run_wasmtime(build_wasm(k.name), n)
        for engine, path in mods.items():
            got = run_driver(driver, path, n)
            if got != ref:
                raise RuntimeError(f"{k.name}: {engine} returned {got:08x}, wasmtime {ref:08x}")
        row = HostRow(k, n, ref)
        for engine, path in mods.items():
            row.ir[engine] = ir_driver(driver, path, n) - base[engine]
        row.ir["native"] = ir_native(build_native(k.name), n) - base["native"]
        row.ir["wasm3"] = ir_wasm3(build_wasm(k.name), n) - base["wasm3"]
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


def write_bench_data(kernels: tuple[Kernel, ...], path: Path, target: str = "cortex-m4") -> None:
    out = ["/* generated by bench/aot.py */", "#include <stdint.h>",
           *(f"#define BENCH_V_{name} {i}u" for i, (name, _, _) in enumerate(M4_VARIANTS)),
           f"#define BENCH_VARIANTS {len(M4_VARIANTS)}u",
           "typedef struct bench_kernel { const char *name; uint32_t n; "
           "uint32_t (*native)(uint32_t); const uint8_t *pkg[BENCH_VARIANTS]; "
           "uint32_t len[BENCH_VARIANTS]; uint32_t again; } bench_kernel;"]
    rows = []
    for k in kernels:
        out.append(f"uint32_t run_{k.name}(uint32_t n);")
        names, lens = [], []
        for name, fuel, checks in M4_VARIANTS:
            data = package(k.name, (target,), fuel, checks)[1].to_bytes()
            out.append(_c_bytes(f"pkg_{k.name}_{name.lower()}", data))
            names.append(f"pkg_{k.name}_{name.lower()}")
            lens.append(f"{len(data)}u")
        rows.append(f'{{"{k.name}", {M4_N.get(k.name, 1)}u, run_{k.name}, '
                    f"{{{', '.join(names)}}}, {{{', '.join(lens)}}}, {int(k == EMPTY)}u}}")
    out.append(f"#define BENCH_KERNELS {len(kernels)}u")
    out.append("static const bench_kernel bench_kernels[] = {\n    " + ",\n    ".join(rows)
               + "\n};")
    path.write_text("\n".join(out) + "\n")


def build_m4_image(kernels: tuple[Kernel, ...], board_name: str = "mps2-an386",
                   out: Path | None = None) -> Path:
    """The bench image: runtime + aot + package parser + kernels (native) + the main."""
    out = out or AOT_DIR / "m4"
    out.mkdir(parents=True, exist_ok=True)
    gen = out / "gen"
    gen.mkdir(exist_ok=True)
    write_bench_data(kernels, gen / "aot_bench_data.h", target_for_board(board_name).name)
    core = FIRMWARE_DIR / "src" / "core"
    # kernels natively: one translation unit each, `run` renamed
    units = []
    for k in kernels:
        unit = gen / f"native_{k.name}.c"
        unit.write_text(f'#define run run_{k.name}\n#include "{KERNEL_DIR / (k.name + ".c")}"\n')
        units.append(unit)
    sources = [M4_DIR / "aot_bench_main.c", *sorted((core / "runtime").glob("*.c")),
               *sorted((core / "aot").glob("*.c")),
               *sorted((core / "aot" / "arch").glob("*.c")),  # the isolating half (MPU)
               *sorted((core / "aot" / "arch").glob("*.S")),
               core / "sandbox" / "package.c", core / "sandbox" / "sb_util.c",
               *sorted((core / "crypto").glob("*.c")),
               FIRMWARE_DIR / "src" / "app" / "freestanding.c", *units]
    dirs = (gen, KERNEL_DIR, core, *sorted(p for p in core.iterdir() if p.is_dir()))
    return build_image(sources, dirs, out, board_name)


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


def run_m4(elf: Path, board_name: str = "mps2-an386", timeout: float = 1800.0) -> M4Result:
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


def host_table(rows: list[HostRow]) -> str:
    head = ("| kernel | n | native | AOT | AOT no fuel | interp | wasm3 | AOT/native | "
            "no-fuel/native | interp/AOT | wasm3/AOT |")
    out = [head, "|" + "---|" * 11]
    ratios: dict[str, list[float]] = {"an": [], "nn": [], "ia": [], "wa": []}
    for r in rows:
        ir = r.ir
        an, nn = ir["aot"] / ir["native"], ir["aot-nofuel"] / ir["native"]
        ia, wa = ir["interp"] / ir["aot"], ir["wasm3"] / ir["aot"]
        for key, v in (("an", an), ("nn", nn), ("ia", ia), ("wa", wa)):
            ratios[key].append(v)
        out.append(f"| {r.kernel.name} | {r.n} | {_m(ir['native'])} | {_m(ir['aot'])} | "
                   f"{_m(ir['aot-nofuel'])} | {_m(ir['interp'])} | {_m(ir['wasm3'])} | "
                   f"{an:.2f} | {nn:.2f} | {ia:.1f} | {wa:.1f} |")
    out.append(f"| **geomean** | | | | | | | **{_geo(ratios['an']):.2f}** | "
               f"{_geo(ratios['nn']):.2f} | **{_geo(ratios['ia']):.1f}** | "
               f"**{_geo(ratios['wa']):.1f}** |")
    return "\n".join(out)


def m4_table(kernels: tuple[Kernel, ...], res: M4Result) -> str:
    head = ("| kernel | n | native | AOT | AOT no fuel | interp | AOT/native | "
            "no-fuel/native | interp/AOT | load AOT | load interp |")
    out = [head, "|" + "---|" * 11]
    an, nn, ia = [], [], []
    for k in kernels:
        s_nat, t_nat = res.run[(k.name, "native")]
        s_aot, t_aot = res.run[(k.name, "aot")]
        s_nof, t_nof = res.run[(k.name, "aot-nofuel")]
        s_int, t_int = res.run[(k.name, "interp")]
        if not s_nat == s_aot == s_nof == s_int:
            raise RuntimeError(f"{k.name} on the M4: checksums differ: native {s_nat}, aot "
                               f"{s_aot}, no fuel {s_nof}, interp {s_int}")
        i_nat, i_aot, i_nof, i_int = (res.instructions(t) for t in (t_nat, t_aot, t_nof,
                                                                      t_int))
        an.append(i_aot / i_nat)
        nn.append(i_nof / i_nat)
        ia.append(i_int / i_aot)
        out.append(f"| {k.name} | {M4_N.get(k.name, 1)} | {_m(i_nat)} | {_m(i_aot)} | "
                   f"{_m(i_nof)} | {_m(i_int)} | {i_aot / i_nat:.2f} | {i_nof / i_nat:.2f} | "
                   f"{i_int / i_aot:.1f} | "
                   f"{_m(res.instructions(res.load[(k.name, 'aot')]))} | "
                   f"{_m(res.instructions(res.load[(k.name, 'interp')]))} |")
    out.append(f"| **geomean** | | | | | | **{_geo(an):.2f}** | {_geo(nn):.2f} | "
               f"**{_geo(ia):.1f}** | | |")
    return "\n".join(out)


def ratio_by_core_table(kernels: tuple[Kernel, ...], cores: dict[str, M4Result]) -> str:
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


def _checked(kernels: tuple[Kernel, ...], res: M4Result, engines: tuple[str, ...]) -> None:
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


def mpu_table(kernels: tuple[Kernel, ...], res: M4Result) -> str:
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


def slice_table(kernels: tuple[Kernel, ...], res: M4Result) -> str:
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


def overheads(kernels: tuple[Kernel, ...], res: M4Result) -> str:
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


def bounds_size_table(kernels: tuple[Kernel, ...]) -> str:
    out = ["| kernel | M4 code, bounds checks | M4 code, no checks | smaller by |",
           "|" + "---|" * 4]
    for k in kernels:
        with_c = len(AotBlob.decode(package(k.name, ("cortex-m4",))[1].aot[0].code).code)
        without = len(AotBlob.decode(
            package(k.name, ("cortex-m4",), bounds_checks=False)[1].aot[0].code).code)
        out.append(f"| {k.name} | {with_c} | {without} | {1 - without / with_c:.0%} |")
    return "\n".join(out)


def size_table(kernels: tuple[Kernel, ...]) -> str:
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--kernels", default="", help="comma-separated subset")
    ap.add_argument("--scale", type=float, default=1.0, help="host work per kernel")
    ap.add_argument("--no-host", action="store_true")
    ap.add_argument("--no-m4", action="store_true")
    ap.add_argument("--no-lx106", action="store_true", help="skip the Xtensa LX106 run")
    args = ap.parse_args(argv)
    kernels = tuple(k for k in AOT_KERNELS
                    if not args.kernels or k.name in args.kernels.split(","))
    if not args.no_host:
        print("Host (x86-64): instructions executed, callgrind Ir minus the same engine "
              "running an empty kernel\n")
        print(host_table(measure_host(kernels, args.scale)))
        print()
    cores: dict[str, M4Result] = {}
    if not args.no_m4:
        elf = build_m4_image((*kernels, EMPTY))
        res = run_m4(elf)
        cores["M4F"] = res
        print("Cortex-M4F (mps2-an386, QEMU -icount shift=0): instructions of the call "
              "(timer ticks x 40, calibrated); load = package hash + load + attach + "
              "instantiate\n")
        print(m4_table(kernels, res))
        print()
        print(f"Bounds checks vs the MPU (PMSAv{res.isolation}): AOT isolated as the product "
              "runs signed native code (unprivileged, SVC gate), compiled with and without "
              "software bounds checks; fuel metering on unless said\n")
        print(mpu_table(kernels, res))
        print()
        print(f"In the supervisor's slices of {sup_slice_max()} fuel (wm_resume after "
              "each)\n")
        print(slice_table(kernels, res))
        print()
        print(overheads(kernels, res))
        print()
        print("AOT code size for Cortex-M4 (with fuel), with and without bounds checks "
              "(bytes)\n")
        print(bounds_size_table(kernels))
        print()
    if not args.no_lx106:
        elf = build_m4_image((*kernels, EMPTY), "xtensa-lx106", AOT_DIR / "lx106")
        lx = run_m4(elf, "xtensa-lx106")
        cores["LX106"] = lx
        print("Xtensa LX106 (xtensa-lx106, QEMU -icount shift=0): instructions of the call "
              "(CCOUNT ticks x 25, calibrated); load = package hash + load + attach + "
              "instantiate\n")
        print(m4_table(kernels, lx))
        print()
    if len(cores) > 1:
        print("By core (QEMU -icount): AOT/native and interp/AOT\n")
        print(ratio_by_core_table(kernels, cores))
        print()
    print("Package sizes (bytes): the stripped module and the AOT sections (header, tables, "
          "code)\n")
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
    except (WasmoteError, KernelBuildError, RuntimeError, ImageBuildError,
            subprocess.CalledProcessError) as e:
        print(f"bench/aot: {e}", file=sys.stderr)
        sys.exit(1)
