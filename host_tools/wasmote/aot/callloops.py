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
    # a callee c of j reaches j again exactly when both lie on one cycle of direct calls
    # (j calls c): one component search for all functions, where a search from each
    # function's callers made a chain of n functions cost n^3 (1000: 44 s)
    comp = _components(callees)
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
            elif ins.op == _OP_CALL and any(opens):
                if ins.imm[0] < nimp or comp[ins.imm[0] - nimp] == comp[j]:
                    out.add(j)
                    break
    return frozenset(out)


def _components(callees: list[set[int]]) -> list[int]:
    """Each function's strongly connected component in the graph of direct calls (Tarjan's
    algorithm without recursion: a chain of calls as long as the module allows is no
    deeper than Python's stack)."""
    n = len(callees)
    succ = [sorted(cs) for cs in callees]
    index = [-1] * n
    low = [0] * n
    comp = [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    ncomp = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        while work:
            v, k = work[-1]
            if k == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            if k < len(succ[v]):
                work[-1] = (v, k + 1)
                w = succ[v][k]
                if index[w] < 0:
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp
