"""A summary of a module for people and tools: sections, imports (the capabilities it
needs), exports, memory/table limits, function count and code size."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from wasmote.terminal_text import escape_controls
from wasmote.wasm.errors import ValidationError
from wasmote.wasm.module import (
    KIND_FUNC,
    KIND_NAMES,
    SEC_CODE,
    VALTYPE_NAMES,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    Module,
    TableType,
)
from wasmote.wasm.validator import validate_module


@dataclass
class SectionSummary:
    id: int
    kind: str
    offset: int
    size: int
    name: str = ""  # custom sections only


@dataclass
class ImportSummary:
    module: str
    name: str
    kind: str
    type: str


@dataclass
class ExportSummary:
    name: str
    kind: str
    index: int


@dataclass
class LimitsSummary:
    index: int
    imported: bool
    min: int
    max: int | None
    elem_type: str = ""  # tables only


@dataclass
class ModuleSummary:
    size: int
    valid: bool
    validation_error: str
    sections: list[SectionSummary] = field(default_factory=list)
    imports: list[ImportSummary] = field(default_factory=list)
    exports: list[ExportSummary] = field(default_factory=list)
    memories: list[LimitsSummary] = field(default_factory=list)
    tables: list[LimitsSummary] = field(default_factory=list)
    imported_functions: int = 0
    defined_functions: int = 0
    globals: int = 0
    code_size: int = 0  # payload bytes of the code section
    body_size: int = 0  # bytes of all function bodies (locals + instructions)
    instructions: int = 0

    @property
    def capabilities(self) -> list[str]:
        """Every import is a capability the host must grant: "module.name"."""
        return [f"{i.module}.{i.name}" for i in self.imports]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["capabilities"] = self.capabilities
        return d


def _types(ts: tuple[int, ...]) -> str:
    return ", ".join(VALTYPE_NAMES.get(t, hex(t)) for t in ts)


def describe_functype(ft: FuncType) -> str:
    return f"({_types(ft.params)}) -> ({_types(ft.results)})"


def _limits_text(lim: Limits, unit: str) -> str:
    hi = "" if lim.max is None else f"..{lim.max}"
    return f"{lim.min}{hi} {unit}"


def summarize(mod: Module, size: int) -> ModuleSummary:
    try:
        validate_module(mod)
        valid, error = True, ""
    except ValidationError as e:
        valid, error = False, f"0x{e.offset:x}: {e.message}"
    s = ModuleSummary(size=size, valid=valid, validation_error=error)
    for sec in mod.sections:
        s.sections.append(SectionSummary(sec.id, sec.kind, sec.offset, sec.size, sec.name))
        if sec.id == SEC_CODE:
            s.code_size = sec.size
    for imp in mod.imports:
        d = imp.desc
        if isinstance(d, int):
            desc = describe_functype(mod.types[d]) if d < len(mod.types) else f"type {d}"
        elif isinstance(d, TableType):
            desc = f"{VALTYPE_NAMES.get(d.elem_type, '?')} {_limits_text(d.limits, 'entries')}"
        elif isinstance(d, MemType):
            desc = _limits_text(d.limits, "pages")
        else:
            assert isinstance(d, GlobalType)
            desc = ("mut " if d.mutable else "") + VALTYPE_NAMES.get(d.valtype, "?")
        s.imports.append(ImportSummary(imp.module, imp.name, KIND_NAMES[imp.kind], desc))
    for ex in mod.exports:
        s.exports.append(ExportSummary(ex.name, KIND_NAMES[ex.kind], ex.index))
    imported_mems = sum(1 for i in mod.imports if isinstance(i.desc, MemType))
    for i, m in enumerate(mod.mem_types()):
        s.memories.append(LimitsSummary(i, i < imported_mems, m.limits.min, m.limits.max))
    imported_tables = sum(1 for i in mod.imports if isinstance(i.desc, TableType))
    for i, t in enumerate(mod.table_types()):
        s.tables.append(LimitsSummary(i, i < imported_tables, t.limits.min, t.limits.max,
                                      VALTYPE_NAMES.get(t.elem_type, "?")))
    s.imported_functions = sum(1 for i in mod.imports if i.kind == KIND_FUNC)
    s.defined_functions = len(mod.funcs)
    s.globals = len(mod.global_types())
    for f in mod.funcs:
        s.body_size += len(f.body)
        s.instructions += len(f.instrs)
    return s


def render_text(s: ModuleSummary) -> str:
    """The human-readable form printed by `wasmote inspect`. The module's names are its
    author's: control characters in them (a screen clear, a title, a forged line) are shown
    escaped, as device text is (terminal_text.py)."""
    out = [f"size: {s.size} bytes, "
           + ("valid" if s.valid else f"INVALID: {escape_controls(s.validation_error)}")]
    out.append(f"functions: {s.defined_functions} defined, {s.imported_functions} imported;"
               f" code: {s.code_size} bytes ({s.instructions} instructions);"
               f" globals: {s.globals}")
    out.append("sections:")
    for sec in s.sections:
        label = f"custom \"{escape_controls(sec.name)}\"" if sec.id == 0 else sec.kind
        out.append(f"  {label:<24} {sec.size:>8} bytes  at 0x{sec.offset:x}")
    for m in s.memories:
        hi = "unbounded" if m.max is None else str(m.max)
        out.append(f"memory {m.index}: min {m.min} pages, max {hi}"
                   + (" (imported)" if m.imported else ""))
    for t in s.tables:
        hi = "unbounded" if t.max is None else str(t.max)
        out.append(f"table {t.index}: {t.elem_type}, min {t.min}, max {hi}"
                   + (" (imported)" if t.imported else ""))
    out.append(f"imports (required capabilities): {len(s.imports)}")
    for i in s.imports:
        out.append(f"  {escape_controls(i.module)}.{escape_controls(i.name)}  {i.kind} {i.type}")
    out.append(f"exports: {len(s.exports)}")
    for e in s.exports:
        out.append(f"  {escape_controls(e.name)}  {e.kind} {e.index}")
    return "\n".join(out)
