/* wm_internal.h - structures shared by the runtime sources (not part of the public API). */
#ifndef WM_INTERNAL_H
#define WM_INTERNAL_H

#include "wasmote.h"
#include "wm_bytes.h"
#include "wm_fuel.h"
#include "wm_mem.h"
#include "wm_work.h"

#include <limits.h>

#if defined(__GNUC__)
#define WM_LIKELY(x) __builtin_expect(!!(x), 1)
#define WM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define WM_LIKELY(x) (x)
#define WM_UNLIKELY(x) (x)
#endif

#define WM_PAGE 65536u
#define WM_MAX_PAGES 65536u
#define WM_NONE UINT32_MAX /* "no maximum" / "no start function" */
/* The most imports and exports a module may have; the host refuses more before sending
 * (wasmote/wasm/validator.py). Real modules have far fewer (the spec suite: 18 imports,
 * 479 exports; WASI programs ~10 imports, a few exports). The caps bound the loader's
 * tables (an import 36 bytes, 72 KiB at the cap; an export 16, 8 more while its name is
 * checked: 24 KiB) and the export name check, the one loop that does not feed the
 * watchdog as it goes (~1.2 M instructions on the Cortex-M4 at the cap). */
#define WM_MAX_IMPORTS 2048u
#define WM_MAX_EXPORTS 1024u
/* The most parameters, and the most results, of a function type (shared with the host's
 * validator). Validating a call, a block's entry or a function's `end` pops and pushes a
 * type's values, so a hostile module's validation time is its size times this (each value
 * is charged to the install's work meter: the watchdog is fed, the install still takes that
 * long). The spec suite's widest type has 100 parameters and 16 results; compilers pass
 * more than a few values through memory. */
#define WM_MAX_TYPE_VALUES 128u
/* Work units (wm_work.h) each table, global or element segment is charged at load and
 * again at instantiation, on top of its bytes: each is a few bytes and ~110-220 Cortex-M4
 * instructions a step (bench.install_worst: 40 000 tables were 5.4 M + 4.5 M instructions
 * without a kick). */
#define WM_WORK_ITEM_UNITS 8u

/* ---- module ---- */
typedef struct wm_functype {
    uint32_t nparams, nresults;
    const uint8_t *params, *results; /* point into the module bytes (valtypes are 1 byte) */
} wm_functype;

typedef struct wm_tabletype {
    uint8_t elem;
    uint32_t min, max;
} wm_tabletype;
typedef struct wm_memtype {
    uint32_t min, max;
} wm_memtype;
typedef struct wm_globaltype {
    uint8_t type, mut;
    const uint8_t *init;
} wm_globaltype;

typedef struct wm_import {
    const uint8_t *mod, *name;
    uint32_t mod_len, name_len;
    uint8_t kind;
    uint32_t index;    /* index in the function/table/memory/global space */
    union {            /* by kind */
        uint32_t type; /* function: type index */
        wm_tabletype tt;
        wm_memtype mt;
        wm_globaltype gt;
    } d;
} wm_import;

typedef struct wm_export {
    const uint8_t *name;
    uint32_t len;
    uint8_t kind;
    uint32_t index;
} wm_exportdef;

/* One entry per branch site, loop and call, in code order: the interpreter walks the side
 * table in step with the code, so a taken branch finds its target without rescanning, and
 * a loop or call finds the fuel its check point charges (validate.c). A loop's back-edges
 * target its entry. */
typedef struct wm_side {
    int32_t pc;    /* branch: target - branch opcode address; loop, call: fuel (see below) */
    int32_t st;    /* branch: target side entry - this entry; loop: fuel at a back-edge */
    uint16_t keep; /* values carried to the target */
    uint16_t drop; /* values removed below them */
} wm_side;
/* Fuel a loop charges when entered from above (the code since the last check point) and
 * when a branch goes back to it (its body); fuel a call charges (the code since the last
 * check point, the call included). */
#define WM_SIDE_FUEL_IN(s) ((uint32_t)(s)->pc)
#define WM_SIDE_FUEL_BACK(s) ((uint32_t)(s)->st)
#define WM_SIDE_FUEL_CALL(s) ((uint32_t)(s)->pc)

typedef struct wm_funcdef {
    const wm_functype *type;
    const uint8_t *code; /* first instruction */
    const uint8_t *end;  /* one past the final `end` */
    uint32_t nlocals;    /* declared locals (params excluded) */
    uint32_t max_height; /* operand stack high-water mark, in slots */
    uint32_t side;       /* first side entry */
    uint32_t fuel_entry; /* charged at entry: frame and locals */
    uint32_t fuel_ret;   /* charged at a return: the most code since a check point + results */
} wm_funcdef;

enum { WM_SEG_ACTIVE = 0, WM_SEG_PASSIVE = 1, WM_SEG_DECLARATIVE = 2 };

typedef struct wm_elemseg {
    uint8_t mode, elem, exprs; /* exprs: items are const exprs, else function indices */
    uint32_t table;
    const uint8_t *offset; /* const expr */
    const uint8_t *items;
    uint32_t count;
} wm_elemseg;

typedef struct wm_dataseg {
    uint8_t mode;
    const uint8_t *offset;
    const uint8_t *bytes;
    uint32_t len;
} wm_dataseg;

struct wm_module {
    const uint8_t *bytes;
    size_t len;
    uint32_t ntypes, nimports, nfuncs, nfunc_imports, ntables, ntable_imports, nmems, nmem_imports,
        nglobals, nglobal_imports, nexports, nelems, ndatas, nside, start;
    wm_functype *types;
    wm_import *imports;
    const wm_functype **func_types; /* every function, imports first */
    wm_funcdef *funcs;              /* defined functions */
    wm_tabletype *tables;
    wm_memtype *mems;
    wm_globaltype *globals;
    wm_exportdef *exports;
    wm_elemseg *elems;
    wm_dataseg *datas;
    wm_side *side;
    const uint8_t *code; /* code section payload (its function count) */
    size_t ram;
    uint32_t fuel_stretch; /* the largest single fuel charge (wm_module_fuel_stretch) */
    bool has_datacount;
    /* Install-time passes over the module (load, link, the pre-decoded translator) charge
     * their work here (wm_work.h); never touched while the module runs. NULL: none. */
    wm_work *work;
    /* Native code bound by core/aot (wm_aot_attach); NULL = interpreted. */
    const struct wm_native_ops *native;
    const uint8_t *native_code;
#if WM_PREDECODE
    const uint8_t *pd; /* the pre-decoded form (wm_pd.h), NULL: the code runs in place */
    size_t pd_len;
#endif
};

bool wm_is_valtype(uint8_t t);
bool wm_functype_eq(const wm_functype *a, const wm_functype *b);
/* Validation of function bodies and side-table building (validate.c). */
wm_err wm_validate_code(wm_module *m, wm_arena *a, const uint8_t *p, const uint8_t *end,
                        const uint8_t *declared_refs, wm_error *err);

/* ---- reader (LEB128 etc.), used by loader, validator and interpreter ---- */
typedef struct wm_reader {
    const uint8_t *p, *end, *base;
    wm_error *err;
} wm_reader;

wm_err wm_fail(wm_error *err, wm_err code, const uint8_t *base, const uint8_t *at, const char *msg);
/* wm_fail naming the feature beyond 2.0 (or NULL) that the byte at `at` belongs to. */
wm_err wm_fail_beyond(wm_error *err, wm_err code, const uint8_t *base, const uint8_t *at,
                      const char *msg, const char *feature);
/* Which feature beyond WebAssembly 2.0 a refused byte belongs to, by where it was found
 * (features.c; the host's table is wasmote/wasm/features.py); NULL: none, a plain error. */
const char *wm_feature_opcode(uint8_t op);
const char *wm_feature_valtype(uint8_t t);
const char *wm_feature_limits(uint8_t flag);
const char *wm_feature_section(uint8_t id);
const char *wm_feature_extern_kind(uint8_t kind);
const char *wm_feature_type_form(uint8_t form);
const char *wm_feature_const_op(uint8_t op);
#define WM_FEATURE_MULTI_MEMORY "multi-memory"
wm_err wm_rd_u8(wm_reader *r, uint8_t *v);
wm_err wm_rd_u32(wm_reader *r, uint32_t *v);
wm_err wm_rd_s32(wm_reader *r, int32_t *v);
wm_err wm_rd_s33(wm_reader *r, int64_t *v);
wm_err wm_rd_s64(wm_reader *r, int64_t *v);
wm_err wm_rd_bytes(wm_reader *r, uint32_t n, const uint8_t **out);
/* A name (length, UTF-8 bytes), charging its check to `work` (NULL: none). */
wm_err wm_rd_name(wm_reader *r, const uint8_t **name, uint32_t *len, wm_work *work);

/* Fast trusted decoders for validated code. */
/* Unrolled: validated code never has more than 5 bytes for a 32-bit LEB. */
static inline uint32_t wm_fast_u32(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint32_t v = p[0];
    if (WM_LIKELY(v < 0x80)) {
        *pp = p + 1;
        return v;
    }
    v = (v & 0x7f) | ((uint32_t)p[1] << 7);
    if (p[1] < 0x80) {
        *pp = p + 2;
        return v;
    }
    v = (v & 0x3fff) | ((uint32_t)p[2] << 14);
    if (p[2] < 0x80) {
        *pp = p + 3;
        return v;
    }
    v = (v & 0x1fffff) | ((uint32_t)p[3] << 21);
    if (p[3] < 0x80) {
        *pp = p + 4;
        return v;
    }
    v = (v & 0xfffffff) | ((uint32_t)p[4] << 28);
    *pp = p + 5;
    return v;
}
static inline int32_t wm_fast_s32(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint32_t v = p[0];
    /* sign-extend from the last payload bit (arithmetic >> on int32_t, as GCC/clang do) */
    if (WM_LIKELY(v < 0x80)) {
        *pp = p + 1;
        return (int32_t)(v << 25) >> 25;
    }
    /* two bytes (constants 64..8191): p[1] whole, its top bit cleared below if it is set */
    v = (v & 0x7f) | ((uint32_t)p[1] << 7);
    if (p[1] < 0x80) {
        *pp = p + 2;
        return (int32_t)(v << 18) >> 18;
    }
    v = (v & 0x3fff) | ((uint32_t)(p[2] & 0x7f) << 14);
    if (p[2] < 0x80) {
        *pp = p + 3;
        return (int32_t)(v << 11) >> 11;
    }
    v |= (uint32_t)(p[3] & 0x7f) << 21;
    if (p[3] < 0x80) {
        *pp = p + 4;
        return (int32_t)(v << 4) >> 4;
    }
    v |= (uint32_t)p[4] << 28;
    *pp = p + 5;
    return (int32_t)v;
}
static inline int64_t wm_fast_s64(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    uint32_t shift = 0, b = p[0];
    /* one byte (-64..63) is most i64.const (shift counts, masks, small steps) */
    if (WM_LIKELY(b < 0x80)) {
        *pp = p + 1;
        return (int64_t)((uint64_t)b << 57) >> 57;
    }
    do {
        b = *p++;
        if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    *pp = p;
    return (int64_t)v;
}
void wm_skip_memarg(const uint8_t **pp);
/* Validates a constant expression of type `type` (loader.c); marks ref.func targets. */
wm_err wm_check_const(wm_module *m, wm_reader *r, uint8_t type, uint8_t *declared);

/* ---- instances ---- */
struct wm_func {
    const wm_functype *type;
    wm_instance *inst;     /* owning instance (NULL for host functions) */
    const wm_funcdef *def; /* NULL for host functions */
    const wm_host_func *host;
};

struct wm_global {
    uint8_t type, mut;
    uint64_t val;
};
struct wm_table {
    uint8_t elem;
    uint32_t size, max, cap;
    uint64_t *elems;
};
/* pages: logical size (memory.size); bytes: accessible = min(pages * 64 KiB, cap);
 * reserved: bytes owned in the arena (grows in place only while at the arena's top) */
struct wm_memory {
    uint8_t *data;
    uint32_t pages, max_pages, bytes, cap;
    uint64_t reserved;
    wm_arena *arena;
    bool has_max;
};

typedef struct wm_frame {
    const uint8_t *pc; /* NULL marks the bottom of a wm_call: returning there ends the run */
    const wm_side *stp;
    uint64_t *fp;
    const wm_func *func;
} wm_frame;

enum { WM_IDLE = 0, WM_RUNNING = 1, WM_SUSPENDED = 2 };

typedef struct wm_exec {
    uint64_t *stack, *stack_end;
    wm_frame *frames;
    uint32_t max_frames, depth;
    /* registers saved while not running / around host calls */
    const uint8_t *pc;
    const wm_side *stp;
    uint64_t *sp, *fp, tos; /* tos: the cached top operand (see interp.c) */
    const wm_func *func;
    uint64_t *result_base; /* where the outermost call's results land */
    const wm_functype *entry_type;
    uint64_t fuel; /* fuel left to this call (never negative while it runs) */
    /* While suspended: fuel the call owes (> 0: its last check point charged more than it
     * had) or keeps (< 0: it stopped before a check point it will pass again on resume;
     * wm_resume adds the fuel back). While running: fuel a host function charged beyond
     * what was left (wm_charge), repaid at the next check point. */
    int64_t owed;
    uint64_t grow_done;   /* bytes / elements a suspended memory.grow / table.grow filled */
    const wm_func *retry; /* host function to call again on resume (it blocked) */
    uint8_t state;
    /* Set while the outermost call (running or suspended) executes native code. */
    const struct wm_native_ops *native_ops;
    void *native_run;
} wm_exec;

struct wm_instance {
    const wm_module *mod;
    const wm_func **funcs;
    wm_func *own;
    wm_table **tables;
    wm_memory *mem;
    wm_global **globals;
    uint8_t *elem_dropped, *data_dropped;
    wm_exec x;
    const char *trap_msg;
    void *native; /* per-instance state of native code (core/aot), NULL if interpreted */
    /* The wasm call stack of the last trap of a call made on this instance (interp.c). */
    uint32_t ntrace;
    wm_trace_frame trace[WM_TRACE_MAX];
};

struct wm_link_entry {
    wm_link_entry *next;
    const char *module, *name;
    wm_instance *inst; /* a whole registered instance (name NULL) */
    wm_extern ext;
};

/* Native (AOT) execution, provided by core/aot through wm_module.native: the runtime calls
 * it only through these pointers, so it links without core/aot. */
typedef struct wm_native_ops {
    wm_err (*instantiate)(wm_arena *arena, wm_instance *inst, wm_error *err);
    wm_err (*call)(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
                   wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err);
    wm_err (*resume)(wm_instance *inst, uint64_t fuel, wm_val *results, uint32_t nresults,
                     wm_error *err);
    /* NULL, or the granule of a block (value stack, memory reservation) of `bytes` that
     * native code will own: instantiation aligns the block to it and rounds its size up to
     * a multiple of it (an MPU region covers it exactly; core/aot's isolated mode). */
    size_t (*granule)(uint64_t bytes);
} wm_native_ops;

/* True for null and for the functions instance `inst` holds (its own and its imports): the
 * only function references that may enter it from outside. */
bool wm_func_of(const wm_instance *inst, const wm_func *f);

/* Records the call stack at a trap: the trapping function at `pc`, then the callers in the
 * frames above the bottom of the current call (interp.c). */
void wm_trace_record(wm_instance *inst, const wm_func *func, const uint8_t *pc);

/* Runs from the saved registers (entry NULL) or calls `entry` with args at x->sp. */
wm_err wm_run(wm_instance *inst, const wm_func *entry, wm_error *err);
/* What the interpreter's out-of-line bulk operations (interp.c's bulk_op) come back with. */
enum { BULK_DONE, BULK_STOP, BULK_SUSPEND, BULK_TRAP_MEM, BULK_TRAP_TABLE, BULK_ILLEGAL };
#if WM_PREDECODE
/* The in-place interpreter (interp.c); wm_run (interp_pd.c) picks it or the pre-decoded one. */
wm_err wm_run_inplace(wm_instance *inst, const wm_func *entry, wm_error *err);
/* interp.c's bulk_op for the pre-decoded interpreter: the 0xFC operation `sub` with its
 * immediates at x->pc (in the module's code), operands as interp.c keeps them (x->tos the
 * top, x->sp[-1], x->sp[-2] below). */
int wm_bulk_op(wm_exec *x, wm_instance *ci, uint32_t sub);
#endif
/* Evaluates a validated constant expression. */
uint64_t wm_eval_const(const wm_instance *inst, const uint8_t **expr);
void wm_slot_to_val(uint8_t type, uint64_t s, wm_val *v);
uint64_t wm_val_to_slot(const wm_val *v);
/* table.init, and an active segment at instantiation: walks the segment from its start.
 * `work`: the install's meter at instantiation, NULL when a module's code runs it. */
wm_err wm_table_init_op(wm_instance *inst, wm_table *t, uint32_t seg, uint32_t dst, uint32_t src,
                        uint32_t n, wm_work *work);
int32_t wm_memory_grow(wm_memory *m, uint32_t delta);
/* memory.grow that zeroes at most `max` of the new bytes per call (*done: how many this
 * time): WM_GROW_MORE until they are all zeroed (*zeroed keeps count between calls; 0 when
 * it returns anything else), then the old size in pages or -1, as wm_memory_grow. */
#define WM_GROW_MORE (-2)
int32_t wm_memory_grow_part(wm_memory *m, uint32_t delta, uint64_t *zeroed, uint64_t max,
                            uint64_t *done);
/* The same for table.grow: at most `max` of the new elements set per call. */
int32_t wm_table_grow_part(wm_table *t, uint32_t delta, uint64_t init, uint64_t *set, uint64_t max,
                           uint64_t *done);
int32_t wm_table_grow(wm_table *t, uint32_t delta, uint64_t init);
wm_err wm_trap_err(wm_error *err, wm_err code, const char *msg);

/* ---- floats (float.c): raw-bit helpers, bit-exact with the spec ---- */
uint32_t wm_f32_min(uint32_t a, uint32_t b);
uint32_t wm_f32_max(uint32_t a, uint32_t b);
uint64_t wm_f64_min(uint64_t a, uint64_t b);
uint64_t wm_f64_max(uint64_t a, uint64_t b);
uint32_t wm_f32_round(uint32_t a, int mode); /* 0 ceil 1 floor 2 trunc 3 nearest */
uint64_t wm_f64_round(uint64_t a, int mode);
uint32_t wm_f32_sqrt(uint32_t a);
uint64_t wm_f64_sqrt(uint64_t a);
/* Trapping conversions: return false when the value is NaN (*nan set) or out of range. */
bool wm_trunc_f64_i32(uint64_t a, bool sign, uint32_t *out, bool *nan);
bool wm_trunc_f64_i64(uint64_t a, bool sign, uint64_t *out, bool *nan);
uint32_t wm_trunc_sat_f64_i32(uint64_t a, bool sign);
uint64_t wm_trunc_sat_f64_i64(uint64_t a, bool sign);

static inline float wm_f32(uint32_t b)
{
    union {
        uint32_t u;
        float f;
    } c;
    c.u = b;
    return c.f;
}
static inline double wm_f64(uint64_t b)
{
    union {
        uint64_t u;
        double f;
    } c;
    c.u = b;
    return c.f;
}
static inline uint32_t wm_f32b(float f)
{
    union {
        uint32_t u;
        float f;
    } c;
    c.f = f;
    return c.u;
}
static inline uint64_t wm_f64b(double f)
{
    union {
        uint64_t u;
        double f;
    } c;
    c.f = f;
    return c.u;
}

#endif
