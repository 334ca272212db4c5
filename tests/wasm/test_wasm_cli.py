"""`wasmote validate` and `wasmote inspect` through click's CliRunner."""

import json
from pathlib import Path

from click.testing import CliRunner

from tests.wasm.wasm_builders import func_module, ins
from wasmote.cli import main
from wasmote.wasm.module import I32, KIND_FUNC, Export, FuncType, Import, Limits, MemType
from wasmote.wasm.writer import write_module


def _good(tmp_path: Path) -> Path:
    mod = func_module((), (I32,), [ins("i32.const", 7)])
    mod.types.append(FuncType((I32,), ()))
    mod.imports.append(Import("env", "led_set", KIND_FUNC, 1))
    mod.imports.append(Import("env", "mem", 2, MemType(Limits(1, 2))))
    mod.exports.append(Export("run", KIND_FUNC, 1))
    path = tmp_path / "good.wasm"
    path.write_bytes(write_module(mod))
    return path


def test_validate_ok(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(_good(tmp_path))])
    assert result.exit_code == 0
    assert result.stdout.strip() == "ok"


def test_validate_type_mismatch_one_line(tmp_path):
    mod = func_module((), (I32,), [ins("i32.const", 1), ins("f64.const", 0), ins("i32.add")])
    path = tmp_path / "bad.wasm"
    path.write_bytes(write_module(mod))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:0x23: type mismatch in i32.add (expected i32, got f64)\n")
    assert "Traceback" not in result.output


def test_validate_malformed(tmp_path):
    path = tmp_path / "cut.wasm"
    path.write_bytes(b"\x00asm\x01\x00\x00\x00\x01\x02\x01\x60")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:0x")
    assert "unexpected end" in result.stderr
    assert result.stderr.count("\n") == 1


def test_missing_and_non_wasm_files(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.wasm")])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nope.wasm'}: no such file\n"
    text = tmp_path / "notes.txt"
    text.write_text("hello world\n")
    result = CliRunner().invoke(main, ["inspect", str(text)])
    assert result.exit_code == 1
    assert result.stderr == (f"{text}:0x0: magic header not detected (not a WebAssembly "
                             "binary)\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "is a directory" in result.stderr


def test_inspect_text(tmp_path):
    result = CliRunner().invoke(main, ["inspect", str(_good(tmp_path))])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "imports (required capabilities): 2" in out
    assert "env.led_set  func (i32) -> ()" in out
    assert "memory 0: min 1 pages, max 2 (imported)" in out
    assert "run  func 1" in out
    assert "functions: 1 defined, 1 imported" in out


def test_inspect_json(tmp_path):
    path = _good(tmp_path)
    result = CliRunner().invoke(main, ["inspect", "--json", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["valid"] is True
    assert data["size"] == path.stat().st_size
    assert data["capabilities"] == ["env.led_set", "env.mem"]
    assert [s["kind"] for s in data["sections"]] == ["type", "import", "function", "export",
                                                     "code"]
    assert data["memories"] == [{"index": 0, "imported": True, "min": 1, "max": 2,
                                 "elem_type": ""}]
    assert data["defined_functions"] == 1
    assert data["code_size"] == data["sections"][-1]["size"]


def test_inspect_reports_invalid_module(tmp_path):
    mod = func_module((), (I32,), [])
    path = tmp_path / "invalid.wasm"
    path.write_bytes(write_module(mod))
    result = CliRunner().invoke(main, ["inspect", "--json", str(path)])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert "type mismatch" in data["validation_error"]
