"""Facts about parameters that every call site proved (an optimisation of dominated.py).

A defined function that is not exported, in no table, named by no ref.func and not the
start function (translate.escaping_functions) runs only from this module's own direct
`call`s. When every one of those calls passes, for an i32 parameter, a value that an
access before the call proved good up to extent E (dominated.py's facts: a + E <= the
memory's size, at the argument `local.get L` or `L + const`, or the caller's own
parameter with such a fact), or a constant v with v + E <= mem_min, then a + E <= the
memory's size holds at the callee's entry too: the memory never shrinks. dominated.py
starts the callee's walk with that fact, so the callee's accesses at the parameter within
E need no check (sglib's recursive red-black insert: the element it passes down
unchanged, which its caller had filled in).

The entry fact is the minimum over the call sites (none when one proves nothing). Calls
among the candidates (recursion, mutual or not) are solved to a fixed point from the
optimistic side: every candidate's parameters are first assumed good to any extent; each
round walks the functions whose assumptions changed, and lowers each entry fact to the
smallest its call sites prove under the current assumptions; it stops when no site
proves less than assumed. Then every call that runs proves what its callee assumes, by
induction on the calls made since the runtime called an escaping function (which assumes
nothing). A fact still above 2^32 at the end belongs to a function no escaping function
reaches (it came from _TOP, unchanged or through pointers moved by the calls of a cycle no
escaping function enters); it is dropped. Calls in unreachable code never run and prove
nothing needed.
"""

from __future__ import annotations

from wasmote.aot import dominated
from wasmote.wasm.module import I32, KIND_MEMORY, Module

MARK = "/* accesses proved by every caller (paramfacts) */"
_TOP = 1 << 40  # "good to any extent": the optimistic start
_WIDEN = 8      # rounds after which a fact that still falls is dropped at once
# Each round reads every function's call sites, and a fact can take a round per function
# to come down a chain of calls (a ring of 4000 functions passing a pointer on: 4000
# rounds, 40 s). Past this many sites read, every fact is given up: accesses keep their
# checks, which costs speed, never safety. The bench programs read at most a few thousand.
_WORK_MAX = 1_000_000


def entry_facts(mod: Module, escaping: set[int], type_arity: list[tuple[int, int]],
                func_arity: list[tuple[int, int]], mem_min: int,
                returns: dominated.Returns | None = None) -> list[dict[int, int]]:
    """Per defined function: i32 parameter -> the extent every call site proved."""
    nimp = mod.num_imported_funcs
    nfun = len(mod.funcs)
    facts: list[dict[int, int]] = [{} for _ in range(nfun)]
    if not mod.mems and not any(i.kind == KIND_MEMORY for i in mod.imports):
        return facts
    called = {ins.imm[0] - nimp for f in mod.funcs for ins in f.instrs
              if ins.op == 0x10 and ins.imm[0] >= nimp}
    for j, f in enumerate(mod.funcs):
        if j + nimp in escaping or j not in called:
            continue
        params = mod.types[f.type_idx].params
        facts[j] = {p: _TOP for p, t in enumerate(params) if t == I32}
    # per caller: its calls' argument extents under the current assumptions
    sites: list[dict[int, list[int]]] = [{} for _ in range(nfun)]
    dirty = set(range(nfun))
    work = 0
    for rnd in range(_WIDEN + sum(map(len, facts)) + 1):
        for j in sorted(dirty):
            sites[j] = dominated.call_sites(mod.funcs[j].instrs, type_arity, func_arity,
                                            facts[j], mem_min, returns)
        work += nfun + sum(map(len, sites))
        if work > _WORK_MAX:
            return [{} for _ in range(nfun)]
        # the smallest extent each candidate's sites prove (absent: no site runs)
        low: list[dict[int, int]] = [dict(f) for f in facts]
        for j in range(nfun):
            for i, ext in sites[j].items():
                g = mod.funcs[j].instrs[i].imm[0] - nimp
                if g < 0:
                    continue
                for p in list(low[g]):
                    low[g][p] = min(low[g][p], ext[p])
        dirty = set()
        for g in range(nfun):
            # a fact that still falls after _WIDEN rounds may fall by a few bytes a round
            # (a pointer moved at each call of a cycle): dropped. One that falls but stays
            # above 2^32 is kept until then: it comes from _TOP through a pointer a caller
            # moved, and that caller's own fact may not have come down yet (a chain
            # f(p) -> g(p + 4) -> h(p + 6): in the first round f is still at _TOP)
            new = {p: e for p, e in low[g].items() if e > 0 and (
                e == facts[g][p] or rnd < _WIDEN)}
            if new != facts[g]:
                facts[g] = new
                dirty.add(g)
        if not dirty:
            # above 2^32: a function no escaping function reaches (its facts never hold)
            return [{p: e for p, e in f.items() if e < 1 << 32} for f in facts]
    return [{} for _ in range(nfun)]  # not reached: each round past _WIDEN drops a fact
