"""`wasmote compile` and `wasmote exec` of AOT packages, through the real CLI: one clear
line on every error (no tracebacks), the same answers and exit codes as the wasm module in
the interpreter, packages in and out, signatures, and damaged AOT sections refused."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cli_invoke import assert_one_error_line as one_error_line
from tests.cli_invoke import run_cli as run
from wasmote.aot.blob import ABI_VERSION, AotBlob
from wasmote.package.container import AotArch, AotCode, read_package
from wasmote.package.keys import verify_package

HERE = Path(__file__).resolve().parent


@pytest.fixture
def work(tmp_path, monkeypatch):
    if shutil.which("wat2wasm") is None:
        pytest.skip("wat2wasm not installed (scripts/bootstrap.sh installs wabt)")
    for name in ("loop", "traps"):
        subprocess.run(["wat2wasm", str(HERE / "wat" / f"{name}.wat"), "-o",
                        str(tmp_path / f"{name}.wasm")], check=True)
    (tmp_path / "bad.wasm").write_bytes(b"\0asm\1\0\0\0\x01\x05\x01\x60\x00\x01\x7f\x03")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _no_frames(output: str) -> str:
    return re.sub(r"^(trap: .*?) in .*$", r"\1", output, flags=re.M)


def test_compile_and_exec_like_the_interpreter(work):
    r = run("compile", "loop.wasm", "--target", "host", "--no-strip", "-o", "loop.wmp")
    assert r.exit_code == 0, r.output
    assert "host: this host" in r.output and "loop.wmp: loop 0.0.0" in r.output
    pkg = read_package(work / "loop.wmp")
    assert [a.arch for a in pkg.aot] == [AotArch.X86_64]
    for args in (["--invoke", "sum", "100"], ["--invoke", "fib", "i32:20"],
                 ["--invoke", "deep", "1"], ["--invoke", "sum", "100000", "--fuel", "50"]):
        a = run("exec", "loop.wasm", *args)
        b = run("exec", "loop.wmp", *args)
        # native code keeps no wasm frames: a trap report ends before " in FUNCTION"
        assert (a.exit_code, _no_frames(a.output)) == (b.exit_code, b.output), args
    assert run("exec", "loop.wmp", "--invoke", "sum", "100").output.strip() == "i32:5050"
    r = run("exec", "loop.wmp", "--invoke", "deep", "1")
    assert r.exit_code == 2 and "call stack exhausted" in r.output
    r = run("exec", "traps.wasm", "--invoke", "div", "1", "0")
    assert r.exit_code == 2
    assert run("compile", "traps.wasm", "-t", "host", "--no-strip").exit_code == 0
    r2 = run("exec", "traps.wmp", "--invoke", "div", "1", "0")
    assert (r2.exit_code, r2.output) == (r.exit_code, _no_frames(r.output))


def test_compile_a_package_for_more_targets_and_sign(work):
    assert run("keys", "generate", "-o", "dev").exit_code == 0
    assert run("compile", "loop.wasm", "-t", "host", "--key", "dev.key",
               "-o", "l.wmp").exit_code == 0
    first = read_package(work / "l.wmp")
    assert first.signature is not None
    # adding a section changes the content: re-signed with --key, else the signature goes
    r = run("compile", "l.wmp", "--board", "mps2-an386")
    assert r.exit_code == 0 and "sign the package again" in r.output
    pkg = read_package(work / "l.wmp")
    assert pkg.signature is None and pkg.module == first.module
    assert sorted(a.arch for a in pkg.aot) == [AotArch.THUMBV7EM, AotArch.X86_64]
    assert run("compile", "l.wmp", "-t", "rv32imac", "-t", "host", "--key", "dev.key"
               ).exit_code == 0
    pkg = read_package(work / "l.wmp")
    assert sorted(a.arch for a in pkg.aot) == [AotArch.THUMBV7EM, AotArch.RV32IMAC,
                                                 AotArch.X86_64]
    verify_package(pkg, [pkg.signature.public_key] if pkg.signature else [])
    r = run("inspect", "l.wmp")
    assert f"thumbv7em ABI {ABI_VERSION}" in r.output
    assert f"rv32imac ABI {ABI_VERSION}" in r.output
    # and it still runs on the host
    assert run("exec", "l.wmp", "--invoke", "sum", "10").output.strip() == "i32:55"


def test_errors_are_one_line(work):
    one_error_line(run("compile", "loop.wasm"), "--target T or --board B")
    one_error_line(run("compile", "nope.wasm", "-t", "host"), "no such file")
    one_error_line(run("compile", "loop.wasm", "--board", "nosuchboard"), "unknown board")
    one_error_line(run("compile", "bad.wasm", "-t", "host"), "bad.wasm")
    one_error_line(run("compile", "loop.wasm", "-t", "host", "--manifest", "none.toml"),
                   "none.toml")
    if shutil.which("xtensa-esp32-elf-gcc") is None:
        one_error_line(run("compile", "loop.wasm", "-t", "esp32"),
                       "xtensa-esp32-elf-gcc not found")
    assert run("compile", "loop.wasm", "-t", "host", "-o", "ok.wmp").exit_code == 0
    one_error_line(run("compile", "ok.wmp", "-t", "host", "--manifest", "x.toml"),
                   "already")


def _rewrite_aot(src: Path, dst: Path, code: bytes, abi: int = ABI_VERSION) -> None:
    pkg = read_package(src)
    aot = AotCode(pkg.aot[0].arch, abi, code)
    dst.write_bytes(replace(pkg, aot=(aot,), signature=None).to_bytes())


def test_damaged_sections_are_refused_cleanly(work):
    assert run("compile", "loop.wasm", "-t", "host", "--no-strip", "-o", "l.wmp").exit_code == 0
    code = read_package(work / "l.wmp").aot[0].code
    blob = AotBlob.decode(code)
    # truncated (then re-hashed, so only the AOT checks can notice)
    _rewrite_aot(work / "l.wmp", work / "cut.wmp", code[:-1])
    r = run("exec", "cut.wmp", "--invoke", "sum", "1")
    assert r.exit_code == 1 and "aot: table or code offsets" in r.output, r.output
    # another ABI version: the package runs interpreted (the section is not for this runtime)
    _rewrite_aot(work / "l.wmp", work / "abi.wmp", code, abi=ABI_VERSION + 1)
    r = run("exec", "abi.wmp", "--invoke", "sum", "10")
    assert r.exit_code == 0 and "i32:55" in r.output, r.output
    assert f"AOT code ignored: ABI version {ABI_VERSION + 1}" in r.output, r.output
    # compiled from another module
    other = replace(blob, module_hash=bytes(32)).encode()
    _rewrite_aot(work / "l.wmp", work / "other.wmp", other)
    r = run("exec", "other.wmp", "--invoke", "sum", "1")
    assert r.exit_code == 1 and "another module" in r.output, r.output
    # a byte of the section changed in transit: the content hash
    data = bytearray((work / "l.wmp").read_bytes())
    data[data.find(blob.code[:16]) + 3] ^= 1
    (work / "flip.wmp").write_bytes(bytes(data))
    r = run("exec", "flip.wmp", "--invoke", "sum", "1")
    assert r.exit_code == 1 and "hash" in r.output, r.output
