"""wasmote cc: the flags a device module needs, errors, and a real compile with zig."""

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wasmote.cli import main
from wasmote.sdk.cc import (
    SDK_INCLUDE_DIR,
    CompileError,
    CompileOptions,
    compile_flags,
    compile_module,
)
from wasmote.wasm.reader import read_module


def opts(tmp_path: Path, **kw: Any) -> CompileOptions:
    src = tmp_path / "m.c"
    if not src.exists():
        src.write_text("int x;\n")
    return CompileOptions(sources=(src,), output=tmp_path / "m.wasm", **kw)


def test_default_flags_are_freestanding_small_and_include_the_sdk(tmp_path):
    flags = compile_flags(opts(tmp_path))
    assert flags[:2] == ["-target", "wasm32-freestanding"]
    for f in ("-nostdlib", "-Wl,--no-entry", "-Os", "-g0", "-Werror",
              "-Wl,-z,stack-size=8192", "-Wl,--initial-memory=65536"):
        assert f in flags, f
    assert str(SDK_INCLUDE_DIR) in flags
    assert "wasm32-wasi" not in flags and not any(f.startswith("-mexec") for f in flags)


def test_wasi_only_when_asked_and_exports_added(tmp_path):
    flags = compile_flags(opts(tmp_path, wasi="reactor", exports=("f", "g"), opt="-O2"))
    assert flags[:2] == ["-target", "wasm32-wasi"] and "-mexec-model=reactor" in flags
    assert "-nostdlib" not in flags and "-O2" in flags
    assert "-Wl,--export=f" in flags and "-Wl,--export=g" in flags
    command = compile_flags(opts(tmp_path, wasi="command"))
    assert command[:2] == ["-target", "wasm32-wasi"] and "-mexec-model=reactor" not in command
    assert "-Wl,--no-entry" not in command


@pytest.mark.parametrize("kw, msg", [
    ({"stack_size": 1000}, "multiple of 16"),
    ({"initial_memory": 70000}, "64 KiB pages"),
    ({"stack_size": 65536}, "does not fit"),
    ({"opt": "-O9"}, "optimisation level"),
])
def test_bad_options_are_refused(tmp_path, kw, msg):
    with pytest.raises(CompileError, match=msg):
        opts(tmp_path, **kw)


def test_compile_error_names_file_and_line_and_leaves_no_output(tmp_path):
    src = tmp_path / "bad.c"
    src.write_text("int f(void) {\n  return undeclared;\n}\n")
    out = tmp_path / "bad.wasm"
    with pytest.raises(CompileError, match=r"bad\.c:2:\d+: error: use of undeclared"):
        compile_module(CompileOptions(sources=(src,), output=out))
    assert list(tmp_path.iterdir()) == [src]


def test_cli_compiles_exports_and_strips(tmp_path):
    src = tmp_path / "sum.c"
    src.write_text('#include "wasmote.h"\n'
                   "int32_t sum(int32_t a, int32_t b) { return a + b; }\n")
    out = tmp_path / "sum.wasm"
    r = CliRunner().invoke(main, ["cc", str(src), "-o", str(out), "--export", "sum"])
    assert r.exit_code == 0, r.output
    assert "stripped" in r.output
    m = read_module(out.read_bytes())
    assert {e.name for e in m.exports} == {"memory", "sum"}
    assert not m.imports
    assert [mt.limits.min for mt in m.mem_types()] == [1]  # one 64 KiB page, not 17
    assert m.customs == []  # names, producers, target_features: gone


def test_cli_errors_are_one_line(tmp_path):
    r = CliRunner().invoke(main, ["cc", str(tmp_path / "none.c"), "-o",
                                  str(tmp_path / "x.wasm")])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [f"error: {tmp_path / 'none.c'}: no such C source"]
    r = CliRunner().invoke(main, ["cc", str(tmp_path / "none.c"), "-o",
                                  str(tmp_path / "x.wasm"), "--package", "p.wmp"])
    assert r.exit_code == 2 and "--package and --key need --manifest" in r.output
