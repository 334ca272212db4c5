"""Validator rules on hand-built modules: messages, offsets, module-level checks."""

import pytest

from tests.wasm.wasm_builders import func_module, ins
from wasmote.wasm.errors import ValidationError
from wasmote.wasm.module import (
    BLOCK_EMPTY,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    KIND_FUNC,
    DataSegment,
    ElemSegment,
    Export,
    FuncType,
    Global,
    GlobalType,
    Import,
    Instr,
    Limits,
    MemType,
    Module,
    TableType,
)
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module
from wasmote.wasm.writer import write_module


def _check(mod: Module) -> None:
    # Through the bytes, so offsets are real and the writer/reader are exercised too.
    validate_module(read_module(write_module(mod)))


def _error(mod: Module) -> ValidationError:
    with pytest.raises(ValidationError) as e:
        _check(mod)
    return e.value


def test_type_mismatch_message_and_offset():
    mod = func_module((), (I32,), [ins("i32.const", 1), ins("f64.const", 0), ins("i32.add")])
    raw = write_module(mod)
    e = _error(mod)
    assert e.message == "type mismatch in i32.add (expected i32, got f64)"
    assert raw[e.offset] == 0x6A  # points at the i32.add opcode
    assert e.section == "code"
    assert e.one_line("m.wasm") == f"m.wasm:0x{e.offset:x}: {e.message}"


def test_valid_arithmetic_and_blocks():
    body = [ins("local.get", 0), ins("if", I32 - 0x80), ins("i32.const", 1), ins("else"),
            ins("i32.const", 2), ins("end")]
    _check(func_module((I32,), (I32,), body))


def test_unreachable_makes_stack_polymorphic():
    _check(func_module((), (I32,), [ins("unreachable"), ins("i32.add")]))
    _check(func_module((), (F64,), [ins("unreachable"), ins("select")]))
    # ...but a concrete operand of the wrong type still fails.
    e = _error(func_module((), (I32,), [ins("unreachable"), ins("f32.const", 0),
                                        ins("i32.add")]))
    assert e.message.startswith("type mismatch")


def test_multi_value_block_with_params():
    mod = func_module((), (I32, I32), [ins("i32.const", 1), ins("block", 1), ins("i32.const", 2),
                                       ins("end")])
    mod.types.append(FuncType((I32,), (I32, I32)))
    _check(mod)


def test_if_without_else_needs_matching_types():
    e = _error(func_module((), (I32,), [ins("i32.const", 0), ins("if", I32 - 0x80),
                                        ins("i32.const", 1), ins("end")]))
    assert e.message.startswith("type mismatch")


def test_br_table_arity_and_unknown_label():
    body = [ins("block", BLOCK_EMPTY), ins("i32.const", 0), ins("br_table", 0, 1), ins("end")]
    _check(func_module((), (), body))
    body = [ins("block", BLOCK_EMPTY), ins("i32.const", 0), ins("br_table", 0, 2), ins("end")]
    assert _error(func_module((), (), body)).message == "unknown label 2"


def test_select_rules():
    ok = [ins("ref.null", FUNCREF), ins("ref.null", FUNCREF), ins("i32.const", 1)]
    _check(func_module((), (FUNCREF,), [*ok, Instr(0x1C, (FUNCREF,))]))
    e = _error(func_module((), (FUNCREF,), [*ok, ins("select")]))
    assert e.message.startswith("type mismatch")
    e = _error(func_module((), (I32,), [ins("i32.const", 1), ins("i32.const", 1),
                                        ins("i32.const", 1), Instr(0x1C, (I32, I32))]))
    assert e.message == "invalid result arity"


def test_locals_globals_and_immutability():
    assert _error(func_module((), (), [ins("local.get", 1), ins("drop")],
                              [(1, I64)])).message == "unknown local 1"
    mod = func_module((), (), [ins("i32.const", 1), ins("global.set", 0)])
    mod.globals.append(Global(GlobalType(I32, False), [ins("i32.const", 0), ins("end")]))
    assert _error(mod).message.startswith("global is immutable")


def test_memory_rules():
    load = [ins("i32.const", 0), ins("i32.load", 3, 0), ins("drop")]
    assert _error(func_module((), (), load)).message == "unknown memory 0"
    mod = func_module((), (), load)
    mod.mems.append(MemType(Limits(1)))
    assert _error(mod).message == "alignment must not be larger than natural"
    mod.funcs[0].instrs[1].imm = (2, 0)
    _check(mod)
    mod.mems.append(MemType(Limits(1)))
    assert _error(mod).message.startswith("multiple memories (multi-memory: a feature beyond")
    mod.mems = [MemType(Limits(65537))]
    assert _error(mod).message == "memory size must be at most 65536 pages (4GiB)"
    mod.mems = [MemType(Limits(2, 1))]
    assert _error(mod).message == "size minimum must not be greater than maximum"


def test_const_expressions():
    mod = Module()
    mod.globals.append(Global(GlobalType(I32, False), [ins("i32.const", 1), ins("i32.const", 2),
                                                         ins("i32.add"), ins("end")]))
    assert _error(mod).message.startswith("constant expression required")
    mod.globals[0].init = [ins("i64.const", 1), ins("end")]
    assert _error(mod).message.startswith("type mismatch")
    # global.get in a constant expression sees only imported immutable globals.
    mod.globals[0].init = [ins("global.get", 0), ins("end")]
    assert _error(mod).message == "unknown global 0"
    mod.imports.append(Import("env", "g", 3, GlobalType(I32, True)))
    assert _error(mod).message.startswith("constant expression required")
    mod.imports[0].desc = GlobalType(I32, False)
    _check(mod)


def test_ref_func_must_be_declared():
    mod = func_module((), (), [ins("ref.func", 0), ins("drop")])
    assert _error(mod).message == "undeclared function reference 0"
    mod.exports.append(Export("f", KIND_FUNC, 0))
    _check(mod)


def test_segments_start_and_exports():
    mod = func_module((), (), [])
    mod.elems.append(ElemSegment("active", FUNCREF, [[ins("ref.func", 0), ins("end")]], 0,
                                 [ins("i32.const", 0), ins("end")], 0))
    assert _error(mod).message == "unknown table 0"
    mod.tables.append(TableType(EXTERNREF, Limits(1)))
    assert _error(mod).message.startswith("type mismatch")
    mod.tables[0] = TableType(FUNCREF, Limits(1))
    _check(mod)
    mod.datas.append(DataSegment("active", b"x", 0, [ins("i32.const", 0), ins("end")]))
    assert _error(mod).message == "unknown memory 0"
    mod.datas.clear()
    mod.start = 0
    _check(mod)
    mod.types[0] = FuncType((F32,), ())
    assert _error(mod).message.startswith("start function")
    mod.start = None
    mod.exports = [Export("a", KIND_FUNC, 0), Export("a", KIND_FUNC, 0)]
    assert _error(mod).message.startswith("duplicate export name")
    mod.exports = [Export("a", KIND_FUNC, 3)]
    assert _error(mod).message == "unknown function 3"


def test_bulk_memory_data_index():
    mod = func_module((), (), [ins("data.drop", 1)])
    mod.data_count = 1
    mod.datas.append(DataSegment("passive", b"abc", flags=1))
    assert _error(mod).message == "unknown data segment 1"
    mod.funcs[0].instrs[0].imm = (0,)
    _check(mod)


def test_huge_local_count_is_cheap():
    # 2**32 - 2 locals in a few bytes: valid, and must not be expanded in memory.
    body = [ins("local.get", 2**32 - 3), ins("drop"), ins("local.get", 5), ins("drop")]
    mod = func_module((I32,), (), body, [(2**31, I64), (2**31 - 3, F32)])
    _check(mod)
    body = [ins("local.get", 2**32 - 2), ins("drop")]
    e = _error(func_module((I32,), (), body, [(2**31, I64), (2**31 - 3, F32)]))
    assert e.message == "unknown local 4294967294"
    e = _error(func_module((I32,), (I64,), [ins("local.get", 2**31 + 1)],
                           [(2**31, I64), (2**31 - 3, F32)]))
    assert e.message.startswith("type mismatch")


def test_module_level_error_points_at_its_section():
    mod = Module(mems=[MemType(Limits(3, 2))])
    raw = write_module(mod)
    with pytest.raises(ValidationError) as e:
        validate_module(read_module(raw))
    assert e.value.section == "memory"
    assert raw[e.value.offset] == 5  # the memory section's id byte
