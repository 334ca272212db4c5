"""C unit checks of the runtime core (fuel/resume, blocking host calls, limits, re-entrancy,
sub-page memory cap, hostile modules, tiny arenas, bit-exact float helpers, what fuel
bounds: straight-line code, locals, bulk work, host work; the interpreter's LEB128 decoders
in every valid length), built with ASan+UBSan and run per case.
The C side is tests/runtime_unit/c/runtime_unit.c; modules come from wat/ via wat2wasm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import c_harness

HERE = Path(__file__).resolve().parent
CASES = ("fuel", "exhaustion", "reentry", "blocking", "subpage", "hostile", "arena", "floats",
         "refs", "straight", "bulk", "leb")


@pytest.fixture(scope="module")
def unit_build(tmp_path_factory, repo_root):
    for tool in ("cc", "wat2wasm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (scripts/bootstrap.sh installs it)")
    out = tmp_path_factory.mktemp("runtime_unit")
    for wat in sorted((HERE / "wat").glob("*.wat")):
        subprocess.run(["wat2wasm", str(wat), "-o", str(out / f"{wat.stem}.wasm")], check=True)
    return build_with_runtime(repo_root, HERE / "c" / "runtime_unit.c", out / "runtime_unit",
                              ["-O1"]), out


def build_with_runtime(repo_root: Path, main_c: Path, exe: Path, flags: list[str]) -> Path:
    """main_c linked with the runtime core and its base layer, ASan+UBSan, -Werror."""
    runtime = repo_root / "firmware" / "src" / "core" / "runtime"
    base = runtime.parent / "base"  # the layer the runtime stands on
    cmd = ["cc", *flags, "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-std=c99", "-Wall", "-Wextra", "-Werror",
           f"-I{repo_root / 'firmware' / 'include'}", f"-I{base}", f"-I{runtime}",
           f"-I{c_harness.INCLUDE_DIR}",
           *map(str, sorted(base.glob("*.c"))), *map(str, sorted(runtime.glob("*.c"))),
           str(main_c), "-lm", "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return exe


@pytest.mark.parametrize("case", CASES)
def test_runtime_unit(unit_build, case):
    exe, wasm_dir = unit_build
    proc = subprocess.run([str(exe), str(wasm_dir), case], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), (
        proc.stdout[-2000:] + proc.stderr[-4000:])


def test_fuel_weights_agree(unit_build):
    """The AOT compiler charges what the interpreter charges only if host_tools' fuel
    table is the runtime's (firmware/src/core/runtime/fuel.c, wm_fuel.h)."""
    from wasmote.wasm import fuel
    exe, wasm_dir = unit_build
    out = subprocess.run([str(exe), str(wasm_dir), "weights"], capture_output=True,
                         text=True, timeout=60, check=True).stdout.splitlines()
    consts = dict(zip(out[0].split()[::2], map(int, out[0].split()[1::2]), strict=True))
    assert consts == {name: getattr(fuel, name) for name in consts}
    c_i64 = {int(n): int(w) for _, n, w in (ln.split() for ln in out[1:] if ln[:4] == "i64 ")}
    assert c_i64 == {n: fuel.i64_const(n) for n in c_i64}
    c_weights = {int(op, 16): int(w) for op, w in (ln.split() for ln in out[1:]
                                                   if ln[:4] != "i64 ")}
    assert c_weights == {op: fuel.weight(op) for op in c_weights}


def test_damaged_trace_maps_are_refused(unit_build, repo_root, tmp_path):
    """wm_pd_attach refuses a pre-decoded form whose trace map (docs/predecoded.md) lies
    outside it, runs past its bounds or names a position past the bodies (pd_map_unit.c)."""
    _, wasm_dir = unit_build
    exe = build_with_runtime(repo_root, HERE / "c" / "pd_map_unit.c", tmp_path / "pd_map_unit",
                             ["-O0", "-DWM_PREDECODE=1"])
    proc = subprocess.run([str(exe), str(wasm_dir)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), (
        proc.stdout[-2000:] + proc.stderr[-4000:])
