"""Functions whose loops call back into themselves: GCC hoists less out of them.

In a loop whose body makes a call GCC cannot inline, a call of a function from which the
caller is reached again (recursion: slre's matcher `bar` calls itself in its loop over the
pattern, quicksort itself in its loop over partitions) or of an import, every value GCC
moves out of the loop lives across that call: in a callee-saved register, pushed at the
entry and taken from the loop's own values, or spilled and loaded back at each use, which
costs what computing it again costs. GCC's RTL loop-invariant motion hoists without weighing
that (it assumes registers enough), and partial redundancy elimination (tree-PRE) adds
computations on some paths to make later ones redundant, lengthening live ranges the same
way; the AOT code has more such values than the native build (the limits `msz - k` of the
bounds checks, the memory base and size, the context, the fuel slice). bar runs its loop 1.2
times a call and computed and spilled its limits at every entry. Such functions get
`WM_CALL_LOOPS` (the prelude: GCC's `optimize("ira-loop-pressure", "no-tree-pre",
"ira-region=one")`, the last one, registers allocated over the whole function as one region,
measured with remat.py and inlining.py: slre 3.90 M -> 3.78 M; GCC 12 applies them on top
of the command line's options; clang has no such attribute). Calls of
other functions are left alone: GCC may inline them (a leaf, a helper, a `call_indirect`
dispatcher), and the loop is then an ordinary one; marking every loop that calls a function
that calls cost wikisort 3 % and picojpeg without fuel 2 % (docs/performance.md).
"""

from __future__ import annotations

from wasmote.wasm.module import Instr, Module
from wasmote.wasm.opcodes import NAME_TO_OP

_OP_CALL = NAME_TO_OP["call"]
_OP_LOOP = NAME_TO_OP["loop"]
_OPENS = frozenset({NAME_TO_OP["block"], _OP_LOOP, NAME_TO_OP["if"]})
_OP_END = NAME_TO_OP["end"]


def calling_loops(mod: Module, calls: list[list[Instr]]) -> frozenset[int]:
    """Defined functions (index among mod.funcs) with a loop whose body calls an import or a
    function from which direct calls reach the caller again (itself included; `calls`:
    stackcheck.call_sites(mod))."""
    nimp = mod.num_imported_funcs
    callees = [{ins.imm[0] - nimp for ins in cs if ins.op == _OP_CALL and ins.imm[0] >= nimp}
               for cs in calls]
    out: set[int] = set()
    for j, f in enumerate(mod.funcs):
        if not calls[j]:
            continue
        back = _reaching(callees, j)
        opens: list[bool] = []  # per open block: is it a loop
        for ins in f.instrs:
            if ins.op in _OPENS:
                opens.append(ins.op == _OP_LOOP)
            elif ins.op == _OP_END:
                if opens:
                    opens.pop()
            elif ins.op == _OP_CALL and any(opens):
                if ins.imm[0] < nimp or ins.imm[0] - nimp in back:
                    out.add(j)
                    break
    return frozenset(out)


def _reaching(callees: list[set[int]], j: int) -> set[int]:
    """The defined functions from which direct calls reach j (j itself when it recurses)."""
    out: set[int] = set()
    todo = [k for k, cs in enumerate(callees) if j in cs]
    while todo:
        k = todo.pop()
        if k not in out:
            out.add(k)
            todo.extend(i for i, cs in enumerate(callees) if k in cs)
    return out
