"""Binary reader: `read_module(bytes) -> Module`.

Decodes every section and every function body into instructions; anything that is not
a well-formed WebAssembly 2.0 (no SIMD) binary raises `MalformedError` with the byte
offset, the section and the spec test suite's message.
"""

from __future__ import annotations

from wasmote.wasm import features
from wasmote.wasm.errors import MalformedError
from wasmote.wasm.leb128 import decode_signed, decode_unsigned
from wasmote.wasm.module import (
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    REF_TYPES,
    SEC_CODE,
    SEC_CUSTOM,
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
    SECTION_NAMES,
    SECTION_ORDER,
    VALUE_TYPES,
    CustomSection,
    DataSegment,
    ElemSegment,
    Export,
    Function,
    FuncType,
    Global,
    GlobalType,
    Import,
    ImportDesc,
    Instr,
    Limits,
    MemType,
    Module,
    SectionInfo,
    TableType,
)
from wasmote.wasm.opcodes import OP_REF_FUNC, OPS

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
_ORDER_RANK = {sec: i for i, sec in enumerate(SECTION_ORDER)}
_MAX_LOCALS = 0xFFFFFFFF
_OPS_NEEDING_DATACOUNT = (0xFC08, 0xFC09)  # memory.init, data.drop


class _Cursor:
    """Reads primitive values from `data[pos:end]`; raises MalformedError past `end`."""

    __slots__ = ("data", "end", "end_message", "pos")

    def __init__(self, data: bytes, pos: int, end: int,
                 end_message: str = "unexpected end of section or function") -> None:
        self.data = data
        self.pos = pos
        self.end = end
        self.end_message = end_message  # what running out of an expression means here

    def fail(self, message: str, at: int | None = None) -> MalformedError:
        return MalformedError(message, self.pos if at is None else at)

    def eof(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise self.fail("unexpected end of section or function")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def bytes_(self, n: int) -> bytes:
        if n > self.end - self.pos:
            raise self.fail("unexpected end of section or function")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def _leb(self, signed: bool, bits: int) -> int:
        # Decode against the whole input (as the reference interpreter does), so that an
        # overlong number cut by the section end reports its own problem first.
        at = self.pos
        try:
            if signed:
                v, pos = decode_signed(self.data, at, bits)
            else:
                v, pos = decode_unsigned(self.data, at, bits)
        except MalformedError as e:
            if e.message == "unexpected end":
                raise self.fail("unexpected end of section or function", at) from None
            raise
        if pos > self.end:
            raise self.fail("unexpected end of section or function", at)
        self.pos = pos
        return v

    def u32(self) -> int:
        data = self.data
        pos = self.pos
        if pos < self.end and data[pos] < 0x80:
            self.pos = pos + 1
            return data[pos]
        return self._leb(False, 32)

    def s32(self) -> int:
        return self._leb(True, 32)

    def s33(self) -> int:
        return self._leb(True, 33)

    def s64(self) -> int:
        return self._leb(True, 64)

    def length(self) -> int:
        """A vector or byte-string length; it cannot exceed what is left to read."""
        at = self.pos
        n = self.u32()
        if n > self.end - self.pos:
            raise self.fail("length out of bounds", at)
        return n

    def vec_len(self) -> int:
        # Not checked against the bytes left: reading the elements finds the end.
        return self.u32()

    def name(self) -> str:
        n = self.length()
        at = self.pos
        raw = self.bytes_(n)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("malformed UTF-8 encoding", at) from None

    def valtype(self) -> int:
        at = self.pos
        t = self.byte()
        if t not in VALUE_TYPES:
            raise self.fail("malformed value type" + features.valtype(t), at)
        return t

    def reftype(self) -> int:
        at = self.pos
        t = self.byte()
        if t not in REF_TYPES:
            raise self.fail("malformed reference type" + features.valtype(t), at)
        return t

    def limits(self) -> Limits:
        # The flag is a 1-bit LEB128 number: 0x81 is "too long", 0x02 "too large".
        first = self.data[self.pos] if self.pos < self.end else 0
        try:
            flag = self._leb(False, 1)
        except MalformedError as e:
            e.message += features.limits_flag(first)
            raise
        lo = self.u32()
        return Limits(lo, self.u32() if flag else None)

    def globaltype(self) -> GlobalType:
        t = self.valtype()
        at = self.pos
        m = self.byte()
        if m > 1:
            raise self.fail("malformed mutability", at)
        return GlobalType(t, m == 1)

    def zero(self) -> int:
        at = self.pos
        if self.byte() != 0:
            raise self.fail("zero byte expected", at)
        return 0

    def instr(self) -> Instr:
        at = self.pos
        op = self.byte()
        if op == 0xFC:
            sub = self.u32()
            op = 0xFC00 | sub if sub <= 0xFF else -1
        info = OPS.get(op)
        if info is None:
            raise self.fail("illegal opcode" + features.opcode(self.data[at]), at)
        kind = info.imm
        imm: tuple[int, ...]
        if not kind:
            imm = ()
        elif kind == "memarg":
            a = self.u32()
            imm = (a, self.u32())
        elif kind in ("local", "global", "func", "label", "table", "elem", "data"):
            imm = (self.u32(),)
        elif kind == "i32":
            imm = (self.s32(),)
        elif kind == "blocktype":
            imm = (self._blocktype(),)
        elif kind == "i64":
            imm = (self.s64(),)
        elif kind == "f32":
            imm = (int.from_bytes(self.bytes_(4), "little"),)
        elif kind == "f64":
            imm = (int.from_bytes(self.bytes_(8), "little"),)
        elif kind == "br_table":
            n = self.vec_len()
            imm = tuple(self.u32() for _ in range(n + 1))
        elif kind == "call_indirect":
            t = self.u32()
            imm = (t, self.u32())
        elif kind == "zero":
            imm = (self.zero(),)
        elif kind == "zero2":
            imm = (self.zero(), self.zero())
        elif kind == "data_zero":
            d = self.u32()
            imm = (d, self.zero())
        elif kind in ("elem_table", "table_table"):
            x = self.u32()
            imm = (x, self.u32())
        elif kind == "reftype":
            imm = (self.reftype(),)
        elif kind == "select_t":
            n = self.vec_len()
            imm = tuple(self.valtype() for _ in range(n))
        else:  # pragma: no cover - the table only uses the kinds above
            raise AssertionError(kind)
        return Instr(op, imm, at)

    def _blocktype(self) -> int:
        at = self.pos
        b = self.data[self.pos] if self.pos < self.end else -1
        if b == 0x40:
            self.pos += 1
            return -64
        if b in VALUE_TYPES:
            self.pos += 1
            return b - 0x80
        if b >= 0x40 and b < 0x80:
            # Any other negative single byte is not a value type.
            raise self.fail("malformed value type" + features.valtype(b), at)
        v = self.s33()
        if v < 0:
            raise self.fail("malformed value type", at)
        return v

    def expr(self) -> list[Instr]:
        """Instructions up to and including the `end` that closes the expression."""
        out: list[Instr] = []
        depth = 0
        while True:
            if self.pos >= self.end:
                raise self.fail(self.end_message)
            ins = self.instr()
            out.append(ins)
            op = ins.op
            if op in (0x02, 0x03, 0x04):
                depth += 1
            elif op == 0x0B:
                if depth == 0:
                    return out
                depth -= 1


def read_module(data: bytes) -> Module:
    """Decode a binary module; raise MalformedError (with offset and section) if malformed."""
    data = bytes(data)
    if len(data) < 4:
        raise MalformedError("unexpected end", len(data))
    if data[:4] != MAGIC:
        raise MalformedError("magic header not detected", 0)
    if len(data) < 8:
        raise MalformedError("unexpected end", len(data))
    if data[4:8] != VERSION:
        # 0x0d 0x00 0x01 0x00: the component model's layer 1 (wasm-tools, cargo component)
        raise MalformedError("unknown binary version" + (
            " (a WebAssembly component, not a core module: wasmote runs core modules)"
            if data[4:8] == b"\x0d\x00\x01\x00" else ""), 4)
    mod = Module()
    func_types: list[int] | None = None
    code: list[Function] | None = None
    last_rank = -1
    last_id = 0
    pos = 8
    n = len(data)
    while pos < n:
        sec_start = pos
        sec_id = data[pos]
        pos += 1
        section = SECTION_NAMES.get(sec_id)
        try:
            size, pos = decode_unsigned(data, pos, 32)
        except MalformedError as e:
            e.section = section
            raise
        if section is None:
            raise MalformedError("malformed section id" + features.section(sec_id), sec_start)
        if size > n - pos:
            raise MalformedError("length out of bounds", sec_start + 1, section)
        end = pos + size
        mod.sections.append(SectionInfo(sec_id, sec_start, size))
        cur = _Cursor(data, pos, end)
        try:
            if sec_id == SEC_CUSTOM:
                name = cur.name()
                mod.sections[-1].name = name
                mod.customs.append(CustomSection(name, data[cur.pos:end], last_id, sec_start))
                cur.pos = end
            else:
                rank = _ORDER_RANK[sec_id]
                if rank <= last_rank:
                    raise MalformedError("unexpected content after last section", sec_start)
                last_rank = rank
                last_id = sec_id
                mod.present_sections.add(sec_id)
                if sec_id == SEC_FUNCTION:
                    func_types = [cur.u32() for _ in range(cur.vec_len())]
                elif sec_id == SEC_CODE:
                    code = _read_code(cur, mod)
                else:
                    _read_section(cur, sec_id, mod)
            if cur.pos != end:
                raise MalformedError("section size mismatch", cur.pos)
        except MalformedError as e:
            if e.section is None:
                e.section = section
            raise
        pos = end
    nfuncs = len(func_types) if func_types is not None else 0
    ncode = len(code) if code is not None else 0
    if nfuncs != ncode:
        raise MalformedError("function and code section have inconsistent lengths", n,
                             "code")
    if func_types is not None and code is not None:
        for f, t in zip(code, func_types, strict=True):
            f.type_idx = t
        mod.funcs = code
    if mod.data_count is not None and mod.data_count != len(mod.datas):
        raise MalformedError("data count and data section have inconsistent lengths", n,
                             "data")
    return mod


def _read_section(cur: _Cursor, sec_id: int, mod: Module) -> None:
    if sec_id == SEC_TYPE:
        for _ in range(cur.vec_len()):
            at = cur.pos
            form = cur.byte()
            if form != 0x60:
                raise cur.fail("integer representation too long" + features.type_form(form),
                               at)
            params = tuple(cur.valtype() for _ in range(cur.vec_len()))
            results = tuple(cur.valtype() for _ in range(cur.vec_len()))
            mod.types.append(FuncType(params, results))
    elif sec_id == SEC_IMPORT:
        for _ in range(cur.vec_len()):
            at = cur.pos
            module = cur.name()
            name = cur.name()
            kat = cur.pos
            kind = cur.byte()
            desc: ImportDesc
            if kind == KIND_FUNC:
                desc = cur.u32()
            elif kind == KIND_TABLE:
                t = cur.reftype()
                desc = TableType(t, cur.limits())
            elif kind == KIND_MEMORY:
                desc = MemType(cur.limits())
            elif kind == KIND_GLOBAL:
                desc = cur.globaltype()
            else:
                raise cur.fail("malformed import kind" + features.extern_kind(kind), kat)
            mod.imports.append(Import(module, name, kind, desc, at))
    elif sec_id == SEC_TABLE:
        for _ in range(cur.vec_len()):
            t = cur.reftype()
            mod.tables.append(TableType(t, cur.limits()))
    elif sec_id == SEC_MEMORY:
        for _ in range(cur.vec_len()):
            mod.mems.append(MemType(cur.limits()))
    elif sec_id == SEC_GLOBAL:
        for _ in range(cur.vec_len()):
            at = cur.pos
            gt = cur.globaltype()
            mod.globals.append(Global(gt, cur.expr(), at))
    elif sec_id == SEC_EXPORT:
        for _ in range(cur.vec_len()):
            at = cur.pos
            name = cur.name()
            kat = cur.pos
            kind = cur.byte()
            if kind > KIND_GLOBAL:
                raise cur.fail("malformed export kind" + features.extern_kind(kind), kat)
            mod.exports.append(Export(name, kind, cur.u32(), at))
    elif sec_id == SEC_START:
        mod.start = cur.u32()
    elif sec_id == SEC_ELEMENT:
        for _ in range(cur.vec_len()):
            mod.elems.append(_read_elem(cur))
    elif sec_id == SEC_DATA:
        for _ in range(cur.vec_len()):
            mod.datas.append(_read_data(cur))
    elif sec_id == SEC_DATACOUNT:
        mod.data_count = cur.u32()
    else:  # pragma: no cover - every id is dispatched above
        raise AssertionError(sec_id)


def _read_elem(cur: _Cursor) -> ElemSegment:
    at = cur.pos
    flags = cur.u32()
    if flags > 7:
        raise cur.fail("malformed elements segment kind", at)
    mode = ("passive", "declarative")[flags >> 1 & 1] if flags & 1 else "active"
    table = 0
    offset_expr = None
    if mode == "active":
        if flags & 2:
            table = cur.u32()
        offset_expr = cur.expr()
    elem_type = 0x70
    if flags & 3:
        if flags & 4:
            elem_type = cur.reftype()
        else:
            kat = cur.pos
            if cur.byte() != 0x00:
                raise cur.fail("malformed element kind", kat)
    init: list[list[Instr]] = []
    for _ in range(cur.vec_len()):
        if flags & 4:
            init.append(cur.expr())
        else:
            xat = cur.pos
            x = cur.u32()
            init.append([Instr(OP_REF_FUNC, (x,), xat), Instr(0x0B, (), xat)])
    return ElemSegment(mode, elem_type, init, table, offset_expr, flags, at)


def _read_data(cur: _Cursor) -> DataSegment:
    at = cur.pos
    flags = cur.u32()
    if flags > 2:
        raise cur.fail("malformed data segment kind", at)
    memory = 0
    offset_expr = None
    mode = "passive" if flags == 1 else "active"
    if flags == 2:
        memory = cur.u32()
    if mode == "active":
        offset_expr = cur.expr()
    init = cur.bytes_(cur.u32())
    return DataSegment(mode, init, memory, offset_expr, flags, at)


def _read_code(cur: _Cursor, mod: Module) -> list[Function]:
    out: list[Function] = []
    for _ in range(cur.vec_len()):
        size = cur.length()
        body_end = cur.pos + size
        sub = _Cursor(cur.data, cur.pos, body_end, "END opcode expected")
        locals_: list[tuple[int, int]] = []
        total = 0
        for _ in range(sub.vec_len()):
            at = sub.pos
            count = sub.u32()
            total += count
            if total > _MAX_LOCALS:
                raise sub.fail("too many locals", at)
            locals_.append((count, sub.valtype()))
        body_start = sub.pos
        instrs = sub.expr()
        if sub.pos != body_end:
            raise sub.fail("section size mismatch")
        if mod.data_count is None:
            for ins in instrs:
                if ins.op in _OPS_NEEDING_DATACOUNT:
                    raise sub.fail("data count section required", ins.offset)
        out.append(Function(0, locals_, instrs, cur.data[body_start:body_end], body_start))
        cur.pos = body_end
    return out
