/* wasmote.h - public API of the wasmote runtime core (C99, freestanding).
 *
 * Memory: nothing here calls malloc. Every object (module, instance, linear memory, stacks)
 * is bump-allocated from a wm_arena the caller hands in. Releasing = resetting the arena to a
 * mark taken before (wm_arena_mark / wm_arena_release).
 *
 * Code is executed in place: wm_load keeps a pointer into the byte buffer (RAM or
 * memory-mapped flash), which must stay valid and unchanged while the module or any of its
 * instances is in use. See docs/memory-model.md for RAM costs.
 *
 * Errors: every fallible function returns a wm_err; when an `err` out-parameter is given
 * (it may be NULL) it receives the code, a byte offset into the module (loading/validation)
 * and a static message using the spec's wording.
 */
#ifndef WASMOTE_H
#define WASMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------------------------- */

typedef enum wm_err {
    WM_OK = 0,
    WM_ERR_MALFORMED = 1,   /* binary cannot be decoded ("unexpected end", ...) */
    WM_ERR_INVALID = 2,     /* decodes but fails validation ("type mismatch", ...) */
    WM_ERR_NO_MEMORY = 3,   /* arena exhausted */
    WM_ERR_UNLINKABLE = 4,  /* import missing or incompatible ("unknown import", ...) */
    WM_ERR_TRAP = 5,        /* runtime trap; message says which */
    WM_ERR_EXHAUSTION = 6,  /* "call stack exhausted" (value stack or call depth limit) */
    WM_ERR_OUT_OF_FUEL = 7, /* not a trap: instance suspended, continue with wm_resume */
    WM_ERR_NOT_FOUND = 8,   /* no export of that name / kind */
    WM_ERR_ARGS = 9,        /* wrong argument count or types for a call */
    WM_ERR_STATE = 10,      /* e.g. wm_call on a suspended instance, wm_resume on idle */
    WM_ERR_LIMIT = 11,      /* a runtime limit of this build / instance is exceeded */
    WM_ERR_BLOCKED = 12     /* not a trap: a host function blocked (see wm_host_fn); the
                               instance is suspended, wm_resume calls that function again */
} wm_err;

typedef struct wm_error {
    wm_err code;
    uint32_t offset; /* byte offset in the module binary (load/validate), else 0 */
    const char *msg; /* static string, never NULL when code != WM_OK */
    /* A load refusal at a byte a feature beyond WebAssembly 2.0 uses (SIMD, tail calls,
     * ...): that feature's static name, so a report can say which toolchain flag to turn
     * off (msg keeps the spec's wording); NULL otherwise. */
    const char *feature;
} wm_error;

/* What a report puts after wm_error.feature, in parentheses after msg:
 * "illegal opcode (SIMD: a feature beyond WebAssembly 2.0)". */
#define WM_FEATURE_BEYOND ": a feature beyond WebAssembly 2.0"

/* Static name of an error code, e.g. "trap". */
const char *wm_err_name(wm_err code);

/* ---- arena ------------------------------------------------------------------------------ */

typedef struct wm_arena {
    uint8_t *base;
    size_t size;
    size_t used;
} wm_arena;

void wm_arena_init(wm_arena *a, void *mem, size_t size);
/* Returns NULL when the arena is full. `align` must be a power of two. Memory is NOT zeroed. */
void *wm_arena_alloc(wm_arena *a, size_t size, size_t align);
size_t wm_arena_mark(const wm_arena *a);
void wm_arena_release(wm_arena *a, size_t mark);

/* ---- values ----------------------------------------------------------------------------- */

/* Value type codes are the wasm binary encodings. */
typedef enum wm_valtype {
    WM_I32 = 0x7F,
    WM_I64 = 0x7E,
    WM_F32 = 0x7D,
    WM_F64 = 0x7C,
    WM_FUNCREF = 0x70,
    WM_EXTERNREF = 0x6F
} wm_valtype;

typedef struct wm_func wm_func;         /* a function: (instance, index) or a host function */
typedef struct wm_module wm_module;     /* a loaded, validated module (read-only) */
typedef struct wm_instance wm_instance; /* an instantiated module */
typedef struct wm_memory wm_memory;     /* a linear memory (may be shared by instances) */
typedef struct wm_table wm_table;       /* a table (may be shared by instances) */
typedef struct wm_global wm_global;     /* a global (may be shared by instances) */

/* A value. Floats are kept as raw IEEE bits so that they pass through bit-exactly.
 * funcref: NULL is ref.null. externref: an opaque host word; 0 is ref.null (a host that
 * needs handle 0 must offset its handles). */
typedef struct wm_val {
    uint8_t type; /* wm_valtype */
    union {
        uint32_t i32;
        uint64_t i64;
        uint32_t f32; /* bits */
        uint64_t f64; /* bits */
        const wm_func *func;
        uintptr_t ext;
    } of;
} wm_val;

/* ---- loading ---------------------------------------------------------------------------- */

/* Decodes and fully validates a module. `bytes` must outlive the module (executed in place).
 * On failure nothing of the module remains usable (release the arena to a mark to reclaim). */
wm_err wm_load(wm_arena *arena, const uint8_t *bytes, size_t len, wm_module **out, wm_error *err);
/* wm_load, charging its work to `work` (core/base/wm_work.h, NULL: none): an install's
 * owner feeds the watchdog from it at bounded intervals while a large module validates. The
 * module keeps it for later install-time passes over it (link, the pre-decoded form). */
struct wm_work;
wm_err wm_load_metered(wm_arena *arena, const uint8_t *bytes, size_t len, struct wm_work *work,
                       wm_module **out, wm_error *err);

/* RAM the loaded module occupies in its arena (section tables + side table), in bytes. */
size_t wm_module_ram(const wm_module *mod);
/* The largest single fuel charge of the module's code (at most WM_FUEL_REGION_MAX,
 * 10000): a call runs at most this far past its fuel before it suspends (it then owes
 * the rest). A scheduler that gives slices of G - stretch fuel bounds every slice to G
 * units of work (docs/supervisor.md, "Fuel"). */
uint32_t wm_module_fuel_stretch(const wm_module *mod);
/* Function type `idx` of a loaded module: its parameter and result value types (one byte
 * each, WebAssembly's encoding, in the module's bytes). false if the module has no type
 * `idx`. Constant time: a linker reads an import's type without rescanning the section. */
bool wm_module_functype(const wm_module *mod, uint32_t idx, const uint8_t **params,
                        uint32_t *nparams, const uint8_t **results, uint32_t *nresults);

/* ---- externals (imports / exports) ------------------------------------------------------- */

typedef enum wm_extern_kind {
    WM_EXTERN_FUNC = 0,
    WM_EXTERN_TABLE = 1,
    WM_EXTERN_MEMORY = 2,
    WM_EXTERN_GLOBAL = 3
} wm_extern_kind;

typedef struct wm_extern {
    uint8_t kind; /* wm_extern_kind */
    union {
        const wm_func *func;
        wm_table *table;
        wm_memory *memory;
        wm_global *global;
    } of;
} wm_extern;

/* ---- host functions ------------------------------------------------------------------------
 * Signature strings: one letter per param, ':' then one letter per result.
 * i = i32, I = i64, f = f32, F = f64, r = funcref, e = externref.
 * Examples: "ii:i" (i32,i32)->i32, ":" ()->(), "F:" (f64)->().
 * The callback returns WM_OK, or an error (usually via wm_trap) that becomes a trap of the
 * calling wasm code. It may call wm_mem_ptr to reach the caller's memory and may call other
 * instances' exports (re-entrancy is supported).
 * Blocking: returning WM_ERR_BLOCKED suspends the caller *before* the call (its arguments
 * stay on the wasm stack, results are ignored); wm_call/wm_resume return WM_ERR_BLOCKED and
 * the next wm_resume makes the same call again. A scheduler uses this for sleep and
 * receive: the function records what it waits for, blocks, and completes on the retry.
 * (A nested call - wasm called from a host function - cannot stay blocked: it is dropped
 * and its caller sees WM_ERR_BLOCKED as an error.) */
typedef wm_err (*wm_host_fn)(wm_instance *inst, void *user, const wm_val *args, wm_val *results);

typedef struct wm_host_func {
    const char *module;
    const char *name;
    const char *sig;
    wm_host_fn fn;
    void *user;
} wm_host_func;

/* Makes a function object for a host function (the wm_host_func must outlive it). */
wm_err wm_host_func_new(wm_arena *arena, const wm_host_func *hf, const wm_func **out);

/* Host-made tables/memories/globals, e.g. for the spec tests' `spectest` module.
 * max = UINT32_MAX means "no maximum". */
wm_err wm_global_new(wm_arena *arena, wm_val init, bool mutable_, wm_global **out);
wm_err wm_table_new(wm_arena *arena, uint8_t elem_type, uint32_t min, uint32_t max, wm_table **out);
/* cap_bytes: byte budget of the memory (see wm_limits.mem_cap_bytes). */
wm_err wm_memory_new(wm_arena *arena, uint32_t min_pages, uint32_t max_pages, uint32_t cap_bytes,
                     wm_memory **out);

/* A linker: named externals that imports resolve against. Entries are arena-allocated
 * nodes; names are not copied (must outlive the linker). Later entries shadow earlier ones. */
typedef struct wm_link_entry wm_link_entry;
typedef struct wm_linker {
    wm_arena *arena;
    wm_link_entry *head;
} wm_linker;

void wm_linker_init(wm_linker *l, wm_arena *arena);
wm_err wm_linker_add(wm_linker *l, const char *module, const char *name, wm_extern ext);
wm_err wm_linker_add_host(wm_linker *l, const wm_host_func *hf);
/* Registers all exports of `inst` under module name `as` (the spec's `register`). */
wm_err wm_linker_add_instance(wm_linker *l, const char *as, wm_instance *inst);

/* ---- instances -------------------------------------------------------------------------- */

typedef struct wm_limits {
    uint32_t stack_slots;   /* value-stack slots (64-bit each), locals included */
    uint32_t call_depth;    /* maximum nested wasm calls */
    uint32_t mem_cap_bytes; /* byte budget for a memory the module defines; may be below
                               one 64 KiB page (see docs/memory-model.md) */
    uint32_t table_cap;     /* elements reserved for a table the module defines when its
                               maximum is larger (table.grow beyond returns -1) */
    uint32_t mem_reserve;   /* bytes reserved beyond the initial size of a memory the module
                               defines, for memory.grow (never above cap or the declared max;
                               growth past it works only while the memory is the arena's
                               last allocation) */
    uint64_t start_fuel;    /* fuel for the start function; running out fails instantiation
                               with WM_ERR_OUT_OF_FUEL (a hostile start cannot hang a device) */
} wm_limits;

/* Defaults: 16384 slots, 1024 frames, 64 MiB memory cap, 1024 table elements,
 * 1 MiB memory reserve, unlimited start fuel. */
void wm_limits_default(wm_limits *l);

/* Resolves imports through `linker` (may be NULL when there are none), allocates memory,
 * tables, globals and stacks, applies segments and runs the start function. A trap there
 * returns WM_ERR_TRAP (the spec's assert_uninstantiable); with wasm 2.0 semantics writes done
 * by earlier segments stay visible in shared memories/tables. */
wm_err wm_instantiate(wm_arena *arena, const wm_module *mod, const wm_linker *linker,
                      const wm_limits *limits, wm_instance **out, wm_error *err);

/* ---- exports and introspection ------------------------------------------------------------ */

wm_err wm_export(const wm_instance *inst, const char *name, wm_extern *out);
/* Same with an explicit length: export names may contain NUL bytes. */
wm_err wm_export_n(const wm_instance *inst, const char *name, size_t len, wm_extern *out);
/* Number of exports and their names/values by index (for registering / listing). */
uint32_t wm_export_count(const wm_instance *inst);
wm_err wm_export_at(const wm_instance *inst, uint32_t i, const char **name, uint32_t *name_len,
                    wm_extern *out);

/* Signature of a function: types are wm_valtype codes. */
void wm_func_sig(const wm_func *f, uint32_t *nparams, const uint8_t **params, uint32_t *nresults,
                 const uint8_t **results);

wm_val wm_global_value(const wm_global *g);
/* Looks up an exported global by name (the spec's `get` action). */
wm_err wm_global_get(const wm_instance *inst, const char *name, wm_val *out);

/* Memory 0 of an instance (NULL when it has none), size in pages and accessible bytes. */
wm_memory *wm_instance_memory(const wm_instance *inst);
uint32_t wm_memory_pages(const wm_memory *m);
uint32_t wm_memory_bytes(const wm_memory *m);
uint8_t *wm_memory_data(wm_memory *m);
uint32_t wm_table_size(const wm_table *t);

/* Bounds-checked pointer into the instance's memory 0: NULL unless [addr, addr+len) is
 * accessible. Valid until the next call back into wasm (memory.grow never moves memory in
 * this runtime, but a host should not rely on that). */
uint8_t *wm_mem_ptr(wm_instance *inst, uint32_t addr, uint32_t len);

/* For host callbacks: `return wm_trap(inst, "my reason");` traps the caller with that
 * static message. */
wm_err wm_trap(wm_instance *inst, const char *msg);

/* ---- where a trap happened --------------------------------------------------------------- */

#define WM_TRACE_MAX 8u

/* One wasm frame: the function index (imports included) and the byte offset, from the start
 * of the code section's payload (as DWARF line tables count), of a byte inside the
 * instruction that trapped or made the call. */
typedef struct wm_trace_frame {
    uint32_t func;
    uint32_t offset;
} wm_trace_frame;

/* The wasm call stack of the last trap (or call stack exhaustion) of a call made on `inst`,
 * innermost frame first, at most WM_TRACE_MAX frames. 0 when nothing was recorded: no trap
 * since the last call, or the trap happened in native (AOT) code, which keeps no frames. */
uint32_t wm_trap_trace(const wm_instance *inst, const wm_trace_frame **frames);

/* ---- calling ------------------------------------------------------------------------------ */

#define WM_FUEL_UNLIMITED UINT64_MAX
/* The most any one fuel charge of a module may be: the code between two check points, a
 * function's entry (its locals), table.init's walk of a passive segment. A module with more
 * is refused (WM_ERR_LIMIT). Charges come after the work (bulk work excepted), so a call runs
 * at most one such stretch past its fuel (wm_module_fuel_stretch: the largest of a module).
 * Real code needs up to ~9300 (Embench's nsichneu; docs/supervisor.md, "Fuel"). */
#define WM_FUEL_REGION_MAX 10000u
/* What a call of a host function costs the caller, charged when it is made (native code
 * isolated by the MPU makes a trip through its gate); the host function charges its own
 * work on top (wm_charge). */
#define WM_FUEL_HOST 80u

/* Calls a function with typed args. Results are written only on WM_OK. `fuel` bounds the
 * work: about one unit per simple instruction, charged at check points (a function's entry,
 * a loop, a call, a return) for the worst path since the previous one, bulk memory/table
 * operations by their size before they run (docs/supervisor.md, "Fuel"). On
 * WM_ERR_OUT_OF_FUEL the instance is suspended at a clean point and wm_resume continues
 * it; a call runs at most one stretch of code between check points (at most
 * WM_FUEL_REGION_MAX units) past its fuel, which the next wm_resume repays first. Any other
 * error (trap) leaves the instance idle and usable. `err` (may be NULL) receives the trap
 * message. */
wm_err wm_call(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
               wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err);
/* Same, looked up by export name. */
wm_err wm_call_export(wm_instance *inst, const char *name, const wm_val *args, uint32_t nargs,
                      wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err);
/* Continues a suspended call with more fuel; results as for wm_call. Fuel the call still
 * owes is taken first: with too little, it returns WM_ERR_OUT_OF_FUEL at once. */
wm_err wm_resume(wm_instance *inst, uint64_t fuel, wm_val *results, uint32_t nresults,
                 wm_error *err);
/* True while a call of this instance is suspended (out of fuel, yielded or blocked). */
bool wm_suspended(const wm_instance *inst);
/* Drops a suspended call (instance becomes idle). */
void wm_abort(wm_instance *inst);
/* Makes a running call suspend at its next fuel check point as if its fuel ran out: for a
 * host function or an interrupt handler that wants the scheduler to take over soon. The
 * call returns WM_ERR_OUT_OF_FUEL. */
void wm_yield(wm_instance *inst);
/* Charges `units` of fuel to the running call of `inst` for work a host function does (or
 * did) for it, e.g. bytes written or flash erased (interpreted and native code alike). With
 * too little left the call owes the rest: it suspends at its next check point and the
 * next wm_resume repays the debt first (no caller needs to carry it). Returns the units the
 * fuel left did not cover (now owed), for statistics. */
uint64_t wm_charge(wm_instance *inst, uint64_t units);
/* Fuel left after the last wm_call/wm_resume returned. */
uint64_t wm_fuel_left(const wm_instance *inst);

#ifdef __cplusplus
}
#endif

#endif /* WASMOTE_H */
