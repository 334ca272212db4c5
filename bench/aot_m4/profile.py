"""Where AOT code spends its instructions on the Cortex-M4: a profile from QEMU itself.

    python -m bench.aot_m4.profile WORKLOAD [--nofuel] [--top N] [--functions]

Builds the bench image (bench/aot.py) for one workload with native, AOT and AOT without
fuel only, runs it under QEMU with -icount and `-d in_asm,exec,nochain` (every translation
block QEMU executes is logged, unchained, with the instructions it was translated from),
and counts how often each guest instruction ran. The instructions inside the workload's AOT
code in flash are then matched to the linked AOT image (the same bytes, recompiled with the
generated C kept) and printed as its disassembly, hottest first, with the wasm function
each came from (the module's name section). A tool for working on the translator: what a
loop costs against the native C, which checks or spills remain.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import aot
from bench.bare_image import load_board_json
from bench.workloads import Workload, by_name, c_name
from wasmote.aot.blob import AotBlob
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import get_target
from wasmote.wasm import leb128
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import StripOptions, strip_bytes

_IN_ASM = re.compile(r"^0x([0-9a-f]+):")
# QEMU 7.2: "Trace cpu: host-code [cs_base/pc/flags/cflags]"; the low 9 bits of cflags
# (CF_COUNT_MASK), when not 0, cap the block at that many instructions: -icount translates
# such a one-off shorter copy of a block when its budget ends inside the block
_TRACE = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/[0-9a-f]+/([0-9a-f]+)\]")
_CF_COUNT_MASK = 0x1ff


@dataclass
class Profile:
    counts: Counter[int]          # guest address -> executions
    base: int                     # where the AOT code lies in flash
    elf: Path                     # the AOT image linked at 0 (objdump it)
    names: dict[int, str]         # defined function index -> wasm name


def _run_logged(elf: Path, log: Path, timeout: float) -> str:
    """QEMU with the exec log into a FIFO, read as it is written (the log of a few million
    blocks is hundreds of MB); stopped at the image's `done`."""
    board = load_board_json(aot.M4_BOARD)
    q = board["wasmote"]["qemu"]
    os.mkfifo(log)
    cmd = [q["system"], "-M", q["machine"], *q.get("args", []), "-kernel", str(elf),
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-icount", "shift=0,align=off,sleep=off", "-d", "in_asm,exec,nochain",
           "-D", str(log)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out: list[str] = []

    def console() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if line.strip() == "done" or line.startswith(("error", "panic")):
                proc.kill()
                return

    t = threading.Thread(target=console, daemon=True)
    t.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _COUNTS.clear()
        _parse(log)
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()
        t.join(5)
    return "".join(out)


_COUNTS: Counter[int] = Counter()


def _parse(log: Path) -> None:
    """Executions per guest instruction. A block's instructions are those of its longest
    translation (a capped copy, above, must not replace them), and an execution of a capped
    copy counts only its first instructions."""
    blocks: dict[int, list[int]] = {}
    tb_exec: Counter[tuple[int, int]] = Counter()
    current: list[int] | None = None

    def close() -> None:
        if current and len(current) > len(blocks.get(current[0], ())):
            blocks[current[0]] = current

    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("Trace"):
                close()
                current = None
                m = _TRACE.match(line)
                if m:
                    tb_exec[(int(m.group(1), 16), int(m.group(2), 16) & _CF_COUNT_MASK)] += 1
            elif line.startswith("IN:"):
                close()
                current = []
            elif current is not None:
                m = _IN_ASM.match(line)
                if m:
                    current.append(int(m.group(1), 16))
                elif not line.strip():
                    close()
                    current = None
    close()
    for (start, cap), n in tb_exec.items():
        for addr in blocks.get(start, [start])[:cap or None]:
            _COUNTS[addr] += n


def _names(w: Workload) -> dict[int, str]:
    """Defined function index -> name, from the module's name section (kept through strip,
    so indices are the stripped module's)."""
    data = bytes(strip_bytes(w.wasm().read_bytes(), StripOptions(
        keep_sections=frozenset({"name"})))[0])
    mod = read_module(data)
    nimp = mod.num_imported_funcs
    out: dict[int, str] = {}
    for c in mod.customs:
        if c.name != "name":
            continue
        d, pos = c.data, 0
        while pos < len(d):
            sub = d[pos]
            size, body = leb128.decode_unsigned(d, pos + 1, 32)
            if sub == 1:
                count, p = leb128.decode_unsigned(d, body, 32)
                for _ in range(count):
                    idx, p = leb128.decode_unsigned(d, p, 32)
                    n, p = leb128.decode_unsigned(d, p, 32)
                    if idx >= nimp:
                        out[idx - nimp] = d[p:p + n].decode(errors="replace")
                    p += n
            pos = body + size
    return out


def profile(name: str, fuel: bool = True, timeout: float = 900.0) -> Profile:
    w = by_name(name)
    out = aot.AOT_DIR / f"profile-{name}"
    elf = aot.build_m4_image((w,), out=out, interp=False, mpu=False)
    with tempfile.TemporaryDirectory() as tmp:
        console = _run_logged(elf, Path(tmp) / "exec.log", timeout)
    if "done" not in console:
        raise RuntimeError(f"the profile run did not finish: {console[-500:]}")
    # where the package's code lies: the symbol of its variant, then the code bytes in it
    variant = "fuel" if fuel else "nofuel"
    sym = f"pkg_{c_name(name)}_{variant}"
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True,
                        check=True).stdout
    addr = next(int(ln.split()[0], 16) for ln in nm.splitlines() if ln.endswith(" " + sym))
    pkg_bytes = aot.package(name, ("cortex-m4",), fuel)[1].to_bytes()
    code = AotBlob.decode(aot.package(name, ("cortex-m4",), fuel)[1].aot[0].code).code
    base = addr + pkg_bytes.index(code)
    keep = out / f"keep-{variant}"
    keep.mkdir(exist_ok=True)
    compile_wasm(aot._strip(w.wasm()), get_target("cortex-m4"), fuel=fuel, keep_dir=keep,
                 use_cache=False)
    linked = keep / "module-0.elf"
    return Profile(Counter(_COUNTS), base, linked, _names(w))


def report(p: Profile, code_len: int, top: int, functions: bool) -> str:
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(p.elf)],
                         capture_output=True, text=True, check=True).stdout
    lines: dict[int, str] = {}
    owner: dict[int, str] = {}
    fn = "?"
    for ln in dis.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.+)>:", ln)
        if m:
            fn = m.group(2)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)", ln)
        if m:
            a = int(m.group(1), 16)
            lines[a] = m.group(2)
            owner[a] = fn
    inside = {a - p.base: n for a, n in p.counts.items() if p.base <= a < p.base + code_len}
    total = sum(inside.values())

    def label(f: str) -> str:
        m = re.match(r"wf(\d+)", f)
        return f"{f} ({p.names.get(int(m.group(1)), '?')})" if m else f

    per_fn: Counter[str] = Counter()
    for a, n in inside.items():
        per_fn[owner.get(a, "?")] += n
    out = [f"{total} instructions executed in the AOT code "
           f"(functions are the linked image's; GCC inlines freely)"]
    for f, n in per_fn.most_common(12):
        out.append(f"  {n:>10} {100 * n / max(total, 1):5.1f}%  {label(f)}")
    if functions:
        return "\n".join(out)
    # runs of consecutive executed instructions, hottest (total instructions) first
    runs: list[list[int]] = []
    for a in sorted(inside):
        if runs and a - runs[-1][-1] <= 4 and owner.get(a) == owner.get(runs[-1][-1]):
            runs[-1].append(a)
        else:
            runs.append([a])
    runs.sort(key=lambda r: -sum(inside[a] for a in r))
    shown = 0
    for r in runs:
        if shown >= top:
            break
        weight = sum(inside[a] for a in r)
        out.append("")
        out.append(f"{label(owner.get(r[0], '?'))}: {weight} instructions "
                   f"({100 * weight / max(total, 1):.1f}%)")
        for a in r:
            out.append(f"{inside[a]:>9}  {a:6x}  {lines.get(a, '?')}")
        shown += len(r)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("workload")
    ap.add_argument("--nofuel", action="store_true", help="profile the code without fuel")
    ap.add_argument("--top", type=int, default=80)
    ap.add_argument("--functions", action="store_true", help="per function only")
    args = ap.parse_args(argv)
    p = profile(args.workload, not args.nofuel)
    code = AotBlob.decode(aot.package(args.workload, ("cortex-m4",), not args.nofuel)[1]
                          .aot[0].code).code
    print(report(p, len(code), args.top, args.functions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
