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


def imports_answer(exe: Path) -> str:
    return subprocess.run([str(exe)], input="imports\n", capture_output=True, text=True,
                          check=True, timeout=60).stdout


def costliest(exe: Path) -> tuple[list[link_worst.HostImport], link_worst.HostImport]:
    """What links without a grant, and the import that costs the device the most
    instructions a byte of module (measured over them all: wasmote.periph_close, the last
    of its table, ~102 instructions a byte)."""
    linkable = link_worst.parse_imports(imports_answer(exe))
    return linkable, next(i for i in linkable if i.name == "periph_close")


def link_instructions(exe: Path, tmp: Path, wasm: bytes,
                      collect: tuple[str, ...] = ("wm_sb_link", "wm_instantiate")) -> int:
    """Instructions the device runs linking and instantiating `wasm` (installed whole), or
    inside the `collect` functions."""
    pkg = tmp / "m.wmp"
    pkg.write_bytes(package(wasm, "linkcost", []))
    res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          *(f"--toggle-collect={f}" for f in collect),
                          str(exe)], input=f"install 0 {pkg}\n", capture_output=True,
                         text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.startswith("ok"), res.stdout
    m = COLLECTED.search(res.stderr)
    assert m is not None, res.stderr[-2000:]
    return int(m.group(1))


def test_host_function_names_are_unique_per_import_module(release_harness: Path) -> None:
    # link.c stops its table search at the first name that matches
    names = [e.split("/")[0] for e in imports_answer(release_harness).split()]
    assert len(names) == len(set(names)) > 70


def test_linking_costs_the_same_over_16_times_the_types(release_harness: Path,
                                                         tmp_path: Path) -> None:
    linkable, rep = costliest(release_harness)
    few = link_instructions(release_harness, tmp_path,
                            link_worst.worst(linkable, rep, 400, 400))
    many = link_instructions(release_harness, tmp_path,
                             link_worst.worst(linkable, rep, 400, 6400))
    assert many < few * 1.05, (few, many)


def test_linking_grows_linearly_with_the_imports(release_harness: Path,
                                                 tmp_path: Path) -> None:
    linkable, rep = costliest(release_harness)
    one_wasm = link_worst.worst(linkable, rep, 400, 400)
    four_wasm = link_worst.worst(linkable, rep, 1600, 1600)
    one = link_instructions(release_harness, tmp_path, one_wasm)
    four = link_instructions(release_harness, tmp_path, four_wasm)
    assert four < one * 4.2, (one, four)
    # docs/reliability.md: ~102 instructions a module byte (x86-64, -O2); 120 is the bound
    assert four < len(four_wasm) * 120, (four, len(four_wasm))
