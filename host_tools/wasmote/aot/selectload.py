"""A load from a select of two addresses, emitted as a select of two loads (an optimisation
of translate.py).

LLVM folds `c ? left[n] : right[n]` into one load from `(c ? left : right) + n`: in wasm, a
`select` whose value, plus some locals or constants, is the address of the next load
(xgboost's tree walk: `node = (x[idx] < v ? left : right)[node]`). Emitted as it stands,
GCC keeps the select as a value (an IT block of two moves) and adds it to the address
before the load: on the Cortex-M4 one instruction more an iteration than the native C,
where GCC sees the two loads and predicates them (`ldrsbcc` / `ldrsbcs`). This module finds
the pattern; translate.py then emits `if (c) r = load(a + ...); else r = load(b + ...);`.

Only where the load is not checked (its range is proven: ranges.py, dominated.py, a
guarded loop's copy, guards.py): a checked load would need its check in both arms. The
value is the same: the select picks one address, and the load reads it; no other
instruction runs in between (the addends are `local.get` of an i32 local, which nothing
assigns in between, or `i32.const`).
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.checks import LOAD_SIZE
from wasmote.wasm.module import Instr

_LOCAL_GET = 0x20
_I32_CONST = 0x41
_I32_ADD = 0x6A


@dataclass(frozen=True)
class SelectLoad:
    load: int                  # index of the load
    addends: tuple[str, ...]   # C terms added to the selected address ("l3", "0x10u")


def plan_select_load(instrs: list[Instr], at: int, i32_locals: frozenset[int]) -> \
        SelectLoad | None:
    """The pattern starting at the select at `at`: zero or more `(local.get L | i32.const
    C) i32.add` pairs (L an i32 local), then a load of the sum; else None."""
    i = at + 1
    addends: list[str] = []
    while i + 1 < len(instrs) and instrs[i + 1].op == _I32_ADD:
        ins = instrs[i]
        if ins.op == _LOCAL_GET and ins.imm[0] in i32_locals:
            addends.append(f"l{ins.imm[0]}")
        elif ins.op == _I32_CONST:
            addends.append(f"0x{ins.imm[0] & 0xFFFFFFFF:x}u")
        else:
            return None
        i += 2
    if i < len(instrs) and instrs[i].op in LOAD_SIZE:
        return SelectLoad(i, tuple(addends))
    return None


def address(selected: str, plan: SelectLoad) -> str:
    """The C address (before the load's offset) when the select picked `selected`."""
    return " + ".join((selected, *plan.addends)) if plan.addends else selected
