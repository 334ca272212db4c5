"""The instruction table: opcode -> name, immediate kind and stack signature.

Covers WebAssembly 2.0 without SIMD: MVP, sign-extension, saturating truncation
(0xFC 0-7), bulk memory (0xFC 8-17), reference types and multi-value blocks.
0xFC-prefixed instructions are keyed as 0xFC00 | sub-opcode.

Immediate kinds (`OpInfo.imm`):
  ""            none
  "blocktype"   s33 block type
  "label"       label index
  "br_table"    vector of labels + default
  "func"        function index
  "call_indirect"  type index, table index
  "local" / "global" / "table" / "elem" / "data"   one index
  "select_t"    vector of value types
  "memarg"      align, offset
  "zero"        one reserved zero byte (memory index 0)
  "zero2"       two reserved zero bytes (memory.copy)
  "data_zero"   data index, reserved zero byte (memory.init)
  "elem_table"  element index, table index (table.init)
  "table_table" destination table, source table (table.copy)
  "i32" / "i64" signed LEB128 constant; "f32" / "f64" raw IEEE bits
  "reftype"     a reference type byte

`pops`/`pushes` give the operand types for instructions with a fixed signature; they are
None for instructions the validator types specially (control, variables, calls,
parametric, reference and table instructions). `align` is the natural alignment
(log2 of the access size) for loads and stores.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.wasm.module import F32, F64, I32, I64


@dataclass(frozen=True, slots=True)
class OpInfo:
    name: str
    imm: str = ""
    pops: tuple[int, ...] | None = None
    pushes: tuple[int, ...] | None = None
    align: int | None = None


OPS: dict[int, OpInfo] = {}


def _add(op: int, name: str, imm: str = "", pops: tuple[int, ...] | None = None,
         pushes: tuple[int, ...] | None = None, align: int | None = None) -> None:
    assert op not in OPS, hex(op)
    OPS[op] = OpInfo(name, imm, pops, pushes, align)


# Control.
_add(0x00, "unreachable")
_add(0x01, "nop", pops=(), pushes=())
_add(0x02, "block", "blocktype")
_add(0x03, "loop", "blocktype")
_add(0x04, "if", "blocktype")
_add(0x05, "else")
_add(0x0B, "end")
_add(0x0C, "br", "label")
_add(0x0D, "br_if", "label")
_add(0x0E, "br_table", "br_table")
_add(0x0F, "return")
_add(0x10, "call", "func")
_add(0x11, "call_indirect", "call_indirect")
# Reference.
_add(0xD0, "ref.null", "reftype")
_add(0xD1, "ref.is_null")
_add(0xD2, "ref.func", "func")
# Parametric.
_add(0x1A, "drop")
_add(0x1B, "select")
_add(0x1C, "select", "select_t")
# Variables.
_add(0x20, "local.get", "local")
_add(0x21, "local.set", "local")
_add(0x22, "local.tee", "local")
_add(0x23, "global.get", "global")
_add(0x24, "global.set", "global")
# Tables.
_add(0x25, "table.get", "table")
_add(0x26, "table.set", "table")
_add(0xFC0C, "table.init", "elem_table")
_add(0xFC0D, "elem.drop", "elem")
_add(0xFC0E, "table.copy", "table_table")
_add(0xFC0F, "table.grow", "table")
_add(0xFC10, "table.size", "table")
_add(0xFC11, "table.fill", "table")

# Memory: loads and stores with their natural alignment.
for _op, _name, _t, _al in (
        (0x28, "i32.load", I32, 2), (0x29, "i64.load", I64, 3), (0x2A, "f32.load", F32, 2),
        (0x2B, "f64.load", F64, 3), (0x2C, "i32.load8_s", I32, 0), (0x2D, "i32.load8_u", I32, 0),
        (0x2E, "i32.load16_s", I32, 1), (0x2F, "i32.load16_u", I32, 1),
        (0x30, "i64.load8_s", I64, 0), (0x31, "i64.load8_u", I64, 0),
        (0x32, "i64.load16_s", I64, 1), (0x33, "i64.load16_u", I64, 1),
        (0x34, "i64.load32_s", I64, 2), (0x35, "i64.load32_u", I64, 2)):
    _add(_op, _name, "memarg", (I32,), (_t,), _al)
for _op, _name, _t, _al in (
        (0x36, "i32.store", I32, 2), (0x37, "i64.store", I64, 3), (0x38, "f32.store", F32, 2),
        (0x39, "f64.store", F64, 3), (0x3A, "i32.store8", I32, 0), (0x3B, "i32.store16", I32, 1),
        (0x3C, "i64.store8", I64, 0), (0x3D, "i64.store16", I64, 1),
        (0x3E, "i64.store32", I64, 2)):
    _add(_op, _name, "memarg", (I32, _t), (), _al)
_add(0x3F, "memory.size", "zero", (), (I32,))
_add(0x40, "memory.grow", "zero", (I32,), (I32,))
_add(0xFC08, "memory.init", "data_zero", (I32, I32, I32), ())
_add(0xFC09, "data.drop", "data", (), ())
_add(0xFC0A, "memory.copy", "zero2", (I32, I32, I32), ())
_add(0xFC0B, "memory.fill", "zero", (I32, I32, I32), ())

# Constants.
_add(0x41, "i32.const", "i32", (), (I32,))
_add(0x42, "i64.const", "i64", (), (I64,))
_add(0x43, "f32.const", "f32", (), (F32,))
_add(0x44, "f64.const", "f64", (), (F64,))


def _group(first: int, names: str, pops: tuple[int, ...], pushes: tuple[int, ...]) -> None:
    for i, n in enumerate(names.split()):
        _add(first + i, n, "", pops, pushes)


def _typed(first: int, prefix: str, names: str, pops: tuple[int, ...],
           pushes: tuple[int, ...]) -> None:
    _group(first, " ".join(f"{prefix}.{n}" for n in names.split()), pops, pushes)


_INT_CMP = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"
_INT_BIN = "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr"
_FLT_CMP = "eq ne lt gt le ge"
_FLT_UN = "abs neg ceil floor trunc nearest sqrt"
_FLT_BIN = "add sub mul div min max copysign"

# Numeric.
_add(0x45, "i32.eqz", "", (I32,), (I32,))
_typed(0x46, "i32", _INT_CMP, (I32, I32), (I32,))
_add(0x50, "i64.eqz", "", (I64,), (I32,))
_typed(0x51, "i64", _INT_CMP, (I64, I64), (I32,))
_typed(0x5B, "f32", _FLT_CMP, (F32, F32), (I32,))
_typed(0x61, "f64", _FLT_CMP, (F64, F64), (I32,))
_typed(0x67, "i32", "clz ctz popcnt", (I32,), (I32,))
_typed(0x6A, "i32", _INT_BIN, (I32, I32), (I32,))
_typed(0x79, "i64", "clz ctz popcnt", (I64,), (I64,))
_typed(0x7C, "i64", _INT_BIN, (I64, I64), (I64,))
_typed(0x8B, "f32", _FLT_UN, (F32,), (F32,))
_typed(0x92, "f32", _FLT_BIN, (F32, F32), (F32,))
_typed(0x99, "f64", _FLT_UN, (F64,), (F64,))
_typed(0xA0, "f64", _FLT_BIN, (F64, F64), (F64,))

# Conversions: (opcode, name, from, to).
for _op, _name, _src, _dst in (
        (0xA7, "i32.wrap_i64", I64, I32),
        (0xA8, "i32.trunc_f32_s", F32, I32), (0xA9, "i32.trunc_f32_u", F32, I32),
        (0xAA, "i32.trunc_f64_s", F64, I32), (0xAB, "i32.trunc_f64_u", F64, I32),
        (0xAC, "i64.extend_i32_s", I32, I64), (0xAD, "i64.extend_i32_u", I32, I64),
        (0xAE, "i64.trunc_f32_s", F32, I64), (0xAF, "i64.trunc_f32_u", F32, I64),
        (0xB0, "i64.trunc_f64_s", F64, I64), (0xB1, "i64.trunc_f64_u", F64, I64),
        (0xB2, "f32.convert_i32_s", I32, F32), (0xB3, "f32.convert_i32_u", I32, F32),
        (0xB4, "f32.convert_i64_s", I64, F32), (0xB5, "f32.convert_i64_u", I64, F32),
        (0xB6, "f32.demote_f64", F64, F32),
        (0xB7, "f64.convert_i32_s", I32, F64), (0xB8, "f64.convert_i32_u", I32, F64),
        (0xB9, "f64.convert_i64_s", I64, F64), (0xBA, "f64.convert_i64_u", I64, F64),
        (0xBB, "f64.promote_f32", F32, F64),
        (0xBC, "i32.reinterpret_f32", F32, I32), (0xBD, "i64.reinterpret_f64", F64, I64),
        (0xBE, "f32.reinterpret_i32", I32, F32), (0xBF, "f64.reinterpret_i64", I64, F64),
        # Sign extension.
        (0xC0, "i32.extend8_s", I32, I32), (0xC1, "i32.extend16_s", I32, I32),
        (0xC2, "i64.extend8_s", I64, I64), (0xC3, "i64.extend16_s", I64, I64),
        (0xC4, "i64.extend32_s", I64, I64),
        # Non-trapping float-to-int.
        (0xFC00, "i32.trunc_sat_f32_s", F32, I32), (0xFC01, "i32.trunc_sat_f32_u", F32, I32),
        (0xFC02, "i32.trunc_sat_f64_s", F64, I32), (0xFC03, "i32.trunc_sat_f64_u", F64, I32),
        (0xFC04, "i64.trunc_sat_f32_s", F32, I64), (0xFC05, "i64.trunc_sat_f32_u", F32, I64),
        (0xFC06, "i64.trunc_sat_f64_s", F64, I64), (0xFC07, "i64.trunc_sat_f64_u", F64, I64)):
    _add(_op, _name, "", (_src,), (_dst,))

OP_END = 0x0B
OP_ELSE = 0x05
OP_REF_FUNC = 0xD2
OP_REF_NULL = 0xD0
OP_GLOBAL_GET = 0x23
OP_SELECT_T = 0x1C  # select with value types (the table's other "select")

NAME_TO_OP: dict[str, int] = {}
for _k, _v in OPS.items():
    NAME_TO_OP.setdefault(_v.name, _k)


def op_name(op: int) -> str:
    info = OPS.get(op)
    if info is not None:
        return info.name
    return f"0xfc {op & 0xFF}" if op >= 0xFC00 else f"0x{op:02x}"
