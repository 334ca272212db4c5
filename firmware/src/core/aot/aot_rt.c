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

/* The slice ran out at a check point (it was 0 when one more unit was due). Returns the
 * next slice with that unit charged - or, as the interpreter does, uncharged when the call
 * had to suspend: the check that suspends is the one the resumed call starts after. */
static uintptr_t rt_refuel(wm_aot_ctx *c)
{
    wm_aot_run *r = (wm_aot_run *)c->run;
    uintptr_t due = 1;
    for (;;) {
        uint64_t have = *r->reserve;
        if (have != 0) {
            uintptr_t take = have > (uint64_t)INTPTR_MAX ? (uintptr_t)INTPTR_MAX : (uintptr_t)have;
            *r->reserve = have - take;
            return take - due;
        }
        /* Out of fuel: park here, at a clean point; wm_resume refills the reserve. */
        r->status = WM_AOT_SUSPEND;
        r->park_ctx = c;
        wm_aot_park(r, 0);
        due = 0;
    }
}

/* A bulk operation costs more than the slice holds: the rest comes out of the reserve,
 * saturating at zero (the next check point then suspends), as in the interpreter. */
static uintptr_t rt_charge(wm_aot_ctx *c, uint64_t units)
{
    wm_aot_run *r = (wm_aot_run *)c->run;
    *r->reserve = *r->reserve > units ? *r->reserve - units : 0;
    return 0;
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

static uint32_t rt_mem_grow(wm_aot_ctx *c, uint32_t delta)
{
    return (uint32_t)wm_memory_grow(inst_of(c)->mem, delta);
}

uint32_t wm_aot_op_mem_init(wm_instance *inst, uint32_t seg, uint32_t d, uint32_t s,
                            uint32_t n)
{
    const wm_dataseg *ds = &inst->mod->datas[seg];
    uint32_t len = inst->data_dropped[seg] ? 0 : ds->len;
    if ((uint64_t)s + n > len || (uint64_t)d + n > inst->mem->bytes) return WM_AOT_TRAP_MEM_OOB;
    wm_memcpy(inst->mem->data + d, ds->bytes + s, n);
    return 0;
}

uint32_t wm_aot_op_table_init(wm_instance *inst, uint32_t tab, uint32_t seg, uint32_t d,
                              uint32_t s, uint32_t n)
{
    return wm_table_init_op(inst, inst->tables[tab], seg, d, s, n) != WM_OK
               ? (uint32_t)WM_AOT_TRAP_TABLE_OOB : 0u;
}

uint32_t wm_aot_op_table_copy(wm_instance *inst, uint32_t dt, uint32_t st, uint32_t d,
                              uint32_t s, uint32_t n)
{
    wm_table *td = inst->tables[dt], *ts = inst->tables[st];
    if ((uint64_t)s + n > ts->size || (uint64_t)d + n > td->size) return WM_AOT_TRAP_TABLE_OOB;
    wm_memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(uint64_t));
    return 0;
}

uint32_t wm_aot_op_table_fill(wm_instance *inst, uint32_t tab, uint32_t at, uint64_t v,
                              uint32_t n)
{
    wm_table *t = inst->tables[tab];
    if ((uint64_t)at + n > t->size) return WM_AOT_TRAP_TABLE_OOB;
    for (uint32_t k = 0; k < n; k++) t->elems[at + k] = v;
    return 0;
}

static void rt_mem_init(wm_aot_ctx *c, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    uint32_t t = wm_aot_op_mem_init(inst_of(c), seg, d, s, n);
    if (t) rt_trap(c, t, c->fuel);
}

static void rt_data_drop(wm_aot_ctx *c, uint32_t seg) { inst_of(c)->data_dropped[seg] = 1; }

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
    uint32_t t = wm_aot_op_table_copy(inst_of(c), dt, st, d, s, n);
    if (t) rt_trap(c, t, c->fuel);
}

static uint32_t rt_table_grow(wm_aot_ctx *c, uint32_t tab, uintptr_t init, uint32_t n)
{
    return (uint32_t)wm_table_grow(inst_of(c)->tables[tab], n, (uint64_t)init);
}

static void rt_table_fill(wm_aot_ctx *c, uint32_t tab, uint32_t at, uintptr_t v, uint32_t n)
{
    uint32_t t = wm_aot_op_table_fill(inst_of(c), tab, at, (uint64_t)v, n);
    if (t) rt_trap(c, t, c->fuel);
}

const wm_aot_rt wm_aot_rt_v1 = {
    rt_trap,      rt_refuel,     rt_charge,     rt_call,      rt_call_ref,
    rt_mem_grow,  rt_mem_init,   rt_data_drop,  rt_table_init, rt_elem_drop,
    rt_table_copy, rt_table_grow, rt_table_fill,
};

#else

const wm_aot_rt wm_aot_rt_v1 = {NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                NULL, NULL, NULL, NULL, NULL, NULL};

#endif
