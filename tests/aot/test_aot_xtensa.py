"""AOT for Xtensa through the CLI: the LX106 (xtensa-lx106-elf-gcc, Debian) by target and by
board, and the ESP32's compiler found where PlatformIO installs it. The code itself runs on
the LX106 under QEMU in tests/aot/test_aot_qemu.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_invoke import run_cli as run
from wasmote.aot.blob import ABI_VERSION
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import compiler_for, get_target, target_for_board
from wasmote.package.container import AotArch, read_package

HERE = Path(__file__).resolve().parent

needs_lx106 = pytest.mark.skipif(shutil.which("xtensa-lx106-elf-gcc") is None,
                                 reason="xtensa-lx106-elf-gcc not installed "
                                        "(scripts/bootstrap.sh installs gcc-xtensa-lx106)")


@pytest.fixture
def loop_wasm(tmp_path: Path) -> Path:
    if shutil.which("wat2wasm") is None:
        pytest.skip("wat2wasm not installed (scripts/bootstrap.sh installs wabt)")
    out = tmp_path / "loop.wasm"
    subprocess.run(["wat2wasm", str(HERE / "wat" / "loop.wat"), "-o", str(out)], check=True)
    return out


@needs_lx106
def test_compile_for_the_lx106_by_target_and_by_board(loop_wasm: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(loop_wasm.parent)
    assert target_for_board("xtensa-lx106").name == "xtensa-lx106"
    r = run("compile", "loop.wasm", "-t", "xtensa-lx106", "-o", "a.wmp")
    assert r.exit_code == 0, r.output
    assert [a.arch for a in read_package(loop_wasm.parent / "a.wmp").aot] == \
        [AotArch.XTENSA_LX106]
    r = run("compile", "loop.wasm", "--board", "xtensa-lx106", "-o", "b.wmp")
    assert r.exit_code == 0, r.output
    assert f"xtensa_lx106 ABI {ABI_VERSION}" in run("inspect", "b.wmp").output


@needs_lx106
def test_lx106_images_carry_the_helpers_libgcc_lacks(loop_wasm: Path) -> None:
    """i64 multiply and division need __muldi3/__udivdi3, which Debian's lx106 libgcc lacks:
    the port's helpers are linked in, and the image is still position independent."""
    wat = loop_wasm.parent / "div.wat"
    # i64.rem_s pulls libgcc's own __moddi3, which calls through literals: the relaxed
    # link turns those into PC-relative calls (with --no-relax the image is not PIC)
    wat.write_text('(module (func (export "d") (param i64 i64) (result i64)'
                   ' (i64.mul (i64.div_u (local.get 0) (local.get 1)) (local.get 1)))'
                   ' (func (export "r") (param i64 i64) (result i64)'
                   ' (i64.rem_s (local.get 0) (local.get 1)))'
                   ' (func (export "f") (param f64 f64) (result f64)'
                   ' (f64.div (local.get 0) (local.get 1))))')
    wasm = loop_wasm.parent / "div.wasm"
    subprocess.run(["wat2wasm", str(wat), "-o", str(wasm)], check=True)
    res = compile_wasm(wasm.read_bytes(), get_target("xtensa-lx106"), use_cache=False)
    assert res.blob.code and all(e != 0xFFFFFFFF for e in res.blob.entries)


@needs_lx106
def test_lx106_tiny_image_survives_the_linker_crash(loop_wasm: Path) -> None:
    """GNU ld 2.40 dies (SIGSEGV) relaxing an Xtensa image that --gc-sections left without
    relocations (here: a constant function without fuel): the link is retried unrelaxed."""
    wat = loop_wasm.parent / "tiny.wat"
    wat.write_text('(module (func (export "z") (result i32) (i32.const 0)))')
    wasm = loop_wasm.parent / "tiny.wasm"
    subprocess.run(["wat2wasm", str(wat), "-o", str(wasm)], check=True)
    res = compile_wasm(wasm.read_bytes(), get_target("xtensa-lx106"), fuel=False,
                       use_cache=False)
    assert res.blob.code


def test_the_esp32_compiler_is_found_in_platformio_packages(loop_wasm: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    if shutil.which("xtensa-esp32-elf-gcc") is not None:
        pytest.skip("xtensa-esp32-elf-gcc is on PATH here: nothing to locate")
    gcc = tmp_path / "packages" / "toolchain-xtensa-esp32" / "bin" / "xtensa-esp32-elf-gcc"
    gcc.parent.mkdir(parents=True)
    gcc.write_text("#!/bin/sh\necho 'xtensa-esp32-elf-gcc (crosstool-NG esp-2021r2) 8.4.0'\n")
    gcc.chmod(0o755)
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path))
    assert compiler_for(get_target("esp32")).command == (str(gcc),)
    gcc.unlink()
    r = run("compile", str(loop_wasm), "-t", "esp32")
    assert r.exit_code != 0 and "put its bin folder on PATH" in r.output
