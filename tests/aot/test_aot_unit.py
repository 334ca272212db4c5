"""Native (AOT) execution against the interpreter, case by case (tests/aot/c/aot_unit.c):
fuel suspend/resume and identical fuel accounting (bulk work and host work in every
slicing included; where each suspension happened, as the memory shows it, in the loop
cases and the red team's attacks), wm_yield and blocking host functions,
stack exhaustion as a trap, every trap reason leaving the instance usable, re-entrancy,
AOT and interpreted instances linked together, and what wm_aot_attach refuses. Built with
ASan+UBSan; the arch switch runs under the sanitizer's fiber annotations. Built again with
the isolated mode's runtime side (core/aot/aot_iso.c over a simulated gate, no MPU on a
host): every observation must be the same there too."""

from __future__ import annotations

import subprocess

import pytest

from tests.harness import c_harness
from wasmote.paths import FIRMWARE_DIR

HERE = __import__("pathlib").Path(__file__).resolve().parent
CASES = ("fuel", "exhaustion", "host", "traps", "mixed", "attach", "bulk", "capped", "exits",
         "loopfuel", "loopcost", "redteam")
CORE = FIRMWARE_DIR / "src" / "core"


# "plain": native code as on every port; "iso-sim": the isolated mode's runtime side (user
# block, gate requests, checked services) with the simulated gate of aot/arch/iso_sim.c.
@pytest.fixture(scope="module", params=["plain", "iso-sim"])
def aot_unit(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("aot_unit")
    exe = out / "aot_unit"
    sources = [*sorted((CORE / "base").glob("*.c")), *sorted((CORE / "runtime").glob("*.c")),
               *sorted((CORE / "aot").glob("*.c")),
               *sorted((CORE / "aot" / "arch").glob("*.S")), CORE / "crypto" / "sha256.c",
               HERE / "c" / "aot_unit.c"]
    defines = []
    if request.param == "iso-sim":
        sources += sorted((CORE / "aot" / "arch").glob("*.c"))
        defines = ["-DWM_AOT_ISO_SIM"]
    cmd = ["cc", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-std=c99", "-Wall", "-Wextra", "-Werror", *defines, f"-I{FIRMWARE_DIR / 'include'}",
           f"-I{CORE / 'base'}", f"-I{CORE / 'runtime'}", f"-I{CORE / 'aot'}",
           f"-I{CORE / 'aot' / 'arch'}",
           f"-I{CORE / 'crypto'}", f"-I{c_harness.INCLUDE_DIR}", *map(str, sources),
           "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return exe


@pytest.mark.parametrize("case", CASES)
def test_aot_unit(aot_unit, aot_modules, case):
    proc = subprocess.run([str(aot_unit), str(aot_modules), case], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), (
        proc.stdout[-3000:] + proc.stderr[-5000:])
