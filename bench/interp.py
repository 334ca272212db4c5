"""Interpreter speed: our core (posix build) vs wasm3 vs native C, on the same workloads.

    python -m bench.interp [--scale X] [--no-callgrind] [--kernels crc32,sha256|programs]

Workloads (bench/workloads.py: the kernels of bench/kernels/, and with `--kernels programs`
the Embench-IoT and CoreMark programs from ../shared/bench-programs/; freestanding C,
`uint32_t run(uint32_t n)` returning a checksum) are compiled to wasm with zig cc (-O2) and
to native code with cc -O2. Each runs on: our interpreter (the posix `wasmote-spec` driver,
release build), wasm3 (PyPI pywasm3, inside Python) and native. All checksums must agree
(wasmtime is the referee), and the programs must pass their own verification.

Our interpreter runs twice: in place (the default) and on the pre-decoded form (the
driver's --predecode, issue 20 stage 1, docs/predecoded.md: column `pd`), with the form's
translation cost (instructions of loading the module with --predecode minus without) and
its size beside the size of the function bodies it was translated from.

Two measures, both taken in this run:
- instructions (valgrind --tool=callgrind, total Ir of the process) of running the kernel
  minus running the empty kernel in the same engine, so start-up, module loading and
  Python itself cancel out;
- wall time of the call alone (best of --reps), measured inside the engine's host process.
Then the size of the core built -Os for Cortex-M4 (arm-none-eabi-size).
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.workloads import (
    KERNELS,
    PROGRAMS,
    Workload,
    WorkloadBuildError,
    by_name,
    check_verified,
    select,
)
from tests.harness.spec_driver import Answer, DriverProcess, escape_name
from wasmote import posix_build
from wasmote.errors import WasmoteError
from wasmote.paths import BUILD_DIR

OUT_DIR = BUILD_DIR / "bench-kernels"

Kernel = Workload  # the name the interpreter and AOT benches grew up with
KernelBuildError = WorkloadBuildError


def build_wasm(kernel: str) -> Path:
    """The workload's wasm module (bench/workloads.py, cached)."""
    return by_name(kernel).wasm()


def build_native(kernel: str) -> Path:
    """The workload's host executable (bench/workloads.py, cached)."""
    return by_name(kernel).native()


# ---- engines ---------------------------------------------------------------------------------


# A budget no kernel exhausts: measures what metering costs when it is on.
BIG_FUEL = 10**15


def ours_script(wasm: Path, n: int, fuel: int = 0) -> str:
    return (f"fuel {fuel}\nmodule - {escape_name(str(wasm.resolve()))}\n"
            f"invoke - run i32:{n:x}\n")


PD = ["--predecode"]  # the driver's switch to the pre-decoded interpreter


def run_ours(driver: Path, wasm: Path, n: int, reps: int,
             args: list[str] | None = None) -> tuple[int, float]:
    """(checksum, best wall seconds of the invoke) on our interpreter."""
    with DriverProcess(driver, args or [], timeout=600) as drv:
        a = Answer.parse(drv.command(f"module - {drv.module_source(wasm)}"))
        if a.kind != "ok":
            raise RuntimeError(f"our runtime refused {wasm.name}: {a.raw}")
        best = float("inf")
        checksum = -1
        for _ in range(reps):
            t = time.perf_counter()
            a = Answer.parse(drv.command(f"invoke - run i32:{n:x}"))
            best = min(best, time.perf_counter() - t)
            if a.kind != "ok" or not a.values or a.values[0].bits is None:
                raise RuntimeError(f"our runtime failed on {wasm.name}: {a.raw}")
            checksum = a.values[0].bits
    return checksum, best


WASM3_SNIPPET = """
import sys, time, wasm3
env = wasm3.Environment()
rt = env.new_runtime(1 << 20)
rt.load(env.parse_module(open(sys.argv[1], "rb").read()))
run = rt.find_function("run")
n, reps = int(sys.argv[2]), int(sys.argv[3])
best = 1e9
for _ in range(reps):
    t = time.perf_counter(); r = run(n); best = min(best, time.perf_counter() - t)
print(r & 0xFFFFFFFF, best)
"""


def wasm3_error(stderr: str) -> str:
    """The last line of a failed wasm3 run (its Python exception)."""
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("==")]
    return lines[-1].strip() if lines else "failed"


def run_wasm3(wasm: Path, n: int, reps: int) -> tuple[int, float]:
    out = subprocess.run([sys.executable, "-c", WASM3_SNIPPET, str(wasm), str(n), str(reps)],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1])


def run_native(exe: Path, n: int, reps: int) -> tuple[int, float]:
    best = float("inf")
    checksum = -1
    for _ in range(reps):
        out = subprocess.run([str(exe), str(n)], capture_output=True, text=True, check=True)
        fields = out.stdout.split()
        checksum = int(fields[0])
        best = min(best, int(fields[1]) / 1e9)  # timed inside the program, around run()
    return checksum, best


def run_wasmtime(wasm: Path, n: int) -> int:
    import wasmtime

    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module.from_file(store.engine, str(wasm)), [])
    run = inst.exports(store)["run"]
    assert isinstance(run, wasmtime.Func)
    return int(run(store, n)) & 0xFFFFFFFF


# ---- callgrind ---------------------------------------------------------------------------------

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def callgrind_ir(cmd: list[str], stdin: str = "") -> int:
    """Total instructions executed by `cmd` (and its threads) under callgrind."""
    res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          *cmd], input=stdin, capture_output=True, text=True, check=False)
    m = _COLLECTED.search(res.stderr)
    if res.returncode != 0 or m is None:
        raise RuntimeError(f"callgrind failed on {cmd[0]}: {res.stderr[-2000:]}")
    return int(m.group(1))


def ir_ours(driver: Path, wasm: Path, n: int, fuel: int = 0,
            args: list[str] | None = None) -> int:
    return callgrind_ir([str(driver), "--arena-mb", "64", *(args or [])],
                        ours_script(wasm, n, fuel))


def ir_translate(driver: Path, wasm: Path) -> int:
    """Instructions the translation to the pre-decoded form adds to loading `wasm`."""
    load = f"module - {escape_name(str(wasm.resolve()))}\n"
    cmd = [str(driver), "--arena-mb", "64"]
    return callgrind_ir([*cmd, *PD], load) - callgrind_ir(cmd, load)


def pd_sizes(driver: Path, wasm: Path) -> tuple[int, int]:
    """(bytes of the pre-decoded form, bytes of the function bodies it translates)."""
    with DriverProcess(driver, PD, timeout=600) as drv:
        a = Answer.parse(drv.command(f"module - {drv.module_source(wasm)}"))
        if a.kind != "ok":
            raise RuntimeError(f"our runtime refused {wasm.name}: {a.raw}")
        f = drv.command("predecoded").split()
    if f[1:3] != ["1", "0"]:
        raise RuntimeError(f"{wasm.name} was not pre-decoded: {' '.join(f)}")
    return int(f[3]), int(f[4])


def ir_wasm3(wasm: Path, n: int) -> int:
    return callgrind_ir([sys.executable, "-c", WASM3_SNIPPET, str(wasm), str(n), "1"])


def ir_native(exe: Path, n: int) -> int:
    return callgrind_ir([str(exe), str(n)])


# ---- the report ---------------------------------------------------------------------------------


@dataclass
class Row:
    kernel: Kernel
    n: int
    checksum: int
    wall: dict[str, float | None]
    ir: dict[str, int | None]
    note: str = ""  # an engine that could not run it, and why
    translate_ir: int | None = None  # the pre-decoded form: instructions to translate it
    form_bytes: int = 0              # its size
    code_bytes: int = 0              # the function bodies it was translated from


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b or a <= 0 or b <= 0:
        return "-"
    return f"{a / b:.2f}"


def _pct(with_fuel: int | None, without: int | None) -> str:
    if with_fuel is None or without is None or without <= 0:
        return "-"
    return f"{100.0 * (with_fuel - without) / without:+.1f}%"


def _geomean(xs: list[float]) -> str:
    good = [x for x in xs if x > 0]
    if not good:
        return "-"
    return f"{math.exp(sum(math.log(x) for x in good) / len(good)):.2f}"


def _fmt_ir(x: int | None) -> str:
    return "-" if x is None else f"{x / 1e6:.1f}M"


def _fmt_k(x: int | None) -> str:
    return "-" if x is None else f"{x / 1e3:.1f}K"


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e3:.2f}"


def _ratios(rows: list[Row], what: str, a: str, b: str) -> list[float]:
    out = []
    for r in rows:
        d: dict[str, int | None] | dict[str, float | None] = getattr(r, what)
        x, y = d.get(a), d.get(b)
        if x and y:
            out.append(x / y)
    return out


def measure(kernels: tuple[Kernel, ...], scale: float, reps: int, callgrind: bool) -> list[Row]:
    driver = posix_build.build_program("wasmote-spec", "release")
    empty_wasm, empty_native = build_wasm("empty"), build_native("empty")
    base: dict[str, int] = {}
    if callgrind:
        base = {"ours": ir_ours(driver, empty_wasm, 1),
                "ours+fuel": ir_ours(driver, empty_wasm, 1, BIG_FUEL),
                "pd": ir_ours(driver, empty_wasm, 1, args=PD),
                "wasm3": ir_wasm3(empty_wasm, 1),
                "native": ir_native(empty_native, 1)}
    rows = []
    for k in kernels:
        n = max(1, round(k.n * scale))
        wasm, native = build_wasm(k.name), build_native(k.name)
        ref = run_wasmtime(wasm, n)
        c_ours, w_ours = run_ours(driver, wasm, n, reps)
        c_pd, w_pd = run_ours(driver, wasm, n, reps, PD)
        note = ""
        try:
            c_w3, w_w3 = run_wasm3(wasm, n, reps)
        except subprocess.CalledProcessError as e:  # a reference's bug: noted, not fatal
            c_w3, w_w3, note = ref, None, f"wasm3 failed on {k.name}: {wasm3_error(e.stderr)}"
        c_nat, w_nat = run_native(native, n, reps)
        if not ref == c_ours == c_pd == c_w3 == c_nat:
            raise RuntimeError(f"{k.name}: checksums differ: wasmtime {ref}, ours {c_ours}, "
                               f"pd {c_pd}, wasm3 {c_w3}, native {c_nat}")
        form, code = pd_sizes(driver, wasm)
        check_verified(k, ref)
        ir: dict[str, int | None] = {}
        if callgrind:
            ir = {"ours": ir_ours(driver, wasm, n) - base["ours"],
                  "ours+fuel": ir_ours(driver, wasm, n, BIG_FUEL) - base["ours+fuel"],
                  "pd": ir_ours(driver, wasm, n, args=PD) - base["pd"],
                  "wasm3": None if note else ir_wasm3(wasm, n) - base["wasm3"],
                  "native": ir_native(native, n) - base["native"]}
        rows.append(Row(k, n, ref, {"ours": w_ours, "pd": w_pd, "wasm3": w_w3, "native": w_nat},
                        ir, note, ir_translate(driver, wasm) if callgrind else None, form,
                        code))
    return rows


def report(rows: list[Row], callgrind: bool) -> str:
    out = []
    if callgrind:
        out.append("Instructions executed (callgrind Ir, minus the same engine running an "
                   "empty kernel):")
        head = (f"{'kernel':<10}{'n':>4} {'ours':>10}{'wasm3':>10}{'native':>10}"
                f"{'ours/wasm3':>12}{'ours/native':>13}{'fuel on':>9}")
        out += [head, "-" * len(head)]
        for r in rows:
            out.append(f"{r.kernel.name:<10}{r.n:>4} {_fmt_ir(r.ir['ours']):>10}"
                       f"{_fmt_ir(r.ir['wasm3']):>10}{_fmt_ir(r.ir['native']):>10}"
                       f"{_ratio(r.ir['ours'], r.ir['wasm3']):>12}"
                       f"{_ratio(r.ir['ours'], r.ir['native']):>13}"
                       f"{_pct(r.ir['ours+fuel'], r.ir['ours']):>9}")
        out.append(f"{'geomean':<10}{'':>4} {'':>10}{'':>10}{'':>10}"
                   f"{_geomean(_ratios(rows, 'ir', 'ours', 'wasm3')):>12}"
                   f"{_geomean(_ratios(rows, 'ir', 'ours', 'native')):>13}")
        out.append("(fuel on: extra instructions of ours when run with a budget, vs. none)")
        out.append("")
        out.append("The pre-decoded form (pd; docs/predecoded.md) beside the in-place interpreter:")
        head = (f"{'kernel':<14} {'in place':>10}{'pd':>10}{'pd/wasm3':>10}{'pd/in place':>13}"
                f"{'translate':>11}{'form B':>9}{'code B':>9}{'form/code':>11}")
        out += [head, "-" * len(head)]
        for r in rows:
            out.append(f"{r.kernel.name:<14} {_fmt_ir(r.ir['ours']):>10}{_fmt_ir(r.ir['pd']):>10}"
                       f"{_ratio(r.ir['pd'], r.ir['wasm3']):>10}"
                       f"{_ratio(r.ir['pd'], r.ir['ours']):>13}"
                       f"{_fmt_k(r.translate_ir):>11}{r.form_bytes:>9}{r.code_bytes:>9}"
                       f"{_ratio(r.form_bytes, r.code_bytes):>11}")
        out.append(f"{'geomean':<14} {'':>10}{'':>10}"
                   f"{_geomean(_ratios(rows, 'ir', 'pd', 'wasm3')):>10}"
                   f"{_geomean(_ratios(rows, 'ir', 'pd', 'ours')):>13}")
        out.append("(translate: instructions loading the module with --predecode adds; form: "
                   "the pre-decoded form's bytes; code: the function bodies' bytes)")
        out.append("")
    out.append("Wall time of the call alone, best of the repetitions:")
    head = (f"{'kernel':<10}{'n':>4} {'ours ms':>10}{'pd ms':>10}{'wasm3 ms':>10}"
            f"{'native ms':>10}{'ours/wasm3':>12}{'pd/wasm3':>10}{'ours/native':>13}  checksum")
    out += [head, "-" * len(head)]
    for r in rows:
        w = r.wall
        out.append(f"{r.kernel.name:<10}{r.n:>4} {_ms(w['ours']):>10}{_ms(w['pd']):>10}"
                   f"{_ms(w['wasm3']):>10}{_ms(w['native']):>10}"
                   f"{_ratio(w['ours'], w['wasm3']):>12}{_ratio(w['pd'], w['wasm3']):>10}"
                   f"{_ratio(w['ours'], w['native']):>13}  {r.checksum:08x}")
    out.append(f"{'geomean':<10}{'':>4} {'':>10}{'':>10}{'':>10}{'':>10}"
               f"{_geomean(_ratios(rows, 'wall', 'ours', 'wasm3')):>12}"
               f"{_geomean(_ratios(rows, 'wall', 'pd', 'wasm3')):>10}"
               f"{_geomean(_ratios(rows, 'wall', 'ours', 'native')):>13}")
    out.append("(native: gcc -O2, which may vectorise; wall times vary with machine load, "
               "instruction counts do not)")
    out += [r.note for r in rows if r.note]
    return "\n".join(out)


def size_report() -> str:
    out = []
    for label, comps in (("runtime (interpreter+loader)", ("runtime",)), ("whole core", None)):
        rep = posix_build.arm_core_size(comps)
        out.append(f"{label:<30} text {rep.text:>7}  data {rep.data:>5}  bss {rep.bss:>5}  "
                   f"(flash ~{(rep.text + rep.data) / 1024:.1f} KiB)")
    linked = posix_build.arm_linked_size()
    out.append(f"{'runtime linked (gc-sections)':<30} text {linked.text:>7}  data "
               f"{linked.data:>5}  bss {linked.bss:>5}  = runtime + libgcc soft-float "
               f"~{linked.runtime_flash / 1024:.1f} KiB + spec driver "
               f"{linked.driver_text / 1024:.1f} KiB (bss: the stub app's buffers)")
    return ("arm-none-eabi-size, -Os -mcpu=cortex-m4 -mthumb (soft-float ABI); object sums "
            "are before linking (wasm3 is about 64 KiB of flash):\n" + "\n".join(out))


def annotate(kernel: str, n: int, top: int = 40) -> str:
    """Hottest source lines of our interpreter on one kernel (profile build, callgrind)."""
    driver = posix_build.build_program("wasmote-spec", "profile")
    out_file = OUT_DIR / f"callgrind.{kernel}.out"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                    str(driver), "--arena-mb", "64"], input=ours_script(build_wasm(kernel), n),
                   capture_output=True, text=True, check=True)
    ann = subprocess.run(["callgrind_annotate", "--auto=yes", "--show-percs=yes",
                          str(out_file)], capture_output=True, text=True, check=True).stdout
    hot = []
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)", line)
        src = m.group(3) if m else ""
        if m and not any(x in line for x in ("PROGRAM TOTALS", "???", "events annotated",
                                             "firmware/src/")) and not src.startswith("["):
            hot.append((float(m.group(2)), m.group(3).strip()[:110]))
    hot.sort(reverse=True)
    return (f"hottest interpreter lines on {kernel} (n={n}), % of all instructions "
            f"(full annotation: callgrind_annotate {out_file}):\n"
            + "\n".join(f"{pct:6.2f}%  {src}" for pct, src in hot[:top]))


def main(argv: list[str] | None = None) -> int:
    # program_probe runs programs with this module's run_wasmtime: imported here, not above
    from bench.program_probe import usable

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply each kernel's work")
    ap.add_argument("--reps", type=int, default=3, help="wall-time repetitions")
    ap.add_argument("--no-callgrind", action="store_true", help="wall time only")
    ap.add_argument("--kernels", default="",
                    help="comma-separated subset of the kernels and programs; `programs` "
                         "for all the programs nobody here wrote (default: the kernels)")
    ap.add_argument("--annotate", metavar="KERNEL", default="",
                    help="instead: profile our interpreter on KERNEL, print its hottest lines")
    args = ap.parse_args(argv)
    if args.annotate:
        k = next((k for k in KERNELS if k.name == args.annotate), None)
        if k is None:
            ap.error(f"unknown kernel {args.annotate}")
        print(annotate(k.name, max(1, round(k.n * args.scale / 4))))
        return 0
    chosen = select((*KERNELS, *PROGRAMS), args.kernels) if args.kernels else KERNELS
    chosen = usable(chosen)
    callgrind = not args.no_callgrind and shutil.which("valgrind") is not None
    if not args.no_callgrind and not callgrind:
        print("valgrind not found: wall time only", file=sys.stderr)
    rows = measure(chosen, args.scale, args.reps, callgrind)
    print(report(rows, callgrind))
    print()
    print(size_report())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (WasmoteError, RuntimeError) as e:
        print(f"bench/interp: {e}", file=sys.stderr)
        sys.exit(1)
