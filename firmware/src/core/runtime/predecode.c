/* predecode.c - translates validated function bodies into the pre-decoded form
 * (docs/predecoded.md): three-address instructions on frame slots, immediates decoded,
 * branch targets resolved, fuel of every check point inline.
 *
 * The operand-stack height at every instruction is static after validation, so the stack
 * value at height h lives in slot nlocals_total + h of the frame, like a local. Reads of a
 * local or a constant are kept pending (nothing emitted) until an instruction consumes
 * them, which then names the local's slot directly; they are materialised before a write
 * to that local, at block boundaries and before branches. An instruction whose result is
 * immediately stored to a local writes the local instead (its destination patched). */
#include "wm_pd.h"

#if WM_PREDECODE

#define NONE UINT32_MAX
/* Work units (wm_work.h) an instruction's translation is charged, as the validator's. */
#define WM_PD_WORK_OP_UNITS 4u
#define WM_PD_WORK_FUNC_UNITS 16u

enum { PK_SLOT = 0, PK_LOCAL = 1, PK_CONST = 2 };
#define PEND_MAX 16u

typedef struct pend {
    uint8_t kind;
    uint64_t v; /* PK_LOCAL: local index; PK_CONST: the slot bits */
} pend;

typedef struct ctl {
    uint8_t op;   /* 0 function, 2 block, 3 loop, 4 if, 5 else */
    uint8_t dead; /* entered in unreachable code: nothing of it is emitted */
    uint32_t height, nparams, nresults;
    uint32_t start;     /* loop: byte position of the body (back-edge target) */
    uint32_t back_fuel; /* loop: fuel a back-edge charges */
    uint32_t chain;     /* forward branch fields to patch at the end (linked through them) */
    uint32_t if_false;  /* if: the false edge's field, patched at else/end */
} ctl;

typedef struct T {
    const wm_module *m;
    wm_pd_out *out;
    wm_error *err;
    const uint8_t *p;
    const wm_side *side;
    uint32_t L, h, maxh;
    pend *ps;
    /* Heights of the pending entries (at most PEND_MAX: the oldest is materialised to make
     * room), so that what scans them costs a constant per instruction and translation time
     * stays linear in the code, whatever the stack height (a hostile module's install). */
    uint32_t pl[PEND_MAX];
    uint32_t npl;
    ctl *cs;
    uint32_t cn, ccap;
    bool dead;
    size_t fstart;   /* byte position of this function's body */
    size_t last_dst; /* byte position of the last producer's dst field, or NONE */
    size_t last_pos; /* byte position of the last instruction */
    uint16_t last_op;
    bool full;
    size_t trap_pos; /* byte position of this wasm instruction's trapping or calling op, or NONE */
    uint32_t trap_code; /* its code offset when not the instruction's last byte, or NONE */
    wm_pd_map map;
} T;

/* Handlers that can trap or call: the trace map names their wasm instruction. */
static bool traps_or_calls(uint16_t o)
{
    return o == 0x00 || o == PD_CALL || o == PD_CALL_IND || o == PD_TABLE_GET ||
           o == PD_TABLE_SET || (o >= 0x28 && o <= 0x3E) || o == 0x40 || (o >= 0x6D && o <= 0x70) ||
           (o >= 0x7F && o <= 0x82) || (o >= 0xA8 && o <= 0xAB) || (o >= 0xAE && o <= 0xB1) ||
           o == PD_BULK;
}

/* Units are stored as the uint16_t the interpreter reads them as (native order: a form is
 * attached only on a little-endian target, wm_pd_attach), the buffer 4-aligned. */
static void set16(T *t, size_t pos, uint16_t v) { *(uint16_t *)(void *)(t->out->buf + pos) = v; }
static void set32(T *t, size_t pos, uint32_t v)
{
    set16(t, pos, (uint16_t)v);
    set16(t, pos + 2, (uint16_t)(v >> 16));
}
static void put16(T *t, uint16_t v)
{
    if (t->out->len + 2 > t->out->cap) {
        t->full = true;
        return;
    }
    set16(t, t->out->len, v);
    t->out->len += 2;
}
static void put32(T *t, uint32_t v)
{
    put16(t, (uint16_t)v);
    put16(t, (uint16_t)(v >> 16));
}
static void put64(T *t, uint64_t v)
{
    put32(t, (uint32_t)v);
    put32(t, (uint32_t)(v >> 32));
}
/* Starts an instruction; producers then call dst() for their destination field. */
static void op(T *t, uint16_t o)
{
    t->last_dst = NONE;
    t->last_pos = t->out->len;
    t->last_op = o;
    if (traps_or_calls(o)) t->trap_pos = t->out->len;
    /* in place, a bulk op's trap leaves pc past its sub-opcode (bulk_op) */
    if (o == PD_BULK) t->trap_code = (uint32_t)(t->p - 1 - t->m->code);
    put16(t, o);
}
static void dst(T *t, uint32_t slot)
{
    t->last_dst = t->out->len;
    put16(t, (uint16_t)slot);
}

/* ---- operands ---- */
static uint32_t slot_of(T *t, uint32_t h) { return t->L + h; }

static void materialise(T *t, uint32_t h)
{
    pend *e = &t->ps[h];
    if (e->kind == PK_LOCAL) {
        op(t, PD_COPY);
        dst(t, slot_of(t, h));
        put16(t, (uint16_t)e->v);
    } else if (e->kind == PK_CONST) {
        bool small = (e->v >> 32) == 0;
        op(t, small ? PD_CONST32 : PD_CONST64);
        dst(t, slot_of(t, h));
        if (small)
            put32(t, (uint32_t)e->v);
        else
            put64(t, e->v);
    }
    e->kind = PK_SLOT;
}
/* Drops the list's entries that no longer stand for a pending value (popped or written). */
static void prune(T *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->npl; i++) {
        uint32_t h = t->pl[i];
        if (h < t->h && t->ps[h].kind != PK_SLOT) t->pl[n++] = h;
    }
    t->npl = n;
}
static void materialise_all(T *t)
{
    prune(t);
    for (uint32_t i = 0; i < t->npl; i++) materialise(t, t->pl[i]);
    t->npl = 0;
}
/* The slot an instruction reads the value at height h from. */
static uint32_t operand(T *t, uint32_t h)
{
    pend *e = &t->ps[h];
    if (e->kind == PK_LOCAL) return (uint32_t)e->v;
    if (e->kind == PK_CONST) materialise(t, h);
    return slot_of(t, h);
}
/* The i32 compare that computed `cond` (the slot just popped), if it is the instruction
 * just emitted: taken back (its result feeds nothing else) for a branch that tests it
 * itself. Returns its opcode (0x45..0x4F) with its operands, or 0. */
static uint16_t take_compare(T *t, uint32_t cond, uint16_t *a, uint16_t *b)
{
    if (t->last_dst == NONE || t->last_dst != t->last_pos + 2 || cond != slot_of(t, t->h) ||
        t->last_op < 0x45 || t->last_op > 0x4F || t->full ||
        wm_ld16(t->out->buf + t->last_dst) != cond)
        return 0;
    *a = wm_ld16(t->out->buf + t->last_pos + 4);
    *b = t->last_op == 0x45 ? 0 : wm_ld16(t->out->buf + t->last_pos + 6);
    t->out->len = t->last_pos;
    t->last_dst = NONE;
    return t->last_op;
}
static void cmp_operands(T *t, uint16_t cmp, uint16_t a, uint16_t b)
{
    put16(t, a);
    if (cmp != 0x45) put16(t, b);
}

static bool reads_local(T *t, uint32_t local, uint32_t below)
{
    prune(t);
    for (uint32_t i = 0; i < t->npl; i++) {
        const pend *e = &t->ps[t->pl[i]];
        if (t->pl[i] < below && e->kind == PK_LOCAL && e->v == local) return true;
    }
    return false;
}
/* Materialises the pending reads of `local` below height `below` (it is about to change). */
static void materialise_reads(T *t, uint32_t local, uint32_t below)
{
    prune(t);
    for (uint32_t i = 0; i < t->npl; i++) {
        uint32_t h = t->pl[i];
        if (h < below && t->ps[h].kind == PK_LOCAL && t->ps[h].v == local) materialise(t, h);
    }
}
static void push_slot(T *t)
{
    t->ps[t->h].kind = PK_SLOT;
    t->h++;
}
static void push_pend(T *t, uint8_t kind, uint64_t v)
{
    prune(t);
    if (t->npl == PEND_MAX) { /* the oldest goes to its slot */
        materialise(t, t->pl[0]);
        prune(t);
    }
    t->pl[t->npl++] = t->h;
    t->ps[t->h].kind = kind;
    t->ps[t->h].v = v;
    t->h++;
}

/* ---- branches ---- */
/* A forward field: chained through its own two units until the label is bound. */
static void fwd_field(T *t, uint32_t *chain)
{
    uint32_t at = (uint32_t)t->out->len;
    put32(t, *chain);
    *chain = at;
}
static void bind(T *t, uint32_t chain, size_t target)
{
    while (chain != NONE && !t->full) {
        uint32_t next = wm_ld32(t->out->buf + chain);
        set32(t, chain, (uint32_t)(int32_t)(((int64_t)target - (int64_t)chain) / 2));
        chain = next;
        wm_work_charge(t->m->work, 1u); /* one `end` may bind every branch before it */
    }
}
static void back_field(T *t, size_t target)
{
    put32(t, (uint32_t)(int32_t)(((int64_t)target - (int64_t)t->out->len) / 2));
}
/* The label of depth d; the values carried: `n`, from the top. */
static ctl *label(T *t, uint32_t d) { return &t->cs[t->cn - 1 - d]; }
static uint32_t keep_of(const ctl *c) { return c->op == 3 ? c->nparams : c->nresults; }

static void brx_payload(T *t, uint32_t d)
{
    ctl *c = label(t, d);
    uint32_t n = keep_of(c);
    if (c->op == 3)
        back_field(t, c->start);
    else
        fwd_field(t, &c->chain);
    put32(t, c->op == 3 ? c->back_fuel : 0u);
    put16(t, (uint16_t)slot_of(t, t->h - n));
    put16(t, (uint16_t)slot_of(t, c->height));
    put16(t, (uint16_t)n);
}
/* A branch needs the full form when it carries values that move or goes back to a loop. */
static bool simple_branch(T *t, uint32_t d)
{
    ctl *c = label(t, d);
    uint32_t n = keep_of(c);
    return c->op != 3 && (n == 0 || t->h - n == c->height);
}

/* One object: wm_pd_translate_in tells running out of the form's room by this pointer. */
static const char k_no_room[] = "no room for the pre-decoded form";

static wm_err refuse(T *t, const char *msg)
{
    return wm_fail(t->err, WM_ERR_LIMIT, t->m->bytes, t->p, msg);
}

static wm_err blocktype(T *t, uint32_t *np, uint32_t *nr)
{
    uint8_t b = *t->p;
    if (b == 0x40) {
        t->p++;
        *np = *nr = 0;
        return WM_OK;
    }
    if (wm_is_valtype(b)) {
        t->p++;
        *np = 0;
        *nr = 1;
        return WM_OK;
    }
    wm_reader r = {t->p, t->m->bytes + t->m->len, t->m->bytes, t->err};
    int64_t idx = 0;
    wm_err e = wm_rd_s33(&r, &idx);
    if (e) return e;
    t->p = r.p;
    *np = t->m->types[idx].nparams;
    *nr = t->m->types[idx].nresults;
    return WM_OK;
}

static wm_err push_ctl(T *t, uint8_t o, uint32_t np, uint32_t nr)
{
    if (t->cn >= t->ccap) return refuse(t, "blocks nested too deeply to pre-decode");
    ctl *c = &t->cs[t->cn++];
    c->op = o;
    c->dead = t->dead;
    c->height = t->dead ? 0 : t->h - np;
    c->nparams = np;
    c->nresults = nr;
    c->start = (uint32_t)t->out->len;
    c->back_fuel = 0;
    c->chain = NONE;
    c->if_false = NONE;
    return WM_OK;
}

/* An instruction that pushes what its index names (a global, a function, a table's size). */
static void push_indexed(T *t, uint16_t o, uint32_t index)
{
    op(t, o);
    dst(t, slot_of(t, t->h));
    put32(t, index);
    push_slot(t);
}

static int num_arity(uint8_t o)
{
    if (o == 0x45 || o == 0x50 || (o >= 0x67 && o <= 0x69) || (o >= 0x79 && o <= 0x7B) ||
        (o >= 0x8B && o <= 0x91) || (o >= 0x99 && o <= 0x9F) || (o >= 0xA7 && o <= 0xC4) ||
        o == 0xD1)
        return 1;
    if (o >= 0x46 && o <= 0xA6) return 2;
    return 0;
}

static void unary(T *t, uint16_t o)
{
    uint32_t a = operand(t, t->h - 1);
    t->h--;
    op(t, o);
    dst(t, slot_of(t, t->h));
    put16(t, (uint16_t)a);
    push_slot(t);
}

/* The immediates of 0xFC `sub`. */
static void skip_fc(T *t, uint32_t sub)
{
    const uint8_t **pp = &t->p;
    if (sub == 8) {
        (void)wm_fast_u32(pp);
        t->p++;
    } else if (sub == 9 || sub == 13 || sub == 15 || sub == 16 || sub == 17) {
        (void)wm_fast_u32(pp);
    } else if (sub == 10) {
        t->p += 2;
    } else if (sub == 11) {
        t->p++;
    } else if (sub == 12 || sub == 14) {
        (void)wm_fast_u32(pp);
        (void)wm_fast_u32(pp);
    }
}

/* Unreachable code: its immediates skipped and its side entries passed, nothing emitted. */
static void skip_dead(T *t, uint8_t o)
{
    const uint8_t **pp = &t->p;
    switch (o) {
    case 0x0C:
    case 0x0D:
    case 0x10:
        (void)wm_fast_u32(pp);
        t->side++;
        break;
    case 0x11:
        (void)wm_fast_u32(pp);
        (void)wm_fast_u32(pp);
        t->side++;
        break;
    case 0x0E: {
        uint32_t n = wm_fast_u32(pp);
        for (uint32_t k = 0; k <= n; k++) (void)wm_fast_u32(pp);
        t->side += n + 1;
        break;
    }
    case 0x1C: {
        uint32_t n = wm_fast_u32(pp);
        t->p += n;
        break;
    }
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0xD2: (void)wm_fast_u32(pp); break;
    case 0x3F:
    case 0x40:
    case 0xD0: t->p++; break;
    case 0x41: (void)wm_fast_s32(pp); break;
    case 0x42: (void)wm_fast_s64(pp); break;
    case 0x43: t->p += 4; break;
    case 0x44: t->p += 8; break;
    case 0xFC: skip_fc(t, wm_fast_u32(pp)); break;
    default:
        if (o >= 0x28 && o <= 0x3E) {
            (void)wm_fast_u32(pp);
            (void)wm_fast_u32(pp);
        }
        break;
    }
}

static wm_err translate_func(T *t, const wm_funcdef *d)
{
    const wm_module *m = t->m;
    t->p = d->code;
    t->side = m->side + d->side;
    t->L = d->type->nparams + d->nlocals;
    t->h = 0;
    t->cn = 0;
    t->dead = false;
    t->last_dst = NONE;
    t->npl = 0;
    if ((uint64_t)t->L + d->max_height + 1 > WM_PD_MAX_SLOTS)
        return refuse(t, "frame too large to pre-decode");
    wm_err e = push_ctl(t, 0, 0, d->type->nresults);
    if (e) return e;
    while (t->cn > 0) {
        if (t->full) return refuse(t, k_no_room);
        const uint8_t *at = t->p;
        uint8_t o = *t->p++;
        wm_work_charge(m->work, WM_PD_WORK_OP_UNITS);
        t->trap_pos = NONE;
        t->trap_code = NONE;
        uint32_t np = 0, nr = 0;
        bool was_dead = false;
        if (t->dead) { /* unreachable code: walk it (blocks, side entries), emit nothing */
            switch (o) {
            case 0x02:
            case 0x03:
            case 0x04:
                if ((e = blocktype(t, &np, &nr)) != WM_OK) return e;
                if (o != 0x02) t->side++;
                if ((e = push_ctl(t, o, np, nr)) != WM_OK) return e;
                continue;
            case 0x05: {
                ctl *c = &t->cs[t->cn - 1];
                t->side++;
                if (!c->dead) { /* the if was live: its else arm is */
                    t->dead = false;
                    t->last_dst = NONE;
                    bind(t, c->if_false, t->out->len);
                    c->if_false = NONE;
                    t->h = c->height + c->nparams;
                    for (uint32_t i = c->height; i < t->h; i++) t->ps[i].kind = PK_SLOT;
                }
                c->op = 5;
                continue;
            }
            case 0x0B: {
                ctl *c = &t->cs[t->cn - 1];
                if (!c->dead) {
                    t->dead = false;
                    was_dead = true;
                    goto end_live;
                }
                t->cn--;
                continue;
            }
            default: skip_dead(t, o); continue;
            }
        }
        switch (o) {
        case 0x00:
            if (!t->dead) op(t, 0x00);
            t->dead = true;
            break;
        case 0x01: break;
        case 0x02:
        case 0x03:
        case 0x04: {
            if ((e = blocktype(t, &np, &nr)) != WM_OK) return e;
            uint32_t cond = 0;
            if (o == 0x04) {
                cond = operand(t, t->h - 1);
                t->h--;
            }
            materialise_all(t);
            uint16_t ca = 0, cb = 0, cmp = o == 0x04 ? take_compare(t, cond, &ca, &cb) : 0;
            if ((e = push_ctl(t, o, np, nr)) != WM_OK) return e;
            ctl *c = &t->cs[t->cn - 1];
            if (o == 0x03) {
                op(t, PD_LOOP);
                put32(t, WM_SIDE_FUEL_IN(t->side));
                c->back_fuel = WM_SIDE_FUEL_BACK(t->side);
                c->start = (uint32_t)t->out->len;
                t->side++;
            } else if (o == 0x04) {
                /* the false edge: the inverse compare branches (eqz x: x itself) */
                static const uint8_t inverse[11] = {0,    0x47, 0x46, 0x4E, 0x4F, 0x4C,
                                                    0x4D, 0x4A, 0x4B, 0x48, 0x49};
                if (cmp == 0x45) {
                    op(t, PD_BR_IF);
                    put16(t, ca);
                } else if (cmp) {
                    op(t, (uint16_t)(PD_BR_CMP + (inverse[cmp - 0x45] - 0x45)));
                    cmp_operands(t, cmp, ca, cb);
                } else {
                    op(t, PD_BR_UNLESS);
                    put16(t, (uint16_t)cond);
                }
                fwd_field(t, &c->if_false);
                t->side++;
            }
            break;
        }
        case 0x05: {
            ctl *c = &t->cs[t->cn - 1];
            materialise_all(t);
            op(t, PD_BR);
            fwd_field(t, &c->chain);
            t->side++;
            bind(t, c->if_false, t->out->len);
            c->if_false = NONE;
            c->op = 5;
            t->h = c->height + c->nparams;
            for (uint32_t i = c->height; i < t->h; i++) t->ps[i].kind = PK_SLOT;
            break;
        }
        case 0x0B:
            materialise_all(t);
        end_live : {
            ctl *c = &t->cs[t->cn - 1];
            if (c->op == 0) { /* the function's end: its return */
                if (!was_dead) {
                    op(t, PD_RETURN);
                    put16(t, (uint16_t)slot_of(t, t->h - c->nresults));
                }
                bind(t, c->chain, t->out->len);
                if (c->chain != NONE) { /* branches to the function's label return too */
                    op(t, PD_RETURN);
                    put16(t, (uint16_t)slot_of(t, 0));
                }
                t->cn--;
                break;
            }
            bind(t, c->chain, t->out->len);
            bind(t, c->if_false, t->out->len);
            t->cn--;
            t->h = c->height + c->nresults;
            for (uint32_t i = c->height; i < t->h; i++) t->ps[i].kind = PK_SLOT;
            t->dead = false;
            t->last_dst = NONE;
            break;
        }
        case 0x0C:
        case 0x0D: {
            uint32_t dd = wm_fast_u32(&t->p), cond = 0;
            if (o == 0x0D) {
                cond = operand(t, t->h - 1);
                t->h--;
            }
            materialise_all(t);
            bool simple = simple_branch(t, dd);
            uint16_t ca = 0, cb = 0, cmp = o == 0x0D ? take_compare(t, cond, &ca, &cb) : 0;
            if (o == 0x0C) {
                op(t, simple ? PD_BR : PD_BRX);
            } else if (cmp) { /* compare and branch in one */
                op(t, (uint16_t)((simple ? PD_BR_CMP : PD_BRX_CMP) + (cmp - 0x45)));
                cmp_operands(t, cmp, ca, cb);
            } else {
                op(t, simple ? PD_BR_IF : PD_BRX_IF);
                put16(t, (uint16_t)cond);
            }
            if (simple)
                fwd_field(t, &label(t, dd)->chain);
            else
                brx_payload(t, dd);
            t->side++;
            if (o == 0x0C) t->dead = true;
            break;
        }
        case 0x0E: {
            uint32_t n = wm_fast_u32(&t->p);
            uint32_t idx = operand(t, t->h - 1);
            t->h--;
            materialise_all(t);
            op(t, PD_BR_TABLE);
            put16(t, (uint16_t)idx);
            put32(t, n);
            for (uint32_t k = 0; k <= n; k++) {
                uint32_t dd = wm_fast_u32(&t->p);
                wm_work_charge(m->work, WM_PD_WORK_OP_UNITS);
                brx_payload(t, dd);
                t->side++;
            }
            t->dead = true;
            break;
        }
        case 0x0F: {
            uint32_t nres = d->type->nresults;
            materialise_all(t);
            op(t, PD_RETURN);
            put16(t, (uint16_t)slot_of(t, t->h - nres));
            t->dead = true;
            break;
        }
        case 0x10:
        case 0x11: {
            uint32_t fi = wm_fast_u32(&t->p), tab = 0, idx = 0;
            const wm_functype *ft;
            if (o == 0x11) {
                tab = wm_fast_u32(&t->p);
                ft = &m->types[fi];
                idx = operand(t, t->h - 1);
                t->h--;
            } else {
                ft = m->func_types[fi];
            }
            uint32_t base = t->h - ft->nparams;
            for (uint32_t i = base; i < t->h; i++) materialise(t, i);
            op(t, o);
            put32(t, WM_SIDE_FUEL_CALL(t->side));
            put32(t, fi);
            if (o == 0x11) {
                put32(t, tab);
                put16(t, (uint16_t)idx);
            }
            put16(t, (uint16_t)slot_of(t, base));
            t->side++;
            t->h = base;
            for (uint32_t i = 0; i < ft->nresults; i++) push_slot(t);
            break;
        }
        case 0x1A: t->h--; break;
        case 0x1B:
        case 0x1C: {
            if (o == 0x1C) t->p += 2; /* typed select: its one type */
            uint32_t c = operand(t, t->h - 1), b = operand(t, t->h - 2), a = operand(t, t->h - 3);
            t->h -= 3;
            op(t, PD_SELECT);
            dst(t, slot_of(t, t->h));
            put16(t, (uint16_t)a);
            put16(t, (uint16_t)b);
            put16(t, (uint16_t)c);
            push_slot(t);
            break;
        }
        case 0x20: push_pend(t, PK_LOCAL, wm_fast_u32(&t->p)); break;
        case 0x21:
        case 0x22: {
            uint32_t l = wm_fast_u32(&t->p);
            uint32_t top = t->h - 1;
            pend v = t->ps[top];
            if (v.kind == PK_LOCAL && v.v == l) { /* x = x */
                if (o == 0x21) t->h--;
                break;
            }
            if (v.kind == PK_SLOT && t->last_dst != NONE && !reads_local(t, l, top) &&
                wm_ld16(t->out->buf + t->last_dst) == slot_of(t, top)) {
                set16(t, t->last_dst, (uint16_t)l); /* the producer writes l */
            } else {
                materialise_reads(t, l, top);
                if (v.kind == PK_CONST) {
                    bool small = (v.v >> 32) == 0;
                    op(t, small ? PD_CONST32 : PD_CONST64);
                    dst(t, l);
                    if (small)
                        put32(t, (uint32_t)v.v);
                    else
                        put64(t, v.v);
                } else {
                    op(t, PD_COPY);
                    dst(t, l);
                    put16(t, (uint16_t)(v.kind == PK_LOCAL ? v.v : slot_of(t, top)));
                }
            }
            t->last_dst = NONE;
            t->h--;
            if (o == 0x22) push_pend(t, PK_LOCAL, l);
            break;
        }
        case 0x25: {
            uint32_t i = operand(t, t->h - 1);
            t->h--;
            op(t, PD_TABLE_GET);
            dst(t, slot_of(t, t->h));
            put16(t, (uint16_t)i);
            put32(t, wm_fast_u32(&t->p));
            push_slot(t);
            break;
        }
        case 0x26: {
            uint32_t v = operand(t, t->h - 1), i = operand(t, t->h - 2);
            t->h -= 2;
            op(t, PD_TABLE_SET);
            put16(t, (uint16_t)i);
            put16(t, (uint16_t)v);
            put32(t, wm_fast_u32(&t->p));
            break;
        }
        case 0x23: push_indexed(t, 0x23, wm_fast_u32(&t->p)); break;
        case 0x24: {
            uint32_t v = operand(t, t->h - 1);
            t->h--;
            op(t, 0x24);
            put16(t, (uint16_t)v);
            put32(t, wm_fast_u32(&t->p));
            break;
        }
        case 0x28:
        case 0x29:
        case 0x2A:
        case 0x2B:
        case 0x2C:
        case 0x2D:
        case 0x2E:
        case 0x2F:
        case 0x30:
        case 0x31:
        case 0x32:
        case 0x33:
        case 0x34:
        case 0x35: {
            (void)wm_fast_u32(&t->p);
            uint32_t off = wm_fast_u32(&t->p);
            uint32_t a = operand(t, t->h - 1);
            t->h--;
            op(t, o);
            dst(t, slot_of(t, t->h));
            put16(t, (uint16_t)a);
            put32(t, off);
            push_slot(t);
            break;
        }
        case 0x36:
        case 0x37:
        case 0x38:
        case 0x39:
        case 0x3A:
        case 0x3B:
        case 0x3C:
        case 0x3D:
        case 0x3E: {
            (void)wm_fast_u32(&t->p);
            uint32_t off = wm_fast_u32(&t->p);
            uint32_t v = operand(t, t->h - 1), a = operand(t, t->h - 2);
            t->h -= 2;
            op(t, o);
            put16(t, (uint16_t)a);
            put16(t, (uint16_t)v);
            put32(t, off);
            break;
        }
        case 0x3F:
            t->p++;
            op(t, 0x3F);
            dst(t, slot_of(t, t->h));
            push_slot(t);
            break;
        case 0x40:
            t->p++;
            unary(t, 0x40);
            break;
        case 0x41: push_pend(t, PK_CONST, (uint32_t)wm_fast_s32(&t->p)); break;
        case 0x42: push_pend(t, PK_CONST, (uint64_t)wm_fast_s64(&t->p)); break;
        case 0x43:
            push_pend(t, PK_CONST, wm_ld32(t->p));
            t->p += 4;
            break;
        case 0x44:
            push_pend(t, PK_CONST, wm_ld64(t->p));
            t->p += 8;
            break;
        case 0xD0:
            t->p++;
            push_pend(t, PK_CONST, 0);
            break;
        case 0xD2: push_indexed(t, 0xD2, wm_fast_u32(&t->p)); break;
        case 0xFC: {
            uint32_t sub = wm_fast_u32(&t->p);
            if (sub < 8) {
                unary(t, (uint16_t)(PD_SAT + sub));
                break;
            }
            if (sub == 16) {
                push_indexed(t, PD_TABLE_SIZE, wm_fast_u32(&t->p));
                break;
            }
            if (sub > 17) return refuse(t, "instruction not covered by the pre-decoder");
            /* the rest run interp.c's bulk_op on their operands in place (contiguous slots) */
            uint32_t k = sub == 9 || sub == 13 ? 0u : sub == 15 ? 2u : 3u;
            for (uint32_t i = t->h - k; i < t->h; i++) materialise(t, i);
            op(t, PD_BULK);
            put16(t, (uint16_t)sub);
            put16(t, (uint16_t)(k ? slot_of(t, t->h - 1) : slot_of(t, t->h)));
            put32(t, (uint32_t)(t->p - m->bytes));
            skip_fc(t, sub);
            t->h -= k;
            if (sub == 15) push_slot(t);
            break;
        }
        default: {
            int ar = num_arity(o);
            static const uint8_t kops[9] = {0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76};
            int ki = -1;
            for (int i = 0; i < 9 && ar == 2 && t->ps[t->h - 1].kind == PK_CONST; i++)
                if (kops[i] == o) ki = i;
            if (ki >= 0) { /* an i32 operation with a constant: the constant inline */
                uint32_t k = (uint32_t)t->ps[t->h - 1].v, a = operand(t, t->h - 2);
                t->h -= 2;
                op(t, (uint16_t)(PD_K + ki));
                dst(t, slot_of(t, t->h));
                put16(t, (uint16_t)a);
                put32(t, k);
                push_slot(t);
            } else if (ar == 1) {
                unary(t, o);
            } else if (ar == 2) {
                uint32_t b = operand(t, t->h - 1), a = operand(t, t->h - 2);
                t->h -= 2;
                op(t, o);
                dst(t, slot_of(t, t->h));
                put16(t, (uint16_t)a);
                put16(t, (uint16_t)b);
                push_slot(t);
            } else {
                (void)at;
                return refuse(t, "instruction not covered by the pre-decoder (stage 1)");
            }
            break;
        }
        }
        /* the offset the in-place path records: its pc past the instruction, less one */
        uint32_t code_off = t->trap_code != NONE ? t->trap_code : (uint32_t)(t->p - 1 - m->code);
        if (t->trap_pos != NONE && !wm_pd_map_add(t->out, &t->map, (uint32_t)t->trap_pos, code_off))
            t->full = true;
    }
    if (t->full) return refuse(t, k_no_room);
    return WM_OK;
}

wm_err wm_pd_translate(const wm_module *m, wm_pd_out *out, void *scratch, size_t scratch_cap,
                       wm_error *err)
{
    T t;
    wm_memset(&t, 0, sizeof t);
    t.m = m;
    t.out = out;
    t.err = err;
    uint32_t nf = m->nfuncs - m->nfunc_imports;
    uint32_t maxh = 0;
    for (uint32_t i = 0; i < nf; i++) {
        if (m->funcs[i].max_height > maxh) maxh = m->funcs[i].max_height;
        wm_work_charge(m->work, 1u); /* (each pass over the functions, as the loader's) */
    }
    size_t need = ((size_t)maxh + 1) * sizeof(pend);
    if (need > scratch_cap || scratch_cap - need < 16 * sizeof(ctl))
        return wm_fail(err, WM_ERR_LIMIT, NULL, NULL, "pre-decoder scratch too small");
    t.ps = (pend *)scratch;
    uintptr_t cp = ((uintptr_t)scratch + need + 7u) & ~(uintptr_t)7u;
    t.cs = (ctl *)cp;
    t.ccap = (uint32_t)((scratch_cap - (cp - (uintptr_t)scratch)) / sizeof(ctl));
    out->len = 0;
    if ((uintptr_t)out->buf & 3u)
        return wm_fail(err, WM_ERR_LIMIT, NULL, NULL, "pre-decoded form buffer not aligned");
    size_t head = WM_PD_HEADER + 4u * (size_t)nf;
    if (out->cap < head) return wm_fail(err, WM_ERR_LIMIT, NULL, NULL, k_no_room);
    wm_memset(out->buf, 0, WM_PD_HEADER); /* the offsets are each written below */
    wm_st32(out->buf + WM_PD_AT_MAGIC, WM_PD_MAGIC);
    wm_st32(out->buf + WM_PD_AT_VERSION, WM_PD_VERSION);
    wm_st32(out->buf + WM_PD_AT_NFUNCS, nf);
    wm_st32(out->buf + WM_PD_AT_CODE_LEN, (uint32_t)m->len);
    out->len = head;
    t.map.top = out->cap;
    for (uint32_t i = 0; i < nf; i++) {
        /* a function's own cost (its offset, frame, entry and return: ~300 Cortex-M4
         * instructions when empty), beside its instructions' */
        wm_work_charge(m->work, WM_PD_WORK_FUNC_UNITS);
        if (out->len & 3u) put16(&t, 0); /* bodies start on a word */
        wm_st32(out->buf + WM_PD_HEADER + 4u * i, (uint32_t)out->len);
        wm_err e = translate_func(&t, &m->funcs[i]);
        if (e) {
            out->cap = t.map.top;
            return e;
        }
    }
    wm_pd_map_finish(out, &t.map);
    return WM_OK;
}

size_t wm_pd_form_size(const wm_module *m) { return m->pd ? m->pd_len : 0; }

size_t wm_pd_code_size(const wm_module *m)
{
    size_t n = 0;
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
        n += (size_t)(m->funcs[i].end - m->funcs[i].code);
    return n;
}

wm_err wm_pd_attach(wm_module *m, const uint8_t *form, size_t len, wm_error *err)
{
    uint32_t nf = m->nfuncs - m->nfunc_imports;
    const uint16_t one = 1; /* the interpreter reads units natively: little-endian only */
    if (len < WM_PD_HEADER || ((uintptr_t)form & 3u) ||
        wm_ld32(form + WM_PD_AT_MAGIC) != WM_PD_MAGIC || *(const uint8_t *)&one != 1)
        return wm_fail(err, WM_ERR_MALFORMED, NULL, NULL, "not a pre-decoded form");
    if (wm_ld32(form + WM_PD_AT_VERSION) != WM_PD_VERSION)
        return wm_fail(err, WM_ERR_MALFORMED, NULL, NULL, "pre-decoded form of another version");
    if (wm_ld32(form + WM_PD_AT_NFUNCS) != nf ||
        wm_ld32(form + WM_PD_AT_CODE_LEN) != (uint32_t)m->len ||
        len < WM_PD_HEADER + 4u * (size_t)nf)
        return wm_fail(err, WM_ERR_MALFORMED, NULL, NULL, "pre-decoded form of another module");
    wm_err me = wm_pd_map_check(form, len, WM_PD_HEADER + 4u * (size_t)nf, m->work, err);
    if (me) return me;
    for (uint32_t i = 0; i < nf; i++) {
        uint32_t off = wm_ld32(form + WM_PD_HEADER + 4u * i);
        if (off >= wm_ld32(form + WM_PD_AT_MAP) || (off & 1u))
            return wm_fail(err, WM_ERR_MALFORMED, NULL, NULL, "pre-decoded form: bad offset");
        wm_work_charge(m->work, 1u); /* every load of a stored form runs this */
    }
    m->pd = form;
    m->pd_len = len;
    return WM_OK;
}

size_t wm_pd_scratch_size(const wm_module *m, uint32_t max_blocks)
{
    uint32_t nf = m->nfuncs - m->nfunc_imports;
    uint32_t maxh = 0;
    for (uint32_t i = 0; i < nf; i++) {
        if (m->funcs[i].max_height > maxh) maxh = m->funcs[i].max_height;
        wm_work_charge(m->work, 1u);
    }
    return ((size_t)maxh + 1) * sizeof(pend) + (size_t)max_blocks * sizeof(ctl) + 8u;
}

wm_err wm_pd_translate_kept(const wm_module *m, uint8_t *mem, size_t cap, size_t keep, size_t *len,
                            wm_error *err)
{
    size_t sc = wm_pd_scratch_size(m, WM_PD_INSTALL_BLOCKS);
    *len = 0;
    /* The translator's work in a function is at most its bytes x (its largest stack height
     * + 1) steps (the pending values are walked at block boundaries, branches and local
     * writes): a hostile module of tall stacks and many branches would make it quadratic,
     * so the install refuses more than WM_PD_INSTALL_WORK steps per module byte (it then
     * runs in place) and the commit stays linear in the module's size. */
    uint64_t work = 0;
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
        work += (uint64_t)(m->funcs[i].end - m->funcs[i].code) * (m->funcs[i].max_height + 1u);
        wm_work_charge(m->work, 1u);
    }
    if (work > (uint64_t)WM_PD_INSTALL_WORK * m->len)
        return wm_fail(err, WM_ERR_LIMIT, NULL, NULL,
                       "its operand stacks are too tall to pre-decode at install");
    if (((uintptr_t)mem & 7u) || cap < sc + WM_PD_HEADER + 8u)
        return wm_fail(err, WM_ERR_LIMIT, NULL, NULL, "no RAM left to pre-decode it");
    uint8_t *scratch = mem + ((cap - sc) & ~(size_t)7u); /* the end of mem, 8-aligned */
    /* The form stops at the least of the RAM, the ratio's bound and what can be kept (the
     * store's room after the image): translating on past that would hold the install for
     * a form that is then dropped (the largest module's: ~84 M Cortex-M4 instructions). */
    size_t most = wm_pd_form_most(m), room = (size_t)(scratch - mem);
    size_t lim = room < most ? room : most;
    lim = keep < lim ? keep : lim;
    wm_pd_out out = {mem, lim, 0};
    wm_err e = wm_pd_translate(m, &out, scratch, cap - (size_t)(scratch - mem), err);
    *len = out.len;
    if (e == WM_ERR_LIMIT && err != NULL && err->msg == k_no_room && lim < room) {
        /* out of the room it may keep, not of RAM */
        return wm_fail(err, WM_ERR_LIMIT, NULL, NULL,
                       lim == keep && keep < most
                           ? "no room to keep its pre-decoded form"
                           : "its pre-decoded form would take more than 4 times its bytes");
    }
    return e;
}

wm_err wm_pd_translate_in(const wm_module *m, uint8_t *mem, size_t cap, size_t *len, wm_error *err)
{
    return wm_pd_translate_kept(m, mem, cap, SIZE_MAX, len, err);
}

size_t wm_pd_form_most(const wm_module *m)
{
    return WM_PD_HEADER + 4u * (size_t)(m->nfuncs - m->nfunc_imports) +
           (size_t)WM_PD_FORM_RATIO * m->len;
}

wm_err wm_pd_attach_arena(wm_module *m, wm_arena *a, wm_error *err)
{
    if (m->native) return WM_OK; /* AOT code: nothing to interpret */
    uint32_t nf = m->nfuncs - m->nfunc_imports;
    size_t scratch_cap = wm_pd_scratch_size(m, 1024u);
    size_t cap = WM_PD_HEADER + 4u * (size_t)nf + 16u * m->len + 64u;
    size_t mark = wm_arena_mark(a);
    uint8_t *buf = wm_arena_alloc(a, cap, 8);
    void *scratch = buf ? wm_arena_alloc(a, scratch_cap, 8) : NULL;
    if (!scratch) {
        wm_arena_release(a, mark);
        return WM_OK; /* no room: in place */
    }
    wm_pd_out out = {buf, cap, 0};
    wm_error e2 = {WM_OK, 0, NULL, NULL};
    if (wm_pd_translate(m, &out, scratch, scratch_cap, &e2) != WM_OK) {
        wm_arena_release(a, mark);
        return WM_OK; /* not covered: in place */
    }
    wm_arena_release(a, mark);
    /* keep only the form: the arena gives the same address back */
    if (wm_arena_alloc(a, out.len, 8) != buf) {
        wm_arena_release(a, mark);
        return WM_OK;
    }
    return wm_pd_attach(m, buf, out.len, err);
}

#endif
