"""The largest code the AOT compiler takes: GCC's time and memory grow faster than the
code it is given once a function has many check points (loops, calls: each is a fuel
charge that may suspend, with both a short and a long path, and a direct call of a small
function is inlined there).

Measured on this project's machines (x86-64 GCC 12, -O2, host target): one function of
n calls of a tiny function took 2.0 s / 105 MB at n = 1024, 13 s / 415 MB at 4000 and
254 s / 4.0 GB at 16 000 (a 32 KB module); of n small loops 3.9 s at 1000, 12 s at 2000
and more than 10 minutes at 12 500 (a 150 KB module). The largest function of the bench
programs has 53 such sites (coremark), 147 the largest module (picojpeg). A module over
these caps is refused with where and why; it still runs interpreted (packaged without
`wasmote compile`). docs/aot.md, "Limits".
"""

from __future__ import annotations

from wasmote.wasm.errors import ValidationError
from wasmote.wasm.module import Module
from wasmote.wasm.opcodes import NAME_TO_OP

# loops, calls and indirect calls in one function, and in the whole module
MAX_FUNC_SITES = 1024
MAX_MODULE_SITES = 16384

_SITES = frozenset({NAME_TO_OP["loop"], NAME_TO_OP["call"], NAME_TO_OP["call_indirect"]})


class AotSizeError(ValidationError):
    """The module is valid but larger than the AOT compiler takes."""


def check(mod: Module) -> None:
    """Raises AotSizeError (at the function's first site past the cap, or the module's)
    when `mod` has more loops and calls than MAX_FUNC_SITES in a function or
    MAX_MODULE_SITES in all."""
    total = 0
    for j, f in enumerate(mod.funcs):
        n = 0
        for ins in f.instrs:
            if ins.op not in _SITES:
                continue
            n += 1
            total += 1
            if n > MAX_FUNC_SITES:
                raise AotSizeError(
                    f"function {mod.num_imported_funcs + j} has more than {MAX_FUNC_SITES} "
                    "loops and calls, too many to compile ahead of time (the module runs "
                    "interpreted: package it without compiling)", ins.offset, "code")
            if total > MAX_MODULE_SITES:
                raise AotSizeError(
                    f"the module has more than {MAX_MODULE_SITES} loops and calls, too many "
                    "to compile ahead of time (it runs interpreted: package it without "
                    "compiling)", ins.offset, "code")
