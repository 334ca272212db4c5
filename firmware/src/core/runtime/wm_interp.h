/* wm_interp.h - what the two interpreters share (interp.c in place, interp_pd.c on the
 * pre-decoded form): the exits of the run loop (a trap, stack exhaustion, a fuel check point,
 * a stop before an instruction) and the integer helpers. The macros expect the run loop's
 * locals: x, ci, func, mb, msz, msg, code, pc, and its labels out, suspend, stop_before. */
#ifndef WM_INTERP_H
#define WM_INTERP_H

#include "wm_internal.h"

#define MAX_HOST_VALS 16

#define TRAP(m)             \
    do {                    \
        msg = (m);          \
        code = WM_ERR_TRAP; \
        goto out;           \
    } while (0)
#define EXHAUST()                     \
    do {                              \
        msg = "call stack exhausted"; \
        code = WM_ERR_EXHAUSTION;     \
        goto out;                     \
    } while (0)

#define LOAD_CTX()                           \
    do {                                     \
        ci = func->inst;                     \
        mb = ci->mem ? ci->mem->data : NULL; \
        msz = ci->mem ? ci->mem->bytes : 0;  \
    } while (0)

/* A check point charging k: suspends after it, owing what the fuel did not cover. */
#define CHECK_POINT(k)                          \
    do {                                        \
        uint64_t k_ = (k);                      \
        if (WM_LIKELY(x->fuel >= k_))           \
            x->fuel -= k_;                      \
        else {                                  \
            x->owed += (int64_t)(k_ - x->fuel); \
            x->fuel = 0;                        \
            goto suspend;                       \
        }                                       \
    } while (0)
/* Suspends before the instruction at `at` (it runs again on resume), keeping the fuel. */
#define STOP_BEFORE(at)   \
    do {                  \
        pc = (at);        \
        goto stop_before; \
    } while (0)

/* The start of a host call at the run loop's do_call, the same in both interpreters: the
 * arguments (the callee's nparams slots below sp) converted, the call made, a block or an
 * error taken; after it, sp is the arguments' base and res[] holds the t->nresults results.
 * Declares args, res, t, i and e. */
#define HOST_CALL()                                                                   \
    wm_val args[MAX_HOST_VALS], res[MAX_HOST_VALS];                                   \
    const wm_functype *t = callee->type;                                              \
    uint32_t i;                                                                       \
    sp -= t->nparams;                                                                 \
    for (i = 0; i < t->nparams; i++) wm_slot_to_val(t->params[i], sp[i], &args[i]);   \
    if ((size_t)(x->stack_end - sp) < t->nresults) EXHAUST();                         \
    for (i = 0; i < t->nresults; i++) {                                               \
        res[i].type = t->results[i];                                                  \
        res[i].of.i64 = 0;                                                            \
    }                                                                                 \
    SAVE();                                                                           \
    wm_instance *hi = func ? func->inst : inst;                                       \
    hi->trap_msg = NULL;                                                              \
    wm_charge(inst, WM_FUEL_HOST); /* owed if short: suspends right after the call */ \
    wm_err e = callee->host->fn(hi, callee->host->user, args, res);                   \
    if (e == WM_ERR_BLOCKED && func) {                                                \
        /* Suspend before the call: the arguments are still in place above sp. */     \
        x->sp = sp + t->nparams;                                                      \
        x->retry = callee;                                                            \
        x->state = WM_SUSPENDED;                                                      \
        return wm_trap_err(err, WM_ERR_BLOCKED, "blocked in a host function");        \
    }                                                                                 \
    if (e != WM_OK) {                                                                 \
        msg = hi->trap_msg ? hi->trap_msg : "host function failed";                   \
        code = e == WM_ERR_EXHAUSTION ? e : WM_ERR_TRAP;                              \
        goto out;                                                                     \
    }

static inline uint32_t rotl32(uint32_t a, uint32_t k)
{
    k &= 31;
    return (a << k) | (a >> ((32 - k) & 31));
}
static inline uint32_t rotr32(uint32_t a, uint32_t k)
{
    k &= 31;
    return (a >> k) | (a << ((32 - k) & 31));
}
static inline uint64_t rotl64(uint64_t a, uint64_t k)
{
    k &= 63;
    return (a << k) | (a >> ((64 - k) & 63));
}
static inline uint64_t rotr64(uint64_t a, uint64_t k)
{
    k &= 63;
    return (a >> k) | (a << ((64 - k) & 63));
}
static inline uint32_t clz32(uint32_t a) { return a ? (uint32_t)__builtin_clz(a) : 32; }
static inline uint32_t ctz32(uint32_t a) { return a ? (uint32_t)__builtin_ctz(a) : 32; }
static inline uint32_t clz64(uint64_t a) { return a ? (uint32_t)__builtin_clzll(a) : 64; }
static inline uint32_t ctz64(uint64_t a) { return a ? (uint32_t)__builtin_ctzll(a) : 64; }
static inline uint32_t pop32(uint32_t a) { return (uint32_t)__builtin_popcount(a); }
static inline uint32_t pop64(uint64_t a) { return (uint32_t)__builtin_popcountll(a); }

#endif
