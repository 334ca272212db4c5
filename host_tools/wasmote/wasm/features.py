"""Names of the WebAssembly features beyond 2.0 for refusal messages.

wasmote runs WebAssembly 2.0. A module built with a feature after it (SIMD, threads, tail
calls, exception handling, multi-memory, memory64, extended constants, typed references,
GC) fails to decode or validate at the first byte that uses it; the spec's message for
that ("illegal opcode", "malformed value type", ...) says what broke, not why. The reader
and the validator append the feature's name (the spec tests compare only the start of a
message), so a user knows which toolchain flag to turn off. The device's runtime has the
same table (firmware/src/core/runtime/features.c), so a package that bypassed these checks
is refused on the device naming the same feature at the same offset.
"""

from __future__ import annotations

# first byte of an instruction
_OPCODES: dict[int, str] = {
    0xFD: "SIMD", 0xFE: "threads (atomics)", 0xFB: "GC",
    0x12: "tail calls", 0x13: "tail calls", 0x15: "tail calls",
    0x06: "exception handling", 0x07: "exception handling", 0x08: "exception handling",
    0x09: "exception handling", 0x0A: "exception handling", 0x18: "exception handling",
    0x19: "exception handling", 0x1F: "exception handling",
    0x14: "typed function references", 0xD3: "typed function references",
    0xD4: "typed function references", 0xD5: "typed function references",
    0xD6: "typed function references",
}
# a value type's byte
_VALTYPES: dict[int, str] = {
    0x7B: "SIMD (v128)", 0x69: "exception handling (exnref)",
    0x74: "exception handling (exnref)",
    0x64: "typed function references", 0x63: "typed function references",
    # GC's abstract reference types (binaryen emits anyref with reference types enabled)
    **dict.fromkeys((0x6E, 0x6D, 0x6C, 0x6B, 0x6A, 0x71, 0x72, 0x73), "GC (reference types)"),
}
_SECTIONS = {13: "exception handling (tag section)"}
# an import's or export's kind (Emscripten's -fwasm-exceptions imports env.__cpp_exception)
_EXTERN_KINDS = {4: "exception handling (tags)"}
# a type section entry's form (0x60 is a function type)
_TYPE_FORMS = {0x5F: "GC (struct types)", 0x5E: "GC (array types)", 0x50: "GC (subtypes)",
               0x4F: "GC (subtypes)", 0x4E: "GC (recursive types)"}
# a memory's limits flag: bit 0 a maximum follows, 1 shared, 2 64-bit, 3 a page size
_LIMIT_FLAGS = {2: "threads (shared memory)", 3: "threads (shared memory)",
                4: "memory64", 5: "memory64", 6: "memory64", 7: "memory64",
                **dict.fromkeys(range(8, 16), "custom page sizes")}
# operators a constant expression may use with extended constants
_EXTENDED_CONST = frozenset({0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E})


def _note(feature: str | None) -> str:
    return (f" ({feature}: a feature beyond WebAssembly 2.0, which wasmote does not run)"
            if feature else "")


def opcode(op: int) -> str:
    return _note(_OPCODES.get(op))


def valtype(t: int) -> str:
    return _note(_VALTYPES.get(t))


def section(sec_id: int) -> str:
    return _note(_SECTIONS.get(sec_id))


def extern_kind(kind: int) -> str:
    return _note(_EXTERN_KINDS.get(kind))


def type_form(form: int) -> str:
    return _note(_TYPE_FORMS.get(form))


def limits_flag(flag: int) -> str:
    return _note(_LIMIT_FLAGS.get(flag))


def const_op(op: int) -> str:
    return _note("extended constant expressions" if op in _EXTENDED_CONST else None)


MULTI_MEMORY = _note("multi-memory")
