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

/* One call of native code from the runtime (wm_call). The outermost call's record lives at
 * the top of the instance's stack region (so it survives a suspension); a nested call's
 * on the C stack of the nested wm_call. */
typedef struct wm_aot_run {
    void *rt_sp;             /* runtime's stack pointer while native code runs */
    void *co_sp;             /* native stack pointer while parked */
    uintptr_t lo, hi;        /* the coroutine's stack: [lo, hi) */
    uint64_t *reserve;       /* fuel not in a slice: the calling instance's x.fuel */
    wm_instance *inst;       /* the calling instance (its x holds the call's state) */
    wm_aot_ctx *entry_ctx;   /* ctx of the entry function */
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
#if defined(__SANITIZE_ADDRESS__)
    void *asan_rt_fake;
    const void *asan_rt_bottom;
    size_t asan_rt_size;
#endif
} wm_aot_run;

/* Per instance (wm_instance.native). */
typedef struct wm_aot_inst {
    wm_aot_ctx ctx;
    const uint8_t *code;   /* the payload (header first) */
    uint32_t frame;        /* largest native frame of this code */
} wm_aot_inst;

/* Header fields of attached code. */
static inline uint32_t wm_aot_u32(const uint8_t *code, uint32_t off) { return wm_ld32(code + off); }

extern const wm_native_ops wm_aot_native_ops;
extern const wm_aot_rt wm_aot_rt_v1;

/* aot_exec.c */
wm_aot_entry wm_aot_entry_of(const wm_func *f);
/* Points ctx at run `r` (stack limit, run, memory) before native code of ctx runs. */
void wm_aot_enter(wm_aot_ctx *ctx, wm_aot_run *r);
/* Parks the coroutine and hands control to the runtime (status already set); returns when
 * the runtime switches back in. `dying`: never switched back in. */
void wm_aot_park(wm_aot_run *r, int dying);
const char *wm_aot_trap_msg(uint32_t code);

#endif /* WM_AOT_INTERNAL_H */
