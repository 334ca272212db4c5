"""Locals that hold one pure value of the parameters: computed again at each read.

LLVM hoists loop invariants of a function's parameters to before the loop (slre's matcher
`bar`: `l7 = l4 + 1616`, `l8 = l3 + 1`, `l9 = l1 - 2`, ahead of a loop whose body recurses
and which runs 1.2 times an entry). As C variables they are computed at every entry and,
live across the recursive calls, spilled and loaded back, though each costs an instruction
or two to compute again from the parameter it derives from (itself in a register or an
argument slot). In a function whose loops recurse (callloops.py: WM_CALL_LOOPS, the only
functions given this) each `local.get` of such a local emits its expression instead, the
parameters read through `WM_REMAT` (the prelude: an empty asm of the value, so GCC cannot
see the expression is the same at every read and move it back to the entry, which it does
under WM_CALL_LOOPS too); the one `local.set` stays (dead C unless a plan names the local,
and then it holds the same value). Elsewhere GCC keeps such a value in a register, and
computing it at each read is a loss (sglib's iterator: 4.69 M -> 4.74 M on the M4).

A local qualifies when, in the function:
- it is not a parameter, is an i32, and has exactly one `local.set` and no `local.tee`;
- the value set is a tree of `i32.const`, `local.get` of locals that are never assigned in
  the function (parameters, or zero-initialised locals), and i32 add, sub, mul, and, or,
  xor, shl, shr_s, shr_u (none of them traps, each is the same C at any point);
- every `local.get` of it lies after the set and before the end of the innermost block,
  loop or if-arm that contains the set: such code is reached only through the set (a branch
  goes to the end of an enclosing construct or to the head of a loop that contains it, so
  code after the set inside its construct is entered only from the set's side), and the set
  is the only write, so every get reads exactly the expression's value. A get before the
  set, or after the construct ends (where a branch may skip the set and the local is still
  0), disqualifies the local.
"""

from __future__ import annotations

from wasmote.wasm.module import I32, Instr
from wasmote.wasm.opcodes import NAME_TO_OP

_GET = NAME_TO_OP["local.get"]
_SET = NAME_TO_OP["local.set"]
_TEE = NAME_TO_OP["local.tee"]
_CONST = NAME_TO_OP["i32.const"]
_OPENS = frozenset({NAME_TO_OP["block"], NAME_TO_OP["loop"], NAME_TO_OP["if"]})
_ELSE = NAME_TO_OP["else"]
_END = NAME_TO_OP["end"]
# pure i32 binary operators that never trap: op -> C of the two operands
_BINARY = {
    NAME_TO_OP["i32.add"]: "{0} + {1}", NAME_TO_OP["i32.sub"]: "{0} - {1}",
    NAME_TO_OP["i32.mul"]: "{0} * {1}", NAME_TO_OP["i32.and"]: "{0} & {1}",
    NAME_TO_OP["i32.or"]: "{0} | {1}", NAME_TO_OP["i32.xor"]: "{0} ^ {1}",
    NAME_TO_OP["i32.shl"]: "{0} << ({1} & 31)",
    NAME_TO_OP["i32.shr_u"]: "{0} >> ({1} & 31)",
    NAME_TO_OP["i32.shr_s"]: "(u32)((s32){0} >> ({1} & 31))",
}
_MAX_OPS = 7  # a longer expression costs more at each use than a spill's load


def plan(instrs: list[Instr], local_types: list[int], nparams: int) -> dict[int, str]:
    """Local index -> the C expression (over l<k> and literals) each of its gets emits."""
    sets: dict[int, list[int]] = {}
    assigned: set[int] = set()
    for i, ins in enumerate(instrs):
        if ins.op in (_SET, _TEE):
            assigned.add(ins.imm[0])
            sets.setdefault(ins.imm[0], []).append(i if ins.op == _SET else -1)
    out: dict[int, str] = {}
    for k, at in sets.items():
        if k < nparams or local_types[k] != I32 or len(at) != 1 or at[0] < 0:
            continue
        expr = _expression(instrs, at[0], assigned)
        if expr is None:
            continue
        end = _construct_end(instrs, at[0])
        gets = [i for i, ins in enumerate(instrs) if ins.op == _GET and ins.imm[0] == k]
        if gets and all(at[0] < i < end for i in gets):
            out[k] = expr
    return out


def _expression(instrs: list[Instr], at: int, assigned: set[int]) -> str | None:
    """The C of the value `instrs[at]` (a local.set) pops, when it is a pure tree of
    constants and never-assigned locals computed by the instructions just before it."""
    def tree(i: int) -> tuple[str, int] | None:  # (C, index of the tree's first instr)
        if i < 0 or at - i > _MAX_OPS:
            return None
        ins = instrs[i]
        if ins.op == _CONST:
            return f"0x{ins.imm[0] & 0xFFFFFFFF:x}u", i
        if ins.op == _GET:
            return (f"WM_REMAT(l{ins.imm[0]})", i) if ins.imm[0] not in assigned else None
        tmpl = _BINARY.get(ins.op)
        if tmpl is None:
            return None
        right = tree(i - 1)
        if right is None:
            return None
        left = tree(right[1] - 1)
        if left is None:
            return None
        return "(" + tmpl.format(left[0], right[0]) + ")", left[1]

    got = tree(at - 1)
    return got[0] if got else None


def _construct_end(instrs: list[Instr], at: int) -> int:
    """Index of the `else` or `end` that closes the construct (or if-arm) holding
    `instrs[at]`; len(instrs) - 1 at the function's top level (its final end)."""
    depth = 0
    for i in range(at + 1, len(instrs)):
        op = instrs[i].op
        if op in _OPENS:
            depth += 1
        elif op == _END:
            if depth == 0:
                return i
            depth -= 1
        elif op == _ELSE and depth == 0:
            return i
    return len(instrs)
