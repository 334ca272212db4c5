"""The device's cost of linking a hostile module's imports grows with its imports only.

Counted in instructions (callgrind, only inside `wm_sb_link` and `wm_instantiate`) on the
posix release build of the sandbox harness: deterministic for one binary, so the ratios
below are exact, not timings. A link that rescans the type section for each import (as it
did) costs imports x types: 16 times the types made it ~14 times dearer.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sandbox import link_worst
from tests.sandbox.sandbox_support import build_harness, package

COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


@pytest.fixture(scope="module")
def release_harness() -> Path:
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind not installed; scripts/bootstrap.sh installs it")
    return build_harness("release")


def wasi_table(exe: Path) -> list[tuple[str, str]]:
    """The device's WASI (name, signature) entries in table order."""
    out = subprocess.run([str(exe)], input="imports\n", capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    prefix = link_worst.WASI + "."
    return [(e[len(prefix):].split("/")[0], e.split("/")[1]) for e in out
            if e.startswith(prefix)]


def link_instructions(exe: Path, tmp: Path, wasm: bytes) -> int:
    """Instructions the device runs linking and instantiating `wasm` (installed whole)."""
    pkg = tmp / "m.wmp"
    pkg.write_bytes(package(wasm, "linkcost", []))
    res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          "--toggle-collect=wm_sb_link", "--toggle-collect=wm_instantiate",
                          str(exe)], input=f"install 0 {pkg}\n", capture_output=True,
                         text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.startswith("ok"), res.stdout
    m = COLLECTED.search(res.stderr)
    assert m is not None, res.stderr[-2000:]
    return int(m.group(1))


def test_linking_costs_the_same_over_16_times_the_types(release_harness: Path,
                                                         tmp_path: Path) -> None:
    table = wasi_table(release_harness)
    few = link_instructions(release_harness, tmp_path, link_worst.worst(table, 400, 400))
    many = link_instructions(release_harness, tmp_path, link_worst.worst(table, 400, 6400))
    assert many < few * 1.05, (few, many)


def test_linking_grows_linearly_with_the_imports(release_harness: Path,
                                                 tmp_path: Path) -> None:
    table = wasi_table(release_harness)
    one = link_instructions(release_harness, tmp_path, link_worst.worst(table, 400, 400))
    four = link_instructions(release_harness, tmp_path, link_worst.worst(table, 1600, 1600))
    assert four < one * 4.2, (one, four)
    # docs/reliability.md's bound: at most 4000 instructions an import (x86-64, -O2)
    assert four < 1600 * 4000, four
