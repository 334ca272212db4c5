"""Fixtures of the AOT tests: modules from wat/, compiled ahead of time for this host."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.harness.spec_driver import DriverProcess
from tests.harness.spec_runner import FileReport, summary_table
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import Target, get_target
from wasmote.package.container import Package
from wasmote.package.manifest import Manifest, Version
from wasmote.paths import FIRMWARE_DIR

HERE = Path(__file__).resolve().parent
AOT_DIR = FIRMWARE_DIR / "src" / "core" / "aot"
# what a C file needs before it includes the AOT prelude to call its helpers on the host
PRELUDE_HEAD = """
#define WM_AOT_FUEL 0
#define WM_FUEL_BYTES 1u
#define WM_FUEL_ELEMS 1u
#include "wm_aot_prelude.h"
"""


def prelude_lib(folder: Path, name: str, wrappers: str) -> ctypes.CDLL:
    """The prelude's helpers with `wrappers` (C functions calling them) as a shared library
    for this host, built with UBSan aborting on the first report."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler (scripts/bootstrap.sh installs build-essential)")
    (folder / "wrap.c").write_text(PRELUDE_HEAD + wrappers)
    so = folder / f"lib{name}.so"
    subprocess.run([cc, "-std=gnu99", "-O1", "-Wall", "-Wextra", "-Werror",
                    "-Wno-unused-function", "-shared", "-fPIC", "-fsanitize=undefined",
                    "-fno-sanitize-recover=all", f"-I{AOT_DIR}", str(folder / "wrap.c"), "-o",
                    str(so)], check=True)
    return ctypes.CDLL(str(so))

# A WAT function "fill" (seed) that writes a pseudo-random byte pattern over the first 64 KiB,
# so a walk's path through tables in memory depends on every table
FILL_FUNC = """  (func (export "fill") (param $seed i32) (local $i i32)
    (loop $l
      (local.set $seed (i32.add (i32.mul (local.get $seed) (i32.const 1103515245))
                                (i32.const 12345)))
      (i32.store8 (local.get $i) (i32.shr_u (local.get $seed) (i32.const 16)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 65536)))))
"""


def wat_to_wasm(folder: Path, name: str, wat: str) -> Path:
    """folder/NAME.wasm assembled from the text `wat` (kept beside it as NAME.wat)."""
    src = folder / f"{name}.wat"
    src.write_text(wat)
    wasm = folder / f"{name}.wasm"
    subprocess.run(["wat2wasm", str(src), "-o", str(wasm)], check=True)
    return wasm


def filled_calls(drv: DriverProcess, module: Path, fn: str,
                 calls: Sequence[tuple[int, ...]], seeds: tuple[int, ...] = (1, 2026)) -> list[str]:
    """The replies of export `fn` called with each tuple of i32 arguments, each on a fresh
    instance of `module` (a trap leaves none behind) whose export `fill` (FILL_FUNC or the
    module's own) wrote its memory first, once per seed."""
    out: list[str] = []
    for seed in seeds:
        for args in calls:
            assert drv.command(f"module - {drv.module_source(module)}") == "ok"
            assert drv.command(f"invoke - fill i32:{seed:x}").startswith("ok")
            out.append(drv.command(f"invoke - {fn} " + " ".join(f"i32:{a:x}" for a in args)))
    return out


def in_slices(drv: DriverProcess, invoke: str, slices: tuple[int, ...]) -> list[str]:
    """The replies of the driver command `invoke` run in slices of each size in turn: every
    suspension (where it stopped, the fuel each resumption leaves) and the end."""
    out: list[str] = []
    for sl in slices:
        assert drv.command(f"fuel {sl}") == "ok"
        reply = drv.command(invoke)
        while reply.startswith("outoffuel"):
            out.append(reply)
            reply = drv.command(f"resume - {sl}")
        out.append(reply)
    assert drv.command("fuel 0") == "ok"
    return out


def aot_package(wasm: Path, target: Target, *, fuel: bool = True,
                use_cache: bool = True) -> Path:
    """wasm's package with its AOT section for `target` (NAME.wmp beside it): what the spec
    driver runs as AOT code, against the bare module it interprets."""
    data = wasm.read_bytes()
    aot = compile_wasm(data, target, fuel=fuel, source=str(wasm), use_cache=use_cache).aot
    pkg = wasm.with_suffix(".wmp")
    pkg.write_bytes(Package(Manifest(wasm.stem, Version(0, 0, 0)), data, (aot,)).to_bytes())
    return pkg


@pytest.fixture(scope="session")
def host_target():
    return get_target("host")


@pytest.fixture(scope="session")
def aot_modules(tmp_path_factory, host_target):
    """DIR with NAME.wasm and NAME.aot (the AOT section payload) for every wat/NAME.wat
    (and the runtime unit tests' bulk.wat), and the wat/*.calls lists."""
    if shutil.which("wat2wasm") is None:
        pytest.skip("wat2wasm not installed (scripts/bootstrap.sh installs wabt)")
    out = tmp_path_factory.mktemp("aot_modules")
    for calls in (HERE / "wat").glob("*.calls"):  # what a case calls (aot_unit's redteam)
        shutil.copy(calls, out / calls.name)
    shared = HERE.parent / "runtime_unit" / "wat" / "bulk.wat"  # both engines, same module
    for wat in [*sorted((HERE / "wat").glob("*.wat")), shared]:
        wasm = out / f"{wat.stem}.wasm"
        subprocess.run(["wat2wasm", str(wat), "-o", str(wasm)], check=True)
        result = compile_wasm(wasm.read_bytes(), host_target, source=str(wasm))
        (out / f"{wat.stem}.aot").write_bytes(result.aot.code)
    return out


# variant ("release", "asan") -> file name -> report, for the session summary
_REPORTS = pytest.StashKey[dict[str, dict[str, FileReport]]]()


def aot_reports(config: pytest.Config) -> dict[str, dict[str, FileReport]]:
    return config.stash.setdefault(_REPORTS, {})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    for variant, by_file in aot_reports(config).items():
        if by_file:
            terminalreporter.write_sep(
                "=", f"WebAssembly spec suite, AOT-compiled for this host ({variant} driver)")
            terminalreporter.write_line(summary_table(by_file.values(), f"AOT, {variant}"))
