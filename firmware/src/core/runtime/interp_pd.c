/* interp_pd.c - the interpreter of the pre-decoded form (docs/predecoded.md).
 *
 * Same machine as interp.c: frames in the instance's frame array, the same fuel check
 * points charging the validator's numbers (function entry, loop from above and back-edges,
 * calls, returns), the same traps and messages, the same suspension points: a suspended
 * call resumes in the form. Operands are frame slots named by each instruction, so there
 * is no operand-stack pointer: a value at stack height h is slot nlocals_total + h.
 *
 * Calls between a module with a form and one without switch engines (wm_run below): the
 * running engine saves its registers and sets state WM_PD_STATE_SWITCH, the other one
 * continues from them. A module is pre-decoded whole or not at all, so a switch happens
 * only at a call or return between instances. */
#include "wm_interp.h"
#include "wm_pd.h"

#if WM_PREDECODE

/* x->sp is stored wherever sp changes (calls, returns), so the exits from the dispatch loop
 * need not save it: sp is then dead inside the loop and its register goes to the handlers. */
#define SAVE_NOSP()                                \
    do {                                           \
        x->pc = (const uint8_t *)(const void *)pc; \
        x->stp = NULL;                             \
        x->fp = fp;                                \
        x->func = func;                            \
    } while (0)
#define SAVE()       \
    do {             \
        SAVE_NOSP(); \
        x->sp = sp;  \
    } while (0)

/* A 32-bit field is two units, low first. Where unaligned word loads are cheap it is read
 * as the little-endian word it is (one load instead of two and a shift; the form exists
 * only on little-endian targets, wm_pd_attach), elsewhere unit by unit. */
#if defined(__x86_64__) || defined(__i386__) || defined(__ARM_FEATURE_UNALIGNED)
#define LD32(i) wm_ld32((const uint8_t *)(const void *)(pc + (i)))
#else
#define LD32(i) ((uint32_t)pc[i] | ((uint32_t)pc[(i) + 1] << 16))
#endif
#define LD64(i) ((uint64_t)LD32(i) | ((uint64_t)LD32((i) + 2) << 32))
#define D fp[pc[0]]
#define A fp[pc[1]]
#define B fp[pc[2]]

#if defined(__GNUC__) && !defined(WM_NO_COMPUTED_GOTO)
#define WM_CGOTO 1
#define OP(n) L##n:
#define NEXT() goto *tbl[(uint8_t)*pc++] /* a byte: the table bounds any unit */
/* pc += n then NEXT(), the opcode read at its offset first so it is one load, not an add
 * and a load (GCC does not fold it itself) */
#define NEXT_AT(n)                     \
    do {                               \
        uint32_t op_ = (uint8_t)pc[n]; \
        pc += (n) + 1;                 \
        goto *tbl[op_];                \
    } while (0)
#else
#define WM_CGOTO 0
#define OP(n) case 0x##n:
#define NEXT() continue
#define NEXT_AT(n) \
    {              \
        pc += (n); \
        continue;  \
    }
#endif

#define UN32(e)                   \
    {                             \
        uint32_t a = (uint32_t)A; \
        (void)a;                  \
        D = (uint32_t)(e);        \
        NEXT_AT(2);               \
    }
#define UN64(e)            \
    {                      \
        uint64_t a = A;    \
        D = (uint64_t)(e); \
        NEXT_AT(2);        \
    }
#define BIN32(e)                                   \
    {                                              \
        uint32_t a = (uint32_t)A, b = (uint32_t)B; \
        (void)a;                                   \
        (void)b;                                   \
        D = (uint32_t)(e);                         \
        NEXT_AT(3);                                \
    }
#define BINK(e)                                \
    {                                          \
        uint32_t a = (uint32_t)A, b = LD32(2); \
        D = (uint32_t)(e);                     \
        NEXT_AT(4);                            \
    }
#define BR_CMP(e)                                                  \
    {                                                              \
        uint32_t a = (uint32_t)fp[pc[0]], b = (uint32_t)fp[pc[1]]; \
        if (e) {                                                   \
            pc += 2 + (int32_t)LD32(2);                            \
            NEXT();                                                \
        }                                                          \
        NEXT_AT(4);                                                \
    }
#define BRX_CMP(e)                                                 \
    {                                                              \
        uint32_t a = (uint32_t)fp[pc[0]], b = (uint32_t)fp[pc[1]]; \
        if (e) {                                                   \
            pc += 2;                                               \
            goto brx;                                              \
        }                                                          \
        pc += 2 + PD_BRX_UNITS;                                    \
        NEXT();                                                    \
    }
#define BIN64(e)               \
    {                          \
        uint64_t a = A, b = B; \
        D = (uint64_t)(e);     \
        NEXT_AT(3);            \
    }
#define BINF32(e)                                               \
    {                                                           \
        float a = wm_f32((uint32_t)A), b = wm_f32((uint32_t)B); \
        D = (e);                                                \
        NEXT_AT(3);                                             \
    }
#define BINF64(e)                            \
    {                                        \
        double a = wm_f64(A), b = wm_f64(B); \
        D = (e);                             \
        NEXT_AT(3);                          \
    }
#define LOADOP(N, e)                                                           \
    {                                                                          \
        uint64_t ea_ = (uint64_t)(uint32_t)A + LD32(2);                        \
        if (WM_UNLIKELY(ea_ + (N) > msz)) TRAP("out of bounds memory access"); \
        const uint8_t *p = mb + ea_;                                           \
        D = (e);                                                               \
        NEXT_AT(4);                                                            \
    }
#define STOREOP(N, st)                                                         \
    {                                                                          \
        uint64_t ea_ = (uint64_t)(uint32_t)fp[pc[0]] + LD32(2);                \
        if (WM_UNLIKELY(ea_ + (N) > msz)) TRAP("out of bounds memory access"); \
        uint8_t *p = mb + ea_;                                                 \
        uint64_t v = fp[pc[1]];                                                \
        st;                                                                    \
        NEXT_AT(4);                                                            \
    }

/* GCC compiles the dispatch at -Os into one shared indirect jump that every handler
 * branches back to (it factors the computed gotos and unfactors them only when
 * optimising for speed), with the table reloaded from the literal pool at each
 * instruction. The run loop alone is compiled for speed so each handler ends in its own
 * jump (bench/interp_m4, docs/performance.md). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE_SIZE__)
#define WM_RUN_LOOP_ATTR __attribute__((optimize("O2", "reorder-blocks-algorithm=simple")))
#else
#define WM_RUN_LOOP_ATTR
#endif

WM_RUN_LOOP_ATTR
wm_err wm_run_pd(wm_instance *inst, wm_error *err)
{
    wm_exec *x = &inst->x;
    const uint16_t *pc = (const uint16_t *)(const void *)x->pc;
    uint64_t *sp = x->sp, *fp = x->fp;
    const wm_func *func = x->func, *callee = NULL;
    wm_instance *ci = NULL;
    uint8_t *mb = NULL;
    uint64_t msz = 0;
    const char *msg = NULL;
    wm_err code = WM_OK;
#if WM_CGOTO
    static const void *const tbl[256] = {
        &&L00,   &&L01,   &&L02,   &&L03,   &&L04,   &&L05,   &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L0C,   &&L0D,   &&L0E,   &&L0F,   &&L10,   &&L11,   &&L12,   &&L13,
        &&L14,   &&L15,   &&L16,   &&L17,   &&L18,   &&L19,   &&L1A,   &&L1B,   &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L23,   &&L24,   &&L25,   &&L26,   &&L_ILL,
        &&L28,   &&L29,   &&L2A,   &&L2B,   &&L2C,   &&L2D,   &&L2E,   &&L2F,   &&L30,   &&L31,
        &&L32,   &&L33,   &&L34,   &&L35,   &&L36,   &&L37,   &&L38,   &&L39,   &&L3A,   &&L3B,
        &&L3C,   &&L3D,   &&L3E,   &&L3F,   &&L40,   &&L41,   &&L42,   &&L_ILL, &&L_ILL, &&L45,
        &&L46,   &&L47,   &&L48,   &&L49,   &&L4A,   &&L4B,   &&L4C,   &&L4D,   &&L4E,   &&L4F,
        &&L50,   &&L51,   &&L52,   &&L53,   &&L54,   &&L55,   &&L56,   &&L57,   &&L58,   &&L59,
        &&L5A,   &&L5B,   &&L5C,   &&L5D,   &&L5E,   &&L5F,   &&L60,   &&L61,   &&L62,   &&L63,
        &&L64,   &&L65,   &&L66,   &&L67,   &&L68,   &&L69,   &&L6A,   &&L6B,   &&L6C,   &&L6D,
        &&L6E,   &&L6F,   &&L70,   &&L71,   &&L72,   &&L73,   &&L74,   &&L75,   &&L76,   &&L77,
        &&L78,   &&L79,   &&L7A,   &&L7B,   &&L7C,   &&L7D,   &&L7E,   &&L7F,   &&L80,   &&L81,
        &&L82,   &&L83,   &&L84,   &&L85,   &&L86,   &&L87,   &&L88,   &&L89,   &&L8A,   &&L8B,
        &&L8C,   &&L8D,   &&L8E,   &&L8F,   &&L90,   &&L91,   &&L92,   &&L93,   &&L94,   &&L95,
        &&L96,   &&L97,   &&L98,   &&L99,   &&L9A,   &&L9B,   &&L9C,   &&L9D,   &&L9E,   &&L9F,
        &&LA0,   &&LA1,   &&LA2,   &&LA3,   &&LA4,   &&LA5,   &&LA6,   &&LA7,   &&LA8,   &&LA9,
        &&LAA,   &&LAB,   &&LAC,   &&LAD,   &&LAE,   &&LAF,   &&LB0,   &&LB1,   &&LB2,   &&LB3,
        &&LB4,   &&LB5,   &&LB6,   &&LB7,   &&LB8,   &&LB9,   &&LBA,   &&LBB,   &&LBC,   &&LBD,
        &&LBE,   &&LBF,   &&LC0,   &&LC1,   &&LC2,   &&LC3,   &&LC4,   &&LC5,   &&LC6,   &&LC7,
        &&LC8,   &&LC9,   &&LCA,   &&LCB,   &&LCC,   &&LCD,   &&LCE,   &&LCF,   &&L_ILL, &&LD1,
        &&LD2,   &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&LE0,   &&LE1,   &&LE2,   &&LE3,   &&LE4,   &&LE5,
        &&LE6,   &&LE7,   &&LE8,   &&LE9,   &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&LF0,   &&LF1,   &&LF2,   &&LF3,   &&LF4,   &&LF5,   &&LF6,   &&LF7,   &&LF8,   &&LF9,
        &&LFA,   &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
    };
#endif

    if (x->retry) { /* a host function blocked, or the other engine handed over a call */
        callee = x->retry;
        x->retry = NULL;
        if (func) LOAD_CTX();
        goto do_call;
    }
    LOAD_CTX();
    goto dispatch;

do_call:
    x->sp = sp;
    if (callee->host) {
        HOST_CALL();
        for (i = 0; i < t->nresults; i++) sp[i] = wm_val_to_slot(&res[i]);
        LOAD_CTX();
        if (WM_UNLIKELY(x->owed > 0)) goto suspend;
        goto dispatch;
    }
    if (!callee->inst->mod->pd) { /* in place: the other engine calls it */
        x->retry = callee;
        SAVE();
        x->state = WM_PD_STATE_SWITCH;
        return WM_OK;
    }
    {
        const wm_funcdef *d = callee->def;
        if (x->depth >= x->max_frames) EXHAUST();
        /* In place a caller's frame holds one slot more at a call than here (interp.c
         * spills its cached top, at height 0 too), so a frame below counts one slot more:
         * the stack runs out at the same depth, with the same fuel spent, as in place. */
        if ((uint64_t)(x->stack_end - sp) < (uint64_t)d->nlocals + d->max_height + 1 + x->depth)
            EXHAUST();
        wm_frame *fr = &x->frames[x->depth++];
        fr->pc = (const uint8_t *)(const void *)pc;
        fr->stp = NULL;
        fr->fp = fp;
        fr->func = func;
        func = callee;
        fp = sp - d->type->nparams;
        for (uint32_t i = 0; i < d->nlocals; i++) *sp++ = 0;
        x->sp = sp;
        pc = wm_pd_code(callee->inst->mod, d);
        if (callee->inst != ci) LOAD_CTX();
        CHECK_POINT(d->fuel_entry);
    }

dispatch:
    for (;;) {
#if WM_CGOTO
        NEXT();
        {
#else
        switch ((uint8_t)*pc++) {
#endif
            OP(00) TRAP("unreachable");
            OP(01) D = A;
            NEXT_AT(2);
            OP(02)
        brx : {
            uint32_t from = pc[4], to = pc[5], n = pc[6];
            for (uint32_t k = 0; k < n; k++) fp[to + k] = fp[from + k];
            uint32_t fuel = LD32(2);
            pc += (int32_t)LD32(0);
            CHECK_POINT(fuel); /* 0 for a forward branch; a loop's body fuel going back */
            NEXT();
        }
            OP(03)
            if ((uint32_t)fp[pc[0]]) {
                pc++;
                goto brx;
            }
            pc += 1 + PD_BRX_UNITS;
            NEXT();
            OP(04)
            if ((uint32_t)fp[pc[0]]) {
                NEXT_AT(3);
            }
            pc += 1 + (int32_t)LD32(1);
            NEXT();
            OP(05)
            {
                uint32_t fuel = LD32(0);
                pc += 2;
                CHECK_POINT(fuel);
                NEXT();
            }
            OP(0C) pc += (int32_t)LD32(0);
            NEXT();
            OP(0D)
            if ((uint32_t)fp[pc[0]]) {
                pc += 1 + (int32_t)LD32(1);
                NEXT();
            }
            NEXT_AT(3);
            OP(0E)
            {
                uint32_t i = (uint32_t)fp[pc[0]], n = LD32(1);
                pc += 3 + PD_BRX_UNITS * (i < n ? i : n);
                goto brx;
            }
            OP(0F)
            {
                if (WM_UNLIKELY(x->fuel < func->def->fuel_ret)) STOP_BEFORE(pc - 1);
                x->fuel -= func->def->fuel_ret;
                uint32_t n = func->type->nresults;
                const uint64_t *src = fp + pc[0];
                for (uint32_t k = 0; k < n; k++) fp[k] = src[k];
                sp = fp + n;
                x->sp = sp;
                wm_frame *fr = &x->frames[--x->depth];
                if (!fr->pc) {
                    func = fr->func;
                    pc = NULL;
                    fp = fr->fp;
                    SAVE();
                    return WM_OK;
                }
                pc = (const uint16_t *)(const void *)fr->pc;
                fp = fr->fp;
                func = fr->func;
                if (func->inst != ci) {
                    LOAD_CTX();
                    if (!func->inst->mod->pd) { /* back to an in-place caller: its registers */
                        SAVE();
                        x->stp = fr->stp;
                        x->sp = sp - 1; /* as interp.c's POPN(1) after a return */
                        x->tos = *x->sp;
                        x->state = WM_PD_STATE_SWITCH;
                        return WM_OK;
                    }
                }
                NEXT();
            }
            OP(10)
            {
                uint32_t fuel = LD32(0);
                if (WM_UNLIKELY(x->fuel < fuel)) STOP_BEFORE(pc - 1);
                x->fuel -= fuel;
                callee = ci->funcs[LD32(2)];
                sp = fp + pc[4] + callee->type->nparams;
                pc += 5;
                goto do_call;
            }
            OP(11)
            {
                uint32_t fuel = LD32(0);
                if (WM_UNLIKELY(x->fuel < fuel)) STOP_BEFORE(pc - 1);
                x->fuel -= fuel;
                uint32_t ti = LD32(2);
                wm_table *t = ci->tables[LD32(4)];
                uint32_t i = (uint32_t)fp[pc[6]];
                uint32_t base = pc[7];
                pc += 8;
                if (i >= t->size) TRAP("undefined element");
                callee = (const wm_func *)(uintptr_t)t->elems[i];
                if (!callee) TRAP("uninitialized element");
                if (!wm_functype_eq(callee->type, &ci->mod->types[ti]))
                    TRAP("indirect call type mismatch");
                sp = fp + base + callee->type->nparams;
                goto do_call;
            }
            OP(1B) D = (uint32_t)fp[pc[3]] ? A : B;
            NEXT_AT(4);
            OP(23) D = ci->globals[LD32(1)]->val;
            NEXT_AT(3);
            OP(24) ci->globals[LD32(1)]->val = fp[pc[0]];
            NEXT_AT(3);
            OP(28) LOADOP(4, wm_ld32(p));
            OP(29) LOADOP(8, wm_ld64(p));
            OP(2A) LOADOP(4, wm_ld32(p));
            OP(2B) LOADOP(8, wm_ld64(p));
            OP(2C) LOADOP(1, (uint32_t)(int32_t)(int8_t)p[0]);
            OP(2D) LOADOP(1, p[0]);
            OP(2E) LOADOP(2, (uint32_t)(int32_t)(int16_t)wm_ld16(p));
            OP(2F) LOADOP(2, wm_ld16(p));
            OP(30) LOADOP(1, (uint64_t)(int64_t)(int8_t)p[0]);
            OP(31) LOADOP(1, p[0]);
            OP(32) LOADOP(2, (uint64_t)(int64_t)(int16_t)wm_ld16(p));
            OP(33) LOADOP(2, wm_ld16(p));
            OP(34) LOADOP(4, (uint64_t)(int64_t)(int32_t)wm_ld32(p));
            OP(35) LOADOP(4, wm_ld32(p));
            OP(36) STOREOP(4, wm_st32(p, (uint32_t)v));
            OP(37) STOREOP(8, wm_st64(p, v));
            OP(38) STOREOP(4, wm_st32(p, (uint32_t)v));
            OP(39) STOREOP(8, wm_st64(p, v));
            OP(3A) STOREOP(1, p[0] = (uint8_t)v);
            OP(3B) STOREOP(2, wm_st16(p, (uint16_t)v));
            OP(3C) STOREOP(1, p[0] = (uint8_t)v);
            OP(3D) STOREOP(2, wm_st16(p, (uint16_t)v));
            OP(3E) STOREOP(4, wm_st32(p, (uint32_t)v));
            OP(3F) D = ci->mem->pages;
            NEXT_AT(1);
            OP(40)
            { /* as interp.c's bulk_op GROW: the new bytes zeroed in pieces the fuel pays for */
                uint64_t can =
                    x->fuel > UINT64_MAX / WM_FUEL_BYTES ? UINT64_MAX : x->fuel * WM_FUEL_BYTES;
                uint64_t done = 0;
                int32_t g = wm_memory_grow_part(ci->mem, (uint32_t)A, &x->grow_done, can, &done);
                if (g == WM_GROW_MORE) {
                    x->fuel = 0;
                    STOP_BEFORE(pc - 1);
                }
                x->fuel -= done / WM_FUEL_BYTES;
                D = (uint32_t)g;
                pc += 2;
                mb = ci->mem->data;
                msz = ci->mem->bytes;
                NEXT();
            }
            OP(41) D = LD32(1);
            NEXT_AT(3);
            OP(42) D = LD64(1);
            NEXT_AT(5);
            OP(45) UN32(a == 0);
            OP(46) BIN32(a == b);
            OP(47) BIN32(a != b);
            OP(48) BIN32((int32_t)a < (int32_t)b);
            OP(49) BIN32(a < b);
            OP(4A) BIN32((int32_t)a > (int32_t)b);
            OP(4B) BIN32(a > b);
            OP(4C) BIN32((int32_t)a <= (int32_t)b);
            OP(4D) BIN32(a <= b);
            OP(4E) BIN32((int32_t)a >= (int32_t)b);
            OP(4F) BIN32(a >= b);
            OP(50) UN64(a == 0);
            OP(51) BIN64(a == b);
            OP(52) BIN64(a != b);
            OP(53) BIN64((int64_t)a < (int64_t)b);
            OP(54) BIN64(a < b);
            OP(55) BIN64((int64_t)a > (int64_t)b);
            OP(56) BIN64(a > b);
            OP(57) BIN64((int64_t)a <= (int64_t)b);
            OP(58) BIN64(a <= b);
            OP(59) BIN64((int64_t)a >= (int64_t)b);
            OP(5A) BIN64(a >= b);
            OP(5B) BINF32(a == b);
            OP(5C) BINF32(a != b);
            OP(5D) BINF32(a < b);
            OP(5E) BINF32(a > b);
            OP(5F) BINF32(a <= b);
            OP(60) BINF32(a >= b);
            OP(61) BINF64(a == b);
            OP(62) BINF64(a != b);
            OP(63) BINF64(a < b);
            OP(64) BINF64(a > b);
            OP(65) BINF64(a <= b);
            OP(66) BINF64(a >= b);
            OP(67) UN32(clz32(a));
            OP(68) UN32(ctz32(a));
            OP(69) UN32(pop32(a));
            OP(6A) BIN32(a + b);
            OP(6B) BIN32(a - b);
            OP(6C) BIN32(a * b);
            OP(6D)
            {
                int32_t a = (int32_t)(uint32_t)A, b = (int32_t)(uint32_t)B;
                if (b == 0) TRAP("integer divide by zero");
                if (a == INT32_MIN && b == -1) TRAP("integer overflow");
                D = (uint32_t)(a / b);
                NEXT_AT(3);
            }
            OP(6E)
            if ((uint32_t)B == 0) TRAP("integer divide by zero");
            BIN32(a / b);
            OP(6F)
            {
                int32_t a = (int32_t)(uint32_t)A, b = (int32_t)(uint32_t)B;
                if (b == 0) TRAP("integer divide by zero");
                D = b == -1 ? 0 : (uint32_t)(a % b);
                NEXT_AT(3);
            }
            OP(70)
            if ((uint32_t)B == 0) TRAP("integer divide by zero");
            BIN32(a % b);
            OP(71) BIN32(a & b);
            OP(72) BIN32(a | b);
            OP(73) BIN32(a ^ b);
            OP(74) BIN32(a << (b & 31));
            OP(75) BIN32((uint32_t)((int32_t)a >> (b & 31)));
            OP(76) BIN32(a >> (b & 31));
            OP(77) BIN32(rotl32(a, b));
            OP(78) BIN32(rotr32(a, b));
            OP(79) UN64(clz64(a));
            OP(7A) UN64(ctz64(a));
            OP(7B) UN64(pop64(a));
            OP(7C) BIN64(a + b);
            OP(7D) BIN64(a - b);
            OP(7E) BIN64(a * b);
            OP(7F)
            {
                int64_t a = (int64_t)A, b = (int64_t)B;
                if (b == 0) TRAP("integer divide by zero");
                if (a == INT64_MIN && b == -1) TRAP("integer overflow");
                D = (uint64_t)(a / b);
                NEXT_AT(3);
            }
            OP(80)
            if (B == 0) TRAP("integer divide by zero");
            BIN64(a / b);
            OP(81)
            {
                int64_t a = (int64_t)A, b = (int64_t)B;
                if (b == 0) TRAP("integer divide by zero");
                D = b == -1 ? 0 : (uint64_t)(a % b);
                NEXT_AT(3);
            }
            OP(82)
            if (B == 0) TRAP("integer divide by zero");
            BIN64(a % b);
            OP(83) BIN64(a & b);
            OP(84) BIN64(a | b);
            OP(85) BIN64(a ^ b);
            OP(86) BIN64(a << (b & 63));
            OP(87) BIN64((uint64_t)((int64_t)a >> (b & 63)));
            OP(88) BIN64(a >> (b & 63));
            OP(89) BIN64(rotl64(a, b));
            OP(8A) BIN64(rotr64(a, b));
            OP(8B) UN32(a & 0x7fffffffu);
            OP(8C) UN32(a ^ 0x80000000u);
            OP(8D) UN32(wm_f32_round(a, 0));
            OP(8E) UN32(wm_f32_round(a, 1));
            OP(8F) UN32(wm_f32_round(a, 2));
            OP(90) UN32(wm_f32_round(a, 3));
            OP(91) UN32(wm_f32_sqrt(a));
            OP(92) BINF32(wm_f32b(a + b));
            OP(93) BINF32(wm_f32b(a - b));
            OP(94) BINF32(wm_f32b(a * b));
            OP(95) BINF32(wm_f32b(a / b));
            OP(96) BIN32(wm_f32_min(a, b));
            OP(97) BIN32(wm_f32_max(a, b));
            OP(98) BIN32((a & 0x7fffffffu) | (b & 0x80000000u));
            OP(99) UN64(a & 0x7fffffffffffffffull);
            OP(9A) UN64(a ^ 0x8000000000000000ull);
            OP(9B) UN64(wm_f64_round(a, 0));
            OP(9C) UN64(wm_f64_round(a, 1));
            OP(9D) UN64(wm_f64_round(a, 2));
            OP(9E) UN64(wm_f64_round(a, 3));
            OP(9F) UN64(wm_f64_sqrt(a));
            OP(A0) BINF64(wm_f64b(a + b));
            OP(A1) BINF64(wm_f64b(a - b));
            OP(A2) BINF64(wm_f64b(a * b));
            OP(A3) BINF64(wm_f64b(a / b));
            OP(A4) BIN64(wm_f64_min(a, b));
            OP(A5) BIN64(wm_f64_max(a, b));
            OP(A6) BIN64((a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull));
            OP(A7) UN32(a);
            OP(A8) OP(A9) OP(AA) OP(AB)
            {
                uint16_t o = pc[-1];
                uint64_t dv = o < 0xAA ? wm_f64b((double)wm_f32((uint32_t)A)) : A;
                uint32_t r;
                bool nan;
                if (!wm_trunc_f64_i32(dv, (o & 1) == 0, &r, &nan))
                    TRAP(nan ? "invalid conversion to integer" : "integer overflow");
                D = r;
                NEXT_AT(2);
            }
            OP(AC) UN64((uint64_t)(int64_t)(int32_t)(uint32_t)a);
            OP(AD) UN64((uint32_t)a);
            OP(AE) OP(AF) OP(B0) OP(B1)
            {
                uint16_t o = pc[-1];
                uint64_t dv = o < 0xB0 ? wm_f64b((double)wm_f32((uint32_t)A)) : A, r;
                bool nan;
                if (!wm_trunc_f64_i64(dv, (o & 1) == 0, &r, &nan))
                    TRAP(nan ? "invalid conversion to integer" : "integer overflow");
                D = r;
                NEXT_AT(2);
            }
            OP(B2) UN32(wm_f32b((float)(int32_t)a));
            OP(B3) UN32(wm_f32b((float)a));
            OP(B4) UN64(wm_f32b((float)(int64_t)a));
            OP(B5) UN64(wm_f32b((float)a));
            OP(B6) UN64(wm_f32b((float)wm_f64(a)));
            OP(B7) UN64(wm_f64b((double)(int32_t)(uint32_t)a));
            OP(B8) UN64(wm_f64b((double)(uint32_t)a));
            OP(B9) UN64(wm_f64b((double)(int64_t)a));
            OP(BA) UN64(wm_f64b((double)a));
            OP(BB) UN64(wm_f64b((double)wm_f32((uint32_t)a)));
            OP(BC) OP(BE) UN64((uint32_t)a);
            OP(BD) OP(BF) UN64(a);
            OP(C0) UN64((uint32_t)(int32_t)(int8_t)(uint8_t)a);
            OP(C1) UN64((uint32_t)(int32_t)(int16_t)(uint16_t)a);
            OP(C2) UN64((uint64_t)(int64_t)(int8_t)(uint8_t)a);
            OP(C3) UN64((uint64_t)(int64_t)(int16_t)(uint16_t)a);
            OP(C4) UN64((uint64_t)(int64_t)(int32_t)(uint32_t)a);
            OP(D1) UN64(a == 0);
            OP(D2) D = (uint64_t)(uintptr_t)ci->funcs[LD32(1)];
            NEXT_AT(3);
            OP(E0) OP(E1) OP(E2) OP(E3)
            {
                uint32_t sub = (uint32_t)(pc[-1] - PD_SAT);
                uint64_t dv = sub < 2 ? wm_f64b((double)wm_f32((uint32_t)A)) : A;
                D = wm_trunc_sat_f64_i32(dv, (sub & 1) == 0);
                NEXT_AT(2);
            }
            OP(E8)
            { /* bulk memory / table operations: interp.c's bulk_op on the slots in place */
                uint32_t sub = pc[0], top = pc[1];
                x->pc = func->inst->mod->bytes + LD32(2);
                x->sp = fp + top;
                x->tos = fp[top];
                int r = wm_bulk_op(x, ci, sub);
                if (r == BULK_STOP) { /* part done: the rest stays as the operands */
                    fp[top] = x->tos;
                    STOP_BEFORE(pc - 1);
                }
                if (r == BULK_TRAP_MEM) TRAP("out of bounds memory access");
                if (r == BULK_TRAP_TABLE) TRAP("out of bounds table access");
                if (r == BULK_ILLEGAL) TRAP("illegal opcode");
                if (sub == 15) fp[top - 1] = x->tos; /* table.grow's result */
                pc += 4;
                if (r == BULK_SUSPEND) goto suspend;
                NEXT();
            }
            OP(E9) D = ci->tables[LD32(1)]->size;
            NEXT_AT(3);
            OP(25)
            {
                wm_table *t = ci->tables[LD32(2)];
                uint32_t i = (uint32_t)A;
                if (i >= t->size) TRAP("out of bounds table access");
                D = t->elems[i];
                NEXT_AT(4);
            }
            OP(26)
            {
                wm_table *t = ci->tables[LD32(2)];
                uint32_t i = (uint32_t)fp[pc[0]];
                if (i >= t->size) TRAP("out of bounds table access");
                t->elems[i] = fp[pc[1]];
                NEXT_AT(4);
            }
            /* i32 with a constant operand */
            OP(12) BINK(a + b);
            OP(13) BINK(a - b);
            OP(14) BINK(a * b);
            OP(15) BINK(a & b);
            OP(16) BINK(a | b);
            OP(17) BINK(a ^ b);
            OP(18) BINK(a << (b & 31));
            OP(19) BINK((uint32_t)((int32_t)a >> (b & 31)));
            OP(1A) BINK(a >> (b & 31));
            /* compare and branch */
            OP(C5)
            if ((uint32_t)fp[pc[0]] == 0) {
                pc += 1 + (int32_t)LD32(1);
                NEXT();
            }
            NEXT_AT(3);
            OP(C6) BR_CMP(a == b);
            OP(C7) BR_CMP(a != b);
            OP(C8) BR_CMP((int32_t)a < (int32_t)b);
            OP(C9) BR_CMP(a < b);
            OP(CA) BR_CMP((int32_t)a > (int32_t)b);
            OP(CB) BR_CMP(a > b);
            OP(CC) BR_CMP((int32_t)a <= (int32_t)b);
            OP(CD) BR_CMP(a <= b);
            OP(CE) BR_CMP((int32_t)a >= (int32_t)b);
            OP(CF) BR_CMP(a >= b);
            OP(F0)
            if ((uint32_t)fp[pc[0]] == 0) {
                pc += 1;
                goto brx;
            }
            pc += 1 + PD_BRX_UNITS;
            NEXT();
            OP(F1) BRX_CMP(a == b);
            OP(F2) BRX_CMP(a != b);
            OP(F3) BRX_CMP((int32_t)a < (int32_t)b);
            OP(F4) BRX_CMP(a < b);
            OP(F5) BRX_CMP((int32_t)a > (int32_t)b);
            OP(F6) BRX_CMP(a > b);
            OP(F7) BRX_CMP((int32_t)a <= (int32_t)b);
            OP(F8) BRX_CMP(a <= b);
            OP(F9) BRX_CMP((int32_t)a >= (int32_t)b);
            OP(FA) BRX_CMP(a >= b);
            OP(E4) OP(E5) OP(E6) OP(E7)
            {
                uint32_t sub = (uint32_t)(pc[-1] - PD_SAT);
                uint64_t dv = sub < 6 ? wm_f64b((double)wm_f32((uint32_t)A)) : A;
                D = wm_trunc_sat_f64_i64(dv, (sub & 1) == 0);
                NEXT_AT(2);
            }
#if WM_CGOTO
        L_ILL:
#else
        default:
#endif
            TRAP("illegal opcode");
        }
    }

suspend:
    SAVE_NOSP();
    x->fuel = 0;
    x->state = WM_SUSPENDED;
    return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");

stop_before:
    SAVE_NOSP();
    x->owed -= (int64_t)x->fuel;
    x->fuel = 0;
    x->state = WM_SUSPENDED;
    return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");

out:
    SAVE_NOSP();
    wm_trace_record(inst, func, (const uint8_t *)(const void *)pc);
    return wm_trap_err(err, code, msg);
}

/* Which engine continues the call from the saved registers. */
static bool runs_pd(const wm_exec *x)
{
    const wm_func *f = x->retry && !x->retry->host ? x->retry : x->func;
    return f && f->inst && f->inst->mod->pd;
}

wm_err wm_run(wm_instance *inst, const wm_func *entry, wm_error *err)
{
    wm_exec *x = &inst->x;
    wm_err e = !entry && runs_pd(x) ? wm_run_pd(inst, err) : wm_run_inplace(inst, entry, err);
    while (e == WM_OK && x->state == WM_PD_STATE_SWITCH) {
        x->state = WM_RUNNING;
        e = runs_pd(x) ? wm_run_pd(inst, err) : wm_run_inplace(inst, NULL, err);
    }
    return e;
}

#endif
