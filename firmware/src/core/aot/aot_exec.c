/* aot_exec.c - running native code: wm_call / wm_resume of AOT-compiled functions on a
 * coroutine stack, and serving what the native side asks for (host calls) on the caller's
 * stack. See aot_internal.h for the model, docs/aot.md for the rationale. */
#include "aot_internal.h"

static const char *const trap_msgs[WM_AOT_TRAP_COUNT] = {
    "trap",
    "unreachable",
    "integer divide by zero",
    "integer overflow",
    "invalid conversion to integer",
    "out of bounds memory access",
    "undefined element",
    "uninitialized element",
    "indirect call type mismatch",
    "out of bounds table access",
    "call stack exhausted",
    "memory smaller than the AOT code requires",
};

const char *wm_aot_trap_msg(uint32_t code)
{
    return code < WM_AOT_TRAP_COUNT ? trap_msgs[code] : trap_msgs[0];
}

#if WM_AOT_ARCH_SELF != 0

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer must be told about stack switches (posix ASan build only). */
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif

#define MAX_VALS 64 /* values of one host or cross-engine call (host functions have <= 16) */

static const uint32_t no_memory = 0;

static uintptr_t align_down(uintptr_t v, uintptr_t a) { return v & ~(a - 1u); }
static uintptr_t align_up(uintptr_t v, uintptr_t a) { return (v + a - 1u) & ~(a - 1u); }

void wm_aot_enter(wm_aot_ctx *c, wm_aot_run *r)
{
    const wm_aot_inst *ai = (const wm_aot_inst *)(void *)c; /* ctx is its first member */
    uint64_t lim = (uint64_t)r->lo + ai->frame + WM_AOT_STACK_RESERVE;
    c->stack_limit = lim > r->hi ? (uintptr_t)r->hi : (uintptr_t)lim;
    c->run = r;
    const wm_instance *inst = (const wm_instance *)c->inst;
    const wm_memory *m = inst->mem;
    c->mem = m ? m->data : NULL;
    c->mem_bytes = m ? &m->bytes : &no_memory;
    c->mem_pages = m ? &m->pages : &no_memory;
}

/* Takes the next fuel slice out of the reserve into ctx. */
void wm_aot_slice_from_reserve(wm_aot_ctx *c, wm_aot_run *r)
{
    uint64_t have = *r->reserve;
    uintptr_t take = have > (uint64_t)INTPTR_MAX ? (uintptr_t)INTPTR_MAX : (uintptr_t)have;
    *r->reserve = have - take;
    c->fuel = take;
}

void wm_aot_run_init(wm_aot_run *r, wm_instance *inst, wm_aot_ctx *ctx, wm_aot_entry entry,
                     uint64_t *io, uintptr_t lo, uintptr_t hi, bool nested)
{
    wm_memset(r, 0, sizeof *r);
    r->lo = lo;
    r->hi = hi;
    r->reserve = &inst->x.fuel;
    r->inst = inst;
    r->entry_ctx = ctx;
    r->park_ctx = ctx;
    r->entry = entry;
    r->io = io;
    r->nested = nested;
}

void wm_aot_exec_begin(wm_instance *inst, wm_aot_run *r, const wm_functype *t,
                       const wm_native_ops *ops)
{
    wm_exec *x = &inst->x;
    x->state = WM_RUNNING;
    x->native_ops = ops;
    x->native_run = r;
    x->retry = NULL;
    x->entry_type = t;
    x->sp = x->stack_end; /* an interpreted call nested in this one finds no room */
}

/* runtime -> native */
void wm_aot_switch_in(wm_aot_run *r)
{
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(&r->asan_rt_fake, (const void *)r->lo, r->hi - r->lo);
#endif
    wm_aot_switch(&r->rt_sp, r->co_sp);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(r->asan_rt_fake, NULL, NULL);
#endif
}

/* native -> runtime */
void wm_aot_park(wm_aot_run *r, int dying)
{
#if defined(__SANITIZE_ADDRESS__)
    void *fake = NULL;
    __sanitizer_start_switch_fiber(dying ? NULL : &fake, r->asan_rt_bottom, r->asan_rt_size);
#else
    (void)dying;
#endif
    wm_aot_switch(&r->co_sp, r->rt_sp);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(fake, &r->asan_rt_bottom, &r->asan_rt_size);
#endif
}

#if defined(WM_AOT_ISO_SIM)
void wm_aot_iso_sim_main(wm_aot_run *r); /* aot/arch/iso_sim.c */
#endif

void wm_aot_coro_main(void *arg)
{
    wm_aot_run *r = (wm_aot_run *)arg;
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(NULL, &r->asan_rt_bottom, &r->asan_rt_size);
#endif
#if defined(WM_AOT_ISO_SIM)
    if (r->iso) wm_aot_iso_sim_main(r); /* never returns */
#endif
    r->entry(r->entry_ctx, r->io);
    r->slice = r->entry_ctx->fuel;
    r->status = WM_AOT_DONE;
    wm_aot_park(r, 1);
    for (;;) {
    }
}

/* Calls what native code asked for (WM_AOT_CALL) on this, the runtime's, stack. */
wm_err wm_aot_serve_call(wm_aot_run *r, wm_error *err)
{
    wm_aot_ctx *c = r->park_ctx;
    const wm_func *f = r->req_func;
    const wm_functype *t = f->type;
    uint64_t *io = r->req_io;
    wm_val args[MAX_VALS], res[MAX_VALS];
    /* The slice goes back to the reserve: the callee sees all the fuel left (wm_fuel_left)
     * and wm_yield can zero it. */
    *r->reserve += c->fuel;
    c->fuel = 0;
    if (t->nparams > MAX_VALS || t->nresults > MAX_VALS)
        return wm_trap_err(err, WM_ERR_LIMIT, "too many values for a call from native code");
    for (uint32_t i = 0; i < t->nparams; i++) wm_slot_to_val(t->params[i], io[i], &args[i]);
    for (uint32_t i = 0; i < t->nresults; i++) {
        res[i].type = t->results[i];
        res[i].of.i64 = 0;
    }
    wm_err e;
    if (f->host) {
        wm_instance *hi = (wm_instance *)c->inst;
        hi->trap_msg = NULL;
        wm_charge(r->inst, WM_FUEL_HOST); /* as the interpreter: owed if short */
        e = f->host->fn(hi, f->host->user, args, res);
        if (e == WM_ERR_BLOCKED && !r->nested)
            return wm_trap_err(err, WM_ERR_BLOCKED, "blocked in a host function");
        if (e != WM_OK)
            return wm_trap_err(err, e == WM_ERR_EXHAUSTION ? e : WM_ERR_TRAP,
                               hi->trap_msg ? hi->trap_msg : "host function failed");
    } else {
        /* A function of an interpreted instance: run it to completion with this call's
         * fuel (it cannot be suspended from inside native code). */
        wm_instance *callee = f->inst;
        wm_error e2 = {WM_OK, 0, NULL, NULL};
        e = wm_call(callee, f, args, t->nparams, res, t->nresults, *r->reserve, &e2);
        if (callee->x.state == WM_SUSPENDED) {
            wm_abort(callee);
            return wm_trap_err(err, WM_ERR_TRAP,
                               e == WM_ERR_BLOCKED
                                   ? "blocked in a host function called by interpreted code"
                                   : "out of fuel in interpreted code called by native code");
        }
        *r->reserve = wm_fuel_left(callee);
        if (e != WM_OK)
            return wm_trap_err(err, e == WM_ERR_EXHAUSTION ? e : WM_ERR_TRAP,
                               e2.msg ? e2.msg : "trap");
    }
    for (uint32_t i = 0; i < t->nresults; i++) io[i] = wm_val_to_slot(&res[i]);
    wm_aot_slice_from_reserve(c, r);
    if (r->inst->x.owed > 0) {      /* charged more than was left (wm_charge): */
        r->status = WM_AOT_SUSPEND; /* suspended right after the call, as the */
        return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel"); /* interpreter does */
    }
    return WM_OK;
}

/* Runs native code until the call ends or parks for good (suspension). */
static wm_err drive(wm_aot_run *r, wm_error *err)
{
    for (;;) {
        wm_aot_enter(r->park_ctx, r);
        r->status = WM_AOT_RUNNING;
        wm_aot_switch_in(r);
        switch (r->status) {
        case WM_AOT_DONE: return WM_OK;
        case WM_AOT_TRAP: return wm_trap_err(err, r->trap_err, r->trap_msg);
        case WM_AOT_SUSPEND: return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");
        case WM_AOT_CALL: {
            wm_err e = wm_aot_serve_call(r, err);
            if (e != WM_OK) return e;
            break;
        }
        default: return wm_trap_err(err, WM_ERR_STATE, "aot: bad state of native code");
        }
    }
}

/* Results, fuel and the instance's state after a call ended or parked (as api.c does for
 * the interpreter). */
wm_err wm_aot_finish(wm_instance *inst, wm_aot_run *r, wm_err e, const wm_exec *saved, bool nested,
                     wm_val *results, uint32_t nresults)
{
    wm_exec *x = &inst->x;
    if (e == WM_OK) {
        const wm_functype *t = x->entry_type;
        for (uint32_t i = 0; i < nresults && i < t->nresults; i++)
            wm_slot_to_val(t->results[i], r->io[i], &results[i]);
    }
    if (r->status == WM_AOT_DONE || r->status == WM_AOT_TRAP) {
        *r->reserve += r->slice;
        r->slice = 0;
    }
    if ((e == WM_ERR_OUT_OF_FUEL || e == WM_ERR_BLOCKED) && !nested) {
        x->state = WM_SUSPENDED;
        return e;
    }
    uint64_t fuel = x->fuel;
    if (nested) {
        wm_memcpy(x, saved, sizeof *x); /* a nested call cannot stay suspended: dropped */
        x->fuel = saved->fuel;
    } else {
        x->state = WM_IDLE;
        x->native_ops = NULL;
        x->native_run = NULL;
        x->retry = NULL;
        x->depth = 0;
        x->sp = x->fp = x->stack;
        x->func = NULL;
        x->pc = NULL;
        x->fuel = fuel;
    }
    return e;
}

/* A coroutine that ended (returned, trapped, or a nested one that ran out and is dropped) is
 * never switched to again: the red zones that instrumented runtime code called on its stack
 * poisoned stay behind (ASan builds only; its last frames never return), in arena memory a
 * later module may be given. call_indirect.wast's next module after its runaway recursion
 * met one in aot_instantiate's memset once the arena's layout moved by 16 bytes. The isolated
 * mode's runs (aot_iso.c) forget theirs too: under iso_sim.c the gate is C on that stack. */
#if defined(__SANITIZE_ADDRESS__)
void wm_aot_asan_forget_ended(const wm_aot_run *r, wm_err e, bool nested)
{
    if (nested || (e != WM_ERR_OUT_OF_FUEL && e != WM_ERR_BLOCKED))
        __asan_unpoison_memory_region((const void *)r->lo, r->hi - r->lo);
}
#endif

static wm_err aot_call(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
                       wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err)
{
    wm_exec *x = &inst->x;
    const wm_functype *t = f->type;
    wm_aot_entry entry = wm_aot_entry_of(f);
    if (!entry) return wm_fail(err, WM_ERR_STATE, NULL, NULL, "aot: function has no entry");
    bool nested = x->state == WM_RUNNING;
    uint32_t nio = nargs > t->nresults ? nargs : t->nresults;
    wm_aot_run local;
    wm_aot_run *r;
    uintptr_t lo, hi;
    if (!nested) { /* the record sits at the top of the region: it outlives a suspension */
        hi = align_down((uintptr_t)x->stack_end, 16);
        r = (wm_aot_run *)(void *)align_down(hi - sizeof(wm_aot_run), 16);
        hi = (uintptr_t)r;
        lo = align_up((uintptr_t)x->stack, 16);
    } else if (x->native_run) { /* below the parked native caller, with a gap */
        const wm_aot_run *outer = (const wm_aot_run *)x->native_run;
        r = &local;
        lo = align_up((uintptr_t)x->stack, 16);
        hi = align_down((uintptr_t)outer->co_sp - 256u, 16);
    } else { /* above the interpreter's operands */
        r = &local;
        lo = align_up((uintptr_t)(x->sp + 1), 16);
        hi = align_down((uintptr_t)x->stack_end, 16);
    }
    uint64_t *io = (uint64_t *)(void *)align_down(hi - 8u * (nio + 1u), 16);
    if ((uintptr_t)io < lo + 512u || hi < lo)
        return wm_trap_err(err, WM_ERR_EXHAUSTION, "call stack exhausted");
#if defined(__SANITIZE_ADDRESS__)
    /* frames of an earlier, abandoned coroutine may have left poisoned red zones */
    __asan_unpoison_memory_region((const void *)lo, hi - lo);
    if (!nested) __asan_unpoison_memory_region(r, sizeof *r);
#endif
    hi = (uintptr_t)io;
    wm_exec saved;
    wm_memcpy(&saved, x, sizeof saved);
    for (uint32_t i = 0; i < nargs; i++) io[i] = wm_val_to_slot(&args[i]);
    wm_aot_run_init(r, inst, &((wm_aot_inst *)f->inst->native)->ctx, entry, io, lo, hi, nested);
    r->co_sp = wm_aot_stack_init((void *)hi, r);
    x->fuel = fuel;
    x->owed = 0;
    x->grow_done = 0;
    wm_aot_slice_from_reserve(r->entry_ctx, r);
    wm_aot_exec_begin(inst, r, t, f->inst->mod->native);
    wm_err e = drive(r, err);
    wm_aot_asan_forget_ended(r, e, nested);
    return wm_aot_finish(inst, r, e, &saved, nested, results, nresults);
}

static wm_err aot_resume(wm_instance *inst, uint64_t fuel, wm_val *results, uint32_t nresults,
                         wm_error *err)
{
    wm_exec *x = &inst->x;
    wm_aot_run *r = (wm_aot_run *)x->native_run;
    x->fuel = fuel;
    x->state = WM_RUNNING;
    wm_err e = WM_OK;
    if (r->status == WM_AOT_CALL) /* blocked in a host function: call it again */
        e = wm_aot_serve_call(r, err);
    if (e == WM_OK) e = drive(r, err);
    wm_aot_asan_forget_ended(r, e, false);
    return wm_aot_finish(inst, r, e, x, false, results, nresults);
}

const wm_native_ops wm_aot_native_ops = {wm_aot_instantiate_hook, aot_call, aot_resume, NULL};

#else /* no native code on this architecture: wm_aot_attach refuses, nothing runs */

void wm_aot_enter(wm_aot_ctx *c, wm_aot_run *r)
{
    (void)c;
    (void)r;
}

void wm_aot_park(wm_aot_run *r, int dying)
{
    (void)r;
    (void)dying;
}

void wm_aot_coro_main(void *run) { (void)run; }

const wm_native_ops wm_aot_native_ops = {wm_aot_instantiate_hook, NULL, NULL, NULL};

#endif
