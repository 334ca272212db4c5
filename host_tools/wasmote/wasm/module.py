"""The in-memory model of a wasm module, shared by reader, writer, validator, strip and AOT.

Value types are their binary codes (`I32` = 0x7F ...). Function bodies and constant
expressions are lists of `Instr` (ending with `end`), so tools can walk and rewrite them;
the writer encodes from the instructions. Section order and the position of custom
sections are kept so that a canonically encoded module re-encodes byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
FUNCREF = 0x70
EXTERNREF = 0x6F

NUM_TYPES = (I32, I64, F32, F64)
REF_TYPES = (FUNCREF, EXTERNREF)
VALUE_TYPES = NUM_TYPES + REF_TYPES

VALTYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64",
                 FUNCREF: "funcref", EXTERNREF: "externref"}

# Block types are kept as the spec's s33: -64 (0x40) is "no result", a negative value is
# a single value type (its byte as a signed 7-bit number), a non-negative one a type index.
BLOCK_EMPTY = -64


def valtype_from_blocktype(bt: int) -> int:
    """The value type byte of a single-result block type (bt < 0, bt != BLOCK_EMPTY)."""
    return bt & 0x7F


def blocktype_from_valtype(t: int) -> int:
    return t - 0x80


# External kinds (import/export descriptors).
KIND_FUNC = 0
KIND_TABLE = 1
KIND_MEMORY = 2
KIND_GLOBAL = 3
KIND_NAMES = {KIND_FUNC: "func", KIND_TABLE: "table", KIND_MEMORY: "memory",
              KIND_GLOBAL: "global"}

# Section ids, and the order non-custom sections must appear in (datacount before code).
SEC_CUSTOM = 0
SEC_TYPE = 1
SEC_IMPORT = 2
SEC_FUNCTION = 3
SEC_TABLE = 4
SEC_MEMORY = 5
SEC_GLOBAL = 6
SEC_EXPORT = 7
SEC_START = 8
SEC_ELEMENT = 9
SEC_CODE = 10
SEC_DATA = 11
SEC_DATACOUNT = 12
SECTION_NAMES = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table",
                 5: "memory", 6: "global", 7: "export", 8: "start", 9: "element",
                 10: "code", 11: "data", 12: "datacount"}
SECTION_ORDER = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11)


@dataclass(slots=True)
class Instr:
    """One instruction. `op` is the opcode byte, or 0xFC00 | n for the 0xFC-prefixed ones.

    `imm` holds the immediates as integers: indices, constants (floats as raw IEEE
    bits, so NaN payloads survive), memarg as (align, offset), br_table as
    (label..., default), typed select as its value types, block types as s33 (see
    BLOCK_EMPTY). `offset` is the byte offset in the module it was read from (0 if new).
    """

    op: int
    imm: tuple[int, ...] = ()
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class FuncType:
    params: tuple[int, ...]
    results: tuple[int, ...]


@dataclass(slots=True)
class Limits:
    min: int
    max: int | None = None


@dataclass(slots=True)
class TableType:
    elem_type: int
    limits: Limits


@dataclass(slots=True)
class MemType:
    limits: Limits


@dataclass(frozen=True, slots=True)
class GlobalType:
    valtype: int
    mutable: bool


ImportDesc = int | TableType | MemType | GlobalType


@dataclass(slots=True)
class Import:
    """An import; `desc` is a type index for functions, else the imported type."""

    module: str
    name: str
    kind: int
    desc: ImportDesc
    offset: int = field(default=0, compare=False)


@dataclass(slots=True)
class Export:
    name: str
    kind: int
    index: int
    offset: int = field(default=0, compare=False)


@dataclass(slots=True)
class Global:
    type: GlobalType
    init: list[Instr]
    offset: int = field(default=0, compare=False)


@dataclass(slots=True)
class ElemSegment:
    """An element segment. `mode` is "active", "passive" or "declarative".

    `flags` is the binary variant (0..7); flags 0-3 store function indices, so each
    entry of `init` must then be exactly `ref.func x; end`.
    """

    mode: str
    elem_type: int
    init: list[list[Instr]]
    table: int = 0
    offset_expr: list[Instr] | None = None
    flags: int = 0
    offset: int = field(default=0, compare=False)

    def uses_func_indices(self) -> bool:
        return self.flags < 4


@dataclass(slots=True)
class DataSegment:
    """A data segment; `mode` is "active" or "passive"; `flags` the binary variant (0..2)."""

    mode: str
    init: bytes
    memory: int = 0
    offset_expr: list[Instr] | None = None
    flags: int = 0
    offset: int = field(default=0, compare=False)


@dataclass(slots=True)
class Function:
    """A function defined in the module (function + code section entries).

    `locals` keeps the compressed (count, type) groups as encoded; `body` the raw bytes of
    the expression as read; `instrs` the decoded body (ending with `end`), which is what
    the writer encodes. `body_offset` is where `body` starts in the module.
    """

    type_idx: int
    locals: list[tuple[int, int]] = field(default_factory=list)
    instrs: list[Instr] = field(default_factory=list)
    body: bytes = field(default=b"", compare=False)
    body_offset: int = field(default=0, compare=False)

    def local_types(self) -> list[int]:
        out: list[int] = []
        for count, t in self.locals:
            out.extend([t] * count)
        return out


@dataclass(slots=True)
class CustomSection:
    """A custom section; `after` is the id of the non-custom section it follows (0: first)."""

    name: str
    data: bytes
    after: int = 0
    offset: int = field(default=0, compare=False)


@dataclass(slots=True)
class SectionInfo:
    """Where a section was found in the input: id, offset of its id byte, payload size."""

    id: int
    offset: int
    size: int
    name: str = ""

    @property
    def kind(self) -> str:
        return SECTION_NAMES.get(self.id, f"id{self.id}")


@dataclass
class Module:
    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[Function] = field(default_factory=list)
    tables: list[TableType] = field(default_factory=list)
    mems: list[MemType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[ElemSegment] = field(default_factory=list)
    data_count: int | None = None
    datas: list[DataSegment] = field(default_factory=list)
    customs: list[CustomSection] = field(default_factory=list)
    # Non-custom sections present in the input even if empty (so they re-encode).
    present_sections: set[int] = field(default_factory=set)
    # All sections as read, in file order (for inspect); not used by the writer.
    sections: list[SectionInfo] = field(default_factory=list, compare=False)

    def imports_of(self, kind: int) -> list[Import]:
        return [i for i in self.imports if i.kind == kind]

    def func_type_indices(self) -> list[int]:
        """Type index of every function in the function index space (imports first)."""
        idx = [i.desc for i in self.imports if isinstance(i.desc, int)]
        return idx + [f.type_idx for f in self.funcs]

    def table_types(self) -> list[TableType]:
        out = [i.desc for i in self.imports if isinstance(i.desc, TableType)]
        return out + list(self.tables)

    def mem_types(self) -> list[MemType]:
        out = [i.desc for i in self.imports if isinstance(i.desc, MemType)]
        return out + list(self.mems)

    def global_types(self) -> list[GlobalType]:
        out = [i.desc for i in self.imports if isinstance(i.desc, GlobalType)]
        return out + [g.type for g in self.globals]

    @property
    def num_imported_funcs(self) -> int:
        return sum(1 for i in self.imports if i.kind == KIND_FUNC)
