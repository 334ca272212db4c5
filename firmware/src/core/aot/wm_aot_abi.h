/* wm_aot_abi.h - the contract between AOT-compiled native code and the runtime (ABI v2).
 *
 * Included by the runtime (core/aot/) and by every C file the host's AOT compiler generates
 * (host_tools/wasmote/aot/), so both sides see one definition. Freestanding: stdint only.
 * Changing anything here that generated code depends on means a new WM_AOT_ABI_VERSION;
 * a device refuses code of another version (docs/aot.md).
 *
 * The code blob is position independent and has no writable data: everything that varies
 * per instance is reached through the wm_aot_ctx the runtime passes to every function.
 */
#ifndef WM_AOT_ABI_H
#define WM_AOT_ABI_H

#include <stdint.h>

#define WM_AOT_ABI_VERSION 2u /* 2: fuel by weights (wm_fuel.h), refuel(c, fl) */

/* Architecture codes of the package's AOT section (docs/module-format.md). */
#define WM_AOT_ARCH_THUMBV7EM 1u    /* Cortex-M4F / M7: Thumb-2, FPv4-SP, hard float */
#define WM_AOT_ARCH_RV32IMAC 2u     /* 32-bit RISC-V, soft float */
#define WM_AOT_ARCH_X86_64 3u       /* posix host, System V ABI */
#define WM_AOT_ARCH_XTENSA 4u       /* ESP32 (Xtensa LX6): compile only, see docs/aot.md */
#define WM_AOT_ARCH_THUMBV7M 5u     /* Cortex-M3 (and FPU-less M4): Thumb-2, soft float */
#define WM_AOT_ARCH_THUMBV8MMAIN 6u /* Cortex-M33: Thumb-2 v8-M Mainline, FPv5-SP */
#define WM_AOT_ARCH_AARCH64 7u      /* posix host on 64-bit Arm, AAPCS64 */
#define WM_AOT_ARCH_XTENSA_LX106 8u /* ESP8266 (Xtensa LX106): call0 ABI, soft float */

/* Trap reasons native code reports; the runtime turns them into the interpreter's exact
 * messages (wm_aot_trap_msg). */
enum {
    WM_AOT_TRAP_UNREACHABLE = 1,
    WM_AOT_TRAP_DIV_ZERO = 2,
    WM_AOT_TRAP_INT_OVERFLOW = 3,
    WM_AOT_TRAP_INVALID_CONV = 4,
    WM_AOT_TRAP_MEM_OOB = 5,
    WM_AOT_TRAP_UNDEF_ELEM = 6,
    WM_AOT_TRAP_UNINIT_ELEM = 7,
    WM_AOT_TRAP_SIG_MISMATCH = 8,
    WM_AOT_TRAP_TABLE_OOB = 9,
    WM_AOT_TRAP_EXHAUSTED = 10,
    WM_AOT_TRAP_MEM_SMALL = 11, /* memory 0 smaller than the code assumes (MEM_MIN) */
    WM_AOT_TRAP_COUNT = 12
};

/* Header of the AOT payload after the package's 8-byte AOT section header (arch, flags,
 * ABI version, reserved). Little-endian u32 fields at these byte offsets: */
#define WM_AOT_MAGIC 0x544f4177u /* "wAOT" */
#define WM_AOT_H_MAGIC 0u
#define WM_AOT_H_SIZE 4u         /* header bytes (the code starts at or after this) */
#define WM_AOT_H_FLAGS 8u        /* WM_AOT_F_* */
#define WM_AOT_H_CTX_SIZE 12u    /* sizeof(wm_aot_ctx) as the compiler saw it */
#define WM_AOT_H_NIMPORTS 16u    /* imported functions of the module */
#define WM_AOT_H_NFUNCS 20u      /* defined functions of the module */
#define WM_AOT_H_FRAME 24u       /* largest native stack frame of the code, bytes */
#define WM_AOT_H_ENTRIES 28u     /* offset of the entry table: NFUNCS u32 code offsets */
#define WM_AOT_H_CODE 32u        /* offset of the code (16-byte aligned) */
#define WM_AOT_H_CODE_SIZE 36u   /* the payload ends right after the code */
#define WM_AOT_H_TYPES 40u       /* offset of NFUNCS u32 type signatures (wm_aot_sig) */
#define WM_AOT_H_ALIGN 44u       /* alignment the code needs in memory (power of two) */
#define WM_AOT_H_MODULE_HASH 48u /* 32 bytes: SHA-256 of the wasm module compiled */
#define WM_AOT_HEADER_BYTES 80u

#define WM_AOT_F_FUEL 1u      /* fuel is charged (check points and bulk work, wm_fuel.h) */
#define WM_AOT_F_NO_BOUNDS 2u /* no software bounds checks: runs only isolated (MPU) */
#define WM_AOT_F_KNOWN 3u     /* flags this runtime understands */

/* Entry table value of a function the runtime never calls (not exported, not in a table,
 * not referenced): it is reached only by direct calls inside the code. */
#define WM_AOT_NO_ENTRY 0xffffffffu

typedef struct wm_aot_ctx wm_aot_ctx;

/* Runtime services; every pointer is set. `io` arrays hold one 64-bit slot per value
 * (i32/f32 zero-extended bits, i64/f64 bits, references as integers): arguments in,
 * results out (sized for the larger of the two). */
typedef struct wm_aot_rt {
    void (*trap)(wm_aot_ctx *c, uint32_t code, uintptr_t fuel); /* never returns */
    /* More fuel for the slice `fl`: fl < 0, a check point owes -fl: returns fl >= 0 (fuel
     * taken from the call's budget; the call suspends while it has none). fl == 0, bulk work
     * wants more: returns the next slice (> 0; after a suspension whatever the resume gave,
     * possibly 0). */
    intptr_t (*refuel)(wm_aot_ctx *c, intptr_t fl);
    void (*call)(wm_aot_ctx *c, uint32_t func, uint64_t *io); /* any function index */
    void (*call_ref)(wm_aot_ctx *c, uintptr_t func, uint32_t type, uint64_t *io);
    uint32_t (*mem_grow)(wm_aot_ctx *c, uint32_t delta);
    void (*mem_init)(wm_aot_ctx *c, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n);
    void (*data_drop)(wm_aot_ctx *c, uint32_t seg);
    void (*table_init)(wm_aot_ctx *c, uint32_t table, uint32_t seg, uint32_t dst, uint32_t src,
                       uint32_t n);
    void (*elem_drop)(wm_aot_ctx *c, uint32_t seg);
    void (*table_copy)(wm_aot_ctx *c, uint32_t dt, uint32_t st, uint32_t dst, uint32_t src,
                       uint32_t n);
    uint32_t (*table_grow)(wm_aot_ctx *c, uint32_t table, uintptr_t init, uint32_t n);
    void (*table_fill)(wm_aot_ctx *c, uint32_t table, uint32_t at, uintptr_t v, uint32_t n);
} wm_aot_rt;

/* A table as native code sees it: elements (function pointers / host words in 64-bit
 * slots) and the current size. Elements never move. */
typedef struct wm_aot_table {
    uint64_t *elems;
    const uint32_t *size;
} wm_aot_table;

/* Per instance. The first two fields are per running call: the runtime sets them whenever
 * it enters or re-enters native code of this instance. */
struct wm_aot_ctx {
    uintptr_t stack_limit;      /* a function that calls traps below this stack pointer */
    uintptr_t fuel;             /* fuel slice (an intptr_t >= 0), synchronised at calls */
    uint8_t *mem;               /* memory 0 (never moves), NULL if none */
    const uint32_t *mem_bytes;  /* accessible bytes of memory 0 */
    const uint32_t *mem_pages;  /* its size in pages (memory.size) */
    uint64_t *const *globals;   /* every global's 64-bit value, by global index */
    const wm_aot_table *tables; /* by table index */
    const void *const *funcs;   /* function objects (funcref values), by function index */
    uintptr_t own_base;         /* address of the first defined function's object */
    uint32_t own_shift;         /* log2 of the size of a function object */
    uint32_t nown;              /* defined functions */
    const wm_aot_rt *rt;
    void *run;  /* runtime: the call being executed */
    void *inst; /* runtime: the wm_instance */
};

/* A function's signature as the type table records it: FNV-1a over the wasm value type
 * bytes of the parameters, ':', and of the results (the compiler computes the same). */
static inline uint32_t wm_aot_sig_hash(const uint8_t *params, uint32_t np, const uint8_t *results,
                                       uint32_t nr)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < np; i++) h = (h ^ params[i]) * 16777619u;
    h = (h ^ 0x3au) * 16777619u;
    for (uint32_t i = 0; i < nr; i++) h = (h ^ results[i]) * 16777619u;
    return h;
}

#endif /* WM_AOT_ABI_H */
