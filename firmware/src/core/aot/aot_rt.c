/* aot_rt.c - the runtime services native code calls through ctx->rt (wm_aot_rt in
 * wm_aot_abi.h). They run on the native code's stack; anything that needs the caller's
 * stack or may suspend parks the coroutine (wm_aot_park) and lets aot_exec.c do it. */
#include "aot_internal.h"

#if WM_AOT_ARCH_SELF != 0

static wm_instance *inst_of(wm_aot_ctx *c) { return (wm_instance *)c->inst; }

static void rt_trap(wm_aot_ctx *c, uint32_t code, uintptr_t fuel)
{
    wm_aot_run *r = (wm_aot_run *)c->run;
    r->slice = fuel;
    r->trap_err = code == WM_AOT_TRAP_EXHAUSTED ? WM_ERR_EXHAUSTION : WM_ERR_TRAP;
    r->trap_msg = wm_aot_trap_msg(code);
    r->status = WM_AOT_TRAP;
    wm_aot_park(r, 1); /* the coroutine is abandoned: never switched back in */
    for (;;) {
    }
}

/* A check point left the slice negative (fl < 0, it owes -fl) or bulk work spent it (fl
 * == 0): fuel from the call's budget, suspending the call here while there is none (it is
 * resumed by switching back in). Check points get fl >= 0 (owing was repaid first, as in
 * the interpreter); bulk work gets the next slice, or after a suspension whatever the
 * resume gave, possibly 0 (the interpreter then stops before the instruction again). */
intptr_t wm_aot_refuel(wm_aot_ctx *c, intptr_t fl, uintptr_t cap)
{
    wm_aot_run *r = (wm_aot_run *)c->run;
    int bulk = fl >= 0, waited = 0;
    if (bulk) fl = 0;
    for (;;) {
        uint64_t have = *r->reserve;
        uintptr_t take = have > (uint64_t)cap ? cap : (uintptr_t)have;
        *r->reserve = have - take;
        fl += (intptr_t)take; /* fl <= 0 before: no overflow */
        if (bulk ? (fl > 0 || waited) : fl >= 0) return fl;
        r->status = WM_AOT_SUSPEND;
        r->park_ctx = c;
        wm_aot_park(r, 0);
        waited = 1;
    }
}

static intptr_t rt_refuel(wm_aot_ctx *c, intptr_t fl)
{
    return wm_aot_refuel(c, fl, (uintptr_t)INTPTR_MAX);
}

static void call_func(wm_aot_ctx *c, const wm_func *f, uint64_t *io)
{
    wm_aot_run *r = (wm_aot_run *)c->run;
    /* (an isolated instance runs only through the runtime: its own regions and gate) */
    if (f->inst && f->inst->native && f->inst->mod->native != &wm_aot_native_ops_iso) {
        wm_aot_entry entry = wm_aot_entry_of(f);
        if (entry) { /* native code of another instance: call it right here */
            wm_aot_ctx *c2 = &((wm_aot_inst *)f->inst->native)->ctx;
            uintptr_t fuel = c->fuel;
            wm_aot_enter(c2, r);
            c2->fuel = fuel;
            entry(c2, io);
            fuel = c2->fuel;
            wm_aot_enter(c, r);
            c->fuel = fuel;
            return;
        }
    }
    /* a host function or interpreted code: the runtime calls it on its own stack */
    r->req_func = f;
    r->req_io = io;
    r->park_ctx = c;
    r->status = WM_AOT_CALL;
    wm_aot_park(r, 0);
}

static void rt_call(wm_aot_ctx *c, uint32_t func, uint64_t *io)
{
    call_func(c, inst_of(c)->funcs[func], io);
}

/* call_indirect whose target is not one of this instance's own functions of that type. */
static void rt_call_ref(wm_aot_ctx *c, uintptr_t func, uint32_t type, uint64_t *io)
{
    const wm_func *f = (const wm_func *)func;
    if (!wm_functype_eq(f->type, &inst_of(c)->mod->types[type]))
        rt_trap(c, WM_AOT_TRAP_SIG_MISMATCH, c->fuel);
    call_func(c, f, io);
}

uint64_t wm_aot_bulk_can(uintptr_t slice, uint32_t per)
{
    intptr_t fl = (intptr_t)slice;
    if (fl <= 0) return 0;
    return (uint64_t)fl > UINT64_MAX / per ? UINT64_MAX : (uint64_t)fl * per;
}

uint32_t wm_aot_bulk_pays(uintptr_t slice, uint32_t n, uint32_t per)
{
    intptr_t fl = (intptr_t)slice;
    if (fl < 0) return 0;
    return (uint64_t)n / per <= (uint64_t)fl ? n : (uint32_t)fl * per;
}

uintptr_t wm_aot_bulk_paid(uintptr_t slice, uint32_t n, uint32_t m, uint32_t per)
{
    return m == n ? slice - n / per : 0u;
}

uint32_t wm_aot_op_mem_init(wm_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n,
                            uint32_t m)
{
    const wm_dataseg *ds = &inst->mod->datas[seg];
    uint32_t len = inst->data_dropped[seg] ? 0 : ds->len;
    if ((uint64_t)s + n > len || (uint64_t)d + n > inst->mem->bytes) return WM_AOT_TRAP_MEM_OOB;
    wm_memcpy(inst->mem->data + d, ds->bytes + s, m);
    return 0;
}

uint32_t wm_aot_op_table_init(wm_instance *inst, uint32_t tab, uint32_t seg, uint32_t d, uint32_t s,
                              uint32_t n)
{
    return wm_table_init_op(inst, inst->tables[tab], seg, d, s, n, NULL) != WM_OK
               ? (uint32_t)WM_AOT_TRAP_TABLE_OOB
               : 0u;
}

uint32_t wm_aot_op_table_copy(wm_instance *inst, uint32_t dt, uint32_t st, uint32_t *d, uint32_t *s,
                              uint32_t *n, uint32_t m)
{
    wm_table *td = inst->tables[dt], *ts = inst->tables[st];
    if ((uint64_t)*s + *n > ts->size || (uint64_t)*d + *n > td->size) return WM_AOT_TRAP_TABLE_OOB;
    if (td == ts && *d > *s) { /* overlapping forwards: the end first, as the interpreter */
        wm_memmove(td->elems + *d + (*n - m), ts->elems + *s + (*n - m),
                   (size_t)m * sizeof(uint64_t));
    } else {
        wm_memmove(td->elems + *d, ts->elems + *s, (size_t)m * sizeof(uint64_t));
        *d += m;
        *s += m;
    }
    *n -= m;
    return 0;
}

uint32_t wm_aot_op_table_fill(wm_instance *inst, uint32_t tab, uint32_t at, uint64_t v, uint32_t n,
                              uint32_t m)
{
    wm_table *t = inst->tables[tab];
    if ((uint64_t)at + n > t->size) return WM_AOT_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < m; k++) t->elems[at + k] = v;
    return 0;
}

/* memory.grow / table.grow: the new bytes / elements in the pieces the slice pays for, the
 * call suspending between them when its budget is spent, then the grow itself. */
static uint32_t rt_mem_grow(wm_aot_ctx *c, uint32_t delta)
{
    wm_memory *mem = inst_of(c)->mem;
    uint64_t zeroed = 0, done;
    for (;;) {
        int32_t g = wm_memory_grow_part(mem, delta, &zeroed,
                                        wm_aot_bulk_can(c->fuel, WM_FUEL_BYTES), &done);
        if (g != WM_GROW_MORE) {
            c->fuel -= (uintptr_t)(done / WM_FUEL_BYTES);
            return (uint32_t)g;
        }
        c->fuel = (uintptr_t)rt_refuel(c, 0);
    }
}

static uint32_t rt_table_grow(wm_aot_ctx *c, uint32_t tab, uintptr_t init, uint32_t n)
{
    wm_table *t = inst_of(c)->tables[tab];
    uint64_t set = 0, done;
    for (;;) {
        int32_t g = wm_table_grow_part(t, n, (uint64_t)init, &set,
                                       wm_aot_bulk_can(c->fuel, WM_FUEL_ELEMS), &done);
        if (g != WM_GROW_MORE) {
            c->fuel -= (uintptr_t)(done / WM_FUEL_ELEMS);
            return (uint32_t)g;
        }
        c->fuel = (uintptr_t)rt_refuel(c, 0);
    }
}

static void rt_mem_init(wm_aot_ctx *c, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    for (;;) {
        uint32_t m = wm_aot_bulk_pays(c->fuel, n, WM_FUEL_BYTES);
        uint32_t t = wm_aot_op_mem_init(inst_of(c), seg, d, s, n, m);
        if (t) rt_trap(c, t, c->fuel);
        c->fuel = wm_aot_bulk_paid(c->fuel, n, m, WM_FUEL_BYTES);
        if (m == n) return;
        d += m;
        s += m;
        n -= m;
        c->fuel = (uintptr_t)rt_refuel(c, 0);
    }
}

static void rt_data_drop(wm_aot_ctx *c, uint32_t seg) { inst_of(c)->data_dropped[seg] = 1; }

/* (table.init walks its segment: the code charges it after, as a check point) */
static void rt_table_init(wm_aot_ctx *c, uint32_t tab, uint32_t seg, uint32_t d, uint32_t s,
                          uint32_t n)
{
    uint32_t t = wm_aot_op_table_init(inst_of(c), tab, seg, d, s, n);
    if (t) rt_trap(c, t, c->fuel);
}

static void rt_elem_drop(wm_aot_ctx *c, uint32_t seg) { inst_of(c)->elem_dropped[seg] = 1; }

static void rt_table_copy(wm_aot_ctx *c, uint32_t dt, uint32_t st, uint32_t d, uint32_t s,
                          uint32_t n)
{
    for (;;) {
        uint32_t n0 = n, m = wm_aot_bulk_pays(c->fuel, n, WM_FUEL_ELEMS);
        uint32_t t = wm_aot_op_table_copy(inst_of(c), dt, st, &d, &s, &n, m);
        if (t) rt_trap(c, t, c->fuel);
        c->fuel = wm_aot_bulk_paid(c->fuel, n0, m, WM_FUEL_ELEMS);
        if (n == 0) return;
        c->fuel = (uintptr_t)rt_refuel(c, 0);
    }
}

static void rt_table_fill(wm_aot_ctx *c, uint32_t tab, uint32_t at, uintptr_t v, uint32_t n)
{
    for (;;) {
        uint32_t m = wm_aot_bulk_pays(c->fuel, n, WM_FUEL_ELEMS);
        uint32_t t = wm_aot_op_table_fill(inst_of(c), tab, at, (uint64_t)v, n, m);
        if (t) rt_trap(c, t, c->fuel);
        c->fuel = wm_aot_bulk_paid(c->fuel, n, m, WM_FUEL_ELEMS);
        if (m == n) return;
        at += m;
        n -= m;
        c->fuel = (uintptr_t)rt_refuel(c, 0);
    }
}

const wm_aot_rt wm_aot_rt_v1 = {
    rt_trap,      rt_refuel,     rt_call,      rt_call_ref,   rt_mem_grow,   rt_mem_init,
    rt_data_drop, rt_table_init, rt_elem_drop, rt_table_copy, rt_table_grow, rt_table_fill,
};

#else

const wm_aot_rt wm_aot_rt_v1 = {NULL, NULL, NULL, NULL, NULL, NULL,
                                NULL, NULL, NULL, NULL, NULL, NULL};

#endif
