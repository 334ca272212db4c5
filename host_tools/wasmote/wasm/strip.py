"""Strip a module for the device: drop custom sections and, with gc, everything unreachable.

Custom sections (names, producers, target_features, DWARF `.debug_*`, sourceMappingURL,
external_debug_info, ...) carry nothing a runtime needs; all go unless named in
`keep_sections`.

The gc keeps what is reachable from the roots -- exports, the start function, and active
segments whose effect could be observed -- and renumbers every index that points into a
shrunken index space. What counts as observable:

- an active element/data segment writing into a kept or *imported* table/memory (the host
  sees an imported one), or one that could trap at instantiation (offset not a constant, or
  out of the table's/memory's minimum size): removing it would turn a failing instantiation
  into a working one;
- a memory or table that is exported, imported with such a segment, or used by kept code;
- memory 0 when kept code calls an imported function: the host may read or write the
  caller's memory through pointer arguments (wasmote's host API does).

Dropped too: imports nothing uses (the module then asks the host for fewer capabilities; the
only change a host can see is that linking needs less), function types nothing uses, and
duplicate function types (call_indirect compares types structurally, so merging is exact).
Passive segments survive only if kept code names them (memory.init, table.init, *.drop).
Declarative element segments only declare functions for `ref.func`; they are rebuilt to list
exactly the kept functions that kept code takes a reference of without another declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from wasmote.errors import UsageError, WasmoteError
from wasmote.wasm import leb128
from wasmote.wasm.errors import WasmError
from wasmote.wasm.files import load_module
from wasmote.wasm.module import (
    FUNCREF,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    CustomSection,
    DataSegment,
    ElemSegment,
    Export,
    Function,
    FuncType,
    Global,
    GlobalType,
    Import,
    Instr,
    MemType,
    Module,
    TableType,
)
from wasmote.wasm.opcodes import OP_END, OP_REF_FUNC, OPS
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module
from wasmote.wasm.writer import write_module

OP_I32_CONST = 0x41
PAGE_SIZE = 65536

# Instructions that touch memory 0 without naming it in an index immediate.
_MEMORY_IMMS = frozenset({"memarg", "zero", "zero2", "data_zero"})


class StripError(WasmoteError):
    """Stripping failed (a bug in strip, or a request it cannot honour)."""


@dataclass(frozen=True)
class StripOptions:
    """`gc` removes unreachable items; `keep_sections` names custom sections to keep."""

    gc: bool = True
    keep_sections: frozenset[str] = frozenset()


@dataclass
class StripReport:
    """What strip removed, for the CLI and the benchmark."""

    size_before: int = 0
    size_after: int = 0
    removed_sections: list[str] = field(default_factory=list)
    removed_funcs: int = 0
    removed_imports: list[str] = field(default_factory=list)
    removed_globals: int = 0
    removed_tables: int = 0
    removed_mems: int = 0
    removed_types: int = 0
    removed_elems: int = 0
    removed_datas: int = 0
    warnings: list[str] = field(default_factory=list)
    # function index in the input -> in the output, for the functions kept (a trap's call
    # stack on a device names the stripped ones; wasmote.debug maps them back)
    func_map: dict[int, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{n} {what}" for n, what in (
            (len(self.removed_sections), "custom sections"), (self.removed_funcs, "functions"),
            (len(self.removed_imports), "imports"), (self.removed_globals, "globals"),
            (self.removed_tables, "tables"), (self.removed_mems, "memories"),
            (self.removed_types, "types"), (self.removed_elems, "element segments"),
            (self.removed_datas, "data segments")) if n]
        return "removed " + (", ".join(parts) if parts else "nothing")


# ---------------------------------------------------------------------------------------------
# Reachability


@dataclass
class _Live:
    """The kept items of each index space, as sets of old indices."""

    funcs: set[int] = field(default_factory=set)
    tables: set[int] = field(default_factory=set)
    mems: set[int] = field(default_factory=set)
    globals: set[int] = field(default_factory=set)
    elems: set[int] = field(default_factory=set)
    datas: set[int] = field(default_factory=set)
    types: set[int] = field(default_factory=set)


def _const_offset(expr: list[Instr] | None) -> int | None:
    """The offset of `i32.const c; end` as an unsigned number, None for anything else."""
    if expr is None or len(expr) != 2 or expr[0].op != OP_I32_CONST or expr[1].op != OP_END:
        return None
    return expr[0].imm[0] & 0xFFFFFFFF


class _Marker:
    """Computes the live set of a module by a worklist over functions plus segment passes."""

    def __init__(self, m: Module) -> None:
        self.m = m
        self.live = _Live()
        self.func_types = m.func_type_indices()
        self.n_imp_funcs = m.num_imported_funcs
        self.n_imp_tables = len(m.imports_of(KIND_TABLE))
        self.n_imp_mems = len(m.imports_of(KIND_MEMORY))
        self.n_imp_globals = len(m.imports_of(KIND_GLOBAL))
        self.tables = m.table_types()
        self.mems = m.mem_types()
        self.pending: list[int] = []

    def func(self, idx: int) -> None:
        if idx not in self.live.funcs:
            self.live.funcs.add(idx)
            self.live.types.add(self.func_types[idx])
            self.pending.append(idx)

    def global_(self, idx: int) -> None:
        if idx not in self.live.globals:
            self.live.globals.add(idx)
            if idx >= self.n_imp_globals:
                self.expr(self.m.globals[idx - self.n_imp_globals].init)

    def elem(self, idx: int) -> None:
        if idx in self.live.elems:
            return
        self.live.elems.add(idx)
        seg = self.m.elems[idx]
        if seg.mode == "active":
            self.live.tables.add(seg.table)
            self.expr(seg.offset_expr or [])
        if seg.mode == "declarative":
            return  # dropped at instantiation: its entries are never read at run time
        for entry in seg.init:
            self.expr(entry)

    def data(self, idx: int) -> None:
        if idx in self.live.datas:
            return
        self.live.datas.add(idx)
        seg = self.m.datas[idx]
        if seg.mode == "active":
            self.live.mems.add(seg.memory)
            self.expr(seg.offset_expr or [])

    def expr(self, instrs: Iterable[Instr]) -> None:
        for ins in instrs:
            info = OPS.get(ins.op)
            kind = info.imm if info is not None else ""
            if kind == "func":
                self.func(ins.imm[0])
            elif kind == "global":
                self.global_(ins.imm[0])
            elif kind == "call_indirect":
                self.live.types.add(ins.imm[0])
                self.live.tables.add(ins.imm[1])
            elif kind == "table":
                self.live.tables.add(ins.imm[0])
            elif kind == "table_table":
                self.live.tables.update(ins.imm[:2])
            elif kind == "elem_table":
                self.elem(ins.imm[0])
                self.live.tables.add(ins.imm[1])
            elif kind == "elem":
                self.elem(ins.imm[0])
            elif kind == "data":
                self.data(ins.imm[0])
            elif kind == "blocktype":
                if ins.imm[0] >= 0:
                    self.live.types.add(ins.imm[0])
            if kind in _MEMORY_IMMS:
                self.live.mems.add(0)
                if kind == "data_zero":
                    self.data(ins.imm[0])

    def drain(self) -> None:
        while self.pending:
            idx = self.pending.pop()
            if idx >= self.n_imp_funcs:
                self.expr(self.m.funcs[idx - self.n_imp_funcs].instrs)

    def elem_is_observable(self, seg: ElemSegment) -> bool:
        if seg.table in self.live.tables or seg.table < self.n_imp_tables:
            return True
        start = _const_offset(seg.offset_expr)
        if start is None:
            return True
        return start + len(seg.init) > self.tables[seg.table].limits.min

    def data_is_observable(self, seg: DataSegment) -> bool:
        if seg.memory in self.live.mems or seg.memory < self.n_imp_mems:
            return True
        start = _const_offset(seg.offset_expr)
        if start is None:
            return True
        return start + len(seg.init) > self.mems[seg.memory].limits.min * PAGE_SIZE

    def run(self) -> _Live:
        m = self.m
        for exp in m.exports:
            if exp.kind == KIND_FUNC:
                self.func(exp.index)
            elif exp.kind == KIND_TABLE:
                self.live.tables.add(exp.index)
            elif exp.kind == KIND_MEMORY:
                self.live.mems.add(exp.index)
            elif exp.kind == KIND_GLOBAL:
                self.global_(exp.index)
        if m.start is not None:
            self.func(m.start)
        # Marking a segment can make a table or memory live, which makes more segments
        # observable: repeat until nothing changes.
        has_mem0 = bool(m.mems) or self.n_imp_mems > 0
        while True:
            self.drain()
            # A host function the module calls may read or write the caller's memory 0
            # through pointer arguments (wasmote's whole host API does): keep it.
            if has_mem0 and 0 not in self.live.mems and \
                    any(f < self.n_imp_funcs for f in self.live.funcs):
                self.live.mems.add(0)
            before = (len(self.live.elems), len(self.live.datas))
            for i, seg in enumerate(m.elems):
                if seg.mode == "active" and i not in self.live.elems \
                        and self.elem_is_observable(seg):
                    self.elem(i)
            for i, dseg in enumerate(m.datas):
                if dseg.mode == "active" and i not in self.live.datas \
                        and self.data_is_observable(dseg):
                    self.data(i)
            if not self.pending and before == (len(self.live.elems), len(self.live.datas)):
                break
        return self.live


# ---------------------------------------------------------------------------------------------
# Rewriting


def _index_map(old_count: int, keep: set[int]) -> dict[int, int]:
    return {old: new for new, old in enumerate(i for i in range(old_count) if i in keep)}


@dataclass
class _Maps:
    funcs: dict[int, int]
    tables: dict[int, int]
    mems: dict[int, int]
    globals: dict[int, int]
    elems: dict[int, int]
    datas: dict[int, int]
    types: dict[int, int]


def _remap_instr(ins: Instr, mp: _Maps) -> Instr:
    info = OPS.get(ins.op)
    kind = info.imm if info is not None else ""
    imm = ins.imm
    if kind == "func":
        imm = (mp.funcs[imm[0]],)
    elif kind == "global":
        imm = (mp.globals[imm[0]],)
    elif kind == "call_indirect":
        imm = (mp.types[imm[0]], mp.tables[imm[1]], *imm[2:])
    elif kind == "table":
        imm = (mp.tables[imm[0]], *imm[1:])
    elif kind == "table_table":
        imm = (mp.tables[imm[0]], mp.tables[imm[1]], *imm[2:])
    elif kind == "elem_table":
        imm = (mp.elems[imm[0]], mp.tables[imm[1]], *imm[2:])
    elif kind == "elem":
        imm = (mp.elems[imm[0]],)
    elif kind in ("data", "data_zero"):
        imm = (mp.datas[imm[0]], *imm[1:])
    elif kind == "blocktype" and imm[0] >= 0:
        imm = (mp.types[imm[0]],)
    else:
        return ins
    return Instr(ins.op, imm, ins.offset) if imm != ins.imm else ins


def _remap_expr(instrs: list[Instr], mp: _Maps) -> list[Instr]:
    return [_remap_instr(i, mp) for i in instrs]


def _dedupe_types(types: list[FuncType], live: set[int]) -> tuple[list[FuncType], dict[int, int]]:
    """Kept types in order, structurally equal ones merged; old index -> new index."""
    out: list[FuncType] = []
    first: dict[FuncType, int] = {}
    mapping: dict[int, int] = {}
    for i, t in enumerate(types):
        if i not in live:
            continue
        if t not in first:
            first[t] = len(out)
            out.append(t)
        mapping[i] = first[t]
    return out, mapping


def _ref_funcs(instrs: Iterable[Instr]) -> set[int]:
    return {i.imm[0] for i in instrs if i.op == OP_REF_FUNC}


def _plan_declarative(m: Module, live: _Live) -> tuple[set[int], dict[int, set[int]]]:
    """Decide which declarative segments stay and which functions each keeps declaring.

    Declarative segments have no effect at run time; they only allow `ref.func` in code.
    Each keeps the entries that kept code takes a reference of; an emptied one goes unless
    kept code names it (elem.drop).
    """
    wanted: set[int] = set()
    n_imp = m.num_imported_funcs
    for old in live.funcs:
        if old >= n_imp:
            wanted |= _ref_funcs(m.funcs[old - n_imp].instrs)
    kept: set[int] = set(live.elems)
    entries: dict[int, set[int]] = {}
    for i, seg in enumerate(m.elems):
        if seg.mode != "declarative":
            continue
        declared = set().union(*(_ref_funcs(e) for e in seg.init)) & wanted
        entries[i] = declared
        if declared:
            kept.add(i)
    return kept, entries


def _gc(m: Module, report: StripReport) -> tuple[Module, _Maps]:
    live = _Marker(m).run()
    kept_elems, decl_entries = _plan_declarative(m, live)
    n_imp = {k: len(m.imports_of(k)) for k in (KIND_FUNC, KIND_TABLE, KIND_MEMORY, KIND_GLOBAL)}
    kept_imports: list[Import] = []
    seen = dict.fromkeys(n_imp, 0)
    for imp in m.imports:
        idx = seen[imp.kind]
        seen[imp.kind] += 1
        alive = {KIND_FUNC: live.funcs, KIND_TABLE: live.tables, KIND_MEMORY: live.mems,
                 KIND_GLOBAL: live.globals}[imp.kind]
        if idx in alive:
            kept_imports.append(imp)
        else:
            report.removed_imports.append(f"{imp.module}.{imp.name}")

    # Types: the marker collected those of live functions, call_indirect and block types.
    types, type_map = _dedupe_types(m.types, live.types)
    mp = _Maps(
        funcs=_index_map(n_imp[KIND_FUNC] + len(m.funcs), live.funcs),
        tables=_index_map(n_imp[KIND_TABLE] + len(m.tables), live.tables),
        mems=_index_map(n_imp[KIND_MEMORY] + len(m.mems), live.mems),
        globals=_index_map(n_imp[KIND_GLOBAL] + len(m.globals), live.globals),
        elems=_index_map(len(m.elems), kept_elems),
        datas=_index_map(len(m.datas), live.datas),
        types=type_map,
    )

    out = Module()
    out.types = types
    for imp in kept_imports:
        desc = imp.desc
        if imp.kind == KIND_FUNC and isinstance(desc, int):
            desc = mp.types[desc]
        out.imports.append(Import(imp.module, imp.name, imp.kind, desc))
    for i, f in enumerate(m.funcs):
        if i + n_imp[KIND_FUNC] in live.funcs:
            out.funcs.append(Function(mp.types[f.type_idx], list(f.locals),
                                      _remap_expr(f.instrs, mp)))
    out.tables = [TableType(t.elem_type, t.limits) for i, t in enumerate(m.tables)
                  if i + n_imp[KIND_TABLE] in live.tables]
    out.mems = [MemType(x.limits) for i, x in enumerate(m.mems)
                if i + n_imp[KIND_MEMORY] in live.mems]
    for i, g in enumerate(m.globals):
        if i + n_imp[KIND_GLOBAL] in live.globals:
            out.globals.append(Global(GlobalType(g.type.valtype, g.type.mutable),
                                      _remap_expr(g.init, mp)))
    out.exports = [Export(x.name, x.kind, _remap_export(x, mp)) for x in m.exports]
    out.start = mp.funcs[m.start] if m.start is not None else None

    for i, seg in enumerate(m.elems):
        if i not in kept_elems:
            continue
        init = seg.init
        if seg.mode == "declarative":
            init = [e for e in seg.init if _ref_funcs(e) & decl_entries[i]]
        out.elems.append(_copy_elem(seg, mp, [_remap_expr(e, mp) for e in init]))
    for i, dseg in enumerate(m.datas):
        if i in live.datas:
            out.datas.append(DataSegment(dseg.mode, dseg.init, mp.mems.get(dseg.memory, 0),
                                         _remap_opt(dseg.offset_expr, mp), dseg.flags))
    _declare_missing(out)
    out.customs = list(m.customs)

    report.removed_funcs = len(m.funcs) - len(out.funcs)
    report.removed_globals = len(m.globals) - len(out.globals)
    report.removed_tables = len(m.tables) - len(out.tables)
    report.removed_mems = len(m.mems) - len(out.mems)
    report.removed_types = len(m.types) - len(out.types)
    report.removed_elems = len(m.elems) - len(out.elems)
    report.removed_datas = len(m.datas) - len(out.datas)
    return out, mp


def _remap_export(x: Export, mp: _Maps) -> int:
    table: dict[int, dict[int, int]] = {KIND_FUNC: mp.funcs, KIND_TABLE: mp.tables,
                                        KIND_MEMORY: mp.mems, KIND_GLOBAL: mp.globals}
    return table[x.kind][x.index]


def _remap_opt(expr: list[Instr] | None, mp: _Maps) -> list[Instr] | None:
    return None if expr is None else _remap_expr(expr, mp)


def _copy_elem(seg: ElemSegment, mp: _Maps, init: list[list[Instr]]) -> ElemSegment:
    table = mp.tables[seg.table] if seg.mode == "active" else 0
    flags = seg.flags
    # Flags 0 and 4 imply table 0; a segment moved off table 0 needs the explicit form.
    if seg.mode == "active" and table != 0 and flags in (0, 4):
        flags += 2
    return ElemSegment(seg.mode, seg.elem_type, init, table, _remap_opt(seg.offset_expr, mp),
                       flags)


def _declared_funcs(m: Module) -> set[int]:
    """Functions code may take `ref.func` of (the spec's C.refs): those named outside
    function bodies, in globals, element segments and exports."""
    refs: set[int] = {x.index for x in m.exports if x.kind == KIND_FUNC}
    for g in m.globals:
        refs |= _ref_funcs(g.init)
    for seg in m.elems:
        for e in seg.init:
            refs |= _ref_funcs(e)
    return refs


def _declare_missing(out: Module) -> None:
    """A function kept code takes a reference of may have been declared only by a removed
    segment or export; declare it in a new declarative segment at the end (no index moves)."""
    wanted: set[int] = set()
    for f in out.funcs:
        wanted |= _ref_funcs(f.instrs)
    missing = sorted(wanted - _declared_funcs(out))
    if missing:
        # Flags 3: declarative, stored as function indices (the compact encoding).
        out.elems.append(ElemSegment(
            "declarative", FUNCREF, [[Instr(OP_REF_FUNC, (f,)), Instr(OP_END)] for f in missing],
            flags=3))


# ---------------------------------------------------------------------------------------------
# Local declarations

_LOCAL_OPS = frozenset({0x20, 0x21, 0x22})  # local.get, local.set, local.tee


def _compact_locals(f: Function, n_params: int) -> tuple[Function, dict[int, int]]:
    """Declare each local type once: locals start at zero whatever their order, so sorting
    them by type (stable) and renumbering local.* is exact and saves bytes per group.
    Returns the function and its local renumbering (empty if unchanged)."""
    types = f.local_types()
    order = list(dict.fromkeys(types))
    if len(f.locals) <= len(order):
        return f, {}
    rank = {t: i for i, t in enumerate(order)}
    new_pos = sorted(range(len(types)), key=lambda k: rank[types[k]])
    remap = {n_params + old: n_params + new for new, old in enumerate(new_pos)}
    instrs = [Instr(i.op, (remap.get(i.imm[0], i.imm[0]),), i.offset) if i.op in _LOCAL_OPS
              else i for i in f.instrs]
    groups = [(types.count(t), t) for t in order]
    return Function(f.type_idx, groups, instrs), remap


def _compact_all_locals(m: Module) -> dict[int, dict[int, int]]:
    """Compact every function's locals; returns function index -> its local renumbering."""
    n_imp = m.num_imported_funcs
    local_maps: dict[int, dict[int, int]] = {}
    funcs: list[Function] = []
    for i, f in enumerate(m.funcs):
        new, remap = _compact_locals(f, len(m.types[f.type_idx].params))
        funcs.append(new)
        if remap:
            local_maps[n_imp + i] = remap
    m.funcs = funcs
    return local_maps


# ---------------------------------------------------------------------------------------------
# Custom sections


def _strip_customs(m: Module, keep: frozenset[str], report: StripReport) -> None:
    kept: list[CustomSection] = []
    for c in m.customs:
        if c.name in keep:
            kept.append(c)
            if c.name.startswith(".debug_") or c.name == "sourceMappingURL":
                # Re-encoding moves code (shorter LEB128s, grouped locals, removed functions).
                report.warnings.append(f"kept section {c.name} refers to code offsets that "
                                       "stripping changed")
        else:
            report.removed_sections.append(c.name)
    m.customs = kept


def _read_name_map(data: bytes, pos: int) -> tuple[list[tuple[int, bytes]], int]:
    """A name map: vec(index, name); names are kept as their encoded bytes."""
    count, pos = leb128.decode_unsigned(data, pos, 32)
    entries: list[tuple[int, bytes]] = []
    for _ in range(count):
        idx, start = leb128.decode_unsigned(data, pos, 32)
        n, p = leb128.decode_unsigned(data, start, 32)
        pos = p + n
        entries.append((idx, data[start:pos]))
    return entries, pos


def _write_name_map(entries: list[tuple[int, bytes]]) -> bytes:
    return leb128.encode_unsigned(len(entries)) + b"".join(
        leb128.encode_unsigned(i) + name for i, name in sorted(entries))


def _remap_name_section(data: bytes, funcs: dict[int, int],
                        local_maps: dict[int, dict[int, int]]) -> bytes:
    """Keep the module name and the function and local names of kept functions, renumbered
    (`local_maps` is keyed by new function index); drop the other (extended) subsections,
    whose indices strip does not track. A malformed name section is dropped whole."""
    out = bytearray()
    pos = 0
    try:
        while pos < len(data):
            sub_id = data[pos]
            size, body = leb128.decode_unsigned(data, pos + 1, 32)
            end = body + size
            payload: bytes | None = None
            if sub_id == 0:
                payload = data[body:end]
            elif sub_id == 1:
                names, _ = _read_name_map(data, body)
                payload = _write_name_map([(funcs[i], n) for i, n in names if i in funcs])
            elif sub_id == 2:
                count, p = leb128.decode_unsigned(data, body, 32)
                per_func: list[tuple[int, bytes]] = []
                for _ in range(count):
                    idx, p = leb128.decode_unsigned(data, p, 32)
                    names, p = _read_name_map(data, p)
                    if idx in funcs:
                        new = funcs[idx]
                        lm = local_maps.get(new, {})
                        per_func.append((new, _write_name_map(
                            [(lm.get(i, i), n) for i, n in names])))
                payload = _write_name_map(per_func)
            if payload is not None:
                out += bytes([sub_id]) + leb128.encode_unsigned(len(payload)) + payload
            pos = end
    except (WasmError, IndexError):
        return b""
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Entry points


def strip_module(m: Module, options: StripOptions = StripOptions(),
                 report: StripReport | None = None) -> Module:
    """Return a stripped copy of `m` (the input is not modified)."""
    rep = report if report is not None else StripReport()
    if options.gc:
        out, maps = _gc(m, rep)
        func_map = maps.funcs
    else:
        out = Module(**{f: getattr(m, f) for f in _MODULE_FIELDS})
        out.customs = list(m.customs)
        func_map = {i: i for i in range(m.num_imported_funcs + len(m.funcs))}
    rep.func_map = dict(func_map)
    _strip_customs(out, options.keep_sections, rep)
    _drop_empty_sections(out)
    local_maps = _compact_all_locals(out)
    # Names are the one kept section strip understands: renumber it to match.
    out.customs = [CustomSection(c.name, _remap_name_section(c.data, func_map, local_maps),
                                 c.after) if c.name == "name" else c for c in out.customs]
    return out


def _drop_empty_sections(m: Module) -> None:
    """Encode no empty sections, and the data count only where the validator needs it (code
    that uses memory.init or data.drop)."""
    m.present_sections = set()
    needs_count = any(i.op in (0xFC08, 0xFC09) for f in m.funcs for i in f.instrs)
    m.data_count = len(m.datas) if needs_count else None


_MODULE_FIELDS = ("types", "imports", "funcs", "tables", "mems", "globals", "exports", "start",
                  "elems", "data_count", "datas", "present_sections")


def strip_bytes(data: bytes, options: StripOptions = StripOptions()) -> tuple[bytes, StripReport]:
    """Strip an encoded module. The input is read and validated first (an invalid module is
    rejected with the reader's or validator's error); the output is validated again."""
    module = read_module(data)
    validate_module(module)
    return _strip_valid(module, len(data), options)


def strip_file(src: Path, dst: Path, options: StripOptions = StripOptions()) -> StripReport:
    """Strip `src` into `dst`; `dst` is written only if stripping succeeded."""
    if dst.exists() and src.resolve() == dst.resolve():
        raise UsageError("refusing to overwrite the input; choose another -o")
    module = load_module(src)  # errors name the file
    out, report = _strip_valid(module, src.stat().st_size, options)
    dst.write_bytes(out)
    return report


def _strip_valid(module: Module, size: int, options: StripOptions) -> tuple[bytes, StripReport]:
    report = StripReport(size_before=size)
    out = write_module(strip_module(module, options, report))
    try:
        validate_module(read_module(out))
    except WasmError as e:
        raise StripError(f"internal error: stripped output does not validate: {e}") from e
    report.size_after = len(out)
    return out, report


def drop_custom_sections(data: bytes) -> bytes:
    """`data` without its custom sections, every other section kept byte for byte (so code
    offsets, which DWARF and trap reports count from the code section, do not change).
    `data` must be a well-formed module (read it first)."""
    out = bytearray(data[:8])
    pos = 8
    while pos < len(data):
        size, body = leb128.decode_unsigned(data, pos + 1, 32)
        if data[pos] != 0:
            out += data[pos:body + size]
        pos = body + size
    return bytes(out)
