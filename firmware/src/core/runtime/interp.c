/* interp.c - the interpreter. Executes validated code in place; wasm calls push frames
 * in the instance's frame array (never recursing on the C stack), so a call can be
 * suspended for fuel and resumed, and deep wasm recursion cannot overflow the C stack. */
#include "wm_internal.h"

#define MAX_HOST_VALS 16

#define TRAP(m) do { msg = (m); code = WM_ERR_TRAP; goto out; } while (0)
#define EXHAUST() do { msg = "call stack exhausted"; code = WM_ERR_EXHAUSTION; goto out; } while (0)

#define LOAD_CTX() do {                                   \
        ci = func->inst;                                  \
        G = ci->globals;                                  \
        mb = ci->mem ? ci->mem->data : NULL;              \
        msz = ci->mem ? ci->mem->bytes : 0;               \
        fend = func->def->end;                            \
    } while (0)

#define SAVE() do { x->pc = pc; x->stp = stp; x->sp = sp; x->fp = fp; x->func = func; } while (0)

/* effective address check: N bytes at (addr + offset) */
#define EA(N) do {                                                       \
        wm_skip_uleb(&pc);                                               \
        uint64_t ea_ = (uint64_t)(uint32_t)sp[-1] + wm_fast_u32(&pc);    \
        if (ea_ + (N) > msz) TRAP("out of bounds memory access");        \
        p = mb + ea_;                                                    \
    } while (0)
#define EAS(N) do {                                                      \
        wm_skip_uleb(&pc);                                               \
        uint64_t ea_ = (uint64_t)(uint32_t)sp[-2] + wm_fast_u32(&pc);    \
        if (ea_ + (N) > msz) TRAP("out of bounds memory access");        \
        p = mb + ea_;                                                    \
    } while (0)

#define U32(i) ((uint32_t)sp[i])
#define S32(i) ((int32_t)(uint32_t)sp[i])
#define S64(i) ((int64_t)sp[i])
#define FA32(i) wm_f32((uint32_t)sp[i])
#define FA64(i) wm_f64(sp[i])
#define BIN32(e) do { uint32_t b = U32(-1), a = U32(-2); (void)a; (void)b; sp--; sp[-1] = (uint32_t)(e); } while (0)
#define BIN64(e) do { uint64_t b = sp[-1], a = sp[-2]; (void)a; (void)b; sp--; sp[-1] = (uint64_t)(e); } while (0)
#define CMPF32(op) do { float b = FA32(-1), a = FA32(-2); sp--; sp[-1] = (a op b); } while (0)
#define CMPF64(op) do { double b = FA64(-1), a = FA64(-2); sp--; sp[-1] = (a op b); } while (0)
#define BINF32(op) do { float b = FA32(-1), a = FA32(-2); sp--; sp[-1] = wm_f32b(a op b); } while (0)
#define BINF64(op) do { double b = FA64(-1), a = FA64(-2); sp--; sp[-1] = wm_f64b(a op b); } while (0)

static inline void wm_skip_uleb(const uint8_t **pp) {
    const uint8_t *p = *pp;
    while (*p++ & 0x80) {}
    *pp = p;
}

static uint32_t rotl32(uint32_t a, uint32_t k) { k &= 31; return (a << k) | (a >> ((32 - k) & 31)); }
static uint32_t rotr32(uint32_t a, uint32_t k) { k &= 31; return (a >> k) | (a << ((32 - k) & 31)); }
static uint64_t rotl64(uint64_t a, uint64_t k) { k &= 63; return (a << k) | (a >> ((64 - k) & 63)); }
static uint64_t rotr64(uint64_t a, uint64_t k) { k &= 63; return (a >> k) | (a << ((64 - k) & 63)); }
static uint32_t clz32(uint32_t a) { return a ? (uint32_t)__builtin_clz(a) : 32; }
static uint32_t ctz32(uint32_t a) { return a ? (uint32_t)__builtin_ctz(a) : 32; }
static uint32_t clz64(uint64_t a) { return a ? (uint32_t)__builtin_clzll(a) : 64; }
static uint32_t ctz64(uint64_t a) { return a ? (uint32_t)__builtin_ctzll(a) : 64; }
static uint32_t pop32(uint32_t a) { return (uint32_t)__builtin_popcount(a); }
static uint32_t pop64(uint64_t a) { return (uint32_t)__builtin_popcountll(a); }

static uint64_t val_to_slot(const wm_val *v) {
    switch (v->type) {
    case WM_I32: case WM_F32: return v->of.i32;
    case WM_FUNCREF: return (uint64_t)(uintptr_t)v->of.func;
    case WM_EXTERNREF: return (uint64_t)v->of.ext;
    default: return v->of.i64;
    }
}

void wm_slot_to_val(uint8_t type, uint64_t s, wm_val *v) {
    v->type = type;
    switch (type) {
    case WM_I32: case WM_F32: v->of.i64 = 0; v->of.i32 = (uint32_t)s; break;
    case WM_FUNCREF: v->of.func = (const wm_func *)(uintptr_t)s; break;
    case WM_EXTERNREF: v->of.ext = (uintptr_t)s; break;
    default: v->of.i64 = s; break;
    }
}

uint64_t wm_val_to_slot(const wm_val *v) { return val_to_slot(v); }

wm_err wm_run(wm_instance *inst, const wm_func *entry, wm_error *err) {
    wm_exec *x = &inst->x;
    const uint8_t *pc = x->pc, *fend = NULL;
    const wm_side *stp = x->stp;
    uint64_t *sp = x->sp, *fp = x->fp;
    const wm_func *func = x->func, *callee = NULL;
    wm_instance *ci = inst;
    wm_global **G = NULL;
    uint8_t *mb = NULL;
    uint64_t msz = 0;
    uint64_t fuel = x->fuel;
    const char *msg = NULL;
    wm_err code = WM_OK;
    uint8_t *p;

    if (entry) {
        callee = entry;
        pc = NULL; /* the frame pushed below marks the bottom of this call */
        goto do_call;
    }
    LOAD_CTX();
    goto dispatch;

do_call:
    if (callee->host) {
        wm_val args[MAX_HOST_VALS], res[MAX_HOST_VALS];
        const wm_functype *t = callee->type;
        uint32_t i;
        sp -= t->nparams;
        for (i = 0; i < t->nparams; i++) wm_slot_to_val(t->params[i], sp[i], &args[i]);
        if ((size_t)(x->stack_end - sp) < t->nresults) EXHAUST();
        for (i = 0; i < t->nresults; i++) { res[i].type = t->results[i]; res[i].of.i64 = 0; }
        SAVE();
        x->fuel = fuel;
        wm_instance *hi = func ? func->inst : inst;
        hi->trap_msg = NULL;
        wm_err e = callee->host->fn(hi, callee->host->user, args, res);
        fuel = x->fuel;
        if (e != WM_OK) {
            msg = hi->trap_msg ? hi->trap_msg : "host function failed";
            code = e == WM_ERR_EXHAUSTION ? e : WM_ERR_TRAP;
            goto out;
        }
        for (i = 0; i < t->nresults; i++) *sp++ = val_to_slot(&res[i]);
        if (!func) { /* a host function was the entry itself */
            SAVE();
            code = WM_OK;
            goto done;
        }
        LOAD_CTX();
        goto dispatch;
    } else {
        const wm_funcdef *d = callee->def;
        if (x->depth >= x->max_frames) EXHAUST();
        if ((size_t)(x->stack_end - sp) < (size_t)d->nlocals + d->max_height) EXHAUST();
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
        LOAD_CTX();
        if (fuel == 0) goto suspend;
        fuel--;
    }

dispatch:
    for (;;) {
        const uint8_t *op_pc = pc;
        uint8_t op = *pc++;
        switch (op) {
        case 0x00: TRAP("unreachable");
        case 0x01: break;
        case 0x02: case 0x03: wm_skip_uleb(&pc); break;
        case 0x04:
            wm_skip_uleb(&pc);
            if (U32(-1)) { sp--; stp++; break; }
            sp--;
            goto take;
        case 0x05: goto take;
        case 0x0B:
            if (pc == fend) goto do_return;
            break;
        case 0x0C: goto take;
        case 0x0D:
            sp--;
            if ((uint32_t)sp[0]) goto take;
            wm_skip_uleb(&pc);
            stp++;
            break;
        case 0x0E: {
            uint32_t n = wm_fast_u32(&pc), i = U32(-1);
            sp--;
            stp += i < n ? i : n;
            goto take;
        }
        case 0x0F: goto do_return;
        case 0x10:
            callee = ci->funcs[wm_fast_u32(&pc)];
            goto do_call;
        case 0x11: {
            uint32_t ti = wm_fast_u32(&pc), tab = wm_fast_u32(&pc);
            wm_table *t = ci->tables[tab];
            uint32_t i = U32(-1);
            sp--;
            if (i >= t->size) TRAP("undefined element");
            callee = (const wm_func *)(uintptr_t)t->elems[i];
            if (!callee) TRAP("uninitialized element");
            if (!wm_functype_eq(callee->type, &ci->mod->types[ti]))
                TRAP("indirect call type mismatch");
            goto do_call;
        }
        case 0x1A: sp--; break;
        case 0x1C: wm_skip_uleb(&pc); pc++; /* fall through */
        case 0x1B:
            sp -= 2;
            if (!(uint32_t)sp[1]) sp[-1] = sp[0];
            break;
        case 0x20: *sp++ = fp[wm_fast_u32(&pc)]; break;
        case 0x21: fp[wm_fast_u32(&pc)] = *--sp; break;
        case 0x22: fp[wm_fast_u32(&pc)] = sp[-1]; break;
        case 0x23: *sp++ = G[wm_fast_u32(&pc)]->val; break;
        case 0x24: G[wm_fast_u32(&pc)]->val = *--sp; break;
        case 0x25: {
            wm_table *t = ci->tables[wm_fast_u32(&pc)];
            uint32_t i = U32(-1);
            if (i >= t->size) TRAP("out of bounds table access");
            sp[-1] = t->elems[i];
            break;
        }
        case 0x26: {
            wm_table *t = ci->tables[wm_fast_u32(&pc)];
            uint32_t i = U32(-2);
            if (i >= t->size) TRAP("out of bounds table access");
            t->elems[i] = sp[-1];
            sp -= 2;
            break;
        }
        /* loads */
        case 0x28: EA(4); sp[-1] = wm_ld32(p); break;
        case 0x29: EA(8); sp[-1] = wm_ld64(p); break;
        case 0x2A: EA(4); sp[-1] = wm_ld32(p); break;
        case 0x2B: EA(8); sp[-1] = wm_ld64(p); break;
        case 0x2C: EA(1); sp[-1] = (uint32_t)(int32_t)(int8_t)p[0]; break;
        case 0x2D: EA(1); sp[-1] = p[0]; break;
        case 0x2E: EA(2); sp[-1] = (uint32_t)(int32_t)(int16_t)wm_ld16(p); break;
        case 0x2F: EA(2); sp[-1] = wm_ld16(p); break;
        case 0x30: EA(1); sp[-1] = (uint64_t)(int64_t)(int8_t)p[0]; break;
        case 0x31: EA(1); sp[-1] = p[0]; break;
        case 0x32: EA(2); sp[-1] = (uint64_t)(int64_t)(int16_t)wm_ld16(p); break;
        case 0x33: EA(2); sp[-1] = wm_ld16(p); break;
        case 0x34: EA(4); sp[-1] = (uint64_t)(int64_t)(int32_t)wm_ld32(p); break;
        case 0x35: EA(4); sp[-1] = wm_ld32(p); break;
        /* stores */
        case 0x36: case 0x38: EAS(4); wm_st32(p, U32(-1)); sp -= 2; break;
        case 0x37: case 0x39: EAS(8); wm_st64(p, sp[-1]); sp -= 2; break;
        case 0x3A: case 0x3C: EAS(1); p[0] = (uint8_t)sp[-1]; sp -= 2; break;
        case 0x3B: case 0x3D: EAS(2); wm_st16(p, (uint16_t)sp[-1]); sp -= 2; break;
        case 0x3E: EAS(4); wm_st32(p, (uint32_t)sp[-1]); sp -= 2; break;
        case 0x3F: pc++; *sp++ = ci->mem->pages; break;
        case 0x40:
            pc++;
            sp[-1] = (uint32_t)wm_memory_grow(ci->mem, U32(-1));
            mb = ci->mem->data;
            msz = ci->mem->bytes;
            break;
        case 0x41: *sp++ = (uint32_t)wm_fast_s32(&pc); break;
        case 0x42: *sp++ = (uint64_t)wm_fast_s64(&pc); break;
        case 0x43: *sp++ = wm_ld32(pc); pc += 4; break;
        case 0x44: *sp++ = wm_ld64(pc); pc += 8; break;
        /* i32 compare */
        case 0x45: sp[-1] = U32(-1) == 0; break;
        case 0x46: BIN32(a == b); break;
        case 0x47: BIN32(a != b); break;
        case 0x48: BIN32((int32_t)a < (int32_t)b); break;
        case 0x49: BIN32(a < b); break;
        case 0x4A: BIN32((int32_t)a > (int32_t)b); break;
        case 0x4B: BIN32(a > b); break;
        case 0x4C: BIN32((int32_t)a <= (int32_t)b); break;
        case 0x4D: BIN32(a <= b); break;
        case 0x4E: BIN32((int32_t)a >= (int32_t)b); break;
        case 0x4F: BIN32(a >= b); break;
        /* i64 compare */
        case 0x50: sp[-1] = sp[-1] == 0; break;
        case 0x51: BIN64(a == b); break;
        case 0x52: BIN64(a != b); break;
        case 0x53: BIN64((int64_t)a < (int64_t)b); break;
        case 0x54: BIN64(a < b); break;
        case 0x55: BIN64((int64_t)a > (int64_t)b); break;
        case 0x56: BIN64(a > b); break;
        case 0x57: BIN64((int64_t)a <= (int64_t)b); break;
        case 0x58: BIN64(a <= b); break;
        case 0x59: BIN64((int64_t)a >= (int64_t)b); break;
        case 0x5A: BIN64(a >= b); break;
        /* float compare */
        case 0x5B: CMPF32(==); break;
        case 0x5C: CMPF32(!=); break;
        case 0x5D: CMPF32(<); break;
        case 0x5E: CMPF32(>); break;
        case 0x5F: CMPF32(<=); break;
        case 0x60: CMPF32(>=); break;
        case 0x61: CMPF64(==); break;
        case 0x62: CMPF64(!=); break;
        case 0x63: CMPF64(<); break;
        case 0x64: CMPF64(>); break;
        case 0x65: CMPF64(<=); break;
        case 0x66: CMPF64(>=); break;
        /* i32 arithmetic */
        case 0x67: sp[-1] = clz32(U32(-1)); break;
        case 0x68: sp[-1] = ctz32(U32(-1)); break;
        case 0x69: sp[-1] = pop32(U32(-1)); break;
        case 0x6A: BIN32(a + b); break;
        case 0x6B: BIN32(a - b); break;
        case 0x6C: BIN32(a * b); break;
        case 0x6D: {
            int32_t b = S32(-1), a = S32(-2);
            if (b == 0) TRAP("integer divide by zero");
            if (a == INT32_MIN && b == -1) TRAP("integer overflow");
            sp--;
            sp[-1] = (uint32_t)(a / b);
            break;
        }
        case 0x6E:
            if (U32(-1) == 0) TRAP("integer divide by zero");
            BIN32(a / b);
            break;
        case 0x6F: {
            int32_t b = S32(-1), a = S32(-2);
            if (b == 0) TRAP("integer divide by zero");
            sp--;
            sp[-1] = b == -1 ? 0 : (uint32_t)(a % b);
            break;
        }
        case 0x70:
            if (U32(-1) == 0) TRAP("integer divide by zero");
            BIN32(a % b);
            break;
        case 0x71: BIN32(a & b); break;
        case 0x72: BIN32(a | b); break;
        case 0x73: BIN32(a ^ b); break;
        case 0x74: BIN32(a << (b & 31)); break;
        case 0x75: BIN32((uint32_t)((int32_t)a >> (b & 31))); break;
        case 0x76: BIN32(a >> (b & 31)); break;
        case 0x77: BIN32(rotl32(a, b)); break;
        case 0x78: BIN32(rotr32(a, b)); break;
        /* i64 arithmetic */
        case 0x79: sp[-1] = clz64(sp[-1]); break;
        case 0x7A: sp[-1] = ctz64(sp[-1]); break;
        case 0x7B: sp[-1] = pop64(sp[-1]); break;
        case 0x7C: BIN64(a + b); break;
        case 0x7D: BIN64(a - b); break;
        case 0x7E: BIN64(a * b); break;
        case 0x7F: {
            int64_t b = S64(-1), a = S64(-2);
            if (b == 0) TRAP("integer divide by zero");
            if (a == INT64_MIN && b == -1) TRAP("integer overflow");
            sp--;
            sp[-1] = (uint64_t)(a / b);
            break;
        }
        case 0x80:
            if (sp[-1] == 0) TRAP("integer divide by zero");
            BIN64(a / b);
            break;
        case 0x81: {
            int64_t b = S64(-1), a = S64(-2);
            if (b == 0) TRAP("integer divide by zero");
            sp--;
            sp[-1] = b == -1 ? 0 : (uint64_t)(a % b);
            break;
        }
        case 0x82:
            if (sp[-1] == 0) TRAP("integer divide by zero");
            BIN64(a % b);
            break;
        case 0x83: BIN64(a & b); break;
        case 0x84: BIN64(a | b); break;
        case 0x85: BIN64(a ^ b); break;
        case 0x86: BIN64(a << (b & 63)); break;
        case 0x87: BIN64((uint64_t)((int64_t)a >> (b & 63))); break;
        case 0x88: BIN64(a >> (b & 63)); break;
        case 0x89: BIN64(rotl64(a, b)); break;
        case 0x8A: BIN64(rotr64(a, b)); break;
        /* f32 arithmetic */
        case 0x8B: sp[-1] = U32(-1) & 0x7fffffffu; break;
        case 0x8C: sp[-1] = U32(-1) ^ 0x80000000u; break;
        case 0x8D: sp[-1] = wm_f32_round(U32(-1), 0); break;
        case 0x8E: sp[-1] = wm_f32_round(U32(-1), 1); break;
        case 0x8F: sp[-1] = wm_f32_round(U32(-1), 2); break;
        case 0x90: sp[-1] = wm_f32_round(U32(-1), 3); break;
        case 0x91: sp[-1] = wm_f32_sqrt(U32(-1)); break;
        case 0x92: BINF32(+); break;
        case 0x93: BINF32(-); break;
        case 0x94: BINF32(*); break;
        case 0x95: BINF32(/); break;
        case 0x96: BIN32(wm_f32_min(a, b)); break;
        case 0x97: BIN32(wm_f32_max(a, b)); break;
        case 0x98: BIN32((a & 0x7fffffffu) | (b & 0x80000000u)); break;
        /* f64 arithmetic */
        case 0x99: sp[-1] &= 0x7fffffffffffffffull; break;
        case 0x9A: sp[-1] ^= 0x8000000000000000ull; break;
        case 0x9B: sp[-1] = wm_f64_round(sp[-1], 0); break;
        case 0x9C: sp[-1] = wm_f64_round(sp[-1], 1); break;
        case 0x9D: sp[-1] = wm_f64_round(sp[-1], 2); break;
        case 0x9E: sp[-1] = wm_f64_round(sp[-1], 3); break;
        case 0x9F: sp[-1] = wm_f64_sqrt(sp[-1]); break;
        case 0xA0: BINF64(+); break;
        case 0xA1: BINF64(-); break;
        case 0xA2: BINF64(*); break;
        case 0xA3: BINF64(/); break;
        case 0xA4: BIN64(wm_f64_min(a, b)); break;
        case 0xA5: BIN64(wm_f64_max(a, b)); break;
        case 0xA6: BIN64((a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull)); break;
        /* conversions */
        case 0xA7: sp[-1] = (uint32_t)sp[-1]; break;
        case 0xA8: case 0xA9: case 0xAA: case 0xAB: {
            uint64_t d = op < 0xAA ? wm_f64b((double)FA32(-1)) : sp[-1];
            uint32_t r;
            bool nan;
            if (!wm_trunc_f64_i32(d, (op & 1) == 0, &r, &nan))
                TRAP(nan ? "invalid conversion to integer" : "integer overflow");
            sp[-1] = r;
            break;
        }
        case 0xAC: sp[-1] = (uint64_t)(int64_t)S32(-1); break;
        case 0xAD: sp[-1] = U32(-1); break;
        case 0xAE: case 0xAF: case 0xB0: case 0xB1: {
            uint64_t d = op < 0xB0 ? wm_f64b((double)FA32(-1)) : sp[-1], r;
            bool nan;
            if (!wm_trunc_f64_i64(d, (op & 1) == 0, &r, &nan))
                TRAP(nan ? "invalid conversion to integer" : "integer overflow");
            sp[-1] = r;
            break;
        }
        case 0xB2: sp[-1] = wm_f32b((float)S32(-1)); break;
        case 0xB3: sp[-1] = wm_f32b((float)U32(-1)); break;
        case 0xB4: sp[-1] = wm_f32b((float)S64(-1)); break;
        case 0xB5: sp[-1] = wm_f32b((float)sp[-1]); break;
        case 0xB6: sp[-1] = wm_f32b((float)FA64(-1)); break;
        case 0xB7: sp[-1] = wm_f64b((double)S32(-1)); break;
        case 0xB8: sp[-1] = wm_f64b((double)U32(-1)); break;
        case 0xB9: sp[-1] = wm_f64b((double)S64(-1)); break;
        case 0xBA: sp[-1] = wm_f64b((double)sp[-1]); break;
        case 0xBB: sp[-1] = wm_f64b((double)FA32(-1)); break;
        case 0xBC: case 0xBE: sp[-1] = U32(-1); break;
        case 0xBD: case 0xBF: break;
        case 0xC0: sp[-1] = (uint32_t)(int32_t)(int8_t)(uint8_t)sp[-1]; break;
        case 0xC1: sp[-1] = (uint32_t)(int32_t)(int16_t)(uint16_t)sp[-1]; break;
        case 0xC2: sp[-1] = (uint64_t)(int64_t)(int8_t)(uint8_t)sp[-1]; break;
        case 0xC3: sp[-1] = (uint64_t)(int64_t)(int16_t)(uint16_t)sp[-1]; break;
        case 0xC4: sp[-1] = (uint64_t)(int64_t)(int32_t)(uint32_t)sp[-1]; break;
        /* references */
        case 0xD0: pc++; *sp++ = 0; break;
        case 0xD1: sp[-1] = sp[-1] == 0; break;
        case 0xD2: *sp++ = (uint64_t)(uintptr_t)ci->funcs[wm_fast_u32(&pc)]; break;
        case 0xFC: {
            uint32_t sub = wm_fast_u32(&pc);
            switch (sub) {
            case 0: case 1: case 2: case 3: {
                uint64_t d = sub < 2 ? wm_f64b((double)FA32(-1)) : sp[-1];
                sp[-1] = wm_trunc_sat_f64_i32(d, (sub & 1) == 0);
                break;
            }
            case 4: case 5: case 6: case 7: {
                uint64_t d = sub < 6 ? wm_f64b((double)FA32(-1)) : sp[-1];
                sp[-1] = wm_trunc_sat_f64_i64(d, (sub & 1) == 0);
                break;
            }
            case 8: {
                uint32_t seg = wm_fast_u32(&pc);
                pc++;
                uint32_t n = U32(-1), s = U32(-2), d = U32(-3);
                const wm_dataseg *ds = &ci->mod->datas[seg];
                uint32_t len = ci->data_dropped[seg] ? 0 : ds->len;
                sp -= 3;
                if ((uint64_t)s + n > len || (uint64_t)d + n > msz)
                    TRAP("out of bounds memory access");
                wm_memcpy(mb + d, ds->bytes + s, n);
                break;
            }
            case 9: ci->data_dropped[wm_fast_u32(&pc)] = 1; break;
            case 10: {
                pc += 2;
                uint32_t n = U32(-1), s = U32(-2), d = U32(-3);
                sp -= 3;
                if ((uint64_t)s + n > msz || (uint64_t)d + n > msz)
                    TRAP("out of bounds memory access");
                wm_memmove(mb + d, mb + s, n);
                break;
            }
            case 11: {
                pc++;
                uint32_t n = U32(-1), v = U32(-2), d = U32(-3);
                sp -= 3;
                if ((uint64_t)d + n > msz) TRAP("out of bounds memory access");
                wm_memset(mb + d, (int)(v & 0xff), n);
                break;
            }
            case 12: {
                uint32_t seg = wm_fast_u32(&pc), tab = wm_fast_u32(&pc);
                uint32_t n = U32(-1), s = U32(-2), d = U32(-3);
                sp -= 3;
                SAVE();
                if (wm_table_init_op(ci, ci->tables[tab], seg, d, s, n) != WM_OK)
                    TRAP("out of bounds table access");
                break;
            }
            case 13: ci->elem_dropped[wm_fast_u32(&pc)] = 1; break;
            case 14: {
                wm_table *td = ci->tables[wm_fast_u32(&pc)];
                wm_table *ts = ci->tables[wm_fast_u32(&pc)];
                uint32_t n = U32(-1), s = U32(-2), d = U32(-3);
                sp -= 3;
                if ((uint64_t)s + n > ts->size || (uint64_t)d + n > td->size)
                    TRAP("out of bounds table access");
                wm_memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(uint64_t));
                break;
            }
            case 15: {
                wm_table *t = ci->tables[wm_fast_u32(&pc)];
                uint32_t n = U32(-1);
                sp--;
                sp[-1] = (uint32_t)wm_table_grow(t, n, sp[-1]);
                break;
            }
            case 16: *sp++ = ci->tables[wm_fast_u32(&pc)]->size; break;
            case 17: {
                wm_table *t = ci->tables[wm_fast_u32(&pc)];
                uint32_t n = U32(-1), i = U32(-3);
                uint64_t v = sp[-2];
                sp -= 3;
                if ((uint64_t)i + n > t->size) TRAP("out of bounds table access");
                for (uint32_t k = 0; k < n; k++) t->elems[i + k] = v;
                break;
            }
            default: TRAP("illegal opcode");
            }
            break;
        }
        default: TRAP("illegal opcode");
        }
        continue;

    take: {
        uint32_t keep = stp->keep, drop = stp->drop;
        if (drop) {
            uint64_t *dst = sp - keep - drop, *src = sp - keep;
            for (uint32_t k = 0; k < keep; k++) dst[k] = src[k];
            sp -= drop;
        }
        pc = op_pc + stp->pc;
        int32_t back = stp->pc;
        stp += stp->st;
        if (back <= 0) { /* loop back-edge: charge fuel */
            if (fuel == 0) goto suspend;
            fuel--;
        }
        continue;
    }
    }

do_return: {
        uint32_t n = func->type->nresults;
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
        pc = fr->pc;
        stp = fr->stp;
        fp = fr->fp;
        func = fr->func;
        LOAD_CTX();
        goto dispatch;
    }

suspend:
    SAVE();
    x->fuel = 0;
    x->state = WM_SUSPENDED;
    return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");

out:
    SAVE();
    x->fuel = fuel;
    return wm_trap_err(err, code, msg);

done:
    x->fuel = fuel;
    return code;
}
