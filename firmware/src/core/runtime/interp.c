/* interp.c - the interpreter. Executes validated code in place; wasm calls push frames
 * in the instance's frame array (never recursing on the C stack), so a call can be
 * suspended for fuel and resumed, and deep wasm recursion cannot overflow the C stack.
 *
 * Fuel (docs/supervisor.md, "Fuel"): check points charge what the validator computed for
 * the code that ran since the previous one (at a function's entry: its frame and locals;
 * at a loop entered or branched back to, a call, a return); bulk work is charged by its
 * size before it is done, in pieces the fuel pays for; work a host function charges, and
 * table.init's walk, right after it is done. A charge the fuel does not cover suspends the
 * call: after it, owing the rest (x->owed > 0), or before the instruction, keeping what was
 * left (x->owed < 0) so that it runs again on resume (calls, returns, bulk operations).
 * Both give the same fuel left after every resume and the same suspensions as AOT code,
 * which always owes. */
#include "wm_interp.h"
#include "wm_pd.h"

#define SAVE()          \
    do {                \
        x->pc = pc;     \
        x->stp = stp;   \
        x->sp = sp;     \
        x->fp = fp;     \
        x->func = func; \
        x->tos = tos;   \
    } while (0)

/* effective address check: N bytes at (addr + offset) */
#define EA(N) EA_AT((uint32_t)tos, N)
#define EAS(N) EA_AT((uint32_t)sp[-1], N)
#define EA_AT(base, N)                                                         \
    do {                                                                       \
        uint64_t ea_ = (uint64_t)(base) + memarg_offset(&pc);                  \
        if (WM_UNLIKELY(ea_ + (N) > msz)) TRAP("out of bounds memory access"); \
        p = mb + ea_;                                                          \
    } while (0)

/* Top-of-stack caching: the top operand lives in `tos`; memory holds the others above a
 * pad slot per frame (physical sp = operand base + height). SLOT(-1) is the top,
 * SLOT(-2) the one below, ... (i is a constant, so this folds). */
#define SLOT(i) ((i) == -1 ? tos : sp[(i) + 1])
#define PUSH(v)      \
    do {             \
        *sp++ = tos; \
        tos = (v);   \
    } while (0)
#define POPN(n)    \
    do {           \
        sp -= (n); \
        tos = *sp; \
    } while (0)
#define U32(i) ((uint32_t)SLOT(i))
#define S32(i) ((int32_t)(uint32_t)SLOT(i))
#define S64(i) ((int64_t)SLOT(i))
#define FA32(i) wm_f32((uint32_t)SLOT(i))
#define FA64(i) wm_f64(SLOT(i))
#define BIN32(e)                           \
    do {                                   \
        uint32_t b = U32(-1), a = U32(-2); \
        (void)a;                           \
        (void)b;                           \
        sp--;                              \
        tos = (uint32_t)(e);               \
    } while (0)
#define BIN64(e)                             \
    do {                                     \
        uint64_t b = SLOT(-1), a = SLOT(-2); \
        (void)a;                             \
        (void)b;                             \
        sp--;                                \
        tos = (uint64_t)(e);                 \
    } while (0)
/* Compare fused with a following br_if (the commonest loop exit): the condition never
 * goes through the operand stack. npop: operands the compare takes from the stack (2, or
 * 1 for eqz and for a compare against a fused i32.const). pc ends just past the br_if
 * opcode, as `take` expects. Plain braces, not do/while(0): NEXT() is `continue` in the
 * switch build. */
#define COND_BR(npop, cexpr) \
    {                        \
        cond = (cexpr);      \
        if (*pc == 0x0D) {   \
            pc++;            \
            POPN(npop);      \
            goto br_cond;    \
        }                    \
        sp -= (npop)-1;      \
        tos = cond;          \
        NEXT();              \
    }
#define CMP32(e)                           \
    {                                      \
        uint32_t b = U32(-1), a = U32(-2); \
        COND_BR(2, (e));                   \
    }
#define CMP64(e)                             \
    {                                        \
        uint64_t b = SLOT(-1), a = SLOT(-2); \
        COND_BR(2, (e));                     \
    }
#define CMPK(e)                     \
    {                               \
        uint32_t a = (uint32_t)tos; \
        pc++;                       \
        COND_BR(1, (e));            \
    }
#define CMPF32(op)                        \
    do {                                  \
        float b = FA32(-1), a = FA32(-2); \
        sp--;                             \
        tos = (a op b);                   \
    } while (0)
#define CMPF64(op)                         \
    do {                                   \
        double b = FA64(-1), a = FA64(-2); \
        sp--;                              \
        tos = (a op b);                    \
    } while (0)
#define BINF32(op)                        \
    do {                                  \
        float b = FA32(-1), a = FA32(-2); \
        sp--;                             \
        tos = wm_f32b(a op b);            \
    } while (0)
#define BINF64(op)                         \
    do {                                   \
        double b = FA64(-1), a = FA64(-2); \
        sp--;                              \
        tos = wm_f64b(a op b);             \
    } while (0)

/* Paths that cost flash for speed (a second copy of a handler's common form, a fused
 * pair; about 200 bytes on Thumb-2): left out where the build asks for size (-Os, the
 * firmware images), which keep the compact forms, unless the build sets WM_SPEED_PATHS;
 * same behaviour either way. */
#ifndef WM_SPEED_PATHS
#if defined(__OPTIMIZE_SIZE__)
#define WM_SPEED_PATHS 0
#else
#define WM_SPEED_PATHS 1
#endif
#endif

/* Dispatch: with GCC/clang, computed goto (one indirect jump per handler predicts far
 * better than a shared switch jump); otherwise a plain switch. */
#if defined(__GNUC__) && !defined(WM_NO_COMPUTED_GOTO)
#define WM_CGOTO 1
#define OP(n) L##n:
#define OP_ILLEGAL L_ILL
#define NEXT() goto *dispatch_table[*pc++]
#else
#define WM_CGOTO 0
#define OP(n) case 0x##n:
#define OP_ILLEGAL default
#define NEXT() continue
#endif

static inline void wm_skip_uleb(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    while (*p++ & 0x80) {
    }
    *pp = p;
}

/* memarg (alignment, offset) -> offset. Both are usually one byte: reading pc[1] is safe
 * either way (it is the offset's first byte, or the alignment's second). */
static inline uint32_t memarg_offset(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    if (WM_LIKELY((p[0] | p[1]) < 0x80)) {
        *pp = p + 2;
        return p[1];
    }
    wm_skip_uleb(pp);
    return wm_fast_u32(pp);
}

/* Local index: one byte for the first 128 locals. */
#define LOCAL_IDX(i)              \
    do {                          \
        i = *pc;                  \
        if (WM_LIKELY(i < 0x80))  \
            pc++;                 \
        else                      \
            i = wm_fast_u32(&pc); \
    } while (0)

/* Bulk work of n elements, `per` of them a unit, charged before it is done: how many to do
 * now. All n when the fuel pays for them; otherwise what it pays for, the fuel is then 0
 * and the caller suspends before the instruction with the rest of the work as operands. */
static uint32_t bulk_take(wm_exec *x, uint32_t n, uint32_t per)
{
    uint64_t units = n / per;
    if (WM_LIKELY(x->fuel >= units)) {
        x->fuel -= units;
        return n;
    }
    uint32_t m = (uint32_t)(x->fuel * per);
    x->fuel = 0;
    return m;
}

static uint64_t val_to_slot(const wm_val *v)
{
    switch (v->type) {
    case WM_I32:
    case WM_F32: return v->of.i32;
    case WM_FUNCREF: return (uint64_t)(uintptr_t)v->of.func;
    case WM_EXTERNREF: return (uint64_t)v->of.ext;
    default: return v->of.i64;
    }
}

void wm_slot_to_val(uint8_t type, uint64_t s, wm_val *v)
{
    v->type = type;
    switch (type) {
    case WM_I32:
    case WM_F32:
        v->of.i64 = 0;
        v->of.i32 = (uint32_t)s;
        break;
    case WM_FUNCREF: v->of.func = (const wm_func *)(uintptr_t)s; break;
    case WM_EXTERNREF: v->of.ext = (uintptr_t)s; break;
    default: v->of.i64 = s; break;
    }
}

uint64_t wm_val_to_slot(const wm_val *v) { return val_to_slot(v); }

void wm_trace_record(wm_instance *inst, const wm_func *func, const uint8_t *pc)
{
    const wm_exec *x = &inst->x;
    uint32_t n = 0, d = x->depth;
    while (func && func->def && pc && n < WM_TRACE_MAX) {
        const wm_module *m = func->inst->mod;
        wm_trace_frame *t = &inst->trace[n++];
        t->func = (uint32_t)(func->def - m->funcs) + m->nfunc_imports;
        /* pc is past the opcode (or its immediates): pc - 1 lies inside the instruction */
        t->offset = m->code && pc > m->code ? (uint32_t)(pc - 1 - m->code) : 0u;
#if WM_PREDECODE
        if (m->pd) t->offset = wm_pd_code_offset(m, pc); /* a pc in the form */
#endif
        if (d == 0) break;
        const wm_frame *fr = &x->frames[--d];
        func = fr->func; /* the caller, or NULL at the bottom of this call */
        pc = fr->pc;
    }
    inst->ntrace = n;
}

/* ---- bulk operations, out of wm_run's hot loop (their locals would crowd its registers) ----
 * They work on the saved registers: x->pc just past the sub-opcode (memory.grow: past its
 * opcode), the operands in x->tos (top) and x->sp[-1], x->sp[-2]. Bounds first (the spec's
 * trap), then the fuel, then the work; what the fuel does not pay for stays as the
 * instruction's operands (destination and source moved past the part done; a copy
 * overlapping forwards does its end first) and the call stops before the instruction. */
#define GROW 0x100u /* bulk_op's code for memory.grow */

__attribute__((noinline)) static int bulk_op(wm_exec *x, wm_instance *ci, uint32_t sub)
{
    const uint8_t *pc = x->pc;
    uint64_t *sp = x->sp;
    uint64_t tos = x->tos;
    uint8_t *mb = ci->mem ? ci->mem->data : NULL;
    uint64_t msz = ci->mem ? ci->mem->bytes : 0;
    int r = BULK_DONE;
    switch (sub) {
    case GROW: { /* the new bytes are zeroed in the pieces the fuel pays for, then it grows */
        uint64_t can = x->fuel > UINT64_MAX / WM_FUEL_BYTES ? UINT64_MAX : x->fuel * WM_FUEL_BYTES;
        uint64_t done = 0;
        int32_t g = wm_memory_grow_part(ci->mem, (uint32_t)tos, &x->grow_done, can, &done);
        if (g == WM_GROW_MORE) { /* done == can: all the fuel went */
            x->fuel = 0;
            return BULK_STOP;
        }
        x->fuel -= done / WM_FUEL_BYTES;
        pc++;
        tos = (uint32_t)g;
        break;
    }
    case 8: {
        uint32_t seg = wm_fast_u32(&pc);
        pc++;
        uint32_t n = (uint32_t)tos, s = (uint32_t)sp[-1], d = (uint32_t)sp[-2];
        const wm_dataseg *ds = &ci->mod->datas[seg];
        uint32_t len = ci->data_dropped[seg] ? 0 : ds->len;
        if ((uint64_t)s + n > len || (uint64_t)d + n > msz) return BULK_TRAP_MEM;
        uint32_t m = bulk_take(x, n, WM_FUEL_BYTES);
        wm_memcpy(mb + d, ds->bytes + s, m);
        if (m < n) {
            sp[-2] = d + m;
            sp[-1] = s + m;
            x->tos = n - m;
            return BULK_STOP;
        }
        sp -= 3;
        tos = *sp;
        break;
    }
    case 9: ci->data_dropped[wm_fast_u32(&pc)] = 1; break;
    case 10: {
        pc += 2;
        uint32_t n = (uint32_t)tos, s = (uint32_t)sp[-1], d = (uint32_t)sp[-2];
        if ((uint64_t)s + n > msz || (uint64_t)d + n > msz) return BULK_TRAP_MEM;
        uint32_t m = bulk_take(x, n, WM_FUEL_BYTES);
        if (m < n) {
            if (d > s) { /* overlapping forwards: the end first */
                wm_memmove(mb + d + (n - m), mb + s + (n - m), m);
            } else {
                wm_memmove(mb + d, mb + s, m);
                sp[-2] = d + m;
                sp[-1] = s + m;
            }
            x->tos = n - m;
            return BULK_STOP;
        }
        wm_memmove(mb + d, mb + s, n);
        sp -= 3;
        tos = *sp;
        break;
    }
    case 11: {
        pc++;
        uint32_t n = (uint32_t)tos, v = (uint32_t)sp[-1], d = (uint32_t)sp[-2];
        if ((uint64_t)d + n > msz) return BULK_TRAP_MEM;
        uint32_t m = bulk_take(x, n, WM_FUEL_BYTES);
        wm_memset(mb + d, (int)(v & 0xff), m);
        if (m < n) {
            sp[-2] = d + m;
            x->tos = n - m;
            return BULK_STOP;
        }
        sp -= 3;
        tos = *sp;
        break;
    }
    case 12: { /* walks its segment from the start: charged after, as a check point */
        uint32_t seg = wm_fast_u32(&pc), tab = wm_fast_u32(&pc);
        uint32_t n = (uint32_t)tos, s = (uint32_t)sp[-1], d = (uint32_t)sp[-2];
        sp -= 3;
        tos = *sp;
        if (wm_table_init_op(ci, ci->tables[tab], seg, d, s, n, NULL) != WM_OK)
            return BULK_TRAP_TABLE; /* (a module's run never feeds the watchdog) */
        uint64_t u = ((uint64_t)s + n) / WM_FUEL_ELEMS;
        if (x->fuel >= u) {
            x->fuel -= u;
        } else { /* suspended after it, owing the rest (wm_run's `suspend`) */
            x->owed += (int64_t)(u - x->fuel);
            x->fuel = 0;
            r = BULK_SUSPEND;
        }
        break;
    }
    case 13: ci->elem_dropped[wm_fast_u32(&pc)] = 1; break;
    case 14: {
        wm_table *td = ci->tables[wm_fast_u32(&pc)];
        wm_table *ts = ci->tables[wm_fast_u32(&pc)];
        uint32_t n = (uint32_t)tos, s = (uint32_t)sp[-1], d = (uint32_t)sp[-2];
        if ((uint64_t)s + n > ts->size || (uint64_t)d + n > td->size) return BULK_TRAP_TABLE;
        uint32_t m = bulk_take(x, n, WM_FUEL_ELEMS);
        if (m < n) {
            if (td == ts && d > s) {
                wm_memmove(td->elems + d + (n - m), ts->elems + s + (n - m),
                           (size_t)m * sizeof(uint64_t));
            } else {
                wm_memmove(td->elems + d, ts->elems + s, (size_t)m * sizeof(uint64_t));
                sp[-2] = d + m;
                sp[-1] = s + m;
            }
            x->tos = n - m;
            return BULK_STOP;
        }
        wm_memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(uint64_t));
        sp -= 3;
        tos = *sp;
        break;
    }
    case 15: { /* as memory.grow: the new elements set in pieces, then it grows */
        wm_table *t = ci->tables[wm_fast_u32(&pc)];
        uint64_t can = x->fuel > UINT64_MAX / WM_FUEL_ELEMS ? UINT64_MAX : x->fuel * WM_FUEL_ELEMS;
        uint64_t done = 0;
        int32_t g = wm_table_grow_part(t, (uint32_t)tos, sp[-1], &x->grow_done, can, &done);
        if (g == WM_GROW_MORE) {
            x->fuel = 0;
            return BULK_STOP;
        }
        x->fuel -= done / WM_FUEL_ELEMS;
        sp--;
        tos = (uint32_t)g;
        break;
    }
    case 16:
        *sp++ = tos;
        tos = ci->tables[wm_fast_u32(&pc)]->size;
        break;
    case 17: {
        wm_table *t = ci->tables[wm_fast_u32(&pc)];
        uint32_t n = (uint32_t)tos, i = (uint32_t)sp[-2];
        uint64_t v = sp[-1];
        if ((uint64_t)i + n > t->size) return BULK_TRAP_TABLE;
        uint32_t m = bulk_take(x, n, WM_FUEL_ELEMS);
        for (uint32_t k = 0; k < m; k++) t->elems[i + k] = v;
        if (m < n) {
            sp[-2] = i + m;
            x->tos = n - m;
            return BULK_STOP;
        }
        sp -= 3;
        tos = *sp;
        break;
    }
    default: return BULK_ILLEGAL;
    }
    x->pc = pc;
    x->sp = sp;
    x->tos = tos;
    return r;
}

#if WM_PREDECODE
#include "wm_pd.h"
#define WM_RUN_INPLACE wm_run_inplace /* wm_run (interp_pd.c) chooses the engine */
#else
#define WM_RUN_INPLACE wm_run
#endif

#if WM_PREDECODE
int wm_bulk_op(wm_exec *x, wm_instance *ci, uint32_t sub) { return bulk_op(x, ci, sub); }
#endif

wm_err WM_RUN_INPLACE(wm_instance *inst, const wm_func *entry, wm_error *err)
{
    wm_exec *x = &inst->x;
    const uint8_t *pc = x->pc;
    const wm_side *stp = x->stp;
    uint64_t *sp = x->sp, *fp = x->fp, tos = x->tos;
    const wm_func *func = x->func, *callee = NULL;
    wm_instance *ci = NULL; /* instance whose memory/globals are loaded in registers */
    uint8_t *mb = NULL;
    uint64_t msz = 0;
    const char *msg = NULL;
    wm_err code = WM_OK;
    uint8_t *p;
    uint32_t cond; /* br_if condition, see COND_BR */
#if WM_CGOTO
    static const void *const dispatch_table[256] = {
        &&L00,   &&L01,   &&L02,   &&L03,   &&L04,   &&L05,   &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L0B,   &&L0C,   &&L0D,   &&L0E,   &&L0F,   &&L10,   &&L11,   &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L1A,   &&L1B,   &&L1C,   &&L_ILL,
        &&L_ILL, &&L_ILL, &&L20,   &&L21,   &&L22,   &&L23,   &&L24,   &&L25,   &&L26,   &&L_ILL,
        &&L28,   &&L29,   &&L2A,   &&L2B,   &&L2C,   &&L2D,   &&L2E,   &&L2F,   &&L30,   &&L31,
        &&L32,   &&L33,   &&L34,   &&L35,   &&L36,   &&L37,   &&L38,   &&L39,   &&L3A,   &&L3B,
        &&L3C,   &&L3D,   &&L3E,   &&L3F,   &&L40,   &&L41,   &&L42,   &&L43,   &&L44,   &&L45,
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
        &&LBE,   &&LBF,   &&LC0,   &&LC1,   &&LC2,   &&LC3,   &&LC4,   &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&LD0,   &&LD1,
        &&LD2,   &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL, &&L_ILL,
        &&L_ILL, &&L_ILL, &&LFC,   &&L_ILL, &&L_ILL, &&L_ILL};
#endif

    if (entry) {
        callee = entry;
        pc = NULL; /* the frame pushed below marks the bottom of this call */
        goto do_call;
    }
    if (x->retry) { /* a host function blocked, or a callee's entry had too little fuel */
        callee = x->retry;
        x->retry = NULL;
        if (func) LOAD_CTX(); /* (no caller: the call's entry function itself) */
        goto do_call;
    }
    LOAD_CTX();
    goto dispatch;

do_call:
    if (callee->host) {
        HOST_CALL();
        for (i = 0; i < t->nresults; i++) *sp++ = val_to_slot(&res[i]);
        if (!func) { /* a host function was the entry itself */
            SAVE();
            code = WM_OK;
            goto done;
        }
        POPN(1);
        LOAD_CTX();
        if (WM_UNLIKELY(x->owed > 0)) goto suspend; /* it charged more than was left */
        goto dispatch;
    } else {
#if WM_PREDECODE
        if (WM_UNLIKELY(callee->inst != ci) && callee->inst->mod->pd) {
            x->retry = callee; /* a pre-decoded function: interp_pd.c calls it */
            SAVE();
            x->state = WM_PD_STATE_SWITCH;
            return WM_OK;
        }
#endif
        const wm_funcdef *d = callee->def;
        if (x->depth >= x->max_frames) EXHAUST();
        /* 64-bit sum: a hostile module may declare ~2^32 locals (32-bit size_t would wrap) */
        if ((uint64_t)(x->stack_end - sp) < (uint64_t)d->nlocals + d->max_height + 1) EXHAUST();
        wm_frame *fr = &x->frames[x->depth++];
        fr->pc = pc;
        fr->stp = stp;
        fr->fp = fp;
        fr->func = func;
        func = callee;
        fp = sp - d->type->nparams;
        for (uint32_t i = 0; i < d->nlocals; i++) *sp++ = 0;
        pc = d->code;
        stp = callee->inst->mod->side + d->side;
        if (callee->inst != ci) LOAD_CTX(); /* else memory etc. unchanged */
        CHECK_POINT(d->fuel_entry);         /* the frame and its locals */
    }

dispatch:
    for (;;) {
#if WM_CGOTO
        NEXT();
        {
#else
        switch (*pc++) {
#endif
            OP(00) TRAP("unreachable");
            OP(01) NEXT();
            OP(02) wm_skip_uleb(&pc);
            NEXT();
            OP(03)
            { /* a loop entered from above: the code since the last check point */
                uint32_t k = WM_SIDE_FUEL_IN(stp);
                wm_skip_uleb(&pc);
                stp++;
                CHECK_POINT(k);
                NEXT();
            }
            OP(04)
            {
                uint32_t c = (uint32_t)tos;
                POPN(1);
                if (c) {
                    wm_skip_uleb(&pc);
                    stp++;
                    NEXT();
                }
                goto take;
            }
            OP(05) goto take;
            OP(0B)
            if (pc == func->def->end) goto do_return;
            NEXT();
            OP(0C) goto take;
            OP(0D)
            cond = (uint32_t)tos;
            POPN(1);
        br_cond: /* also reached from fused compares, pc just past the br_if */
            if (cond) goto take;
            wm_skip_uleb(&pc);
            stp++;
            NEXT();
            OP(0E)
            {
                const uint8_t *o = pc;
                uint32_t n = wm_fast_u32(&pc), i = (uint32_t)tos;
                POPN(1);
                stp += i < n ? i : n;
                pc = o;
                goto take;
            }
            OP(0F) goto do_return;
            OP(10)
            /* the call's check point, before anything else: too little fuel stops here */
            if (WM_UNLIKELY(x->fuel < WM_SIDE_FUEL_CALL(stp))) STOP_BEFORE(pc - 1);
            x->fuel -= WM_SIDE_FUEL_CALL(stp);
            stp++;
            callee = ci->funcs[wm_fast_u32(&pc)];
            *sp++ = tos; /* spill: arguments contiguous in memory */
            goto do_call;
            OP(11)
            {
                if (WM_UNLIKELY(x->fuel < WM_SIDE_FUEL_CALL(stp))) STOP_BEFORE(pc - 1);
                x->fuel -= WM_SIDE_FUEL_CALL(stp);
                stp++;
                uint32_t ti = wm_fast_u32(&pc), tab = wm_fast_u32(&pc);
                wm_table *t = ci->tables[tab];
                uint32_t i = (uint32_t)tos;
                POPN(1);
                if (i >= t->size) TRAP("undefined element");
                callee = (const wm_func *)(uintptr_t)t->elems[i];
                if (!callee) TRAP("uninitialized element");
                if (!wm_functype_eq(callee->type, &ci->mod->types[ti]))
                    TRAP("indirect call type mismatch");
                *sp++ = tos;
                goto do_call;
            }
            OP(1A) POPN(1);
            NEXT();
            OP(1C) wm_skip_uleb(&pc);
            pc++;
            goto op_select; /* typed select: skip the type vector */
            OP(1B) op_select:
            {
                uint32_t c = (uint32_t)tos;
                sp -= 2;
                tos = c ? sp[0] : sp[1];
                NEXT();
            }
            OP(20)
            {
                /* the commonest instruction: its one-byte form without a join with the long one */
#if WM_SPEED_PATHS
                if (WM_LIKELY(*pc < 0x80)) {
                    size_t i = *pc++;
                    PUSH(fp[i]);
                    NEXT();
                }
                size_t i = wm_fast_u32(&pc);
#else
                size_t i;
                LOCAL_IDX(i);
#endif
                PUSH(fp[i]);
                NEXT();
            }
            OP(21)
            {
                size_t i;
                LOCAL_IDX(i);
                fp[i] = tos;
                if (*pc == 0x20) { /* set; get */
                    pc++;
#if WM_SPEED_PATHS
                    if (WM_LIKELY(*pc < 0x80)) {
                        tos = fp[*pc++];
                        NEXT();
                    }
                    tos = fp[wm_fast_u32(&pc)];
#else
                    LOCAL_IDX(i);
                    tos = fp[i];
#endif
                    NEXT();
                }
                POPN(1);
                NEXT();
            }
            OP(22)
            {
                size_t i;
                LOCAL_IDX(i);
                fp[i] = tos;
                if (*pc == 0x0D) {
                    pc++;
                    cond = (uint32_t)tos;
                    POPN(1);
                    goto br_cond;
                } /* tee; br_if */
                NEXT();
            }
            OP(23) PUSH(ci->globals[wm_fast_u32(&pc)]->val);
            NEXT();
            OP(24) ci->globals[wm_fast_u32(&pc)]->val = tos;
            POPN(1);
            NEXT();
            OP(25)
            {
                wm_table *t = ci->tables[wm_fast_u32(&pc)];
                uint32_t i = U32(-1);
                if (i >= t->size) TRAP("out of bounds table access");
                tos = t->elems[i];
                NEXT();
            }
            OP(26)
            {
                wm_table *t = ci->tables[wm_fast_u32(&pc)];
                uint32_t i = U32(-2);
                if (i >= t->size) TRAP("out of bounds table access");
                t->elems[i] = tos;
                POPN(2);
                NEXT();
            }
            /* loads */
            OP(28) EA(4);
            tos = wm_ld32(p);
            NEXT();
            OP(29) EA(8);
            tos = wm_ld64(p);
            NEXT();
            OP(2A) EA(4);
            tos = wm_ld32(p);
            NEXT();
            OP(2B) EA(8);
            tos = wm_ld64(p);
            NEXT();
            OP(2C) EA(1);
            tos = (uint32_t)(int32_t)(int8_t)p[0];
            NEXT();
            OP(2D) EA(1);
            tos = p[0];
            NEXT();
            OP(2E) EA(2);
            tos = (uint32_t)(int32_t)(int16_t)wm_ld16(p);
            NEXT();
            OP(2F) EA(2);
            tos = wm_ld16(p);
            NEXT();
            OP(30) EA(1);
            tos = (uint64_t)(int64_t)(int8_t)p[0];
            NEXT();
            OP(31) EA(1);
            tos = p[0];
            NEXT();
            OP(32) EA(2);
            tos = (uint64_t)(int64_t)(int16_t)wm_ld16(p);
            NEXT();
            OP(33) EA(2);
            tos = wm_ld16(p);
            NEXT();
            OP(34) EA(4);
            tos = (uint64_t)(int64_t)(int32_t)wm_ld32(p);
            NEXT();
            OP(35) EA(4);
            tos = wm_ld32(p);
            NEXT();
            /* stores */
            OP(36) OP(38) EAS(4);
            wm_st32(p, U32(-1));
            POPN(2);
            NEXT();
            OP(37) OP(39) EAS(8);
            wm_st64(p, tos);
            POPN(2);
            NEXT();
            OP(3A) OP(3C) EAS(1);
            p[0] = (uint8_t)tos;
            POPN(2);
            NEXT();
            OP(3B) OP(3D) EAS(2);
            wm_st16(p, (uint16_t)tos);
            POPN(2);
            NEXT();
            OP(3E) EAS(4);
            wm_st32(p, (uint32_t)tos);
            POPN(2);
            NEXT();
            OP(3F) pc++;
            PUSH(ci->mem->pages);
            NEXT();
            OP(40)
            { /* out of line too (bulk_op) */
                SAVE();
                int r = bulk_op(x, ci, GROW);
                pc = x->pc;
                tos = x->tos;
                if (WM_UNLIKELY(r == BULK_STOP)) STOP_BEFORE(pc - 1);
                mb = ci->mem->data;
                msz = ci->mem->bytes;
                NEXT();
            }
            OP(41)
            {
                /* i32.const fused with the op that consumes it (peeked, code is validated):
             * saves a dispatch and the spill/reload of the cached top operand. */
                uint32_t k = (uint32_t)wm_fast_s32(&pc);
                /* add first: by far the commonest consumer (addresses), one compare not a switch */
                if (*pc == 0x6A) {
                    pc++;
                    tos = (uint32_t)((uint32_t)tos + k);
                    NEXT();
                }
                switch (*pc) {
                case 0x21:
                    pc++;
                    fp[wm_fast_u32(&pc)] = k;
                    NEXT();
                case 0x46: CMPK(a == k);
                case 0x47: CMPK(a != k);
                case 0x48: CMPK((int32_t)a < (int32_t)k);
                case 0x49: CMPK(a < k);
                case 0x4A: CMPK((int32_t)a > (int32_t)k);
                case 0x4B: CMPK(a > k);
                case 0x4C: CMPK((int32_t)a <= (int32_t)k);
                case 0x4D: CMPK(a <= k);
                case 0x4E: CMPK((int32_t)a >= (int32_t)k);
                case 0x4F: CMPK(a >= k);
                case 0x6B:
                    pc++;
                    tos = (uint32_t)((uint32_t)tos - k);
                    NEXT();
                case 0x6C:
                    pc++;
                    tos = (uint32_t)((uint32_t)tos * k);
                    NEXT();
                case 0x71:
                    pc++;
                    tos = (uint32_t)tos & k;
                    NEXT();
                case 0x72:
                    pc++;
                    tos = (uint32_t)tos | k;
                    NEXT();
                case 0x73:
                    pc++;
                    tos = (uint32_t)tos ^ k;
                    NEXT();
                case 0x74:
                    pc++;
                    tos = (uint32_t)((uint32_t)tos << (k & 31));
                    NEXT();
                case 0x75:
                    pc++;
                    tos = (uint32_t)((int32_t)(uint32_t)tos >> (k & 31));
                    NEXT();
                case 0x76:
                    pc++;
                    tos = (uint32_t)tos >> (k & 31);
                    NEXT();
                case 0x77:
                    pc++;
                    tos = rotl32((uint32_t)tos, k);
                    NEXT();
                case 0x78:
                    pc++;
                    tos = rotr32((uint32_t)tos, k);
                    NEXT();
#if WM_SPEED_PATHS
                /* a load from a constant address: a global variable (its address in the offset) */
                case 0x28:
                    PUSH(k);
                    pc++;
                    EA(4);
                    tos = wm_ld32(p);
                    NEXT();
                case 0x2D:
                    PUSH(k);
                    pc++;
                    EA(1);
                    tos = p[0];
                    NEXT();
#endif
                default: PUSH(k); NEXT();
                }
            }
            OP(42) PUSH((uint64_t)wm_fast_s64(&pc));
            NEXT();
            OP(43) PUSH(wm_ld32(pc));
            pc += 4;
            NEXT();
            OP(44) PUSH(wm_ld64(pc));
            pc += 8;
            NEXT();
            /* i32 compare */
            OP(45) COND_BR(1, U32(-1) == 0);
            OP(46) CMP32(a == b);
            OP(47) CMP32(a != b);
            OP(48) CMP32((int32_t)a < (int32_t)b);
            OP(49) CMP32(a < b);
            OP(4A) CMP32((int32_t)a > (int32_t)b);
            OP(4B) CMP32(a > b);
            OP(4C) CMP32((int32_t)a <= (int32_t)b);
            OP(4D) CMP32(a <= b);
            OP(4E) CMP32((int32_t)a >= (int32_t)b);
            OP(4F) CMP32(a >= b);
            /* i64 compare */
            OP(50) COND_BR(1, tos == 0);
            OP(51) CMP64(a == b);
            OP(52) CMP64(a != b);
            OP(53) CMP64((int64_t)a < (int64_t)b);
            OP(54) CMP64(a < b);
            OP(55) CMP64((int64_t)a > (int64_t)b);
            OP(56) CMP64(a > b);
            OP(57) CMP64((int64_t)a <= (int64_t)b);
            OP(58) CMP64(a <= b);
            OP(59) CMP64((int64_t)a >= (int64_t)b);
            OP(5A) CMP64(a >= b);
            /* float compare */
            OP(5B) CMPF32(==);
            NEXT();
            OP(5C) CMPF32(!=);
            NEXT();
            OP(5D) CMPF32(<);
            NEXT();
            OP(5E) CMPF32(>);
            NEXT();
            OP(5F) CMPF32(<=);
            NEXT();
            OP(60) CMPF32(>=);
            NEXT();
            OP(61) CMPF64(==);
            NEXT();
            OP(62) CMPF64(!=);
            NEXT();
            OP(63) CMPF64(<);
            NEXT();
            OP(64) CMPF64(>);
            NEXT();
            OP(65) CMPF64(<=);
            NEXT();
            OP(66) CMPF64(>=);
            NEXT();
            /* i32 arithmetic */
            OP(67) tos = clz32(U32(-1));
            NEXT();
            OP(68) tos = ctz32(U32(-1));
            NEXT();
            OP(69) tos = pop32(U32(-1));
            NEXT();
            OP(6A) BIN32(a + b);
            NEXT();
            OP(6B) BIN32(a - b);
            NEXT();
            OP(6C) BIN32(a * b);
            NEXT();
            OP(6D)
            {
                int32_t b = S32(-1), a = S32(-2);
                if (b == 0) TRAP("integer divide by zero");
                if (a == INT32_MIN && b == -1) TRAP("integer overflow");
                sp--;
                tos = (uint32_t)(a / b);
                NEXT();
            }
            OP(6E)
            if (U32(-1) == 0) TRAP("integer divide by zero");
            BIN32(a / b);
            NEXT();
            OP(6F)
            {
                int32_t b = S32(-1), a = S32(-2);
                if (b == 0) TRAP("integer divide by zero");
                sp--;
                tos = b == -1 ? 0 : (uint32_t)(a % b);
                NEXT();
            }
            OP(70)
            if (U32(-1) == 0) TRAP("integer divide by zero");
            BIN32(a % b);
            NEXT();
            OP(71) BIN32(a & b);
            NEXT();
            OP(72) BIN32(a | b);
            NEXT();
            OP(73) BIN32(a ^ b);
            NEXT();
            OP(74) BIN32(a << (b & 31));
            NEXT();
            OP(75) BIN32((uint32_t)((int32_t)a >> (b & 31)));
            NEXT();
            OP(76) BIN32(a >> (b & 31));
            NEXT();
            OP(77) BIN32(rotl32(a, b));
            NEXT();
            OP(78) BIN32(rotr32(a, b));
            NEXT();
            /* i64 arithmetic */
            OP(79) tos = clz64(tos);
            NEXT();
            OP(7A) tos = ctz64(tos);
            NEXT();
            OP(7B) tos = pop64(tos);
            NEXT();
            OP(7C) BIN64(a + b);
            NEXT();
            OP(7D) BIN64(a - b);
            NEXT();
            OP(7E) BIN64(a * b);
            NEXT();
            OP(7F)
            {
                int64_t b = S64(-1), a = S64(-2);
                if (b == 0) TRAP("integer divide by zero");
                if (a == INT64_MIN && b == -1) TRAP("integer overflow");
                sp--;
                tos = (uint64_t)(a / b);
                NEXT();
            }
            OP(80)
            if (tos == 0) TRAP("integer divide by zero");
            BIN64(a / b);
            NEXT();
            OP(81)
            {
                int64_t b = S64(-1), a = S64(-2);
                if (b == 0) TRAP("integer divide by zero");
                sp--;
                tos = b == -1 ? 0 : (uint64_t)(a % b);
                NEXT();
            }
            OP(82)
            if (tos == 0) TRAP("integer divide by zero");
            BIN64(a % b);
            NEXT();
            OP(83) BIN64(a & b);
            NEXT();
            OP(84) BIN64(a | b);
            NEXT();
            OP(85) BIN64(a ^ b);
            NEXT();
            OP(86) BIN64(a << (b & 63));
            NEXT();
            OP(87) BIN64((uint64_t)((int64_t)a >> (b & 63)));
            NEXT();
            OP(88) BIN64(a >> (b & 63));
            NEXT();
            OP(89) BIN64(rotl64(a, b));
            NEXT();
            OP(8A) BIN64(rotr64(a, b));
            NEXT();
            /* f32 arithmetic */
            OP(8B) tos = U32(-1) & 0x7fffffffu;
            NEXT();
            OP(8C) tos = U32(-1) ^ 0x80000000u;
            NEXT();
            OP(8D) tos = wm_f32_round(U32(-1), 0);
            NEXT();
            OP(8E) tos = wm_f32_round(U32(-1), 1);
            NEXT();
            OP(8F) tos = wm_f32_round(U32(-1), 2);
            NEXT();
            OP(90) tos = wm_f32_round(U32(-1), 3);
            NEXT();
            OP(91) tos = wm_f32_sqrt(U32(-1));
            NEXT();
            OP(92) BINF32(+);
            NEXT();
            OP(93) BINF32(-);
            NEXT();
            OP(94) BINF32(*);
            NEXT();
            OP(95) BINF32(/);
            NEXT();
            OP(96) BIN32(wm_f32_min(a, b));
            NEXT();
            OP(97) BIN32(wm_f32_max(a, b));
            NEXT();
            OP(98) BIN32((a & 0x7fffffffu) | (b & 0x80000000u));
            NEXT();
            /* f64 arithmetic */
            OP(99) tos &= 0x7fffffffffffffffull;
            NEXT();
            OP(9A) tos ^= 0x8000000000000000ull;
            NEXT();
            OP(9B) tos = wm_f64_round(tos, 0);
            NEXT();
            OP(9C) tos = wm_f64_round(tos, 1);
            NEXT();
            OP(9D) tos = wm_f64_round(tos, 2);
            NEXT();
            OP(9E) tos = wm_f64_round(tos, 3);
            NEXT();
            OP(9F) tos = wm_f64_sqrt(tos);
            NEXT();
            OP(A0) BINF64(+);
            NEXT();
            OP(A1) BINF64(-);
            NEXT();
            OP(A2) BINF64(*);
            NEXT();
            OP(A3) BINF64(/);
            NEXT();
            OP(A4) BIN64(wm_f64_min(a, b));
            NEXT();
            OP(A5) BIN64(wm_f64_max(a, b));
            NEXT();
            OP(A6) BIN64((a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull));
            NEXT();
            /* conversions */
            OP(A7) tos = (uint32_t)tos;
            NEXT();
            OP(A8) OP(A9) OP(AA) OP(AB)
            {
                uint64_t d = pc[-1] < 0xAA ? wm_f64b((double)FA32(-1)) : tos;
                uint32_t r;
                bool nan;
                if (!wm_trunc_f64_i32(d, (pc[-1] & 1) == 0, &r, &nan))
                    TRAP(nan ? "invalid conversion to integer" : "integer overflow");
                tos = r;
                NEXT();
            }
            OP(AC) tos = (uint64_t)(int64_t)S32(-1);
            NEXT();
            OP(AD) tos = U32(-1);
            NEXT();
            OP(AE) OP(AF) OP(B0) OP(B1)
            {
                uint64_t d = pc[-1] < 0xB0 ? wm_f64b((double)FA32(-1)) : tos, r;
                bool nan;
                if (!wm_trunc_f64_i64(d, (pc[-1] & 1) == 0, &r, &nan))
                    TRAP(nan ? "invalid conversion to integer" : "integer overflow");
                tos = r;
                NEXT();
            }
            OP(B2) tos = wm_f32b((float)S32(-1));
            NEXT();
            OP(B3) tos = wm_f32b((float)U32(-1));
            NEXT();
            OP(B4) tos = wm_f32b((float)S64(-1));
            NEXT();
            OP(B5) tos = wm_f32b((float)tos);
            NEXT();
            OP(B6) tos = wm_f32b((float)FA64(-1));
            NEXT();
            OP(B7) tos = wm_f64b((double)S32(-1));
            NEXT();
            OP(B8) tos = wm_f64b((double)U32(-1));
            NEXT();
            OP(B9) tos = wm_f64b((double)S64(-1));
            NEXT();
            OP(BA) tos = wm_f64b((double)tos);
            NEXT();
            OP(BB) tos = wm_f64b((double)FA32(-1));
            NEXT();
            OP(BC) OP(BE) tos = U32(-1);
            NEXT();
            OP(BD) OP(BF) NEXT();
            OP(C0) tos = (uint32_t)(int32_t)(int8_t)(uint8_t)tos;
            NEXT();
            OP(C1) tos = (uint32_t)(int32_t)(int16_t)(uint16_t)tos;
            NEXT();
            OP(C2) tos = (uint64_t)(int64_t)(int8_t)(uint8_t)tos;
            NEXT();
            OP(C3) tos = (uint64_t)(int64_t)(int16_t)(uint16_t)tos;
            NEXT();
            OP(C4) tos = (uint64_t)(int64_t)(int32_t)(uint32_t)tos;
            NEXT();
            /* references */
            OP(D0) pc++;
            PUSH(0);
            NEXT();
            OP(D1) tos = tos == 0;
            NEXT();
            OP(D2) PUSH((uint64_t)(uintptr_t)ci->funcs[wm_fast_u32(&pc)]);
            NEXT();
            OP(FC)
            {
                const uint8_t *op0 = pc - 1;
                uint32_t sub = wm_fast_u32(&pc);
                switch (sub) {
                case 0:
                case 1:
                case 2:
                case 3: {
                    uint64_t d = sub < 2 ? wm_f64b((double)FA32(-1)) : tos;
                    tos = wm_trunc_sat_f64_i32(d, (sub & 1) == 0);
                    break;
                }
                case 4:
                case 5:
                case 6:
                case 7: {
                    uint64_t d = sub < 6 ? wm_f64b((double)FA32(-1)) : tos;
                    tos = wm_trunc_sat_f64_i64(d, (sub & 1) == 0);
                    break;
                }
                default: { /* bulk operations and the rest: out of line (see bulk_op) */
                    SAVE();
                    int r = bulk_op(x, ci, sub);
                    pc = x->pc;
                    sp = x->sp;
                    tos = x->tos;
                    switch (r) {
                    case BULK_STOP: STOP_BEFORE(op0);
                    case BULK_SUSPEND: goto suspend;
                    case BULK_TRAP_MEM: TRAP("out of bounds memory access");
                    case BULK_TRAP_TABLE: TRAP("out of bounds table access");
                    case BULK_ILLEGAL: TRAP("illegal opcode");
                    default: break;
                    }
                    break;
                }
                }
                NEXT();
            }
        OP_ILLEGAL:
            TRAP("illegal opcode");
        }

    take : {
        uint32_t keep = stp->keep, drop = stp->drop;
        if (drop) {
            if (keep) { /* the top stays in tos; the other kept values move down */
                uint64_t *src = sp - (keep - 1), *dst = src - drop;
                for (uint32_t k = 0; k + 1 < keep; k++) dst[k] = src[k];
                sp -= drop;
            } else {
                POPN(drop);
            }
        }
        pc = pc - 1 + stp->pc; /* every branch arrives here with pc just past its opcode */
        int32_t back = stp->pc;
        stp += stp->st;
        if (back <= 0) { /* back to a loop: its entry holds the fuel of its body */
            uint32_t k = WM_SIDE_FUEL_BACK(stp);
            stp++;
            CHECK_POINT(k);
        }
        NEXT();
    }
    }

do_return : {
    /* the return's check point; every return comes here just past a one-byte opcode
         * (return, or the function's end), which runs again if the fuel is too little */
    if (WM_UNLIKELY(x->fuel < func->def->fuel_ret)) STOP_BEFORE(pc - 1);
    x->fuel -= func->def->fuel_ret;
    uint32_t n = func->type->nresults;
    *sp++ = tos;
    uint64_t *src = sp - n;
    for (uint32_t k = 0; k < n; k++) fp[k] = src[k];
    sp = fp + n;
    wm_frame *fr = &x->frames[--x->depth];
    if (!fr->pc) {
        func = fr->func;
        pc = NULL;
        stp = fr->stp;
        fp = fr->fp;
        SAVE();
        code = WM_OK;
        goto done;
    }
    POPN(1);
    pc = fr->pc;
    stp = fr->stp;
    fp = fr->fp;
    func = fr->func;
    if (func->inst != ci) {
        LOAD_CTX();
#if WM_PREDECODE
        if (ci->mod->pd) { /* back to a pre-decoded caller: interp_pd.c continues it */
            SAVE();
            x->state = WM_PD_STATE_SWITCH;
            return WM_OK;
        }
#endif
    }
    goto dispatch;
}

suspend: /* after a check point that charged more than was left (x->owed) */
    SAVE();
    x->fuel = 0;
    x->state = WM_SUSPENDED;
    return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");

stop_before: /* before a check point or bulk work: what is left is kept for the resume */
    SAVE();
    x->owed -= (int64_t)x->fuel;
    x->fuel = 0;
    x->state = WM_SUSPENDED;
    return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");

out:
    SAVE();
    wm_trace_record(inst, func, pc);
    return wm_trap_err(err, code, msg);

done:
    return code;
}
