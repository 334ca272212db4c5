"""Validation: the spec's typing rules for function bodies plus the module-level checks.

Bodies are checked with the algorithm of the spec's appendix (operand stack with an
Unknown type, control frames, polymorphic stack after unreachable code). Module-level
rules: indices, limits, one memory at most (2.0), constant expressions, element and data
segments, start function, export name uniqueness and declared function references.
`validate_module` raises `ValidationError` at the first problem, with its byte offset.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from wasmote.wasm import features
from wasmote.wasm.errors import ValidationError
from wasmote.wasm.module import (
    BLOCK_EMPTY,
    FUNCREF,
    I32,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    REF_TYPES,
    VALTYPE_NAMES,
    Function,
    FuncType,
    GlobalType,
    Instr,
    Limits,
    Module,
    TableType,
)
from wasmote.wasm.opcodes import OP_GLOBAL_GET, OP_REF_FUNC, OPS, op_name

_KIND_WORDS = {KIND_FUNC: "function", KIND_TABLE: "table", KIND_MEMORY: "memory",
               KIND_GLOBAL: "global"}
UNKNOWN = 0  # the bottom type of an unreachable (polymorphic) stack
MAX_PAGES = 65536
# The most imports and exports the device's loader takes (WM_MAX_IMPORTS / WM_MAX_EXPORTS,
# firmware/src/core/runtime/wm_internal.h): `wasmote build` and `push` refuse more before
# anything is sent.
MAX_IMPORTS = 2048
MAX_EXPORTS = 1024
# The most parameters, and the most results, of a function type (WM_MAX_TYPE_VALUES): the
# device's validation time grows with a type's width (wm_internal.h says why).
MAX_TYPE_VALUES = 128
_CONST_OPS = (0x41, 0x42, 0x43, 0x44, 0xD0, OP_REF_FUNC, OP_GLOBAL_GET)


def _types_offset(mod: Module) -> int:
    return next((s.offset for s in mod.sections if s.kind == "type"), 0)


def _tname(t: int) -> str:
    return VALTYPE_NAMES.get(t, "unknown") if t != UNKNOWN else "nothing"


@dataclass(slots=True)
class _Ctx:
    """The validation context C of the spec."""

    types: list[FuncType]
    funcs: list[int]
    tables: list[TableType]
    mems: int
    globals: list[GlobalType]
    elems: list[int]
    datas: int
    refs: set[int]


def validate_module(mod: Module) -> None:
    """Raise ValidationError if `mod` is not valid."""
    try:
        _validate_module(mod)
    except ValidationError as e:
        if e.offset == 0 and e.section:
            # Rules about a whole entry without its own offset: point at its section.
            for sec in mod.sections:
                if sec.kind == e.section:
                    e.offset = sec.offset
                    break
        raise


def _validate_module(mod: Module) -> None:
    ctx = _Ctx(
        types=mod.types,
        funcs=[],
        tables=mod.table_types(),
        mems=len(mod.mem_types()),
        globals=mod.global_types(),
        elems=[e.elem_type for e in mod.elems],
        datas=mod.data_count if mod.data_count is not None else len(mod.datas),
        refs=set(),
    )
    for what, count, cap in (("import", len(mod.imports), MAX_IMPORTS),
                             ("export", len(mod.exports), MAX_EXPORTS)):
        if count > cap:
            raise ValidationError(f"too many {what}s: {count} (the device takes at most {cap})",
                                  0, what)
    for i, ft in enumerate(mod.types):
        for what, n in (("parameters", len(ft.params)), ("results", len(ft.results))):
            if n > MAX_TYPE_VALUES:
                raise ValidationError(f"too many {what} in type {i}: {n} (the device takes at "
                                      f"most {MAX_TYPE_VALUES})", _types_offset(mod), "type")
    ntypes = len(mod.types)
    for imp in mod.imports:
        where = imp.offset
        if imp.kind == KIND_FUNC:
            assert isinstance(imp.desc, int)
            if imp.desc >= ntypes:
                raise ValidationError(f"unknown type {imp.desc}", where, "import")
            ctx.funcs.append(imp.desc)
        elif isinstance(imp.desc, TableType):
            _check_limits(imp.desc.limits, 0xFFFFFFFF, "table", where, "import")
        elif imp.kind == KIND_MEMORY and not isinstance(imp.desc, GlobalType | int):
            _check_limits(imp.desc.limits, MAX_PAGES, "memory", where, "import")
    for f in mod.funcs:
        if f.type_idx >= ntypes:
            raise ValidationError(f"unknown type {f.type_idx}", f.body_offset, "function")
        ctx.funcs.append(f.type_idx)
    for t in mod.tables:
        _check_limits(t.limits, 0xFFFFFFFF, "table", 0, "table")
    for m in mod.mems:
        _check_limits(m.limits, MAX_PAGES, "memory", 0, "memory")
    if ctx.mems > 1:
        raise ValidationError("multiple memories" + features.MULTI_MEMORY, 0, "memory")

    # C.refs: function indices referenced outside function bodies.
    for g in mod.globals:
        _collect_refs(g.init, ctx.refs)
    for e in mod.elems:
        for expr in e.init:
            _collect_refs(expr, ctx.refs)
    for ex in mod.exports:
        if ex.kind == KIND_FUNC:
            ctx.refs.add(ex.index)

    imported_globals = [i.desc for i in mod.imports if isinstance(i.desc, GlobalType)]
    for g in mod.globals:
        _check_const(ctx, imported_globals, g.init, g.type.valtype, "global")
    for e in mod.elems:
        for expr in e.init:
            _check_const(ctx, imported_globals, expr, e.elem_type, "element")
        if e.mode == "active":
            if e.table >= len(ctx.tables):
                raise ValidationError(f"unknown table {e.table}", e.offset, "element")
            if ctx.tables[e.table].elem_type != e.elem_type:
                raise ValidationError("type mismatch in element segment (table holds "
                                      f"{_tname(ctx.tables[e.table].elem_type)}, segment "
                                      f"{_tname(e.elem_type)})", e.offset, "element")
            _check_const(ctx, imported_globals, e.offset_expr or [], I32, "element")
    for d in mod.datas:
        if d.mode == "active":
            if d.memory >= ctx.mems:
                raise ValidationError(f"unknown memory {d.memory}", d.offset, "data")
            _check_const(ctx, imported_globals, d.offset_expr or [], I32, "data")
    if mod.start is not None:
        if mod.start >= len(ctx.funcs):
            raise ValidationError(f"unknown function {mod.start}", 0, "start")
        st = ctx.types[ctx.funcs[mod.start]]
        if st.params or st.results:
            raise ValidationError("start function must have type [] -> []", 0, "start")
    names: set[str] = set()
    limits = {KIND_FUNC: len(ctx.funcs), KIND_TABLE: len(ctx.tables), KIND_MEMORY: ctx.mems,
              KIND_GLOBAL: len(ctx.globals)}
    for ex in mod.exports:
        if ex.index >= limits[ex.kind]:
            raise ValidationError(f"unknown {_KIND_WORDS[ex.kind]} {ex.index}", ex.offset,
                                  "export")
        if ex.name in names:
            raise ValidationError(f"duplicate export name {ex.name!r}", ex.offset, "export")
        names.add(ex.name)
    for f in mod.funcs:
        validate_function(ctx, f)


def _check_limits(lim: Limits, bound: int, what: str, offset: int, section: str) -> None:
    if what == "memory":
        if lim.min > bound or (lim.max is not None and lim.max > bound):
            raise ValidationError("memory size must be at most 65536 pages (4GiB)", offset,
                                  section)
    if lim.max is not None and lim.min > lim.max:
        raise ValidationError("size minimum must not be greater than maximum", offset, section)


def _collect_refs(expr: list[Instr], refs: set[int]) -> None:
    for ins in expr:
        if ins.op == OP_REF_FUNC:
            refs.add(ins.imm[0])


def _check_const(ctx: _Ctx, imported_globals: list[GlobalType], expr: list[Instr],
                 expected: int, section: str) -> None:
    """A constant expression must produce exactly one value of type `expected`."""
    stack: list[int] = []
    at = expr[0].offset if expr else 0
    for ins in expr:
        op = ins.op
        if op == 0x0B:
            break
        if op not in _CONST_OPS:
            raise ValidationError(f"constant expression required, got {op_name(op)}"
                                  + features.const_op(op), ins.offset, section)
        if op == OP_GLOBAL_GET:
            x = ins.imm[0]
            # In 2.0 constant expressions see only imported, immutable globals.
            if x >= len(imported_globals):
                raise ValidationError(f"unknown global {x}", ins.offset, section)
            if imported_globals[x].mutable:
                raise ValidationError("constant expression required (global "
                                      f"{x} is mutable)", ins.offset, section)
            stack.append(imported_globals[x].valtype)
        elif op == OP_REF_FUNC:
            if ins.imm[0] >= len(ctx.funcs):
                raise ValidationError(f"unknown function {ins.imm[0]}", ins.offset, section)
            stack.append(FUNCREF)
        elif op == 0xD0:
            stack.append(ins.imm[0])
        else:
            pushes = OPS[op].pushes
            assert pushes is not None
            stack.extend(pushes)
    if stack != [expected]:
        got = " ".join(_tname(t) for t in stack) or "nothing"
        raise ValidationError(f"type mismatch in constant expression (expected "
                              f"{_tname(expected)}, got {got})", at, section)


class _Locals:
    """Local types by index without expanding the (count, type) groups when they are
    huge: a valid module may declare up to 2**32-1 locals in a few bytes."""

    _EXPAND_LIMIT = 1 << 16

    def __init__(self, params: tuple[int, ...], groups: list[tuple[int, int]]) -> None:
        total = len(params) + sum(c for c, _ in groups)
        self.flat: list[int] | None = None
        self.ends: list[int] = []
        self.types: list[int] = []
        if total <= self._EXPAND_LIMIT:
            self.flat = list(params)
            for count, t in groups:
                self.flat.extend([t] * count)
            return
        end = 0
        for count, t in [(1, p) for p in params] + groups:
            if count:
                end += count
                self.ends.append(end)
                self.types.append(t)

    def get(self, x: int) -> int | None:
        if self.flat is not None:
            return self.flat[x] if x < len(self.flat) else None
        i = bisect_right(self.ends, x)
        return self.types[i] if i < len(self.types) else None


@dataclass(slots=True)
class _Frame:
    op: int
    start: tuple[int, ...]
    end: tuple[int, ...]
    height: int
    unreachable: bool = False

    def label_types(self) -> tuple[int, ...]:
        return self.start if self.op == 0x03 else self.end


class _BodyValidator:
    """The spec appendix's algorithm for one function body."""

    def __init__(self, ctx: _Ctx, locals_: _Locals, results: tuple[int, ...]) -> None:
        self.ctx = ctx
        self.locals = locals_
        self.results = results
        self.vals: list[int] = []
        self.ctrls: list[_Frame] = []
        self.ins: Instr = Instr(0)

    def fail(self, message: str) -> ValidationError:
        return ValidationError(message, self.ins.offset, "code")

    def mismatch(self, expected: int, got: int) -> ValidationError:
        return self.fail(f"type mismatch in {op_name(self.ins.op)} (expected "
                         f"{_tname(expected)}, got {_tname(got)})")

    def pop(self) -> int:
        frame = self.ctrls[-1]
        if len(self.vals) == frame.height:
            if frame.unreachable:
                return UNKNOWN
            raise self.fail(f"type mismatch in {op_name(self.ins.op)} (expected a value, "
                            "stack is empty)")
        return self.vals.pop()

    def pop_expect(self, expected: int) -> int:
        actual = self.pop()
        if actual != expected and actual != UNKNOWN and expected != UNKNOWN:
            raise self.mismatch(expected, actual)
        return actual

    def pop_vals(self, types: tuple[int, ...]) -> list[int]:
        popped = [self.pop_expect(t) for t in reversed(types)]
        popped.reverse()
        return popped

    def push_ctrl(self, op: int, start: tuple[int, ...], end: tuple[int, ...]) -> None:
        self.ctrls.append(_Frame(op, start, end, len(self.vals)))
        self.vals.extend(start)

    def pop_ctrl(self) -> _Frame:
        if not self.ctrls:
            raise self.fail("unexpected end")
        frame = self.ctrls[-1]
        self.pop_vals(frame.end)
        if len(self.vals) != frame.height:
            raise self.fail(f"type mismatch in {op_name(self.ins.op)} (values remain on the "
                            "stack at the end of a block)")
        self.ctrls.pop()
        return frame

    def set_unreachable(self) -> None:
        frame = self.ctrls[-1]
        del self.vals[frame.height:]
        frame.unreachable = True

    def label(self, n: int) -> _Frame:
        if n >= len(self.ctrls):
            raise self.fail(f"unknown label {n}")
        return self.ctrls[-1 - n]

    def block_type(self, bt: int) -> FuncType:
        if bt == BLOCK_EMPTY:
            return FuncType((), ())
        if bt < 0:
            return FuncType((), (bt & 0x7F,))
        if bt >= len(self.ctx.types):
            raise self.fail(f"unknown type {bt}")
        return self.ctx.types[bt]

    def need_memory(self) -> None:
        if self.ctx.mems == 0:
            raise self.fail("unknown memory 0")

    def table(self, x: int) -> TableType:
        if x >= len(self.ctx.tables):
            raise self.fail(f"unknown table {x}")
        return self.ctx.tables[x]

    def elem(self, x: int) -> int:
        if x >= len(self.ctx.elems):
            raise self.fail(f"unknown elem segment {x}")
        return self.ctx.elems[x]

    def local(self, x: int) -> int:
        t = self.locals.get(x)
        if t is None:
            raise self.fail(f"unknown local {x}")
        return t

    def global_(self, x: int) -> GlobalType:
        if x >= len(self.ctx.globals):
            raise self.fail(f"unknown global {x}")
        return self.ctx.globals[x]

    def func_type(self, x: int) -> FuncType:
        if x >= len(self.ctx.funcs):
            raise self.fail(f"unknown function {x}")
        return self.ctx.types[self.ctx.funcs[x]]

    def run(self, instrs: list[Instr]) -> None:
        self.ctrls.append(_Frame(0x02, (), self.results, 0))
        ops = OPS
        for ins in instrs:
            self.ins = ins
            if not self.ctrls:
                raise self.fail("instructions after the function's final end")
            op = ins.op
            info = ops[op]
            pops = info.pops
            if pops is not None:
                if info.align is not None:
                    self.need_memory()
                    if ins.imm[0] > info.align:
                        # bit 6 of the alignment flags a memory index (multi-memory)
                        raise self.fail("alignment must not be larger than natural"
                                        + (features.MULTI_MEMORY if ins.imm[0] & 0x40
                                           else ""))
                elif op >= 0xFC08 or op in (0x3F, 0x40):
                    self.check_bulk(op, ins.imm)
                assert info.pushes is not None
                # Fast path for the fixed-signature instructions.
                if len(pops) == 1:
                    self.pop_expect(pops[0])
                else:
                    self.pop_vals(pops)
                self.vals.extend(info.pushes)
                continue
            self.special(op, ins.imm)
        if self.ctrls:
            raise self.fail("function body must end with end")

    def check_bulk(self, op: int, imm: tuple[int, ...]) -> None:
        if op != 0xFC09:  # data.drop needs no memory
            self.need_memory()
        if op in (0xFC08, 0xFC09) and imm[0] >= self.ctx.datas:
            raise self.fail(f"unknown data segment {imm[0]}")

    def special(self, op: int, imm: tuple[int, ...]) -> None:
        if op == 0x00:  # unreachable
            self.set_unreachable()
        elif op in (0x02, 0x03):  # block, loop
            ft = self.block_type(imm[0])
            self.pop_vals(ft.params)
            self.push_ctrl(op, ft.params, ft.results)
        elif op == 0x04:  # if
            ft = self.block_type(imm[0])
            self.pop_expect(I32)
            self.pop_vals(ft.params)
            self.push_ctrl(op, ft.params, ft.results)
        elif op == 0x05:  # else
            frame = self.ctrls[-1]
            if frame.op != 0x04:
                raise self.fail("else without matching if")
            self.pop_ctrl()
            self.push_ctrl(0x05, frame.start, frame.end)
        elif op == 0x0B:  # end
            frame = self.pop_ctrl()
            if frame.op == 0x04 and frame.start != frame.end:
                raise self.fail("type mismatch in if without else (params and results "
                                "differ)")
            self.vals.extend(frame.end)
        elif op == 0x0C:  # br
            self.pop_vals(self.label(imm[0]).label_types())
            self.set_unreachable()
        elif op == 0x0D:  # br_if
            self.pop_expect(I32)
            lt = self.label(imm[0]).label_types()
            self.pop_vals(lt)
            self.vals.extend(lt)
        elif op == 0x0E:  # br_table
            self.pop_expect(I32)
            default = self.label(imm[-1]).label_types()
            arity = len(default)
            for n in imm[:-1]:
                lt = self.label(n).label_types()
                if len(lt) != arity:
                    raise self.fail("type mismatch in br_table (labels have different "
                                    "arities)")
                self.vals.extend(self.pop_vals(lt))
            self.pop_vals(default)
            self.set_unreachable()
        elif op == 0x0F:  # return
            self.pop_vals(self.results)
            self.set_unreachable()
        elif op == 0x10:  # call
            ft = self.func_type(imm[0])
            self.pop_vals(ft.params)
            self.vals.extend(ft.results)
        elif op == 0x11:  # call_indirect
            if self.table(imm[1]).elem_type != FUNCREF:
                raise self.fail("type mismatch in call_indirect (table is not funcref)")
            if imm[0] >= len(self.ctx.types):
                raise self.fail(f"unknown type {imm[0]}")
            ft = self.ctx.types[imm[0]]
            self.pop_expect(I32)
            self.pop_vals(ft.params)
            self.vals.extend(ft.results)
        elif op == 0x1A:  # drop
            self.pop()
        elif op == 0x1B:  # select
            self.pop_expect(I32)
            t1 = self.pop()
            t2 = self.pop()
            if t1 in REF_TYPES or t2 in REF_TYPES:
                raise self.fail("type mismatch in select (operands must be numeric; use "
                                "a typed select)")
            if t1 != t2 and t1 != UNKNOWN and t2 != UNKNOWN:
                raise self.mismatch(t1, t2)
            self.vals.append(t2 if t1 == UNKNOWN else t1)
        elif op == 0x1C:  # select t
            if len(imm) != 1:
                raise self.fail("invalid result arity")
            self.pop_expect(I32)
            self.pop_expect(imm[0])
            self.pop_expect(imm[0])
            self.vals.append(imm[0])
        elif op == 0x20:
            self.vals.append(self.local(imm[0]))
        elif op == 0x21:
            self.pop_expect(self.local(imm[0]))
        elif op == 0x22:
            t = self.local(imm[0])
            self.pop_expect(t)
            self.vals.append(t)
        elif op == 0x23:
            self.vals.append(self.global_(imm[0]).valtype)
        elif op == 0x24:
            g = self.global_(imm[0])
            if not g.mutable:
                raise self.fail(f"global is immutable: global.set {imm[0]}")
            self.pop_expect(g.valtype)
        elif op == 0x25:  # table.get
            t = self.table(imm[0]).elem_type
            self.pop_expect(I32)
            self.vals.append(t)
        elif op == 0x26:  # table.set
            t = self.table(imm[0]).elem_type
            self.pop_expect(t)
            self.pop_expect(I32)
        elif op == 0xD0:  # ref.null
            self.vals.append(imm[0])
        elif op == 0xD1:  # ref.is_null
            t = self.pop()
            if t != UNKNOWN and t not in REF_TYPES:
                raise self.fail(f"type mismatch in ref.is_null (expected a reference, got "
                                f"{_tname(t)})")
            self.vals.append(I32)
        elif op == OP_REF_FUNC:
            self.func_type(imm[0])
            if imm[0] not in self.ctx.refs:
                raise self.fail(f"undeclared function reference {imm[0]}")
            self.vals.append(FUNCREF)
        elif op == 0xFC0C:  # table.init elem table
            tt = self.table(imm[1]).elem_type
            if self.elem(imm[0]) != tt:
                raise self.fail("type mismatch in table.init (element and table types "
                                "differ)")
            self.pop_vals((I32, I32, I32))
        elif op == 0xFC0D:  # elem.drop
            self.elem(imm[0])
        elif op == 0xFC0E:  # table.copy dst src
            if self.table(imm[0]).elem_type != self.table(imm[1]).elem_type:
                raise self.fail("type mismatch in table.copy (table types differ)")
            self.pop_vals((I32, I32, I32))
        elif op == 0xFC0F:  # table.grow
            t = self.table(imm[0]).elem_type
            self.pop_expect(I32)
            self.pop_expect(t)
            self.vals.append(I32)
        elif op == 0xFC10:  # table.size
            self.table(imm[0])
            self.vals.append(I32)
        elif op == 0xFC11:  # table.fill
            t = self.table(imm[0]).elem_type
            self.pop_expect(I32)
            self.pop_expect(t)
            self.pop_expect(I32)
        else:  # pragma: no cover - every opcode without a signature is handled above
            raise AssertionError(op_name(op))


def validate_function(ctx: _Ctx, f: Function) -> None:
    ft = ctx.types[f.type_idx]
    _BodyValidator(ctx, _Locals(ft.params, f.locals), ft.results).run(f.instrs)

