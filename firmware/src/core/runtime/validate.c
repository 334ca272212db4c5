/* validate.c - type-checks function bodies (the spec's validation algorithm) and builds
 * the side table the interpreter uses for branches and fuel. Working stacks live in scratch
 * space carved from the top of the arena and released afterwards; a module that needs more
 * than that is rejected (bounded memory), never overflows.
 *
 * Fuel (docs/supervisor.md, "Fuel"): check points are a function's entry, a loop (entered
 * from above, and at every branch back to it), a call and a return. Each charges the worst
 * path of the code since the previous check point, summed with wm_fuel_weight: the
 * validator walks the code forward keeping that sum (`d`) for the current path, the
 * largest one over the branches to each label, and writes it into the loop's or call's
 * side entry or the function's return fuel when it reaches the check point. */
#include "wm_internal.h"

#define TRY(x)             \
    do {                   \
        wm_err e_ = (x);   \
        if (e_) return e_; \
    } while (0)
#define UNKNOWN 0 /* operand of unknown type (after unreachable) */
/* Work units an instruction's validation is charged (wm_work.h: units are about bytes
 * decoded; an instruction is 1-3 bytes and validates in ~200 instructions on the M4). */
#define WM_WORK_OP_UNITS 4u
#define NOCHAIN (-1)
#define DEAD UINT32_MAX /* fuel of a path that cannot run (after br, return, unreachable) */

typedef struct ctrl {
    uint8_t op; /* 0 function, 0x02 block, 0x03 loop, 0x04 if, 0x05 else */
    uint8_t unreachable;
    uint32_t height;
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
    const uint8_t *start; /* loop: first body instruction */
    uint32_t start_side;  /* loop: side index at the loop start */
    int32_t pending;      /* chain of forward branch entries to patch at `end` */
    int32_t if_entry;     /* if: entry taken when the condition is false */
    uint32_t dbr;         /* fuel: the largest d of the forward branches to this label */
    uint32_t dif;         /* if: d at the `if` (where the false edge starts) */
} ctrl;

typedef struct run {
    uint32_t end;
    uint8_t type;
} run;

typedef struct V {
    wm_module *m;
    wm_arena *a;
    wm_error *err;
    const uint8_t *declared;
    wm_reader r;
    /* One scratch for a function's validation: its local runs at the bottom, then the
     * operand types growing up and the control frames growing down from `ctop` (entry i,
     * counted from the function's own, is ctop[-1 - i]; CTRL), so a body of deep nesting
     * and few values (a C switch of a thousand cases: one block a case) and one of many
     * values and little nesting both get the whole of it. */
    uint8_t *vs;
    uint32_t vn, vmax;
    ctrl *ctop;
    uint32_t cn;
    run *runs;
    uint32_t nruns, rcap;
    uint32_t nlocals_total;
    const wm_functype *ft;
    uint32_t side_base, nside; /* module-wide index of the first entry, entries so far */
    wm_err full;      /* what running out of scratch means: arena too small, or a hard limit */
    uint32_t d;       /* fuel of the code since the last check point on this path, or DEAD */
    uint32_t ret;     /* the largest d at a return */
    uint32_t stretch; /* the largest charge so far (wm_module_fuel_stretch) */
} V;

#define CTRL(v, i) ((v)->ctop - 1 - (i))
/* What a refusal by the scratch's size says: the module is valid, the device cannot take it
 * (the protocol shows it as "invalid module at 0x..: ", its one word for a refused module). */
#define WM_SCRATCH_LIMIT "for this device's validator (a limit, not an error in the module)"

/* Bytes free between the operand types and the control frames. */
static size_t room(const V *v)
{
    const uint8_t *top = (const uint8_t *)(v->ctop - v->cn), *vt = v->vs + v->vn;
    return top > vt ? (size_t)(top - vt) : 0u;
}

static wm_err inval(V *v, const uint8_t *at, const char *msg)
{
    return wm_fail(v->err, WM_ERR_INVALID, v->m->bytes, at, msg);
}
static wm_err mism(V *v) { return inval(v, v->r.p, "type mismatch"); }

static wm_err push(V *v, uint8_t t)
{
    if (room(v) == 0 || v->vn >= 65535)
        return wm_fail(v->err, v->full, v->m->bytes, v->r.p,
                       "operand stack too deep " WM_SCRATCH_LIMIT);
    v->vs[v->vn++] = t;
    if (v->vn > v->vmax) v->vmax = v->vn;
    return WM_OK;
}

static wm_err pop(V *v, uint8_t expect, uint8_t *got)
{
    ctrl *c = CTRL(v, v->cn - 1);
    uint8_t t;
    if (v->vn == c->height) {
        if (!c->unreachable) return mism(v);
        t = UNKNOWN;
    } else {
        t = v->vs[--v->vn];
    }
    if (expect != UNKNOWN && t != UNKNOWN && t != expect) return mism(v);
    if (got) *got = t == UNKNOWN ? expect : t;
    return WM_OK;
}

/* A type's values (at most WM_MAX_TYPE_VALUES), popped or pushed by one instruction: a
 * value is a unit of install work beyond the instruction's own charge (a call of a wide
 * type in two bytes moves up to 256 values). */
static void charge_values(V *v, uint32_t n)
{
    if (n > WM_WORK_OP_UNITS) wm_work_charge(v->m->work, n);
}
static wm_err pops(V *v, uint32_t n, const uint8_t *types)
{
    charge_values(v, n);
    /* the common case in one compare: n known values of these types on top (a wide call
     * value by value was ~15 M4 instructions a value) */
    if (v->vn - CTRL(v, v->cn - 1)->height >= n && wm_memcmp(v->vs + v->vn - n, types, n) == 0) {
        v->vn -= n;
        return WM_OK;
    }
    while (n--) TRY(pop(v, types[n], NULL));
    return WM_OK;
}
static wm_err pushes(V *v, uint32_t n, const uint8_t *types)
{
    charge_values(v, n);
    if (n <= room(v) && v->vn + n <= 65535) {
        wm_memcpy(v->vs + v->vn, types, n);
        v->vn += n;
        if (v->vn > v->vmax) v->vmax = v->vn;
        return WM_OK;
    }
    for (uint32_t i = 0; i < n; i++) TRY(push(v, types[i]));
    return WM_OK;
}

static void set_unreachable(V *v)
{
    ctrl *c = CTRL(v, v->cn - 1);
    v->vn = c->height;
    c->unreachable = 1;
    v->d = DEAD;
}

static uint32_t dmax(uint32_t a, uint32_t b)
{
    if (a == DEAD) return b;
    if (b == DEAD) return a;
    return a > b ? a : b;
}

/* The current path runs an instruction of weight w. */
static wm_err fuel_add(V *v, uint32_t w, const uint8_t *at)
{
    if (v->d == DEAD) return WM_OK;
    if (w > WM_FUEL_REGION_MAX - v->d)
        return wm_fail(v->err, WM_ERR_LIMIT, v->m->bytes, at,
                       "too much code between fuel check points (a loop, call or return)");
    v->d += w;
    return WM_OK;
}

/* The current path branches to label `depth`: back to a loop (its back-edge fuel), out of
 * the function (a return) or forward to a block's end. */
static void fuel_branch(V *v, uint32_t depth)
{
    ctrl *c = CTRL(v, v->cn - 1 - depth);
    if (v->d == DEAD) return;
    if (c->op == 0x03) {
        wm_side *s = &v->m->side[v->side_base + c->start_side];
        s->st = (int32_t)dmax((uint32_t)s->st, v->d);
        v->stretch = dmax(v->stretch, v->d);
    } else if (c->op == 0) {
        v->ret = dmax(v->ret, v->d);
    } else {
        c->dbr = dmax(c->dbr, v->d);
    }
}

static wm_err push_ctrl(V *v, uint8_t op, uint32_t np, const uint8_t *p, uint32_t nr,
                        const uint8_t *r)
{
    if (room(v) < sizeof(ctrl))
        return wm_fail(v->err, v->full, v->m->bytes, v->r.p,
                       "blocks nested too deeply " WM_SCRATCH_LIMIT);
    ctrl *c = CTRL(v, v->cn);
    v->cn++;
    /* a control frame costs as much again as its instruction (a module of empty loops:
     * ~290 Cortex-M4 instructions a `loop` and its `end`) */
    wm_work_charge(v->m->work, WM_WORK_OP_UNITS);
    c->op = op;
    c->unreachable = 0;
    c->height = v->vn;
    c->nparams = np;
    c->params = p;
    c->nresults = nr;
    c->results = r;
    c->start = v->r.p;
    c->start_side = v->nside;
    c->pending = NOCHAIN;
    c->if_entry = NOCHAIN;
    c->dbr = DEAD;
    c->dif = DEAD;
    return pushes(v, np, p);
}

static wm_side *entry(V *v, uint32_t i) { return &v->m->side[v->side_base + i]; }

/* Side entries are allocated one by one; nothing else is allocated while code is validated,
 * so they form one contiguous array. */
static wm_side *new_entry(V *v)
{
    wm_side *s = (wm_side *)wm_arena_alloc(v->a, sizeof(wm_side), 4);
    if (!s) return NULL;
    if (!v->m->side) v->m->side = s;
    if (s != entry(v, v->nside)) return NULL;
    return s;
}

/* Appends a side entry for a branch at `origin` to label depth `depth`. */
static wm_err emit(V *v, const uint8_t *origin, uint32_t depth, uint32_t height)
{
    ctrl *c = CTRL(v, v->cn - 1 - depth);
    wm_side *s = new_entry(v);
    if (!s) return wm_fail(v->err, WM_ERR_NO_MEMORY, v->m->bytes, origin, "out of memory");
    uint32_t keep = c->op == 0x03 ? c->nparams : c->nresults;
    uint32_t base = c->height + keep;
    if (keep > 65535) return wm_fail(v->err, WM_ERR_LIMIT, v->m->bytes, origin, "too many values");
    s->keep = (uint16_t)keep;
    s->drop = (uint16_t)(height > base ? height - base : 0);
    if (c->op == 0x03) {
        s->pc = (int32_t)(c->start - origin);
        s->st = (int32_t)c->start_side - (int32_t)v->nside;
    } else { /* forward: patched at the block's end */
        s->pc = (int32_t)(origin - v->m->bytes);
        s->st = c->pending;
        c->pending = (int32_t)v->nside;
    }
    v->nside++;
    return WM_OK;
}

/* The side entry of a loop or a call: the fuel its check point charges. */
static wm_err fuel_point(V *v, const uint8_t *at, uint32_t fuel)
{
    wm_side *s = new_entry(v);
    if (!s) return wm_fail(v->err, WM_ERR_NO_MEMORY, v->m->bytes, at, "out of memory");
    if (fuel == DEAD) fuel = 0;
    v->stretch = dmax(v->stretch, fuel);
    s->pc = (int32_t)fuel;
    s->st = 0;
    s->keep = 0;
    s->drop = 0;
    v->nside++;
    return WM_OK;
}

/* The code since the last check point ends at one (a loop from above, a call). */
static wm_err fuel_check_point(V *v, const uint8_t *at)
{
    TRY(fuel_point(v, at, v->d));
    if (v->d != DEAD) v->d = 0;
    return WM_OK;
}

static void patch(V *v, int32_t chain, const uint8_t *target)
{
    while (chain != NOCHAIN) {
        wm_side *s = entry(v, (uint32_t)chain);
        int32_t next = s->st;
        s->pc = (int32_t)((target - v->m->bytes) - s->pc);
        s->st = (int32_t)v->nside - chain;
        chain = next;
        wm_work_charge(v->m->work, 1u); /* one `end` may patch every branch before it */
    }
}

static wm_err label_types(V *v, uint32_t depth, const uint8_t *at, uint32_t *n,
                          const uint8_t **types)
{
    if (depth >= v->cn) return inval(v, at, "unknown label");
    ctrl *c = CTRL(v, v->cn - 1 - depth);
    if (c->op == 0x03) {
        *n = c->nparams;
        *types = c->params;
    } else {
        *n = c->nresults;
        *types = c->results;
    }
    return WM_OK;
}

static wm_err local_type(V *v, uint32_t idx, const uint8_t *at, uint8_t *t)
{
    if (idx < v->ft->nparams) {
        *t = v->ft->params[idx];
        return WM_OK;
    }
    if (idx >= v->nlocals_total) return inval(v, at, "unknown local");
    uint32_t lo = 0, hi = v->nruns;
    while (lo < hi) { /* first run whose end > idx */
        uint32_t mid = (lo + hi) / 2;
        if (v->runs[mid].end > idx)
            hi = mid;
        else
            lo = mid + 1;
    }
    *t = v->runs[lo].type;
    return WM_OK;
}

static wm_err blocktype(V *v, uint32_t *np, const uint8_t **p, uint32_t *nr, const uint8_t **r)
{
    const uint8_t *at = v->r.p;
    if (at >= v->r.end) return wm_fail(v->err, WM_ERR_MALFORMED, v->m->bytes, at, "unexpected end");
    uint8_t b = *at;
    *np = 0;
    *p = at;
    if (b == 0x40) {
        v->r.p++;
        *nr = 0;
        *r = at;
        return WM_OK;
    }
    if (wm_is_valtype(b)) {
        v->r.p++;
        *nr = 1;
        *r = at;
        return WM_OK;
    }
    if (wm_feature_valtype(b)) /* a one-byte negative s33: a value type we do not run */
        return wm_fail_beyond(v->err, WM_ERR_MALFORMED, v->m->bytes, at, "malformed value type",
                              wm_feature_valtype(b));
    int64_t idx;
    TRY(wm_rd_s33(&v->r, &idx));
    if (idx < 0 || (uint64_t)idx >= v->m->ntypes) return inval(v, at, "unknown type");
    const wm_functype *t = &v->m->types[idx];
    *np = t->nparams;
    *p = t->params;
    *nr = t->nresults;
    *r = t->results;
    return WM_OK;
}

static wm_err memarg(V *v, uint32_t maxalign)
{
    const uint8_t *at = v->r.p;
    uint32_t align, off;
    TRY(wm_rd_u32(&v->r, &align));
    TRY(wm_rd_u32(&v->r, &off));
    if (v->m->nmems == 0) return inval(v, at, "unknown memory");
    if (align > maxalign) /* bit 6 of the alignment flags a memory index (multi-memory) */
        return wm_fail_beyond(v->err, WM_ERR_INVALID, v->m->bytes, at,
                              "alignment must not be larger than natural",
                              align & 0x40u ? WM_FEATURE_MULTI_MEMORY : NULL);
    return WM_OK;
}

static wm_err zero_byte(V *v)
{
    const uint8_t *at = v->r.p;
    uint8_t b;
    TRY(wm_rd_u8(&v->r, &b));
    if (b != 0) return wm_fail(v->err, WM_ERR_MALFORMED, v->m->bytes, at, "zero byte expected");
    if (v->m->nmems == 0) return inval(v, at, "unknown memory");
    return WM_OK;
}

static wm_err table_idx(V *v, uint32_t *t)
{
    const uint8_t *at = v->r.p;
    TRY(wm_rd_u32(&v->r, t));
    if (*t >= v->m->ntables) return inval(v, at, "unknown table");
    return WM_OK;
}

/* numeric opcodes 0x45..0xC4: operand types a, b (0 = none) and result r */
static const char numsig[0xC5 - 0x45][4] = {
    "i i", "iii", "iii", "iii", "iii", "iii", "iii", "iii", "iii", "iii", "iii", /* 45-4F */
    "I i", "IIi", "IIi", "IIi", "IIi", "IIi", "IIi", "IIi", "IIi", "IIi", "IIi", /* 50-5A */
    "ffi", "ffi", "ffi", "ffi", "ffi", "ffi",                                    /* 5B-60 */
    "FFi", "FFi", "FFi", "FFi", "FFi", "FFi",                                    /* 61-66 */
    "i i", "i i", "i i",                                                         /* 67-69 */
    "iii", "iii", "iii", "iii", "iii", "iii", "iii", "iii", "iii", "iii", "iii",
    "iii", "iii", "iii", "iii", "I I", "I I", "I I", /* 79-7B */
    "III", "III", "III", "III", "III", "III", "III", "III", "III", "III", "III",
    "III", "III", "III", "III", "f f", "f f", "f f", "f f", "f f", "f f", "f f", /* 8B-91 */
    "fff", "fff", "fff", "fff", "fff", "fff", "fff",                             /* 92-98 */
    "F F", "F F", "F F", "F F", "F F", "F F", "F F",                             /* 99-9F */
    "FFF", "FFF", "FFF", "FFF", "FFF", "FFF", "FFF",                             /* A0-A6 */
    "I i", "f i", "f i", "F i", "F i", "i I", "i I", "f I", "f I", "F I", "F I", /* A7-B1 */
    "i f", "i f", "I f", "I f", "F f", "i F", "i F", "I F", "I F", "f F",        /* B2-BB */
    "f i", "F I", "i f", "I F",                                                  /* BC-BF */
    "i i", "i i", "I I", "I I", "I I",                                           /* C0-C4 */
};

static uint8_t letter(char c)
{
    switch (c) {
    case 'i': return WM_I32;
    case 'I': return WM_I64;
    case 'f': return WM_F32;
    case 'F': return WM_F64;
    default: return 0;
    }
}

static wm_err sig_op(V *v, const char *s)
{
    uint8_t a = letter(s[0]), b = letter(s[1]), r = letter(s[2]);
    if (b) TRY(pop(v, b, NULL));
    if (a) TRY(pop(v, a, NULL));
    return push(v, r);
}

static const uint8_t load_align[] = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2};
static const char load_type[] = "iIfFiiiiIIIIII";
static const uint8_t store_align[] = {2, 3, 2, 3, 0, 1, 0, 1, 2};
static const char store_type[] = "iIfFiiIII";

static wm_err check_func_ref(V *v, uint32_t f, const uint8_t *at)
{
    if (f >= v->m->nfuncs) return inval(v, at, "unknown function");
    if (!v->declared[f]) return inval(v, at, "undeclared function reference");
    return WM_OK;
}

static wm_err body(V *v, wm_funcdef *fd)
{
    wm_module *m = v->m;
    wm_reader *r = &v->r;
    const uint8_t *code_end = r->end;
    TRY(push_ctrl(v, 0, 0, NULL, v->ft->nresults, v->ft->results));
    while (v->cn > 0) {
        const uint8_t *at = r->p;
        uint8_t op;
        uint32_t x, y;
        uint8_t t = 0, t2 = 0;
        if (r->p >= code_end)
            return wm_fail(v->err, WM_ERR_MALFORMED, m->bytes, at, "unexpected end");
        op = *r->p++;
        wm_work_charge(m->work, WM_WORK_OP_UNITS);
        /* branches and calls add their values' share, 0xFC ops weigh by their sub-opcode */
        if (op != 0x0C && op != 0x0D && op != 0x0E && op != 0x10 && op != 0x11 && op != 0xFC)
            TRY(fuel_add(v, wm_fuel_weight(op), at));
        switch (op) {
        case 0x00: set_unreachable(v); break;
        case 0x01: break;
        case 0x02:
        case 0x03:
        case 0x04: {
            uint32_t np = 0, nr = 0;
            const uint8_t *p = NULL, *rs = NULL;
            TRY(blocktype(v, &np, &p, &nr, &rs));
            if (op == 0x04) TRY(pop(v, WM_I32, NULL));
            TRY(pops(v, np, p));
            if (op == 0x03) { /* entered from above: a check point; its entry keeps the fuel */
                uint32_t idx = v->nside;
                TRY(fuel_check_point(v, at));
                TRY(push_ctrl(v, op, np, p, nr, rs));
                CTRL(v, v->cn - 1)->start_side = idx;
            } else if (op == 0x04) {
                /* the false edge: patched at else/end */
                wm_side *s = new_entry(v);
                if (!s) return wm_fail(v->err, WM_ERR_NO_MEMORY, m->bytes, at, "out of memory");
                s->keep = 0;
                s->drop = 0;
                s->pc = (int32_t)(at - m->bytes);
                s->st = NOCHAIN;
                TRY(push_ctrl(v, op, np, p, nr, rs));
                CTRL(v, v->cn - 1)->if_entry = (int32_t)v->nside;
                CTRL(v, v->cn - 1)->start_side = v->nside;
                CTRL(v, v->cn - 1)->dif = v->d;
                v->nside++;
            } else {
                TRY(push_ctrl(v, op, np, p, nr, rs));
            }
            break;
        }
        case 0x05: {
            ctrl *c = CTRL(v, v->cn - 1);
            if (c->op != 0x04) return inval(v, at, "else without if");
            TRY(pops(v, c->nresults, c->results));
            if (v->vn != c->height) return mism(v);
            TRY(emit(v, at, 0, v->vn + c->nresults));
            patch(v, c->if_entry, r->p);
            c->if_entry = NOCHAIN;
            c->op = 0x05;
            c->unreachable = 0;
            c->dbr = dmax(c->dbr, v->d); /* the then-arm jumps to the end */
            v->d = c->dif;               /* the else-arm starts where the false edge does */
            c->dif = DEAD;
            TRY(pushes(v, c->nparams, c->params));
            break;
        }
        case 0x0B: {
            ctrl *c = CTRL(v, v->cn - 1);
            TRY(pops(v, c->nresults, c->results));
            if (v->vn != c->height) return mism(v);
            if (c->op == 0x04) {
                /* if without else: the false edge must type-check as an empty else */
                if (c->nparams != c->nresults || wm_memcmp(c->params, c->results, c->nparams) != 0)
                    return mism(v);
                patch(v, c->if_entry, r->p);
            }
            patch(v, c->pending, c->op == 0 ? at : r->p);
            if (c->op == 0)
                v->ret = dmax(v->ret, v->d); /* falls out of the function */
            else
                v->d = dmax(dmax(v->d, c->dbr), c->dif);
            v->cn--;
            if (v->cn == 0) break;
            TRY(pushes(v, c->nresults, c->results));
            break;
        }
        case 0x0C:
        case 0x0D: {
            uint32_t n = 0;
            const uint8_t *ts = NULL;
            TRY(wm_rd_u32(r, &x));
            TRY(label_types(v, x, at, &n, &ts));
            TRY(fuel_add(v, wm_fuel_weight(op) + n / WM_FUEL_VALUES, at));
            if (op == 0x0D) TRY(pop(v, WM_I32, NULL));
            TRY(pops(v, n, ts));
            TRY(emit(v, at, x, v->vn + n));
            fuel_branch(v, x);
            if (op == 0x0C)
                set_unreachable(v);
            else
                TRY(pushes(v, n, ts));
            break;
        }
        case 0x0E: {
            uint32_t n = 0, arity = 0, k;
            const uint8_t *ts = NULL;
            const uint8_t *list;
            TRY(wm_rd_u32(r, &n));
            list = r->p;
            TRY(pop(v, WM_I32, NULL));
            /* first pass: validate labels and arities */
            for (k = 0; k <= n; k++) {
                const uint8_t *la = r->p;
                uint32_t ln = 0;
                wm_work_charge(m->work, WM_WORK_OP_UNITS); /* a target is checked twice */
                TRY(wm_rd_u32(r, &x));
                TRY(label_types(v, x, la, &ln, &ts));
                charge_values(v, ln); /* its types against the operands */
                if (k == 0)
                    arity = ln;
                else if (ln != arity)
                    return mism(v);
                /* each target's types must match the operands (checked without popping) */
                ctrl *c = CTRL(v, v->cn - 1);
                for (uint32_t i = 0; i < ln; i++) {
                    uint32_t depth = ln - 1 - i;
                    if (v->vn - c->height > depth) {
                        uint8_t have = v->vs[v->vn - 1 - depth];
                        if (have != UNKNOWN && have != ts[i]) return mism(v);
                    } else if (!c->unreachable) {
                        return mism(v);
                    }
                }
            }
            r->p = list;
            TRY(fuel_add(v, wm_fuel_weight(op) + arity / WM_FUEL_VALUES, at));
            for (k = 0; k <= n; k++) {
                wm_work_charge(m->work, WM_WORK_OP_UNITS);
                x = wm_fast_u32(&r->p);
                ctrl *c = CTRL(v, v->cn - 1);
                uint32_t h = v->vn - c->height >= arity ? v->vn : c->height + arity;
                TRY(emit(v, at, x, h));
                fuel_branch(v, x);
            }
            set_unreachable(v);
            break;
        }
        case 0x0F:
            TRY(pops(v, v->ft->nresults, v->ft->results));
            v->ret = dmax(v->ret, v->d);
            set_unreachable(v);
            break;
        case 0x10: {
            TRY(wm_rd_u32(r, &x));
            if (x >= m->nfuncs) return inval(v, at, "unknown function");
            const wm_functype *ft = m->func_types[x];
            TRY(pops(v, ft->nparams, ft->params));
            TRY(pushes(v, ft->nresults, ft->results));
            TRY(fuel_add(v, wm_fuel_weight(op) + (ft->nparams + ft->nresults) / WM_FUEL_VALUES,
                         at));
            TRY(fuel_check_point(v, at));
            break;
        }
        case 0x11: {
            TRY(wm_rd_u32(r, &x));
            const uint8_t *ta = r->p;
            TRY(wm_rd_u32(r, &y));
            if (y >= m->ntables) return inval(v, ta, "unknown table");
            if (x >= m->ntypes) return inval(v, at, "unknown type");
            if (m->tables[y].elem != WM_FUNCREF) return mism(v);
            const wm_functype *ft = &m->types[x];
            TRY(pop(v, WM_I32, NULL));
            TRY(pops(v, ft->nparams, ft->params));
            TRY(pushes(v, ft->nresults, ft->results));
            TRY(fuel_add(v, wm_fuel_weight(op) + (ft->nparams + ft->nresults) / WM_FUEL_VALUES,
                         at));
            TRY(fuel_check_point(v, at));
            break;
        }
        case 0xD0:
            TRY(wm_rd_u8(r, &t));
            if (t != WM_FUNCREF && t != WM_EXTERNREF)
                return wm_fail_beyond(v->err, WM_ERR_MALFORMED, m->bytes, at,
                                      "malformed reference type", wm_feature_valtype(t));
            TRY(push(v, t));
            break;
        case 0xD1:
            TRY(pop(v, UNKNOWN, &t));
            if (t != UNKNOWN && t != WM_FUNCREF && t != WM_EXTERNREF) return mism(v);
            TRY(push(v, WM_I32));
            break;
        case 0xD2:
            TRY(wm_rd_u32(r, &x));
            TRY(check_func_ref(v, x, at));
            TRY(push(v, WM_FUNCREF));
            break;
        case 0x1A: TRY(pop(v, UNKNOWN, NULL)); break;
        case 0x1B:
        case 0x1C: {
            if (op == 0x1C) {
                TRY(wm_rd_u32(r, &x));
                if (x != 1) return inval(v, at, "invalid result arity");
                const uint8_t *tt = r->p;
                TRY(wm_rd_u8(r, &t));
                if (!wm_is_valtype(t))
                    return wm_fail_beyond(v->err, WM_ERR_MALFORMED, m->bytes, tt,
                                          "malformed value type", wm_feature_valtype(t));
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, t, NULL));
                TRY(pop(v, t, NULL));
                TRY(push(v, t));
            } else {
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, UNKNOWN, &t));
                TRY(pop(v, UNKNOWN, &t2));
                if (t == WM_FUNCREF || t == WM_EXTERNREF || t2 == WM_FUNCREF || t2 == WM_EXTERNREF)
                    return mism(v);
                if (t != UNKNOWN && t2 != UNKNOWN && t != t2) return mism(v);
                TRY(push(v, t != UNKNOWN ? t : t2));
            }
            break;
        }
        case 0x20:
        case 0x21:
        case 0x22:
            TRY(wm_rd_u32(r, &x));
            TRY(local_type(v, x, at, &t));
            if (op == 0x20)
                TRY(push(v, t));
            else {
                TRY(pop(v, t, NULL));
                if (op == 0x22) TRY(push(v, t));
            }
            break;
        case 0x23:
        case 0x24:
            TRY(wm_rd_u32(r, &x));
            if (x >= m->nglobals) return inval(v, at, "unknown global");
            if (op == 0x23)
                TRY(push(v, m->globals[x].type));
            else {
                if (!m->globals[x].mut) return inval(v, at, "global is immutable");
                TRY(pop(v, m->globals[x].type, NULL));
            }
            break;
        case 0x25:
        case 0x26:
            TRY(table_idx(v, &x));
            t = m->tables[x].elem;
            if (op == 0x25) {
                TRY(pop(v, WM_I32, NULL));
                TRY(push(v, t));
            } else {
                TRY(pop(v, t, NULL));
                TRY(pop(v, WM_I32, NULL));
            }
            break;
        case 0x3F:
            TRY(zero_byte(v));
            TRY(push(v, WM_I32));
            break;
        case 0x40:
            TRY(zero_byte(v));
            TRY(pop(v, WM_I32, NULL));
            TRY(push(v, WM_I32));
            break;
        case 0x41: {
            int32_t c;
            TRY(wm_rd_s32(r, &c));
            TRY(push(v, WM_I32));
            break;
        }
        case 0x42: {
            int64_t c;
            TRY(wm_rd_s64(r, &c));
            TRY(fuel_add(v, wm_fuel_i64_const((uint32_t)(r->p - at - 1)), at));
            TRY(push(v, WM_I64));
            break;
        }
        case 0x43: {
            const uint8_t *b;
            TRY(wm_rd_bytes(r, 4, &b));
            TRY(push(v, WM_F32));
            break;
        }
        case 0x44: {
            const uint8_t *b;
            TRY(wm_rd_bytes(r, 8, &b));
            TRY(push(v, WM_F64));
            break;
        }
        case 0xFC: {
            TRY(wm_rd_u32(r, &x));
            TRY(fuel_add(v, wm_fuel_weight(0xFC00u | (x < 0xFFu ? x : 0xFFu)), at));
            switch (x) {
            case 0:
            case 1:
            case 4:
            case 5:
                TRY(pop(v, WM_F32, NULL));
                TRY(push(v, x < 4 ? WM_I32 : WM_I64));
                break;
            case 2:
            case 3:
            case 6:
            case 7:
                TRY(pop(v, WM_F64, NULL));
                TRY(push(v, x < 4 ? WM_I32 : WM_I64));
                break;
            case 8:
            case 9: {
                const uint8_t *da = r->p;
                TRY(wm_rd_u32(r, &y));
                if (!m->has_datacount)
                    return wm_fail(v->err, WM_ERR_MALFORMED, m->bytes, da,
                                   "data count section required");
                if (x == 8) TRY(zero_byte(v));
                if (y >= m->ndatas) return inval(v, da, "unknown data segment");
                if (x == 8) {
                    TRY(pop(v, WM_I32, NULL));
                    TRY(pop(v, WM_I32, NULL));
                    TRY(pop(v, WM_I32, NULL));
                }
                break;
            }
            case 10:
                TRY(zero_byte(v));
                TRY(zero_byte(v)); /* fall through */
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, WM_I32, NULL));
                break;
            case 11:
                TRY(zero_byte(v));
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, WM_I32, NULL));
                break;
            case 12:
            case 13: {
                const uint8_t *ea = r->p;
                uint32_t ti = 0;
                TRY(wm_rd_u32(r, &y));
                if (x == 12) TRY(table_idx(v, &ti));
                if (y >= m->nelems) return inval(v, ea, "unknown elem segment");
                if (x == 12) {
                    if (m->tables[ti].elem != m->elems[y].elem) return mism(v);
                    TRY(pop(v, WM_I32, NULL));
                    TRY(pop(v, WM_I32, NULL));
                    TRY(pop(v, WM_I32, NULL));
                }
                break;
            }
            case 14:
                TRY(table_idx(v, &x));
                TRY(table_idx(v, &y));
                if (m->tables[x].elem != m->tables[y].elem) return mism(v);
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, WM_I32, NULL));
                break;
            case 15:
                TRY(table_idx(v, &x));
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, m->tables[x].elem, NULL));
                TRY(push(v, WM_I32));
                break;
            case 16:
                TRY(table_idx(v, &x));
                TRY(push(v, WM_I32));
                break;
            case 17:
                TRY(table_idx(v, &x));
                TRY(pop(v, WM_I32, NULL));
                TRY(pop(v, m->tables[x].elem, NULL));
                TRY(pop(v, WM_I32, NULL));
                break;
            default: return wm_fail(v->err, WM_ERR_MALFORMED, m->bytes, at, "illegal opcode");
            }
            break;
        }
        default:
            if (op >= 0x28 && op <= 0x35) {
                TRY(memarg(v, load_align[op - 0x28]));
                TRY(pop(v, WM_I32, NULL));
                TRY(push(v, letter(load_type[op - 0x28])));
            } else if (op >= 0x36 && op <= 0x3E) {
                TRY(memarg(v, store_align[op - 0x36]));
                TRY(pop(v, letter(store_type[op - 0x36]), NULL));
                TRY(pop(v, WM_I32, NULL));
            } else if (op >= 0x45 && op <= 0xC4) {
                TRY(sig_op(v, numsig[op - 0x45]));
            } else {
                return wm_fail_beyond(v->err, WM_ERR_MALFORMED, m->bytes, at, "illegal opcode",
                                      wm_feature_opcode(op));
            }
        }
    }
    if (r->p != code_end)
        return wm_fail(v->err, WM_ERR_MALFORMED, m->bytes, r->p, "section size mismatch");
    fd->max_height = v->vmax;
    return WM_OK;
}

wm_err wm_validate_code(wm_module *m, wm_arena *a, const uint8_t *p, const uint8_t *end,
                        const uint8_t *declared_refs, wm_error *err)
{
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    V v;
    wm_memset(&v, 0, sizeof v);
    v.m = m;
    v.a = a;
    v.err = err;
    v.declared = declared_refs;
    m->funcs = (wm_funcdef *)wm_arena_alloc(a, ndef * sizeof(wm_funcdef) + 1, 8);
    if (!m->funcs) return wm_fail(err, WM_ERR_NO_MEMORY, m->bytes, p, "out of memory");
    /* scratch at the top of the arena: a quarter of what is free, at most 96 KiB */
    size_t free_ = a->size - a->used, scratch = free_ / 4;
    v.full = WM_ERR_NO_MEMORY;
    if (scratch >= 96 * 1024) {
        scratch = 96 * 1024;
        v.full = WM_ERR_LIMIT;
    }
    scratch &= ~(size_t)7;
    size_t saved_size = a->size;
    uint8_t *sbase = a->base + a->size - scratch;
    sbase = (uint8_t *)((uintptr_t)sbase & ~(uintptr_t)7);
    scratch = (size_t)(a->base + a->size - sbase);
    a->size = (size_t)(sbase - a->base);
    v.runs = (run *)(void *)sbase;
    v.rcap = (uint32_t)(scratch / 3 / sizeof(run)); /* the rest for values and frames */
    v.ctop = (ctrl *)(void *)((uintptr_t)(sbase + scratch) & ~(uintptr_t)7);
    wm_err e = WM_OK;
    v.r.base = m->bytes;
    v.r.err = err;
    v.side_base = 0;
    for (uint32_t i = 0; i < ndef && !e; i++) {
        wm_funcdef *fd = &m->funcs[i];
        uint32_t size, nruns;
        wm_reader hr = {p, end, m->bytes, err};
        if ((e = wm_rd_u32(&hr, &size))) break;
        if (size > (size_t)(end - hr.p)) {
            e = wm_fail(err, WM_ERR_MALFORMED, m->bytes, hr.p, "unexpected end");
            break;
        }
        const uint8_t *fend = hr.p + size;
        hr.end = fend;
        fd->type = m->func_types[m->nfunc_imports + i];
        v.ft = fd->type;
        if ((e = wm_rd_u32(&hr, &nruns))) break;
        uint64_t total = v.ft->nparams;
        v.nruns = 0;
        for (uint32_t k = 0; k < nruns; k++) {
            uint32_t cnt;
            uint8_t t;
            const uint8_t *ta;
            if ((e = wm_rd_u32(&hr, &cnt))) break;
            ta = hr.p;
            if ((e = wm_rd_u8(&hr, &t))) break;
            if (!wm_is_valtype(t)) {
                e = wm_fail_beyond(err, WM_ERR_MALFORMED, m->bytes, ta, "malformed value type",
                                   wm_feature_valtype(t));
                break;
            }
            wm_work_charge(m->work, (uint32_t)(hr.p - ta));
            total += cnt;
            if (total > UINT32_MAX) {
                e = wm_fail(err, WM_ERR_MALFORMED, m->bytes, ta, "too many locals");
                break;
            }
            if (cnt == 0) continue;
            if (v.nruns >= v.rcap) {
                e = wm_fail(err, v.full, m->bytes, ta, "too many local declarations");
                break;
            }
            v.runs[v.nruns].end = (uint32_t)total;
            v.runs[v.nruns].type = t;
            v.nruns++;
        }
        if (e) break;
        v.nlocals_total = (uint32_t)total;
        fd->nlocals = (uint32_t)(total - v.ft->nparams);
        /* zeroing the locals is charged at entry, before it is done */
        uint64_t entry_fuel = WM_FUEL_ENTRY + (uint64_t)fd->nlocals / WM_FUEL_LOCALS;
        if (entry_fuel > WM_FUEL_REGION_MAX) {
            e = wm_fail(err, WM_ERR_LIMIT, m->bytes, hr.p,
                        "too many locals (their zeroing costs too much fuel for one check point)");
            break;
        }
        fd->fuel_entry = (uint32_t)entry_fuel;
        fd->code = hr.p;
        fd->end = fend;
        fd->side = v.side_base;
        wm_work_charge(m->work, WM_WORK_OP_UNITS); /* the function's entry and return */
        v.r.p = hr.p;
        v.r.end = fend;
        v.vs = (uint8_t *)(v.runs + v.nruns); /* the rest of the scratch: values and frames */
        v.vn = v.vmax = v.cn = 0;
        v.nside = 0;
        v.d = 0;
        v.ret = DEAD;
        e = body(&v, fd);
        fd->fuel_ret =
            WM_FUEL_RETURN + v.ft->nresults / WM_FUEL_VALUES + (v.ret == DEAD ? 0u : v.ret);
        v.stretch = dmax(v.stretch, dmax(fd->fuel_entry, fd->fuel_ret));
        v.side_base += v.nside;
        p = fend;
    }
    if (!e && p != end) e = wm_fail(err, WM_ERR_MALFORMED, m->bytes, p, "section size mismatch");
    /* table.init walks a passive segment from its start: at most all of it */
    for (uint32_t i = 0; i < m->nelems && !e; i++) {
        uint32_t walk = m->elems[i].count / WM_FUEL_ELEMS;
        if (m->elems[i].mode != WM_SEG_PASSIVE) continue;
        if (walk > WM_FUEL_REGION_MAX)
            e = wm_fail(err, WM_ERR_LIMIT, m->bytes, m->elems[i].items,
                        "passive element segment too long (table.init's fuel)");
        v.stretch = dmax(v.stretch, walk);
    }
    m->fuel_stretch = v.stretch;
    m->nside = v.side_base;
    /* No branch anywhere: the interpreter still computes `mod->side + first entry` at every
     * call, which on NULL is undefined behaviour (found by fuzz/fuzz_load.c, regression input
     * fuzz/regressions/load/side-table-null). Point it at a constant entry nothing reads. */
    static const wm_side no_side = {0, 0, 0, 0};
    if (!m->side) m->side = (wm_side *)&no_side;
    a->size = saved_size;
    return e;
}
