/* aot_internal.h - state of native execution shared by the core/aot sources.
 *
 * Execution model (docs/aot.md): a wm_call of native code runs it on its own stack - a
 * coroutine carved from the calling instance's stack region (the interpreter's value stack;
 * unused while native code runs). The runtime switches into it (the aot/arch/ assembly) and the
 * native side switches back when it is done, traps, runs out of fuel, or needs the runtime
 * to call a host function (which then runs on the caller's stack, exactly as from the
 * interpreter). A trap simply abandons the coroutine; a suspension keeps it parked until
 * wm_resume switches back in.
 */
#ifndef WM_AOT_INTERNAL_H
#define WM_AOT_INTERNAL_H

#include "aot.h"
#include "wm_internal.h"

#if WM_AOT_ARCH_SELF != 0
/* aot/arch/switch_<arch>.S */
/* Saves the callee-saved registers on the current stack, stores the stack pointer in
 * *save, continues on the stack `to` (as left by an earlier switch or wm_aot_stack_init). */
void wm_aot_switch(void **save, void *to);
/* Prepares a fresh stack ending at `top` so that switching to the result calls
 * wm_aot_coro_main(arg). */
void *wm_aot_stack_init(void *top, void *arg);
#endif
/* First (and only) C function of a coroutine; never returns. */
void wm_aot_coro_main(void *run);

/* What the native side asks the runtime for, in wm_aot_run.status. */
enum {
    WM_AOT_RUNNING = 0, /* inside native code */
    WM_AOT_DONE = 1,    /* the entry function returned */
    WM_AOT_TRAP = 2,    /* trap_code / trap_msg */
    WM_AOT_SUSPEND = 3, /* out of fuel at a check point: parked, resumable */
    WM_AOT_CALL = 4     /* call req_func (host or interpreted) with req_io: parked */
};

typedef void (*wm_aot_entry)(wm_aot_ctx *ctx, uint64_t *io);

/* ---- isolated execution (aot_iso.c; the arch parts in aot/arch/iso_*) ----
 * Services native code asks the runtime for: the index of the wm_aot_rt member it called
 * (the gate passes it), and DONE when the entry function returned. */
enum {
    WM_AOT_SVC_TRAP = 0,
    WM_AOT_SVC_REFUEL,
    WM_AOT_SVC_CALL,
    WM_AOT_SVC_CALL_REF,
    WM_AOT_SVC_MEM_GROW,
    WM_AOT_SVC_MEM_INIT,
    WM_AOT_SVC_DATA_DROP,
    WM_AOT_SVC_TABLE_INIT,
    WM_AOT_SVC_ELEM_DROP,
    WM_AOT_SVC_TABLE_COPY,
    WM_AOT_SVC_TABLE_GROW,
    WM_AOT_SVC_TABLE_FILL,
    WM_AOT_SVC_DONE,
    WM_AOT_SVC_COUNT
};

/* What the native side of an isolated run left in the arch's state when it came back. */
enum { WM_AOT_ISO_SERVICE = 1, WM_AOT_ISO_FAULT = 2, WM_AOT_ISO_BAD_SVC = 3, WM_AOT_ISO_STUCK = 4 };

#if WM_AOT_ISO_PMSA != 0 && defined(__arm__)
/* Native registers while parked, and how the handlers left things (aot/arch/iso_thumb.S
 * reads and writes these offsets). */
typedef struct wm_aot_iso_cpu {
    uint32_t psp;       /* +0  native stack pointer (its exception frame) while parked */
    uint32_t exc;       /* +4  EXC_RETURN back into native code */
    uint32_t rt_msp;    /* +8  runtime's main stack pointer while native code runs */
    uint32_t status;    /* +12 WM_AOT_ISO_* */
    uint32_t ipsr;      /* +16 exception number of a fault */
    uint32_t cfsr;      /* +20 its fault status */
    uint32_t mmfar;     /* +24 */
    uint32_t bfar;      /* +28 */
    uint32_t r4_r11[8]; /* +32 */
#if defined(__ARM_FP)
    uint32_t s16_s31[16]; /* +64 */
#endif
    uint32_t ticks; /* ticks since it last left the runtime (wm_aot_iso_tick) */
} wm_aot_iso_cpu;
#else
/* The simulation (WM_AOT_ISO_SIM) and builds without isolation. */
typedef struct wm_aot_iso_cpu {
    uint32_t status;
    uint32_t svc;
    uint64_t a[5];
    uintptr_t ret;
} wm_aot_iso_cpu;
#endif

/* One call of native code from the runtime (wm_call). The outermost call's record lives at
 * the top of the instance's stack region (so it survives a suspension); a nested call's
 * on the C stack of the nested wm_call. */
typedef struct wm_aot_run {
    void *rt_sp;           /* runtime's stack pointer while native code runs */
    void *co_sp;           /* native stack pointer while parked */
    uintptr_t lo, hi;      /* the coroutine's stack: [lo, hi) */
    uint64_t *reserve;     /* fuel not in a slice: the calling instance's x.fuel */
    wm_instance *inst;     /* the calling instance (its x holds the call's state) */
    wm_aot_ctx *entry_ctx; /* ctx of the entry function */
    wm_aot_entry entry;
    uint64_t *io;            /* arguments in, results out */
    wm_aot_ctx *park_ctx;    /* ctx of the native code that parked (suspend/call) */
    uintptr_t slice;         /* fuel slice when the run ended (done/trap) */
    const wm_func *req_func; /* WM_AOT_CALL */
    uint64_t *req_io;
    const char *trap_msg;
    wm_err trap_err;
    uint8_t status;
    uint8_t nested;
    /* isolated runs */
    uint8_t iso;
    uint8_t pending;       /* a service request waits to be (re)served */
    uint8_t refuel_waited; /* REFUEL for bulk work (fl 0): it suspended once already */
    uint32_t svc;          /* WM_AOT_SVC_* of the request */
    uint64_t a[5];         /* its arguments (after the context) */
    uintptr_t fuel_cap;    /* the most fuel the native side can legitimately hold */
    uintptr_t stack_top;   /* end of the stack block (io of the outermost call below) */
    wm_aot_iso_cpu cpu;
#if defined(__SANITIZE_ADDRESS__)
    void *asan_rt_fake;
    const void *asan_rt_bottom;
    size_t asan_rt_size;
#endif
} wm_aot_run;

/* MPU regions of one isolated instance, as the arch programs them (PMSAv7: RBAR/RASR
 * pairs; PMSAv8: RBAR/RLAR pairs). */
#define WM_AOT_ISO_REGIONS 8u
typedef struct wm_aot_iso_map {
    uint32_t n;
    uint32_t r[WM_AOT_ISO_REGIONS][2];
} wm_aot_iso_map;

/* A block native code may touch: [base, base + size), covered by at most `regions` regions
 * that never reach outside [lo, hi). */
enum { WM_AOT_ISO_CODE = 0, WM_AOT_ISO_DATA = 1 };
typedef struct wm_aot_iso_block {
    uintptr_t base, size, lo, hi;
    uint8_t kind;
    uint8_t regions;
} wm_aot_iso_block;

/* Per isolated instance: what native code sees lives in the user block (module-writable);
 * everything here is the runtime's. */
typedef struct wm_aot_iso_inst {
    wm_aot_ctx *uctx;    /* the context native code gets (in the user block) */
    uint32_t *umem;      /* [0] accessible bytes, [1] pages of memory 0 */
    wm_aot_table *utabs; /* tables as native code sees them */
    uint32_t *utsize;    /* their sizes */
    uint64_t *ugval;     /* every global's value */
    uint8_t *ublock;
    uintptr_t ublock_size;
    uintptr_t stack_lo, stack_hi; /* the stack block (value stack = native stack) */
    uint32_t map_bytes;           /* memory size the map covers */
    uint8_t map_ok;
    wm_aot_iso_map map;
    wm_aot_run top; /* the outermost call's record: never in module memory */
    char msg[96];   /* a fault's trap message */
} wm_aot_iso_inst;

/* Per instance (wm_instance.native). */
typedef struct wm_aot_inst {
    wm_aot_ctx ctx;
    const uint8_t *code;  /* the payload (header first) */
    uint32_t frame;       /* largest native frame of this code */
    wm_aot_iso_inst *iso; /* isolated instances only */
} wm_aot_inst;

/* Header fields of attached code. */
static inline uint32_t wm_aot_u32(const uint8_t *code, uint32_t off) { return wm_ld32(code + off); }

extern const wm_native_ops wm_aot_native_ops;
extern const wm_native_ops wm_aot_native_ops_iso;
extern const wm_aot_rt wm_aot_rt_v1;

/* aot_exec.c */
wm_aot_entry wm_aot_entry_of(const wm_func *f);
/* Points ctx at run `r` (stack limit, run, memory) before native code of ctx runs. */
void wm_aot_enter(wm_aot_ctx *ctx, wm_aot_run *r);
/* Switches from the runtime into r's coroutine; returns when it parks. */
void wm_aot_switch_in(wm_aot_run *r);
/* Parks the coroutine and hands control to the runtime (status already set); returns when
 * the runtime switches back in. `dying`: never switched back in. */
void wm_aot_park(wm_aot_run *r, int dying);
/* ASan builds: an ended run's stack loses the poison its abandoned frames left (aot_exec.c) */
#if defined(__SANITIZE_ADDRESS__)
void wm_aot_asan_forget_ended(const wm_aot_run *r, wm_err e, bool nested);
#else
#define wm_aot_asan_forget_ended(r, e, nested) ((void)(r), (void)(e), (void)(nested))
#endif
const char *wm_aot_trap_msg(uint32_t code);
/* Takes the next fuel slice out of the run's reserve into ctx. */
void wm_aot_slice_from_reserve(wm_aot_ctx *c, wm_aot_run *r);

/* A call's run record (zeroed first) for entry(ctx, io) with its stack [lo, hi), fuel
 * reserved from inst's x.fuel. */
void wm_aot_run_init(wm_aot_run *r, wm_instance *inst, wm_aot_ctx *ctx, wm_aot_entry entry,
                     uint64_t *io, uintptr_t lo, uintptr_t hi, bool nested);

/* inst's exec state while native code of `ops` (the callee module's) runs r, a call of type
 * t (wm_aot_finish undoes it). */
void wm_aot_exec_begin(wm_instance *inst, wm_aot_run *r, const wm_functype *t,
                       const wm_native_ops *ops);
/* Calls req_func with req_io on the runtime's stack (WM_AOT_CALL). */
wm_err wm_aot_serve_call(wm_aot_run *r, wm_error *err);
/* Results, fuel and state after a call ended or parked. */
wm_err wm_aot_finish(wm_instance *inst, wm_aot_run *r, wm_err e, const wm_exec *saved, bool nested,
                     wm_val *results, uint32_t nresults);
wm_err wm_aot_instantiate_hook(wm_arena *arena, wm_instance *inst, wm_error *err);

/* aot_rt.c: the operations behind the services, shared by both modes: 0 or a trap code.
 * Bulk ones check the bounds of all n elements, then do the first m (what the slice paid
 * for, wm_aot_bulk_pays; table_copy advances its operands past them). */
uint32_t wm_aot_op_mem_init(wm_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n,
                            uint32_t m);
uint32_t wm_aot_op_table_init(wm_instance *inst, uint32_t tab, uint32_t seg, uint32_t d, uint32_t s,
                              uint32_t n);
uint32_t wm_aot_op_table_copy(wm_instance *inst, uint32_t dt, uint32_t st, uint32_t *d, uint32_t *s,
                              uint32_t *n, uint32_t m);
uint32_t wm_aot_op_table_fill(wm_instance *inst, uint32_t tab, uint32_t at, uint64_t v, uint32_t n,
                              uint32_t m);
/* Of n elements at `per` a unit, how many the slice pays for; the slice after paying them;
 * how many elements it pays for at most. */
uint32_t wm_aot_bulk_pays(uintptr_t slice, uint32_t n, uint32_t per);
uintptr_t wm_aot_bulk_paid(uintptr_t slice, uint32_t n, uint32_t m, uint32_t per);
uint64_t wm_aot_bulk_can(uintptr_t slice, uint32_t per);
/* wm_aot_rt.refuel with slices of at most `cap` (parks the coroutine to suspend). */
intptr_t wm_aot_refuel(wm_aot_ctx *c, intptr_t fl, uintptr_t cap);

/* How wm_aot_bind binds: ISOLATED for wm_aot_attach_isolated (accepts code without bounds
 * checks, selects the isolated native ops); COMMITTED for the *_committed attaches (all the
 * checks but the module's SHA-256, verified when the image was committed). */
enum { WM_AOT_BIND_ISOLATED = 1u, WM_AOT_BIND_COMMITTED = 2u };

/* aot_bind.c: wm_aot_attach's checks */
wm_err wm_aot_bind(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch, uint16_t abi,
                   unsigned how, wm_error *err);

/* aot_iso.c */
wm_err wm_aot_iso_instantiate(wm_arena *arena, wm_instance *inst, wm_aot_inst *ai, wm_error *err);

/* aot/arch: the isolating half (iso_cortexm.c + iso_thumb.S, or iso_sim.c) */
#if WM_AOT_ISO_PMSA != 0
/* Alignment and size granule of a protected block of `bytes` (two regions cover it). */
size_t wm_aot_iso_granule(uint64_t bytes);
/* Alignment and size granule for a block of `bytes` that one region covers. */
void wm_aot_iso_one_region(uint64_t bytes, size_t *align, size_t *round);
/* The gate block (code native code may run besides its own: the service stubs). */
void wm_aot_iso_gate_block(wm_aot_iso_block *b);
/* Region images for `n` blocks, in priority order; -1 when they cannot be expressed. */
int wm_aot_iso_map_make(wm_aot_iso_map *map, const wm_aot_iso_block *b, unsigned n);
/* A fresh native context at the top of r's stack ([r->lo, r->hi)) that calls
 * entry(uctx, r->io) and then asks for WM_AOT_SVC_DONE. */
void wm_aot_iso_start(wm_aot_run *r, wm_aot_entry entry, wm_aot_ctx *uctx);
/* Runs native code of r under `map` until it asks for a service or faults. */
void wm_aot_iso_enter(wm_aot_run *r, const wm_aot_iso_map *map);
/* After enter: the request (0, *svc and up to 5 arguments after the context) or -1 (a fault,
 * a bad supervisor call or a request frame outside [r->lo, r->stack_top): msg says what). */
int wm_aot_iso_request(wm_aot_run *r, uint32_t *svc, uint64_t a[5], char *msg, size_t cap);
/* Return value of the request just served. */
void wm_aot_iso_ret(wm_aot_run *r, uintptr_t v);
/* Native stack pointer of a parked run. */
uintptr_t wm_aot_iso_sp(const wm_aot_run *r);
/* The services table native code calls through (the gate). */
extern const wm_aot_rt wm_aot_iso_gate;
#endif

#endif /* WM_AOT_INTERNAL_H */
