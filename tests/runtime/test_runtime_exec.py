"""`wasmote exec` against real modules built with wat2wasm, on the posix device (the
firmware's device side built for this host)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

import wasmote.cli.exec_cmd  # noqa: F401  (registers `exec` even before cli/__init__ does)
from tests.harness.wat import wat_module
from wasmote.cli import main
from wasmote.runtime.exec import (
    ExecRequest,
    ModuleLoadError,
    OutOfFuel,
    Trap,
    run_export,
)
from wasmote.runtime.values import Value

WAT = r"""
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "neg64") (param i64) (result i64) i64.const 0 local.get 0 i64.sub)
  (func (export "tenth") (result f64) f64.const 0.1)
  (func (export "third") (result f32) f32.const 1 f32.const 3 f32.div)
  (func (export "fdiv") (param f64 f64) (result f64) local.get 0 local.get 1 f64.div)
  (func (export "pair") (result i32 i64) i32.const -7 i64.const 9)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (func (export "spin") (loop br 0))
  (func $rec (export "rec") call $rec)
  (memory 1))
"""


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    return wat_module(tmp_path_factory, "exec", WAT)


def cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["exec", *args])
    return r.exit_code, r.stdout, r.stderr


def test_results_and_formats(module, spec_driver_release):
    assert run_export(ExecRequest(module, "add", ("2", "i32:40"))) == [Value("i32", 42)]
    assert cli(str(module), "--invoke", "add", "-5", "3") == (0, "i32:-2\n", "")
    assert cli(str(module), "--invoke", "neg64", "i64:9223372036854775807")[1] == \
        "i64:-9223372036854775807\n"
    assert cli(str(module), "--invoke", "tenth")[1] == "f64:0.1\n"
    assert cli(str(module), "--invoke", "third")[1] == "f32:0.33333334\n"
    assert cli(str(module), "--invoke", "fdiv", "f64:1", "f64:0")[1] == "f64:inf\n"
    assert cli(str(module), "--invoke", "fdiv", "f64:0", "f64:0")[1] in ("f64:nan\n",
                                                                       "f64:-nan\n")
    assert cli(str(module), "--invoke", "pair") == (0, "i32:-7\ni64:9\n", "")


def test_traps_exit_2(module, spec_driver_release):
    # no names in the module: the frame is its function index and offset within it
    assert cli(str(module), "--invoke", "div", "1", "0") == \
        (2, "", "trap: integer divide by zero in func[1]+0x4\n")
    assert cli(str(module), "--invoke", "oob") == \
        (2, "", "trap: out of bounds memory access in func[7]+0x4\n")
    code, out, err = cli(str(module), "--invoke", "rec")
    assert (code, out) == (2, "") and "call stack exhausted in func[9]" in err
    with pytest.raises(Trap) as e:
        run_export(ExecRequest(module, "div", ("i32:-2147483648", "-1")))
    assert e.value.reason == "integer overflow"
    assert [f.func for f in e.value.frames] == [1]


def test_fuel(module, spec_driver_release):
    code, out, err = cli(str(module), "--invoke", "spin", "--fuel", "1000")
    assert (code, out) == (3, "") and "out of fuel" in err
    with pytest.raises(OutOfFuel):
        run_export(ExecRequest(module, "spin", (), fuel=50))
    # A budget large enough for the work: the call completes normally.
    assert cli(str(module), "--invoke", "add", "1", "2", "--fuel", "100")[:2] == (0, "i32:3\n")


def test_invalid_module_reports_offset(module, tmp_path, spec_driver_release):
    bad = tmp_path / "bad.wasm"
    data = bytearray(module.read_bytes())
    bad.write_bytes(bytes(data[:-3]))  # cut inside the last section
    with pytest.raises(ModuleLoadError) as e:
        run_export(ExecRequest(bad, "add", ()))
    assert 0 < e.value.offset <= len(data)
    code, out, err = cli(str(bad), "--invoke", "add")
    assert code == 1 and out == ""
    assert err.startswith(f"{bad}:0x{e.value.offset:x}: ") and "Traceback" not in err
    notwasm = tmp_path / "text.wasm"
    notwasm.write_text("hello")
    code, _, err = cli(str(notwasm), "--invoke", "f")
    assert code == 1 and err.startswith(f"{notwasm}:0x0: ")


def test_usage_errors(module, tmp_path, spec_driver_release):
    code, _, err = cli(str(module), "--invoke", "nope")
    assert code == 1 and "no exported function 'nope'" in err and "add, div" in err
    code, _, err = cli(str(module), "--invoke", "add", "1")
    assert code == 1 and "wrong arguments" in err
    code, _, err = cli(str(module), "--invoke", "add", "1", "x")
    assert code == 1 and "not an integer" in err
    code, _, err = cli(str(tmp_path / "missing.wasm"), "--invoke", "add")
    assert code == 1 and "no such file" in err
    (tmp_path / "imp.wat").write_text('(module (import "env" "f" (func)))')
    subprocess.run(["wat2wasm", str(tmp_path / "imp.wat"), "-o", str(tmp_path / "imp.wasm")],
                   check=True)
    code, _, err = cli(str(tmp_path / "imp.wasm"), "--invoke", "f")
    assert code == 1 and "cannot instantiate" in err and "Traceback" not in err


def test_start_function_trap(tmp_path, spec_driver_release):
    (tmp_path / "s.wat").write_text("(module (func $s unreachable) (start $s) "
                                    "(func (export \"f\")))")
    subprocess.run(["wat2wasm", str(tmp_path / "s.wat"), "-o", str(tmp_path / "s.wasm")],
                   check=True)
    assert cli(str(tmp_path / "s.wasm"), "--invoke", "f") == \
        (2, "", "trap: unreachable (while instantiating)\n")


def test_exec_console_script(module, spec_driver_release):
    """The installed `wasmote` entry point, as a user runs it."""
    exe = shutil.which("wasmote")
    if exe is None:
        pytest.skip("the wasmote console script is not installed in this environment")
    p = subprocess.run([exe, "exec", str(module), "--invoke", "div", "7", "0"],
                       capture_output=True, text=True, check=False)
    assert (p.returncode, p.stdout, p.stderr) == \
        (2, "", "trap: integer divide by zero in func[1]+0x4\n")
