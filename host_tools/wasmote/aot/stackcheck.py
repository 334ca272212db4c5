"""Which functions check the stack at entry, and the stack margin that leaves them.

A function that calls compares the stack pointer with the run's limit at entry
(`STACK_CHECK`); the limit keeps the largest native frame of the code (+ the runtime's
reserve) free below it, so a leaf, which calls nothing, fits below whatever function called
it. A function whose every call is a direct call of a leaf (slre's match_op, a comparator
that calls a small helper) adds one frame to that: it need not check either when the margin
holds its frame and a leaf's. Such a function cannot recurse and reaches no other code, so
the chain below the last checked frame is at most: the glue between them (an entry or a
call_indirect dispatcher), this function, a leaf. `frame_bound` makes the header's frame
that chain (docs/aot.md, "Stack checks"). The check costs 3 M4 instructions a call (a load
of the limit, a compare with sp, a branch); the margin grows by the largest such frame.
"""

from __future__ import annotations

from wasmote.wasm.module import Instr, Module
from wasmote.wasm.opcodes import NAME_TO_OP

_OP_CALL = NAME_TO_OP["call"]
CALL_OPS = frozenset({_OP_CALL, NAME_TO_OP["call_indirect"]})


def call_sites(mod: Module) -> list[list[Instr]]:
    """Each defined function's calls (`call`, `call_indirect`); a leaf's list is empty."""
    return [[ins for ins in f.instrs if ins.op in CALL_OPS] for f in mod.funcs]


def leaf_callers(mod: Module, calls: list[list[Instr]] | None = None
                 ) -> dict[int, frozenset[int]]:
    """Defined functions (index among mod.funcs) that call, only directly, and only defined
    functions that call nothing, each with those leaves: they need no stack check. `calls`:
    call_sites(mod), when the caller has it."""
    nimp = mod.num_imported_funcs
    calls = call_sites(mod) if calls is None else calls
    out: dict[int, frozenset[int]] = {}
    for j, cs in enumerate(calls):
        if cs and all(ins.op == _OP_CALL and ins.imm[0] >= nimp and not calls[ins.imm[0] - nimp]
                      for ins in cs):
            out[j] = frozenset(ins.imm[0] - nimp for ins in cs)
    return out


def frame_bound(frames: dict[str, int], unchecked: dict[int, frozenset[int]]) -> int:
    """The stack the deepest chain of functions that do not check needs below the last one
    that did, from each C function's frame (`frames`: GCC's -fstack-usage, by symbol): the
    largest frame (a leaf) alone, or the glue (wm_e*, wm_d*), an `unchecked` function and
    the largest of its leaves. A function's frame is the sum of its symbols' (wf3,
    wf3.constprop.0, wf3.part.0, a flat leaf's wf3_q): a split-off part may call a part."""
    largest = max(frames.values(), default=0)
    own: dict[int, int] = {}
    for name, n in frames.items():
        j = _defined(name)
        if j >= 0:
            own[j] = own.get(j, 0) + n
    # A function GCC inlined everywhere has no symbol of its own: its frame is in its
    # callers', and one of them may be a call_indirect dispatcher, which checks nothing.
    # Its chain is then the dispatcher (holding it) and its leaf, counted all the same.
    chains = [own.get(j, 0) + max((own.get(k, 0) for k in leaves), default=0)
              for j, leaves in unchecked.items()]
    if not chains:
        return largest
    glue = max((n for name, n in frames.items() if name.startswith(("wm_e", "wm_d"))),
               default=0)
    return max(largest, glue + max(chains))


def _defined(name: str) -> int:
    """The defined-function index of a wf<j> symbol (or its clone or copy), else -1."""
    base = name.split(".", 1)[0].removesuffix("_q")
    if base.startswith("wf") and base[2:].isdigit():
        return int(base[2:])
    return -1
