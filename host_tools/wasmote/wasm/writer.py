"""Binary writer: `write_module(Module) -> bytes`, always in canonical (shortest) encoding.

Sections are emitted in the spec's order; a non-custom section is written when it has
content or was present in the input, and each custom section goes right after the
non-custom section it followed when read. So `write_module(read_module(b)) == b` for any
canonically encoded `b`.
"""

from __future__ import annotations

from collections.abc import Callable

from wasmote.wasm.errors import WasmError
from wasmote.wasm.leb128 import encode_signed, encode_unsigned
from wasmote.wasm.module import (
    SEC_CODE,
    SEC_DATA,
    SEC_DATACOUNT,
    SEC_ELEMENT,
    SEC_EXPORT,
    SEC_FUNCTION,
    SEC_GLOBAL,
    SEC_IMPORT,
    SEC_MEMORY,
    SEC_START,
    SEC_TABLE,
    SEC_TYPE,
    SECTION_ORDER,
    DataSegment,
    ElemSegment,
    Function,
    GlobalType,
    Instr,
    Limits,
    MemType,
    Module,
    TableType,
)
from wasmote.wasm.opcodes import OP_REF_FUNC, OPS, op_name
from wasmote.wasm.reader import MAGIC, VERSION

_u = encode_unsigned


def _name(s: str) -> bytes:
    raw = s.encode("utf-8")
    return _u(len(raw)) + raw


def _limits(lim: Limits) -> bytes:
    if lim.max is None:
        return b"\x00" + _u(lim.min)
    return b"\x01" + _u(lim.min) + _u(lim.max)


def _globaltype(g: GlobalType) -> bytes:
    return bytes((g.valtype, 1 if g.mutable else 0))


def encode_instr(ins: Instr, out: bytearray) -> None:
    """Append the encoding of one instruction to `out`."""
    try:
        _encode_instr(ins, out)
    except (OverflowError, ValueError, IndexError, TypeError):
        raise WasmError(f"cannot encode {op_name(ins.op)} with immediates {ins.imm}",
                        ins.offset) from None


def _encode_instr(ins: Instr, out: bytearray) -> None:
    op = ins.op
    info = OPS.get(op)
    if info is None:
        raise WasmError(f"cannot encode unknown opcode {op_name(op)}", ins.offset)
    if op >= 0xFC00:
        out.append(0xFC)
        out += _u(op & 0xFF)
    else:
        out.append(op)
    kind = info.imm
    imm = ins.imm
    if not kind:
        return
    if kind in ("i32", "i64", "blocktype"):
        out += encode_signed(imm[0])
    elif kind == "f32":
        out += imm[0].to_bytes(4, "little")
    elif kind == "f64":
        out += imm[0].to_bytes(8, "little")
    elif kind == "br_table":
        out += _u(len(imm) - 1)
        for x in imm:
            out += _u(x)
    elif kind in ("reftype",):
        out.append(imm[0])
    elif kind == "select_t":
        out += _u(len(imm))
        out += bytes(imm)
    elif kind in ("zero", "zero2"):
        out += bytes(imm)
    elif kind == "data_zero":
        out += _u(imm[0])
        out.append(imm[1])
    else:  # one or two u32 indices / memarg
        for x in imm:
            out += _u(x)


def encode_expr(instrs: list[Instr]) -> bytes:
    out = bytearray()
    for ins in instrs:
        encode_instr(ins, out)
    return bytes(out)


def _vec(items: list[bytes]) -> bytes:
    return _u(len(items)) + b"".join(items)


def _elem(seg: ElemSegment) -> bytes:
    flags = seg.flags
    out = bytearray(_u(flags))
    if seg.mode == "active":
        if flags & 2:
            out += _u(seg.table)
        out += encode_expr(seg.offset_expr or [])
    if flags & 3:
        out.append(seg.elem_type if flags & 4 else 0x00)
    out += _u(len(seg.init))
    for e in seg.init:
        if flags & 4:
            out += encode_expr(e)
        else:
            if len(e) != 2 or e[0].op != OP_REF_FUNC or e[1].op != 0x0B:
                raise WasmError("element segment with function indices holds an expression",
                                seg.offset, "element")
            out += _u(e[0].imm[0])
    return bytes(out)


def _data(seg: DataSegment) -> bytes:
    out = bytearray(_u(seg.flags))
    if seg.flags == 2:
        out += _u(seg.memory)
    if seg.mode == "active":
        out += encode_expr(seg.offset_expr or [])
    out += _u(len(seg.init)) + seg.init
    return bytes(out)


def _code(f: Function) -> bytes:
    body = bytearray(_u(len(f.locals)))
    for count, t in f.locals:
        body += _u(count)
        body.append(t)
    body += encode_expr(f.instrs)
    return _u(len(body)) + bytes(body)


def _import_desc(desc: int | TableType | MemType | GlobalType) -> bytes:
    if isinstance(desc, int):
        return b"\x00" + _u(desc)
    if isinstance(desc, TableType):
        return b"\x01" + bytes((desc.elem_type,)) + _limits(desc.limits)
    if isinstance(desc, MemType):
        return b"\x02" + _limits(desc.limits)
    return b"\x03" + _globaltype(desc)


_SECTION_BODIES: dict[int, Callable[[Module], bytes | None]] = {
    SEC_TYPE: lambda m: _vec([b"\x60" + _u(len(t.params)) + bytes(t.params)
                              + _u(len(t.results)) + bytes(t.results) for t in m.types])
    if m.types else None,
    SEC_IMPORT: lambda m: _vec([_name(i.module) + _name(i.name) + _import_desc(i.desc)
                                for i in m.imports]) if m.imports else None,
    SEC_FUNCTION: lambda m: _vec([_u(f.type_idx) for f in m.funcs]) if m.funcs else None,
    SEC_TABLE: lambda m: _vec([bytes((t.elem_type,)) + _limits(t.limits) for t in m.tables])
    if m.tables else None,
    SEC_MEMORY: lambda m: _vec([_limits(t.limits) for t in m.mems]) if m.mems else None,
    SEC_GLOBAL: lambda m: _vec([_globaltype(g.type) + encode_expr(g.init) for g in m.globals])
    if m.globals else None,
    SEC_EXPORT: lambda m: _vec([_name(e.name) + bytes((e.kind,)) + _u(e.index)
                                for e in m.exports]) if m.exports else None,
    SEC_START: lambda m: _u(m.start) if m.start is not None else None,
    SEC_ELEMENT: lambda m: _vec([_elem(s) for s in m.elems]) if m.elems else None,
    SEC_DATACOUNT: lambda m: _u(m.data_count) if m.data_count is not None else None,
    SEC_CODE: lambda m: _vec([_code(f) for f in m.funcs]) if m.funcs else None,
    SEC_DATA: lambda m: _vec([_data(s) for s in m.datas]) if m.datas else None,
}


def _section(sec_id: int, payload: bytes) -> bytes:
    return bytes((sec_id,)) + _u(len(payload)) + payload


def write_module(mod: Module) -> bytes:
    """Encode `mod` canonically."""
    out = bytearray(MAGIC + VERSION)
    customs_after: dict[int, list[bytes]] = {}
    for c in mod.customs:
        customs_after.setdefault(c.after, []).append(_section(0, _name(c.name) + c.data))
    for blob in customs_after.pop(0, []):
        out += blob
    for sec_id in SECTION_ORDER:
        payload = _SECTION_BODIES[sec_id](mod)
        if payload is None and sec_id in mod.present_sections:
            # An empty section that was present in the input (start/datacount never are).
            payload = b"\x00"
        if payload is not None:
            out += _section(sec_id, payload)
        for blob in customs_after.pop(sec_id, []):
            out += blob
    for rest in customs_after.values():  # `after` naming an unknown id: keep them at the end
        for blob in rest:
            out += blob
    return bytes(out)
