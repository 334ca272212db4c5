"""Functions whose loops call functions that call: GCC hoists less out of them.

In a loop whose body calls a function that calls (a recursive matcher's loop over its
pattern: slre's `bar`; an import; `call_indirect`), every value GCC moves out of the loop
lives across those calls: in a callee-saved register, pushed at the entry and taken from
the loop's own values, or spilled and loaded back at each use, which costs what computing
it again costs. GCC's RTL loop-invariant motion hoists without weighing that (it assumes
registers enough), and partial redundancy elimination (tree-PRE) adds computations on
some paths to make later ones redundant, lengthening live ranges the same way; the AOT
code has more such values than the native build (the limits `msz - k` of the bounds
checks, the memory base and size, the context, the fuel slice). bar runs its loop 1.2
times a call and computed ten of them at every entry, spilled. Such functions get
`WM_CALL_LOOPS` (the prelude: GCC's `optimize("ira-loop-pressure", "no-tree-pre")`,
which the command line's options still apply under: GCC 12 appends them; clang has no
such attribute). Loops that call only leaves are left alone: GCC inlines most leaves and
the loop is then an ordinary one (embench-crc32's loop calling `rand`).
"""

from __future__ import annotations

from wasmote.aot.stackcheck import CALL_OPS
from wasmote.wasm.module import Instr, Module
from wasmote.wasm.opcodes import NAME_TO_OP

_OP_CALL = NAME_TO_OP["call"]
_OP_LOOP = NAME_TO_OP["loop"]
_OPENS = frozenset({NAME_TO_OP["block"], _OP_LOOP, NAME_TO_OP["if"]})
_OP_END = NAME_TO_OP["end"]


def calling_loops(mod: Module, calls: list[list[Instr]]) -> frozenset[int]:
    """Defined functions (index among mod.funcs) with a loop whose body calls a function
    that calls, an import or through the table (`calls`: stackcheck.call_sites(mod))."""
    nimp = mod.num_imported_funcs
    out: set[int] = set()
    for j, f in enumerate(mod.funcs):
        if not calls[j]:
            continue
        opens: list[bool] = []  # per open block: is it a loop
        for ins in f.instrs:
            if ins.op in _OPENS:
                opens.append(ins.op == _OP_LOOP)
            elif ins.op == _OP_END:
                if opens:
                    opens.pop()
            elif ins.op in CALL_OPS and any(opens):
                if ins.op != _OP_CALL or ins.imm[0] < nimp or calls[ins.imm[0] - nimp]:
                    out.add(j)
                    break
    return frozenset(out)
