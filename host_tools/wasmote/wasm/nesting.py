"""How deep a module's blocks nest.

A device validates a function with its control frames in a scratch taken from the RAM free
at install (a quarter of it, at most 96 KiB; 48 bytes a level on a 32-bit device: docs/wasi.md,
"Nesting"), so a function nested deeply enough is refused there ("blocks nested too deeply
for this device's validator") though every host tool accepts it. LLVM compiles a C `switch`
of n cases to n + 1 nested blocks; `wasmote package` says so before the push.
"""

from __future__ import annotations

from wasmote.wasm.module import KIND_FUNC, Module

_OPENS = frozenset({0x02, 0x03, 0x04})  # block, loop, if
_END = 0x0B
BYTES_A_LEVEL = 192  # 48 bytes of scratch a level, the scratch a quarter of the RAM free
MAX_LEVELS = 2000  # what a 96 KiB scratch holds, less a margin for the operand types


def deepest(module: Module) -> tuple[int, int]:
    """(function index, nesting depth) of the most deeply nested function; (0, 0) if none
    nests at all. The function's own body is level 0."""
    base = len(module.imports_of(KIND_FUNC))
    best = (0, 0)
    for i, f in enumerate(module.funcs):
        depth = top = 0
        for ins in f.instrs:
            if ins.op in _OPENS:
                depth += 1
                top = max(top, depth)
            elif ins.op == _END:
                depth -= 1
        if top > best[1]:
            best = (base + i, top)
    return best
