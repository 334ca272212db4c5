"""What strip removes, what it keeps, and how it renumbers: small hand-written modules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import wasmtime
from click.testing import CliRunner

from tests.strip.strip_gen import assemble
from tests.strip.strip_observe import compare, make_engine
from wasmote.cli import main
from wasmote.wasm.errors import WasmError
from wasmote.wasm.module import KIND_FUNC
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import StripOptions, strip_bytes

ENGINE = make_engine()


def custom(name: str, payload: bytes) -> bytes:
    body = bytes([len(name)]) + name.encode() + payload
    assert len(body) < 128
    return bytes([0, len(body)]) + body


def wat_text(data: bytes, tmp_path: Path) -> str:
    f = tmp_path / "out.wasm"
    f.write_bytes(data)
    return subprocess.run(["wasm2wat", str(f)], check=True, capture_output=True,
                          text=True).stdout


SAMPLE = """(module
  (import "env" "unused_fn" (func $unused_import (param i32)))
  (import "env" "used_fn" (func $used_import (param i32) (result i32)))
  (type $never (func (param f64 f64 f64)))
  (global $dead (mut i32) (i32.const 1))
  (global $live (mut i32) (i32.const 40))
  (func $dead_fn (result i32) (global.get $dead))
  (func $helper (param i32) (result i32) (local i64 i32 i64)
    (local.set 2 (i32.const 2))
    (i32.add (local.get 0) (i32.add (local.get 2) (global.get $live))))
  (func (export "run") (result i32) (call $helper (call $used_import (i32.const 0))))
)"""


def run_sample(data: bytes) -> object:
    store = wasmtime.Store()
    linker = wasmtime.Linker(store.engine)
    i32 = wasmtime.ValType.i32()
    linker.define(store, "env", "used_fn",
                  wasmtime.Func(store, wasmtime.FuncType([i32], [i32]), lambda x: x + 100))
    linker.define(store, "env", "unused_fn",
                  wasmtime.Func(store, wasmtime.FuncType([i32], []), lambda x: None))
    inst = linker.instantiate(store, wasmtime.Module(store.engine, data))
    run = inst.exports(store)["run"]
    assert isinstance(run, wasmtime.Func)
    return run(store)


def test_gc_removes_unused_items_and_renumbers() -> None:
    data = assemble(SAMPLE)
    out, report = strip_bytes(data)
    m = read_module(out)
    assert [(i.module, i.name) for i in m.imports] == [("env", "used_fn")]
    assert report.removed_imports == ["env.unused_fn"]
    assert len(m.funcs) == 2 and len(m.globals) == 1
    assert report.removed_funcs == 1 and report.removed_globals == 1
    # Types left: (i32)->i32 for the import and helper, ()->i32 for run; $never is gone.
    assert len(m.types) == 2
    assert [e.name for e in m.exports] == ["run"] and m.exports[0].kind == KIND_FUNC
    assert run_sample(out) == run_sample(data) == 142


def test_no_gc_keeps_every_item() -> None:
    data = assemble(SAMPLE)
    out, report = strip_bytes(data, StripOptions(gc=False))
    m, orig = read_module(out), read_module(data)
    assert (len(m.funcs), len(m.globals), len(m.imports), len(m.types)) == \
        (len(orig.funcs), len(orig.globals), len(orig.imports), len(orig.types))
    assert report.removed_funcs == 0
    assert run_sample(out) == 142


def test_locals_are_declared_once_per_type() -> None:
    out, _ = strip_bytes(assemble(SAMPLE))
    helper = read_module(out).funcs[0]
    assert sorted(t for _, t in helper.locals) == sorted({t for _, t in helper.locals})
    assert sum(n for n, _ in helper.locals) == 3


def test_all_custom_sections_go_unless_kept() -> None:
    data = assemble("(module (func (export \"f\") (result i32) (i32.const 7)))")
    data += custom("producers", b"\x00") + custom(".debug_info", b"\x01\x02")
    data += custom("sourceMappingURL", b"\x03x.map") + custom("target_features", b"\x00")
    out, report = strip_bytes(data)
    assert read_module(out).customs == []
    assert sorted(report.removed_sections) == sorted(
        ["producers", ".debug_info", "sourceMappingURL", "target_features"])
    kept, _ = strip_bytes(data, StripOptions(keep_sections=frozenset({"producers"})))
    assert [c.name for c in read_module(kept).customs] == ["producers"]


def test_kept_name_section_follows_renumbering(tmp_path: Path) -> None:
    src = tmp_path / "m.wat"
    src.write_text("""(module
      (func $dead (result i32) (i32.const 0))
      (func $sum (param $p i32) (result i32) (local $wide i64) (local $n i32) (local $w2 i64)
        (local.set $n (i32.const 5))
        (i32.add (local.get $p) (local.get $n)))
      (func $main (export "main") (result i32) (call $sum (i32.const 1))))""")
    wasm = tmp_path / "m.wasm"
    subprocess.run(["wat2wasm", "--debug-names", str(src), "-o", str(wasm)], check=True)
    out, _ = strip_bytes(wasm.read_bytes(), StripOptions(keep_sections=frozenset({"name"})))
    text = wat_text(out, tmp_path)
    assert "$dead" not in text
    assert "call $sum" in text
    # $n moved from local 2 to local 3 when the i64 locals were grouped; its name moved too.
    assert "local.set $n" in text and "local.get $n" in text and "local.get $p" in text


def test_data_for_exported_memory_stays() -> None:
    data = assemble("""(module (memory (export "m") 1) (data (i32.const 8) "hi")
      (func (export "f") (result i32) (i32.const 0)))""")
    m = read_module(strip_bytes(data)[0])
    assert len(m.mems) == 1 and len(m.datas) == 1


def test_unused_memory_and_its_data_go_but_a_trapping_segment_stays() -> None:
    quiet = assemble("""(module (memory 1) (data (i32.const 8) "hi")
      (func (export "f") (result i32) (i32.const 0)))""")
    m = read_module(strip_bytes(quiet)[0])
    assert m.mems == [] and m.datas == []
    # Out of bounds: instantiation traps, and must still trap after stripping.
    trapping = assemble("""(module (memory 1) (data (i32.const 65535) "hi")
      (func (export "f") (result i32) (i32.const 0)))""")
    out = strip_bytes(trapping)[0]
    assert len(read_module(out).datas) == 1
    a, b = compare(ENGINE, trapping, out)
    assert a.instantiate.startswith("trap") and a == b


def test_unused_table_and_segment_go_unless_imported() -> None:
    local = assemble("""(module (table 2 funcref) (elem (i32.const 0) $g)
      (func $g (result i32) (i32.const 1)) (func (export "f") (result i32) (i32.const 0)))""")
    m = read_module(strip_bytes(local)[0])
    assert m.tables == [] and m.elems == [] and len(m.funcs) == 1
    imported = assemble("""(module (import "env" "t" (table 2 funcref))
      (elem (i32.const 0) $g)
      (func $g (result i32) (i32.const 1)) (func (export "f") (result i32) (i32.const 0)))""")
    m = read_module(strip_bytes(imported)[0])
    assert len(m.imports) == 1 and len(m.elems) == 1 and len(m.funcs) == 2


def test_ref_func_declared_only_by_a_removed_segment_gets_declared() -> None:
    data = assemble("""(module (table 1 funcref) (elem (i32.const 0) $g)
      (func $g (result i32) (i32.const 1))
      (func (export "f") (result i32) (ref.is_null (ref.func $g))))""")
    out, _ = strip_bytes(data)
    m = read_module(out)
    assert m.tables == []
    assert [s.mode for s in m.elems] == ["declarative"]
    assert compare(ENGINE, data, out)[1].calls == [("f", 0)]


def test_call_indirect_keeps_table_segment_and_merges_duplicate_types() -> None:
    data = assemble("""(module
      (type $a (func (result i32))) (type $b (func (result i32)))
      (table 2 funcref) (elem (i32.const 0) $one $two)
      (func $one (type $a) (i32.const 1)) (func $two (type $b) (i32.const 2))
      (func (export "f") (result i32)
        (i32.add (call_indirect (type $a) (i32.const 0)) (call_indirect (type $b) (i32.const 1)))))
    """)
    out, _ = strip_bytes(data)
    assert len(read_module(out).types) == 1
    a, b = compare(ENGINE, data, out)
    assert a == b and a.calls == [("f", 3)]


def test_invalid_input_is_rejected_with_the_validator_error() -> None:
    data = bytearray(assemble("(module (func (export \"f\") (result i32) (i32.const 7)))"))
    data[data.index(0x41)] = 0x42  # i32.const -> i64.const: type mismatch
    with pytest.raises(WasmError):
        strip_bytes(bytes(data))


def test_cli_prints_sizes_and_writes_output(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.wasm", tmp_path / "out.wasm"
    src.write_bytes(assemble(SAMPLE) + custom("producers", b"\x00"))
    res = CliRunner().invoke(main, ["strip", str(src), "-o", str(dst)])
    assert res.exit_code == 0, res.output
    assert f"{src.stat().st_size} -> {dst.stat().st_size} bytes" in res.output
    assert "1 functions" in res.output and "1 custom sections" in res.output
    res = CliRunner().invoke(main, ["strip", str(src), "--no-gc", "-o", str(dst)])
    assert res.exit_code == 0 and "functions" not in res.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x01")
    res = CliRunner().invoke(main, ["strip", str(bad), "-o", str(tmp_path / "o.wasm")])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and "bad.wasm:0x" in res.output
    assert not (tmp_path / "o.wasm").exists()
    res = CliRunner().invoke(main, ["strip", str(bad), "-o", str(bad)])
    assert res.exit_code == 2 and "overwrite" in res.output


def test_second_table_becomes_table_zero() -> None:
    data = assemble("""(module
      (table $unused 3 funcref) (table $t 2 funcref)
      (elem (table $t) (i32.const 1) func $seven)
      (func $seven (result i32) (i32.const 7))
      (func (export "f") (result i32) (call_indirect $t (result i32) (i32.const 1))))""")
    out, report = strip_bytes(data)
    m = read_module(out)
    assert report.removed_tables == 1 and len(m.tables) == 1 and m.tables[0].limits.min == 2
    assert m.elems[0].table == 0
    a, b = compare(ENGINE, data, out)
    assert a == b and a.calls == [("f", 7)]


def test_passive_segments_stay_only_if_named_by_kept_code() -> None:
    data = assemble("""(module (memory (export "m") 1)
      (data $unused "zzzz") (data $used "\\05\\00\\00\\00")
      (func (export "f") (result i32)
        (memory.init $used (i32.const 0) (i32.const 0) (i32.const 4))
        (data.drop $used)
        (i32.load (i32.const 0))))""")
    out, report = strip_bytes(data)
    m = read_module(out)
    assert report.removed_datas == 1 and [d.init for d in m.datas] == [b"\x05\0\0\0"]
    assert m.data_count == 1
    a, b = compare(ENGINE, data, out)
    assert a == b and a.calls == [("f", 5)]


def test_input_module_is_not_modified() -> None:
    from wasmote.wasm.strip import strip_module
    from wasmote.wasm.writer import write_module

    m = read_module(assemble(SAMPLE))
    before = write_module(m)
    strip_module(m)
    strip_module(m, StripOptions(gc=False))
    assert write_module(m) == before


def test_keeping_dwarf_warns_that_offsets_moved() -> None:
    data = assemble(SAMPLE) + custom(".debug_line", b"\x00")
    _, report = strip_bytes(data, StripOptions(keep_sections=frozenset({".debug_line"})))
    assert any(".debug_line" in w for w in report.warnings)
    assert strip_bytes(data)[1].warnings == []


def test_memory_stays_when_kept_code_calls_the_host(tmp_path: Path) -> None:
    """Host functions read the caller's memory through pointers (wasmote.log(ptr, len)):
    a memory nothing in wasm touches is still needed once an import is called."""
    src = """(module
      (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
      (memory 1)
      (data (i32.const 16) "hello")
      (func (export "hi") (result i32) (call $log (i32.const 16) (i32.const 5))))"""
    wasm = assemble(src)
    out = read_module(strip_bytes(wasm)[0])
    assert len(out.mems) == 1 and [d.init for d in out.datas] == [b"hello"]
    # without any call to the host, nothing can see the memory: it goes
    alone = assemble('(module (memory 1) (data (i32.const 0) "x") '
                     '(func (export "f") (result i32) (i32.const 1)))')
    gone = read_module(strip_bytes(alone)[0])
    assert gone.mems == [] and gone.datas == []
