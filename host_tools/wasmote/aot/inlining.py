"""Small internal functions called from loops that recurse: always inlined.

A call between two AOT functions costs more than the same call in the native build: the
slice and the context take r0 and r1, so a callee with three parameters gets its last one
on the stack; the callee loads the memory base and size again, checks addresses its caller
has just checked (the same `re + i`), packs its result with the slice, and GCC gives it a
frame for its cold paths. slre's `match_op`, called from the loop of the recursive matcher
`bar`, ran 37 instructions a call against native's 16 (docs/performance.md). GCC inlines
it neither at -O2 (too large for its estimate of a call's cost) nor with `inline`; with
`always_inline` bar's checks cover match_op's and those costs go.

A defined function is forced inline (`WM_INLINE`, translate.py) when:
- the runtime never calls it (not exported, not in a table, no ref.func: no entry, no
  dispatcher needs its symbol), and it calls anything: GCC decides leaves itself;
- it has no loop (inlined into a caller's loop, a loop of its own would add its registers
  to the caller's; and -fno-inline-functions-called-once keeps functions with loops apart
  on purpose, link.py);
- no call reaches it back (GCC refuses to inline a recursive function); a call_indirect
  may reach any function the runtime can call;
- it has at most `_SITES` direct call sites, each in a function with WM_CALL_LOOPS
  (callloops.py: a loop whose calls recurse), where the call's costs are paid each time
  round a loop GCC cannot otherwise shorten; and at most `_SIZE` instructions, so the code
  grows by at most that much a site.
Such a function that accesses the memory takes its base and size from the caller as two
more arguments (translate.py's mem_in; free once inlined): its own loads of them were made
again at each call, since GCC cannot keep them across the charges' cold calls.
Inlining changes nothing the program can observe: the C is the same C, compiled in one
function (the fuel it charges, its traps and their messages are the callee's own code). The
stack check of a function that calls stays in the inlined code; a function that skips its
check (stackcheck.py) has no symbol once inlined everywhere, and frame_bound counts its
frame in its callers'.
"""

from __future__ import annotations

from wasmote.wasm.module import Instr, Module
from wasmote.wasm.opcodes import NAME_TO_OP

_OP_CALL = NAME_TO_OP["call"]
_OP_CALL_INDIRECT = NAME_TO_OP["call_indirect"]
_OP_LOOP = NAME_TO_OP["loop"]
_SITES = 2
_SIZE = 400


def forced(mod: Module, calls: list[list[Instr]], escaping: set[int],
           call_loops: frozenset[int]) -> frozenset[int]:
    """Defined functions (index among mod.funcs) to inline at every call (`calls`:
    stackcheck.call_sites(mod); `escaping`: function indices the runtime may call;
    `call_loops`: callloops.calling_loops(mod, calls))."""
    nimp = mod.num_imported_funcs
    n = len(mod.funcs)
    escapes = {i - nimp for i in escaping if i >= nimp}
    callees: list[set[int]] = []
    for cs in calls:
        out = {ins.imm[0] - nimp for ins in cs if ins.op == _OP_CALL and ins.imm[0] >= nimp}
        if any(ins.op == _OP_CALL_INDIRECT for ins in cs):
            out |= escapes
        callees.append(out)
    sites: dict[int, list[int]] = {}
    for j, cs in enumerate(calls):
        for ins in cs:
            if ins.op == _OP_CALL and ins.imm[0] >= nimp:
                sites.setdefault(ins.imm[0] - nimp, []).append(j)
    out_: set[int] = set()
    for j in range(n):
        f = mod.funcs[j]
        if j in escapes or not calls[j] or len(f.instrs) > _SIZE:
            continue
        if any(ins.op == _OP_LOOP for ins in f.instrs):
            continue
        callers = sites.get(j, [])
        if not callers or len(callers) > _SITES or any(k not in call_loops for k in callers):
            continue
        if j in _reach(callees, j):
            continue
        out_.add(j)
    return frozenset(out_)


def _reach(callees: list[set[int]], j: int) -> set[int]:
    """The defined functions calls from j reach (j itself when it recurses)."""
    seen: set[int] = set()
    todo = list(callees[j])
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(callees[k])
    return seen
