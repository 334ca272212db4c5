/* features.c - which feature beyond WebAssembly 2.0 a refused byte belongs to.
 *
 * The runtime runs WebAssembly 2.0 without SIMD. A module built with a later feature fails
 * to decode or validate at the first byte that uses it, with the spec's message ("illegal
 * opcode"), which says what broke, not why; wm_error.feature names the feature, and the
 * sandbox's refusal appends it, so a device's refusal says which toolchain flag to turn
 * off as the host tools' does. The same table as host_tools/wasmote/wasm/features.py
 * (tests/wasm/test_wasm_features.py holds the device's refusals against the host's). */
#include "wm_internal.h"

#define SIMD "SIMD"
#define EH "exception handling"
#define TYPED "typed function references"

const char *wm_feature_opcode(uint8_t op)
{
    switch (op) {
    case 0xFD: return SIMD;
    case 0xFE: return "threads (atomics)";
    case 0xFB: return "GC";
    case 0x12:
    case 0x13:
    case 0x15: return "tail calls";
    case 0x06:
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0A:
    case 0x18:
    case 0x19:
    case 0x1F: return EH;
    case 0x14:
    case 0xD3:
    case 0xD4:
    case 0xD5:
    case 0xD6: return TYPED;
    default: return NULL;
    }
}

const char *wm_feature_valtype(uint8_t t)
{
    switch (t) {
    case 0x7B: return SIMD " (v128)";
    case 0x69:
    case 0x74: return EH " (exnref)";
    case 0x64:
    case 0x63: return TYPED;
    /* GC's abstract reference types (binaryen emits anyref with reference types enabled) */
    case 0x6E:
    case 0x6D:
    case 0x6C:
    case 0x6B:
    case 0x6A:
    case 0x71:
    case 0x72:
    case 0x73: return "GC (reference types)";
    default: return NULL;
    }
}

/* A limits flag: bit 0 says a maximum follows, 1 shared, 2 64-bit, 3 a page size. */
const char *wm_feature_limits(uint8_t flag)
{
    if (flag >= 8 && flag <= 15) return "custom page sizes";
    if (flag >= 4 && flag <= 7) return "memory64";
    if (flag == 2 || flag == 3) return "threads (shared memory)";
    return NULL;
}

const char *wm_feature_section(uint8_t id) { return id == 13 ? EH " (tag section)" : NULL; }

/* An import's or export's kind (Emscripten's -fwasm-exceptions imports env.__cpp_exception). */
const char *wm_feature_extern_kind(uint8_t kind) { return kind == 4 ? EH " (tags)" : NULL; }

/* A type section entry's form (0x60 is a function type). */
const char *wm_feature_type_form(uint8_t form)
{
    switch (form) {
    case 0x5F: return "GC (struct types)";
    case 0x5E: return "GC (array types)";
    case 0x50:
    case 0x4F: return "GC (subtypes)";
    case 0x4E: return "GC (recursive types)";
    default: return NULL;
    }
}

/* An operator a constant expression may use with extended constants: i32/i64 add, sub,
 * mul. */
const char *wm_feature_const_op(uint8_t op)
{
    return (op >= 0x6A && op <= 0x6C) || (op >= 0x7C && op <= 0x7E)
               ? "extended constant expressions"
               : NULL;
}
