/* wm_aot_prelude.h - included by the C that the AOT compiler generates from a wasm module
 * (host_tools/wasmote/aot/translate.py), never by the runtime. Helpers with the spec's
 * exact semantics (traps, NaNs, rounding), compiled into the module's own code blob.
 *
 * The generated file defines WM_AOT_FUEL (0/1), WM_AOT_BOUNDS (0/1: without bounds checks,
 * for isolated benchmarks only), WM_FUEL_BYTES and WM_FUEL_ELEMS (wm_fuel.h's, from
 * host_tools/wasmote/wasm/fuel.py) before including this. Compiled with GNU C
 * extensions (statement expressions, inline asm for the stack pointer), -ffreestanding,
 * -fno-builtin, -ffp-contract=off, position independent.
 */
#ifndef WM_AOT_PRELUDE_H
#define WM_AOT_PRELUDE_H

#include <stddef.h>
#include <stdint.h>

#include "wm_aot_abi.h"

typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef float f32;
typedef double f64;
typedef uintptr_t ref;

#define WM_LIKELY(x) __builtin_expect(!!(x), 1)
#define WM_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* A loop's branch back taken with probability p (translate.py: a loop known to run only a
 * few times, loopcost.py); compilers without the builtin take the plain condition. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 9)
#define WM_BACK(x, p) __builtin_expect_with_probability(!!(x), 1, (p))
#else
#define WM_BACK(x, p) (x)
#endif
#define WM_FN static inline __attribute__((always_inline))
#define WM_MAYBE_UNUSED __attribute__((unused))
#define WM_COLD __attribute__((noinline, cold))
/* A function whose loops recurse or call imports (host_tools/wasmote/aot/callloops.py):
 * invariants hoisted only as registers allow, no partial redundancy elimination (values
 * hoisted out of such a loop live across its calls), and the registers allocated over the
 * whole function as one region, not loop by loop (measured: slre 3.90 M -> 3.78 M on the
 * M4). GCC 12 applies these on top of the command line's options
 * (-fno-optimize-sibling-calls, -fsignaling-nans, ... still hold:
 * tests/aot/test_aot_callloops.py), the version tested; older GCC and clang get nothing. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define WM_CALL_LOOPS \
    __attribute__((optimize("ira-loop-pressure", "no-tree-pre", "ira-region=one")))
#else
#define WM_CALL_LOOPS
#endif
/* A parameter read where a local that holds a pure value of it is read (remat.py): the
 * empty asm keeps GCC from computing that value once at the entry and spilling it. */
#define WM_REMAT(v)             \
    ({                          \
        u32 r_ = (v);           \
        __asm__("" : "+r"(r_)); \
        r_;                     \
    })
/* A small function inlined into the recursive loops that call it (inlining.py) */
#define WM_INLINE inline __attribute__((always_inline))
#define WM_ENTRY __attribute__((used, noinline, visibility("hidden"), section(".text.wm_entry")))

/* ---- the stack pointer (exhaustion checks) ---- */
#if defined(__x86_64__)
#define WM_SP()                               \
    ({                                        \
        uintptr_t s_;                         \
        __asm__("movq %%rsp, %0" : "=r"(s_)); \
        s_;                                   \
    })
#elif defined(__aarch64__) || defined(__arm__)
#define WM_SP()                           \
    ({                                    \
        uintptr_t s_;                     \
        __asm__("mov %0, sp" : "=r"(s_)); \
        s_;                               \
    })
#elif defined(__riscv)
#define WM_SP()                          \
    ({                                   \
        uintptr_t s_;                    \
        __asm__("mv %0, sp" : "=r"(s_)); \
        s_;                              \
    })
#elif defined(__XTENSA__)
#define WM_SP()                           \
    ({                                    \
        uintptr_t s_;                     \
        __asm__("mov %0, a1" : "=r"(s_)); \
        s_;                               \
    })
#else
#error "wm_aot_prelude.h: no stack pointer access for this architecture"
#endif

/* ---- traps and fuel ---- */
__attribute__((noinline, cold, noreturn)) static void wm_trap(wm_aot_ctx *c, u32 code,
                                                              uintptr_t fuel)
{
    c->rt->trap(c, code, fuel);
    __builtin_unreachable();
}

#if WM_AOT_FUEL
/* The slice lives in a signed local (the runtime never hands out more than INTPTR_MAX), so
 * a charge is a subtraction and a branch on the sign. Check points (docs/supervisor.md,
 * "Fuel") charge what the compiler computed for the code since the previous one; a slice
 * that goes negative asks the runtime for more, which may suspend the call right there
 * (owing the rest). */
#define FL ((uintptr_t)fl)
#define FUEL_IN() intptr_t fl = (intptr_t)c->fuel
#define SYNC_OUT() (c->fuel = (uintptr_t)fl)
#define SYNC_IN() (fl = (intptr_t)c->fuel)
/* A function that calls nothing gets the slice by address (FUEL_P, FUEL_A) instead of
 * through c->fuel: GCC inlines most of them, and the caller's slice then stays in its
 * register, where the stores to c->fuel before and after the call stayed (the runtime's
 * services, which read c->fuel, might run on the cold paths in between). The address is
 * of a copy made for the call (CALL_IN/CALL_OUT), never of fl itself: a local whose
 * address escapes to a callee GCC does not inline may be written by any store through a
 * pointer and is reloaded after each one. A function that returns nothing or one i32
 * (but a flat leaf) takes the slice by value instead (wm_rf, below), leaf or not: that
 * costs no memory at all where GCC does not inline (recursion), where an address or
 * c->fuel costs a store and a load on each side of the call. */
#define FUEL_P , intptr_t *const flp
#define FUEL_A , &fa_
#define CALL_IN() intptr_t fa_ = fl
#define CALL_OUT() (fl = fa_)
#define FUEL_IN_P() intptr_t fl = *flp
#define FUEL_RET_P() (*flp = fl)
/* A function that returns nothing or one i32 takes the slice as its first argument
 * (`intptr_t fl`) and returns it, with its result, in two registers (wm_rf: a u64 on
 * 32-bit targets, a two-word struct on 64-bit ones, which their ABIs return in registers),
 * the slice in the first: no store of c->fuel before a call, no load after it, none at the
 * callee's entry and return, and between two calls it stays in the first register. */
#if UINTPTR_MAX > 0xffffffffu
typedef struct {
    intptr_t fl;
    u64 v;
} wm_rf;
#define RF_MAKE(v, f) ((wm_rf){(f), (u64)(v)})
#define RF_V(r) ((u32)(r).v)
#define RF_FL(r) ((r).fl)
#else
typedef u64 wm_rf;
#define RF_MAKE(v, f) ((u64)(u32)(f) | (u64)(u32)(v) << 32)
#define RF_V(r) ((u32)((r) >> 32))
#define RF_FL(r) ((intptr_t)(s32)(u32)(r))
#endif
/* `used`: wm_refuel_keep calls it by name */
__attribute__((noinline, cold, used)) static intptr_t wm_refuel(wm_aot_ctx *c, intptr_t fl)
{
    return c->rt->refuel(c, fl);
}
#if defined(__thumb2__) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
/* A check point's cold call of the runtime that keeps r1-r3 and r12. An ordinary call
 * clobbers them (and lr), so GCC keeps no value that lives across a check point in them,
 * and in a loop every value does: they all compete for r4-r11 and the rest spill
 * (xgboost's loop over trees loaded and stored the stack 4 times more an iteration). This
 * trampoline keeps them around the call (28 bytes of stack at most; it aligns sp to 8 for
 * the call, which a caller GCC takes for a leaf need not have); the FP registers a call
 * may clobber are declared clobbered instead: no cost where the code has no floats. */
__attribute__((naked, noinline, cold, used)) static void wm_refuel_keep(void)
{
    __asm__("push {r1, r2, r3, r4, ip, lr}\n\t"
            "mov ip, r0\n\t" /* wm_refuel(c, fl) */
            "mov r0, r1\n\t"
            "mov r1, ip\n\t"
            "mov r4, sp\n\t"
            "bic ip, r4, #7\n\t"
            "mov sp, ip\n\t"
            "bl wm_refuel\n\t"
            "mov sp, r4\n\t"
            "pop {r1, r2, r3, r4, ip, pc}\n\t");
}
#if defined(__ARM_FP)
#define WM_FP_CALL_CLOBBERS                                                                   \
    , "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", \
        "s14", "s15"
#else
#define WM_FP_CALL_CLOBBERS
#endif
/* wm_refuel(c, fl) through wm_refuel_keep: the slice in r0 and back there (where a function
 * that takes it by value has it: no move on the cold path), c in r1 */
WM_FN intptr_t wm_refuel_k(wm_aot_ctx *c, intptr_t fl)
{
    register intptr_t r0 __asm__("r0") = fl;
    register wm_aot_ctx *r1 __asm__("r1") = c;
    __asm__ volatile("bl wm_refuel_keep"
                     : "+r"(r0)
                     : "r"(r1)
                     : "lr", "cc", "memory" WM_FP_CALL_CLOBBERS);
    return r0;
}
#else
#define wm_refuel_k wm_refuel
#endif
#define CHARGE(k)                                         \
    do {                                                  \
        fl -= (intptr_t)(k);                              \
        if (WM_UNLIKELY(fl < 0)) fl = wm_refuel_k(c, fl); \
    } while (0)
/* A walk's branch back charging a round of its copies ahead (host_tools/wasmote/aot/
 * walkfuel.py): true when the slice held all `uk` (charged); else just k charged, exactly as
 * CHARGE(k) does (the runtime may suspend the call there), and false. */
#define CHARGE_AHEAD(uk, k)                                   \
    ({                                                        \
        fl -= (intptr_t)(uk);                                 \
        int ahead_ = WM_LIKELY(fl >= 0);                      \
        if (!ahead_) {                                        \
            fl += (intptr_t)(uk) - (intptr_t)(k);             \
            if (WM_UNLIKELY(fl < 0)) fl = wm_refuel_k(c, fl); \
        }                                                     \
        ahead_;                                               \
    })
/* Two check points with nothing between them (a call's and its callee's entry): one
 * subtraction and branch; the cold path charges them one after the other exactly as
 * CHARGE(a); CHARGE(b) would, so the fuel left and the suspension points are the same. */
__attribute__((noinline, cold, unused)) static intptr_t wm_refuel2(wm_aot_ctx *c, intptr_t fl,
                                                                   intptr_t b)
{
    fl += b;
    if (fl < 0) fl = c->rt->refuel(c, fl);
    fl -= b;
    if (fl < 0) fl = c->rt->refuel(c, fl);
    return fl;
}
#define CHARGE2(a, b)                                                   \
    do {                                                                \
        fl -= (intptr_t)(a) + (intptr_t)(b);                            \
        if (WM_UNLIKELY(fl < 0)) fl = wm_refuel2(c, fl, (intptr_t)(b)); \
    } while (0)
/* A call of a leaf without loops or bulk work (translate.py's flat leaves), whose only
 * check points are its entry (e) and its return (r): the call's own (k), e and r in one
 * subtraction and branch. True when the slice covered all three: the caller runs the copy
 * of the leaf, which gets the caller's slice by value (flq) and gives nothing back, starts
 * with r given back (FUEL_IN_Q, so a trap reports the fuel left exactly) and takes it at
 * the end without a check (PAID). False otherwise: the caller
 * then charges k and e in order as CHARGE2 does (CHARGE3_SHORT), and the leaf checks its
 * return itself. A condition of an if/else with a call in each branch, not a value: in a
 * large function GCC would not thread a flag through to the call. */
#define CHARGE3(k, e, r) WM_LIKELY((fl -= (intptr_t)(k) + (intptr_t)(e) + (intptr_t)(r)) >= 0)
#define CHARGE3_SHORT(e, r) (fl = wm_refuel2(c, fl + (intptr_t)(r), (intptr_t)(e)))
#define FUEL_IN_Q(r)                   \
    intptr_t fl = flq + (intptr_t)(r); \
    (void)fl
#define PAID(r) (fl -= (intptr_t)(r))
/* A branch back to a loop whose body reaches an inner loop's entry through plain code
 * (host_tools/wasmote/aot/prepay.py): the branch's charge k and that entry's e in one
 * subtraction and branch. True: neither could go negative, and the caller runs its copy
 * of the code in between, which skips the entry's charge. False: PREPAY_SHORT gives e back
 * and charges k exactly as CHARGE(k) would; the ordinary code then charges e. */
#define PREPAY(k, e) WM_LIKELY((fl -= (intptr_t)(k) + (intptr_t)(e)) >= 0)
#define PREPAY_SHORT(e)                                   \
    do {                                                  \
        fl += (intptr_t)(e);                              \
        if (WM_UNLIKELY(fl < 0)) fl = wm_refuel_k(c, fl); \
    } while (0)
/* Bulk work of n elements, `per` a unit, charged before it is done: how many of them the
 * slice pays for now (all n, charged; or fewer, the slice is then 0 and the caller does them
 * and asks wm_refuel(c, 0) for more, which suspends the call when it has none left). */
WM_FN u32 wm_bulk_take(intptr_t *fl, u32 n, u32 per)
{
    intptr_t u = (intptr_t)(n / per);
    if (WM_LIKELY(u <= *fl)) {
        *fl -= u;
        return n;
    }
    u32 m = (u32)*fl * per;
    *fl = 0;
    return m;
}
#define BULK_MORE(fl) ((fl) = wm_refuel(c, 0))
/* A counted loop's charges paid once (host_tools/wasmote/aot/loopfuel.py): the slice holds
 * an entry charge e and m branches back charging k > 0 each (m < 2^32): m * k + e <= fl,
 * tested as m <= (fl - e) / k, which cannot wrap (a division by a constant: a multiply). */
#define FUEL_COVERS(m, k, e) \
    (fl >= (intptr_t)(e) && (u64)(m) <= (u64)((uintptr_t)(fl - (intptr_t)(e)) / (uintptr_t)(k)))
#define FUEL_ARG fl
#define FUEL_OF(e) (fl = (e))
#else
#define FL 0u
#define FUEL_IN() \
    do {          \
    } while (0)
#define FUEL_P
#define FUEL_A
#define CALL_IN() FUEL_IN()
#define CALL_OUT() ((void)0)
#define FUEL_IN_P() FUEL_IN()
#define FUEL_RET_P() ((void)0)
#define SYNC_OUT() ((void)0)
#define SYNC_IN() ((void)0)
#define CHARGE(k) \
    do {          \
    } while (0)
#define CHARGE2(a, b) CHARGE(a)
WM_FN u32 wm_bulk_take(intptr_t *fl, u32 n, u32 per)
{
    (void)fl;
    (void)per;
    return n;
}
#define BULK_MORE(fl) ((void)0)
#define FUEL_ARG 0
#define FUEL_OF(e) ((void)(e))
#endif

#define TRAP(code) wm_trap(c, (code), FL)
/* At the entry of a function that calls. Its caller charged the entry (e, 0 without fuel)
 * with the call; the interpreter checks its stack before it charges an entry, so the trap
 * gives e back and reports the fuel left as the interpreter would. */
#if defined(__thumb2__)
/* Thumb-2 compares sp with a register directly (GCC copies sp to a register first when it
 * reads WM_SP(): an instruction at each entry); the trap path is the function's one. */
#define STACK_CHECK(e)                                                                      \
    do {                                                                                    \
        __asm__ goto("cmp sp, %0\n\tbcc %l[wm_sx]" : : "r"(c->stack_limit) : "cc" : wm_sx); \
        if (0) {                                                                            \
        wm_sx:                                                                              \
            wm_trap(c, WM_AOT_TRAP_EXHAUSTED, FL + (uintptr_t)(e));                         \
        }                                                                                   \
    } while (0)
#else
#define STACK_CHECK(e)                                              \
    do {                                                            \
        if (WM_UNLIKELY(WM_SP() < c->stack_limit))                  \
            wm_trap(c, WM_AOT_TRAP_EXHAUSTED, FL + (uintptr_t)(e)); \
    } while (0)
#endif

/* ---- linear memory ----
 * mb: base, msz: accessible bytes (a local, reloaded after calls and memory.grow). An access
 * of n bytes at a + off is in bounds when a + off + n <= msz, computed without overflow. */
/* The size is at least what every entry tests (MEM_MIN; translate.py's WM_MEM_NEED, 0:
 * nothing assumed): memory never shrinks, so this holds for every read after the entry.
 * Told so, GCC drops the checks of accesses it bounds below it itself (loop counters,
 * constants in its specialised copies of functions). */
#ifndef WM_MEM_NEED
#define WM_MEM_NEED 0u
#endif
#if WM_MEM_NEED
WM_FN u32 wm_msz_need(u32 m)
{
    if (m < WM_MEM_NEED) __builtin_unreachable();
    return m;
}
#define MSZ_READ() wm_msz_need(*c->mem_bytes)
#else
#define MSZ_READ() (*c->mem_bytes)
#endif
#if UINTPTR_MAX > 0xffffffffu
typedef s64 wm_msz_t;
#define MSZ_LOAD() ((wm_msz_t)MSZ_READ())
#define OOB(a, k) ((s64)(u64)(u32)(a) > msz - (s64)(k))
#define EA(a, off) (mb + (uintptr_t)(u32)(a) + (uintptr_t)(off))
#else
typedef u32 wm_msz_t;
#define MSZ_LOAD() MSZ_READ()
/* k = off + n fits in 32 bits here (the compiler traps statically otherwise) */
#define OOB(a, k) ((u32)(a) > msz - (u32)(k) || msz < (u32)(k))
/* checked: a + off + n <= msz, so the sum stays inside the memory (no wrap-around) */
#define EA(a, off) (mb + (uintptr_t)(u32)(a) + (uintptr_t)(off))
#endif
#ifndef WM_AOT_BOUNDS
#define WM_AOT_BOUNDS 1
#endif
#if WM_AOT_BOUNDS
#define CHK(a, k)                                              \
    do {                                                       \
        if (WM_UNLIKELY(OOB(a, k))) TRAP(WM_AOT_TRAP_MEM_OOB); \
    } while (0)
/* k <= the memory the entries guarantee (MEM_MIN), so msz - k does not wrap: one compare.
 * CHKB, a byte's CHKM(a, 1) as a < msz: no msz - 1 computed or kept in a register, but msz
 * itself live where it is used (translate.py keeps CHKM in a loop's ordinary copy) */
#if UINTPTR_MAX > 0xffffffffu
#define CHKM(a, k) CHK(a, k)
#define CHKB(a) CHK(a, 1u)
#else
#define CHKM(a, k)                                                             \
    do {                                                                       \
        if (WM_UNLIKELY((u32)(a) > msz - (u32)(k))) TRAP(WM_AOT_TRAP_MEM_OOB); \
    } while (0)
#define CHKB(a)                                                      \
    do {                                                             \
        if (WM_UNLIKELY((u32)(a) >= msz)) TRAP(WM_AOT_TRAP_MEM_OOB); \
    } while (0)
#endif
/* The accesses of a function whose k is at most km (its largest such k, <= MEM_MIN) check
 * against one limit, mlim = msz - km, that GCC keeps in one register, where a limit a k
 * (CHKM) kept up to one register per distinct k live across the function (callee-saved
 * registers pushed at each entry, the limits recomputed after calls). a <= mlim proves
 * a + k <= msz; above it the exact test a - mlim <= km - k (a > mlim: no wrap) runs on the
 * cold path, so the trap is exactly CHKM's. The same form on 64-bit targets (the host's
 * spec run tests it). */
#define MLIM() (msz - (wm_msz_t)km)
#define CHKL(a, k)                                                            \
    do {                                                                      \
        if (WM_UNLIKELY((wm_msz_t)(u32)(a) > mlim) &&                         \
            WM_UNLIKELY((wm_msz_t)(u32)(a)-mlim > (wm_msz_t)(km - (u32)(k)))) \
            TRAP(WM_AOT_TRAP_MEM_OOB);                                        \
    } while (0)
#else
/* No software check: an access outside the memory is left to the MPU (docs/aot.md) */
#define CHK(a, k) ((void)0)
#define CHKM(a, k) ((void)0)
#define CHKB(a) ((void)0)
#define CHKL(a, k) ((void)0)
#define MLIM() msz
#endif
/* At an entry from the runtime into a function that checks no stack (a leaf, or one that
 * calls only leaves: host_tools/wasmote/aot/stackcheck.py): the run's region must hold the
 * code's largest frame chain, as the limit (its bottom + that frame + the reserve) does for
 * a function that checks. A smaller region (a small limits.stack_slots, a nested call deep
 * in its caller's stack) would let the chain write below it: a leaf of 4.8 KB ran in 1 KB. */
#define ENTRY_STACK()                                                                          \
    do {                                                                                       \
        if (WM_UNLIKELY(WM_SP() < c->stack_limit)) wm_trap(c, WM_AOT_TRAP_EXHAUSTED, c->fuel); \
    } while (0)
/* At every entry from the runtime: memory 0 has at least the bytes the code relies on
 * without checking (host_tools/wasmote/aot/ranges.py). Memory never shrinks, so this holds
 * for the whole call; only a memory capped below its declared minimum fails it. */
#define MEM_MIN(n)                                                                        \
    do {                                                                                  \
        if (WM_UNLIKELY(*c->mem_bytes < (n))) wm_trap(c, WM_AOT_TRAP_MEM_SMALL, c->fuel); \
    } while (0)
/* A segment's combined check for the accesses at local l + c (i32 add, wrapping), c in
 * [cmin, end - size]: with l read as signed (compilers index with negative bases), if
 * l + cmin >= 0 and l + end <= msz in exact integers, then every l + c lies in [0, 2^32),
 * equals the wrapped sum, and is in bounds. Those accesses then use EAF. */
#if UINTPTR_MAX > 0xffffffffu
#define GRP_OK(l, cmin, end)                 \
    ((s64)msz >= (s64)(end) - (s64)(cmin) && \
     (u64)((s64)(s32)(l) + (s64)(cmin)) <= (u64)((s64)msz - ((s64)(end) - (s64)(cmin))))
#else
/* 32-bit: the same in 32-bit arithmetic. With |cmin| <= 2^30 (the compiler guarantees it)
 * and memories below 1 GiB, l + cmin wrapped into [0, msz - span] only when it is exactly
 * there (a value below -2^31 + cmin cannot wrap that far). */
#define GRP_OK(l, cmin, end)                               \
    (msz <= 0x40000000u && msz >= (u32)((end) - (cmin)) && \
     (u32)((u32)(l) + (u32)(s32)(cmin)) <= msz - (u32)((end) - (cmin)))
#endif
/* The same when span = end - cmin is at most the memory the entries guarantee (MEM_MIN) and
 * at most 2^30 (the compiler emits it only then). 32-bit: lim = min(msz, 2^30) >= span, so
 * lim - span does not wrap and one compare remains; l + cmin wrapped lies in [0, lim - span]
 * only when exactly there (|cmin| <= 2^30, as above), and then every access lies below
 * lim <= msz. lim changes only where msz does (calls that may grow the memory): the compiler
 * computes it outside loops without them. tests/aot/test_aot_loop_range.py holds it against
 * the exact rule. */
WM_FN int wm_grp_okm32(u32 l, s32 cmin, u32 span, u32 msz)
{
    u32 lim = msz < 0x40000000u ? msz : 0x40000000u;
    return l + (u32)cmin <= lim - span;
}
#if UINTPTR_MAX > 0xffffffffu
#define GRP_OKM(l, cmin, end) GRP_OK(l, cmin, end)
#else
#define GRP_OKM(l, cmin, end) wm_grp_okm32((u32)(l), (cmin), (u32)((end) - (cmin)), msz)
#endif
#define EAF(l, k) (mb + (intptr_t)(s32)(l) + (intptr_t)(k))

/* How often a loop that runs again while x < b branches back, x being x1 at the first test
 * and growing by s > 0 (unsigned, signed): 0 if x1 >= b, else until x reaches b; 2^32 (no
 * slice pays for that, no range is tested for it) when x could step over the end of its
 * range and come back below b. loopfuel.py and loops.py (its trip count: this + 1). */
WM_FN u64 wm_backs_ltu(u32 x1, s32 s, u32 b)
{
    if (x1 >= b) return 0;
    if (b > 0u - (u32)s) return 1ull << 32;
    return (u64)((b - 1u - x1) / (u32)s) + 1u;
}
WM_FN u64 wm_backs_lts(u32 x1, s32 s, u32 b)
{
    if ((s32)x1 >= (s32)b) return 0;
    if ((s32)b > INT32_MAX - s + 1) return 1ull << 32;
    return (u64)((b - 1u - x1) / (u32)s) + 1u;
}
/* The same for x <= b: x < b + 1, but for b the largest value (x <= b always holds). */
WM_FN u64 wm_backs_leu(u32 x1, s32 s, u32 b)
{
    return b == UINT32_MAX ? 1ull << 32 : wm_backs_ltu(x1, s, b + 1u);
}
WM_FN u64 wm_backs_les(u32 x1, s32 s, u32 b)
{
    return (s32)b == INT32_MAX ? 1ull << 32 : wm_backs_lts(x1, s, b + 1u);
}
/* Counted loops (host_tools/wasmote/aot/loops.py): a loop that runs while d != 0, d
 * starting at d0 and moving by t per iteration (mod 2^32), runs this many iterations, or 0
 * when it would wrap around first (not counted: the loop keeps its per-access checks). */
WM_FN u64 wm_trips(u32 d0, s32 t)
{
    u32 r = t > 0 ? 0u - d0 : d0;
    u32 at = t > 0 ? (u32)t : 0u - (u32)t;
    return r % at ? 0 : (u64)(r / at) + 1u;
}
/* A base local that is s in iteration 0 (its wrapped value) and moves by t: in every one
 * of n iterations it stays an i32 (so the code's (s32) reading of it moves by exactly t)
 * and base + [cmin, end) lies in the memory (exact integers; |t|, |cmin|, |end| < 2^30,
 * end > cmin, 1 <= n <= 2^32). */
WM_FN int wm_range_ok(s64 s, s64 t, u64 n, s64 cmin, s64 end, s64 mem)
{
    s64 d = (s64)(n - 1u) * t;
    s64 lo = s + (d < 0 ? d : 0), hi = s + (d > 0 ? d : 0);
    return lo >= -2147483648LL && hi <= 2147483647LL && lo + cmin >= 0 && hi + end <= mem;
}
/* The same on 32-bit targets in 32-bit arithmetic (the 64-bit one costs ~30 instructions a
 * base on a Cortex-M4, paid at every entry of loops that often run only a few times). It
 * also asks that the base moves less than 2^29 in all and a memory of at most 2^29 bytes
 * (else the loop keeps its checks). Then the lowest address X = (s32)s + cmin (less the
 * distance when counting down) lies in (-2^31 - 2^30 - 2^29, 2^31 + 2^30): a negative X
 * reads as more than 2^29 unsigned, an X of 2^31 or more is above 2^29 too, so the
 * unsigned test below holds only when X is exactly in [0, mem - span]; every base value
 * then lies in (-2^30, 2^30 + 2^29), an i32. tests/aot/test_aot_loop_range.py holds it
 * against wm_range_ok. */
#define WM_RANGE32_LIMIT (1u << 29)
WM_FN int wm_range_ok32(u32 s, s32 t, u64 n, s32 cmin, s32 end, u32 mem)
{
    u32 m = (u32)(n - 1u), at = t > 0 ? (u32)t : 0u - (u32)t;
    if (mem > WM_RANGE32_LIMIT || (at && m > (WM_RANGE32_LIMIT - 1u) / at)) return 0;
    u32 d = m * at;
    u32 w = d + (u32)(end - cmin);
    u32 x = s + (u32)cmin - (t < 0 ? d : 0u);
    return mem >= w && x <= mem - w;
}
#if UINTPTR_MAX > 0xffffffffu
#define RANGE_OK(s, t, n, cmin, end) wm_range_ok((s64)(s32)(s), (t), (n), (cmin), (end), msz)
#else
#define RANGE_OK(s, t, n, cmin, end) wm_range_ok32((s), (t), (n), (cmin), (end), msz)
#endif

#if defined(__XTENSA__)
/* Xtensa faults on unaligned loads and stores, so GCC turns a memcpy of 2-8 bytes from a
 * pointer of unknown alignment into single bytes (a 4-byte load: four byte loads, four byte
 * stores to the stack, a word load). Wasm accesses are nearly always aligned: test the
 * address (the memory's base is 8-aligned) and use word accesses, bytes otherwise. */
typedef uint16_t __attribute__((may_alias, aligned(2))) wm_a16;
typedef u32 __attribute__((may_alias, aligned(4))) wm_a32;
#define WM_AL(p, n) WM_LIKELY(((uintptr_t)(p) & ((n)-1u)) == 0u)
WM_FN u32 wm_ld16(const uint8_t *p)
{
    if (WM_AL(p, 2)) return *(const wm_a16 *)p;
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}
WM_FN u32 wm_ld32(const uint8_t *p)
{
    if (WM_AL(p, 4)) return *(const wm_a32 *)p;
    u32 v;
    __builtin_memcpy(&v, p, 4);
    return v;
}
WM_FN u64 wm_ld64(const uint8_t *p)
{
    if (WM_AL(p, 4)) return (u64)((const wm_a32 *)p)[0] | (u64)((const wm_a32 *)p)[1] << 32;
    u64 v;
    __builtin_memcpy(&v, p, 8);
    return v;
}
WM_FN void wm_st16(uint8_t *p, u32 v)
{
    if (WM_AL(p, 2)) {
        *(wm_a16 *)p = (uint16_t)v;
        return;
    }
    uint16_t w = (uint16_t)v;
    __builtin_memcpy(p, &w, 2);
}
WM_FN void wm_st32(uint8_t *p, u32 v)
{
    if (WM_AL(p, 4)) {
        *(wm_a32 *)p = v;
        return;
    }
    __builtin_memcpy(p, &v, 4);
}
WM_FN void wm_st64(uint8_t *p, u64 v)
{
    if (WM_AL(p, 4)) {
        ((wm_a32 *)p)[0] = (u32)v;
        ((wm_a32 *)p)[1] = (u32)(v >> 32);
        return;
    }
    __builtin_memcpy(p, &v, 8);
}
WM_FN f32 wm_ldf32(const uint8_t *p)
{
    u32 u = wm_ld32(p);
    f32 v;
    __builtin_memcpy(&v, &u, 4);
    return v;
}
WM_FN f64 wm_ldf64(const uint8_t *p)
{
    u64 u = wm_ld64(p);
    f64 v;
    __builtin_memcpy(&v, &u, 8);
    return v;
}
WM_FN void wm_stf32(uint8_t *p, f32 v)
{
    u32 u;
    __builtin_memcpy(&u, &v, 4);
    wm_st32(p, u);
}
WM_FN void wm_stf64(uint8_t *p, f64 v)
{
    u64 u;
    __builtin_memcpy(&u, &v, 8);
    wm_st64(p, u);
}
#else
WM_FN u32 wm_ld16(const uint8_t *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}
WM_FN u32 wm_ld32(const uint8_t *p)
{
    u32 v;
    __builtin_memcpy(&v, p, 4);
    return v;
}
WM_FN u64 wm_ld64(const uint8_t *p)
{
    u64 v;
    __builtin_memcpy(&v, p, 8);
    return v;
}
WM_FN void wm_st16(uint8_t *p, u32 v)
{
    uint16_t w = (uint16_t)v;
    __builtin_memcpy(p, &w, 2);
}
WM_FN void wm_st32(uint8_t *p, u32 v) { __builtin_memcpy(p, &v, 4); }
WM_FN void wm_st64(uint8_t *p, u64 v) { __builtin_memcpy(p, &v, 8); }
WM_FN f32 wm_ldf32(const uint8_t *p)
{
    f32 v;
    __builtin_memcpy(&v, p, 4);
    return v;
}
WM_FN f64 wm_ldf64(const uint8_t *p)
{
    f64 v;
    __builtin_memcpy(&v, p, 8);
    return v;
}
WM_FN void wm_stf32(uint8_t *p, f32 v) { __builtin_memcpy(p, &v, 4); }
WM_FN void wm_stf64(uint8_t *p, f64 v) { __builtin_memcpy(p, &v, 8); }
#endif
WM_FN u32 wm_ld8(const uint8_t *p) { return p[0]; }
WM_FN void wm_st8(uint8_t *p, u32 v) { p[0] = (uint8_t)v; }

/* memory.copy / memory.fill bodies (the blob links no libc). */
__attribute__((noinline)) static void wm_memmove(uint8_t *d, const uint8_t *s, u32 n)
{
    if (d == s || n == 0) return;
    if (d < s || d >= s + n) {
        if ((((uintptr_t)d | (uintptr_t)s) & (sizeof(uintptr_t) - 1u)) == 0) {
            for (; n >= sizeof(uintptr_t); n -= (u32)sizeof(uintptr_t)) {
                *(uintptr_t *)(void *)d = *(const uintptr_t *)(const void *)s;
                d += sizeof(uintptr_t);
                s += sizeof(uintptr_t);
            }
        }
        while (n--) *d++ = *s++;
    } else { /* from the end (a word at a time when both ends are aligned alike) */
        d += n;
        s += n;
        if ((((uintptr_t)d ^ (uintptr_t)s) & (sizeof(uintptr_t) - 1u)) == 0) {
            while (n && ((uintptr_t)d & (sizeof(uintptr_t) - 1u))) {
                *--d = *--s;
                n--;
            }
            for (; n >= sizeof(uintptr_t); n -= (u32)sizeof(uintptr_t)) {
                d -= sizeof(uintptr_t);
                s -= sizeof(uintptr_t);
                *(uintptr_t *)(void *)d = *(const uintptr_t *)(const void *)s;
            }
        }
        while (n--) *--d = *--s;
    }
}

__attribute__((noinline)) static void wm_memset(uint8_t *d, u32 v, u32 n)
{
    uintptr_t w = (uintptr_t)(v & 0xffu) * (UINTPTR_MAX / 0xffu);
    while (n && ((uintptr_t)d & (sizeof(uintptr_t) - 1u))) {
        *d++ = (uint8_t)v;
        n--;
    }
    for (; n >= sizeof(uintptr_t); n -= (u32)sizeof(uintptr_t)) {
        *(uintptr_t *)(void *)d = w;
        d += sizeof(uintptr_t);
    }
    while (n--) *d++ = (uint8_t)v;
}

#if defined(WM_FUEL_BYTES) /* (generated code: hand-written payloads do no bulk work) */
/* memory.fill / memory.copy (bounds already checked) in the pieces the fuel pays for, as the
 * interpreter does them: a copy overlapping forwards does its end first. Returns the slice
 * left (a returned value, not a pointer: the slice stays in a register elsewhere). */
__attribute__((noinline)) static intptr_t wm_fill(wm_aot_ctx *c, intptr_t fl, uint8_t *p, u32 v,
                                                  u32 n)
{
    (void)c;
    for (;;) {
        u32 m = wm_bulk_take(&fl, n, WM_FUEL_BYTES);
        wm_memset(p, v, m);
        if (m == n) return fl;
        p += m;
        n -= m;
        BULK_MORE(fl);
    }
}

__attribute__((noinline)) static intptr_t wm_copy(wm_aot_ctx *c, intptr_t fl, uint8_t *mb, u32 d,
                                                  u32 s, u32 n)
{
    (void)c;
    for (;;) {
        u32 m = wm_bulk_take(&fl, n, WM_FUEL_BYTES);
        if (m == n) {
            wm_memmove(mb + d, mb + s, n);
            return fl;
        }
        if (d > s) {
            wm_memmove(mb + d + (n - m), mb + s + (n - m), m);
        } else {
            wm_memmove(mb + d, mb + s, m);
            d += m;
            s += m;
        }
        n -= m;
        BULK_MORE(fl);
    }
}
#endif

/* ---- bit patterns of floats ---- */
WM_FN u32 wm_f32u(f32 f)
{
    u32 u;
    __builtin_memcpy(&u, &f, 4);
    return u;
}
WM_FN u64 wm_f64u(f64 f)
{
    u64 u;
    __builtin_memcpy(&u, &f, 8);
    return u;
}
WM_FN f32 wm_uf32(u32 u)
{
    f32 f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}
WM_FN f64 wm_uf64(u64 u)
{
    f64 f;
    __builtin_memcpy(&f, &u, 8);
    return f;
}

/* f32 -> f64 with an optimisation barrier: compilers fold demote(promote(x)) to x, which
 * would keep a signalling NaN signalling (the spec wants it quieted). */
#if defined(__x86_64__)
#define WM_FBARRIER(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define WM_FBARRIER(v) __asm__("" : "+w"(v))
#else
#define WM_FBARRIER(v) __asm__("" : "+r"(v))
#endif
WM_FN f64 wm_promote(f32 x)
{
    f64 d = (f64)x;
    WM_FBARRIER(d);
    return d;
}

/* ---- integer helpers ---- */
WM_FN u32 wm_rotl32(u32 a, u32 k)
{
    k &= 31u;
    return (a << k) | (a >> ((32u - k) & 31u));
}
WM_FN u32 wm_rotr32(u32 a, u32 k)
{
    k &= 31u;
    return (a >> k) | (a << ((32u - k) & 31u));
}
WM_FN u64 wm_rotl64(u64 a, u64 k)
{
    k &= 63u;
    return (a << k) | (a >> ((64u - k) & 63u));
}
WM_FN u64 wm_rotr64(u64 a, u64 k)
{
    k &= 63u;
    return (a >> k) | (a << ((64u - k) & 63u));
}
WM_FN u32 wm_clz32(u32 a) { return a ? (u32)__builtin_clz(a) : 32u; }
WM_FN u32 wm_ctz32(u32 a) { return a ? (u32)__builtin_ctz(a) : 32u; }
WM_FN u64 wm_clz64(u64 a) { return a ? (u64)__builtin_clzll(a) : 64u; }
WM_FN u64 wm_ctz64(u64 a) { return a ? (u64)__builtin_ctzll(a) : 64u; }
WM_FN u32 wm_popcnt32(u32 a)
{
    a = a - ((a >> 1) & 0x55555555u);
    a = (a & 0x33333333u) + ((a >> 2) & 0x33333333u);
    return (((a + (a >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
}
WM_FN u64 wm_popcnt64(u64 a) { return wm_popcnt32((u32)a) + wm_popcnt32((u32)(a >> 32)); }

/* ---- float helpers, bit-exact with the interpreter (core/runtime/float.c) ---- */
WM_FN int wm_nan32(u32 a) { return (a & 0x7fffffffu) > 0x7f800000u; }
WM_FN int wm_nan64(u64 a) { return (a & 0x7fffffffffffffffull) > 0x7ff0000000000000ull; }

WM_FN f32 wm_fmin32(f32 x, f32 y)
{
    u32 a = wm_f32u(x), b = wm_f32u(y);
    if (wm_nan32(a)) return wm_uf32(a | 0x00400000u);
    if (wm_nan32(b)) return wm_uf32(b | 0x00400000u);
    if (x == y) return wm_uf32(a | b);
    return x < y ? x : y;
}
WM_FN f32 wm_fmax32(f32 x, f32 y)
{
    u32 a = wm_f32u(x), b = wm_f32u(y);
    if (wm_nan32(a)) return wm_uf32(a | 0x00400000u);
    if (wm_nan32(b)) return wm_uf32(b | 0x00400000u);
    if (x == y) return wm_uf32(a & b);
    return x > y ? x : y;
}
WM_FN f64 wm_fmin64(f64 x, f64 y)
{
    u64 a = wm_f64u(x), b = wm_f64u(y);
    if (wm_nan64(a)) return wm_uf64(a | 0x0008000000000000ull);
    if (wm_nan64(b)) return wm_uf64(b | 0x0008000000000000ull);
    if (x == y) return wm_uf64(a | b);
    return x < y ? x : y;
}
WM_FN f64 wm_fmax64(f64 x, f64 y)
{
    u64 a = wm_f64u(x), b = wm_f64u(y);
    if (wm_nan64(a)) return wm_uf64(a | 0x0008000000000000ull);
    if (wm_nan64(b)) return wm_uf64(b | 0x0008000000000000ull);
    if (x == y) return wm_uf64(a & b);
    return x > y ? x : y;
}

/* ceil (0) / floor (1) / trunc (2) / nearest (3) on the bits of a format with mb mantissa
 * and eb exponent bits. */
__attribute__((noinline)) static u64 wm_round_bits(u64 a, int mb, int eb, int mode)
{
    const u64 sign = 1ull << (mb + eb);
    const u64 mmask = (1ull << mb) - 1u;
    const int emax = (1 << eb) - 1, bias = (1 << (eb - 1)) - 1;
    const u64 one = (u64)bias << mb;
    int e = (int)((a >> mb) & (u64)emax);
    int neg = (a & sign) != 0;
    if (e == emax) return (a & mmask) ? a | (1ull << (mb - 1)) : a;
    int ue = e - bias;
    if (ue >= mb) return a;
    if (ue < 0) {
        if ((a & ~sign) == 0) return a;
        switch (mode) {
        case 0: return neg ? sign : one;
        case 1: return neg ? (sign | one) : 0;
        case 2: return a & sign;
        default: return (ue == -1 && (a & mmask) != 0) ? ((a & sign) | one) : (a & sign);
        }
    }
    u64 frac = mmask >> ue;
    if ((a & frac) == 0) return a;
    u64 t = a & ~frac, unit = frac + 1u;
    switch (mode) {
    case 0: return neg ? t : t + unit;
    case 1: return neg ? t + unit : t;
    case 2: return t;
    default: {
        u64 f = a & frac, half = unit >> 1;
        int odd = ue == 0 ? 1 : (t & unit) != 0;
        return (f > half || (f == half && odd)) ? t + unit : t;
    }
    }
}
WM_FN f32 wm_round32(f32 x, int mode)
{
    return wm_uf32((u32)wm_round_bits(wm_f32u(x), 23, 8, mode));
}
WM_FN f64 wm_round64(f64 x, int mode) { return wm_uf64(wm_round_bits(wm_f64u(x), 52, 11, mode)); }

/* Square roots: the FPU's instruction where it has one (IEEE correctly rounded), otherwise
 * digit by digit on the bits. */
#if defined(__x86_64__) || defined(__aarch64__) || (defined(__ARM_FP) && (__ARM_FP & 8))
#define WM_HW_SQRT64 1
#endif
#if defined(__x86_64__) || defined(__aarch64__) || (defined(__ARM_FP) && (__ARM_FP & 4))
#define WM_HW_SQRT32 1
#endif

#if !defined(WM_HW_SQRT64) || !defined(WM_HW_SQRT32)
__attribute__((noinline)) static u64 wm_sqrt_bits64(u64 a)
{
    u64 mant = a & ((1ull << 52) - 1u);
    int e = (int)((a >> 52) & 0x7ff);
    if (e == 0x7ff) {
        if (mant) return a | 0x0008000000000000ull;
        return (a >> 63) ? 0x7ff8000000000000ull : a;
    }
    if ((a << 1) == 0) return a;
    if (a >> 63) return 0x7ff8000000000000ull;
    if (e == 0) {
        e = 1;
        while (!(mant & (1ull << 52))) {
            mant <<= 1;
            e--;
        }
    } else {
        mant |= 1ull << 52;
    }
    int ex = e - 1075;
    if (ex & 1) {
        mant <<= 1;
        ex -= 1;
    }
    u64 q = 0, rem = 0;
    for (int i = 54; i >= 0; i--) {
        int p = 2 * i;
        u64 two = p >= 56 ? (mant >> (p - 56)) & 3u : 0;
        rem = (rem << 2) | two;
        u64 t = (q << 2) | 1u;
        if (rem >= t) {
            rem -= t;
            q = (q << 1) | 1u;
        } else {
            q <<= 1;
        }
    }
    u64 rb = q & 3u;
    q >>= 2;
    int s = (ex - 56) / 2 + 2;
    if (rb == 3 || (rb == 2 && (rem != 0 || (q & 1u)))) q++;
    if (q == (1ull << 53)) {
        q >>= 1;
        s++;
    }
    return ((u64)(52 + s + 1023) << 52) | (q & ((1ull << 52) - 1u));
}
#endif
#if defined(WM_HW_SQRT64)
WM_FN f64 wm_sqrt64(f64 x) { return __builtin_sqrt(x); }
#else
WM_FN f64 wm_sqrt64(f64 x) { return wm_uf64(wm_sqrt_bits64(wm_f64u(x))); }
#endif
#if defined(WM_HW_SQRT32)
WM_FN f32 wm_sqrt32(f32 x) { return __builtin_sqrtf(x); }
#else
WM_FN f32 wm_sqrt32(f32 x)
{
    u32 a = wm_f32u(x);
    if (wm_nan32(a)) return wm_uf32(a | 0x00400000u);
    /* double rounding through f64 is exact for sqrt (53 >= 2*24+2) */
    return (f32)wm_uf64(wm_sqrt_bits64(wm_f64u((f64)x)));
}
#endif

WM_FN f32 wm_copysign32(f32 a, f32 b)
{
    return wm_uf32((wm_f32u(a) & 0x7fffffffu) | (wm_f32u(b) & 0x80000000u));
}
WM_FN f64 wm_copysign64(f64 a, f64 b)
{
    return wm_uf64((wm_f64u(a) & 0x7fffffffffffffffull) | (wm_f64u(b) & 0x8000000000000000ull));
}
WM_FN f32 wm_abs32(f32 a) { return wm_uf32(wm_f32u(a) & 0x7fffffffu); }
WM_FN f64 wm_abs64(f64 a) { return wm_uf64(wm_f64u(a) & 0x7fffffffffffffffull); }
WM_FN f32 wm_neg32(f32 a) { return wm_uf32(wm_f32u(a) ^ 0x80000000u); }
WM_FN f64 wm_neg64(f64 a) { return wm_uf64(wm_f64u(a) ^ 0x8000000000000000ull); }

/* ---- float -> int: trapping (T) and saturating (S) ----
 * In range: -2^31 <= x < 2^31 (s32), -1 < x < 2^32 (u32), likewise for 64 bits. Every bound
 * is exact in both formats; NaN fails every comparison. */
#define WM_TRUNC(name, ft, it, lo_ok, hi_ok)                      \
    WM_FN it name(wm_aot_ctx *c, uintptr_t fl, ft x)              \
    {                                                             \
        if (WM_UNLIKELY(!((lo_ok) && (hi_ok)))) {                 \
            if (x != x) wm_trap(c, WM_AOT_TRAP_INVALID_CONV, fl); \
            wm_trap(c, WM_AOT_TRAP_INT_OVERFLOW, fl);             \
        }                                                         \
        return (it)x;                                             \
    }
WM_TRUNC(wm_trunc_s32_f32, f32, s32, x >= -2147483648.0f, x < 2147483648.0f)
WM_TRUNC(wm_trunc_u32_f32, f32, u32, x > -1.0f, x < 4294967296.0f)
WM_TRUNC(wm_trunc_s32_f64, f64, s32, x > -2147483649.0, x < 2147483648.0)
WM_TRUNC(wm_trunc_u32_f64, f64, u32, x > -1.0, x < 4294967296.0)
WM_TRUNC(wm_trunc_s64_f32, f32, s64, x >= -9223372036854775808.0f, x < 9223372036854775808.0f)
WM_TRUNC(wm_trunc_u64_f32, f32, u64, x > -1.0f, x < 18446744073709551616.0f)
WM_TRUNC(wm_trunc_s64_f64, f64, s64, x >= -9223372036854775808.0, x < 9223372036854775808.0)
WM_TRUNC(wm_trunc_u64_f64, f64, u64, x > -1.0, x < 18446744073709551616.0)

#define WM_SAT(name, ft, it, lo_ok, hi_ok, lo, hi) \
    WM_FN it name(ft x)                            \
    {                                              \
        if (x != x) return 0;                      \
        if (!(lo_ok)) return (it)(lo);             \
        if (!(hi_ok)) return (it)(hi);             \
        return (it)x;                              \
    }
WM_SAT(wm_sat_s32_f32, f32, s32, x >= -2147483648.0f, x < 2147483648.0f, INT32_MIN, INT32_MAX)
WM_SAT(wm_sat_u32_f32, f32, u32, x > -1.0f, x < 4294967296.0f, 0, UINT32_MAX)
WM_SAT(wm_sat_s32_f64, f64, s32, x > -2147483649.0, x < 2147483648.0, INT32_MIN, INT32_MAX)
WM_SAT(wm_sat_u32_f64, f64, u32, x > -1.0, x < 4294967296.0, 0, UINT32_MAX)
WM_SAT(wm_sat_s64_f32, f32, s64, x >= -9223372036854775808.0f, x < 9223372036854775808.0f,
       INT64_MIN, INT64_MAX)
WM_SAT(wm_sat_u64_f32, f32, u64, x > -1.0f, x < 18446744073709551616.0f, 0, UINT64_MAX)
WM_SAT(wm_sat_s64_f64, f64, s64, x >= -9223372036854775808.0, x < 9223372036854775808.0, INT64_MIN,
       INT64_MAX)
WM_SAT(wm_sat_u64_f64, f64, u64, x > -1.0, x < 18446744073709551616.0, 0, UINT64_MAX)

/* ---- libc symbols a compiler may emit calls to (struct copies, zeroing) ---- */
__attribute__((visibility("hidden"))) void *memcpy(void *d, const void *s, size_t n);
__attribute__((visibility("hidden"))) void *memmove(void *d, const void *s, size_t n);
__attribute__((visibility("hidden"))) void *memset(void *d, int v, size_t n);
void *memcpy(void *d, const void *s, size_t n)
{
    wm_memmove((uint8_t *)d, (const uint8_t *)s, (u32)n);
    return d;
}
void *memmove(void *d, const void *s, size_t n)
{
    wm_memmove((uint8_t *)d, (const uint8_t *)s, (u32)n);
    return d;
}
void *memset(void *d, int v, size_t n)
{
    wm_memset((uint8_t *)d, (u32)v, (u32)n);
    return d;
}

#endif /* WM_AOT_PRELUDE_H */
