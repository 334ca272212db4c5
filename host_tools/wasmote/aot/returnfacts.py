"""What a call proves when it returns (an optimisation of dominated.py).

A defined function whose every normal return is preceded, on every path from its entry, by
an access at its parameter p (never assigned in the function) plus c with extent E
(dominated.py's facts, intersected over every `return` and the function's end: a "must"
fact at exit) proves, whenever a call to it returns normally, that (argument + c) + E was
at most the memory's size; the memory never shrinks, so it still is. dominated.py records
that fact after each direct `call` (a call_indirect learns nothing) and joins it with the
caller's own facts (rule 1, the union): sglib's red-black insert reads `*slot` first on
every path, its caller passes `&t->left` after reading `t->key`, and the check of
`t->color` after the recursive call goes.

Recursion is solved from the pessimistic side: the first round assumes no call proves
anything; each next round walks every function assuming what the previous one found. Each
round's facts hold (by induction on the rounds: they are proved from facts that hold), so
stopping after any round is sound; it stops when a round changes nothing or after _ROUNDS.
A trap, or a call that never returns, proves nothing and needs nothing. The facts assume
nothing about the parameters at entry, so they do not depend on paramfacts.py's.
"""

from __future__ import annotations

from wasmote.aot import dominated
from wasmote.wasm.module import KIND_MEMORY, Module

MARK = "/* accesses proved by a call's return (returnfacts) */"
_ROUNDS = 4


def return_facts(mod: Module, type_arity: list[tuple[int, int]],
                 func_arity: list[tuple[int, int]]) -> dominated.Returns:
    """Function index -> (parameter, constant) -> extent its every normal return proved."""
    nimp = mod.num_imported_funcs
    facts: dominated.Returns = {}
    if not mod.mems and not any(i.kind == KIND_MEMORY for i in mod.imports):
        return facts
    # functions with parameters, and the functions each calls directly
    callees = {j + nimp: {ins.imm[0] for ins in f.instrs if ins.op == 0x10}
               for j, f in enumerate(mod.funcs) if mod.types[f.type_idx].params}
    dirty = set(callees)
    for _ in range(_ROUNDS):
        nxt = dict(facts)
        for g in sorted(dirty):
            f = mod.funcs[g - nimp]
            e = dominated.exit_facts(f.instrs, type_arity, func_arity,
                                     len(mod.types[f.type_idx].params), facts)
            nxt.pop(g, None)
            if e:
                nxt[g] = e
        changed = {g for g in nxt.keys() | facts.keys() if nxt.get(g) != facts.get(g)}
        facts = nxt
        # the next round walks again only the functions that call one whose facts changed
        dirty = {g for g, cs in callees.items() if cs & changed}
        if not dirty:
            break
    return facts
