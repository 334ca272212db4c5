/* aot_iso.c - isolated execution of native code (docs/aot.md, "Isolation by the MPU").
 *
 * An isolated module's native code runs unprivileged under the MPU (aot/arch/iso_*). It can
 * touch exactly four things: its code, its linear memory, its stack (the instance's value
 * stack, as in the normal mode) and its *user block*: a copy of everything it reaches
 * through its context (the context itself, memory size, globals, tables, function
 * references). The runtime's own structures (instance, module, run records, the canonical
 * context with its run and instance pointers) are never in a region native code can reach.
 *
 * Every call into the runtime goes through the gate: the service table the user context
 * points at parks the native side (an SVC on Cortex-M) and the runtime serves the request
 * here, on its own stack, privileged. Nothing the native side hands over is trusted: the
 * context pointer is ignored (the runtime knows whose run it is), indices are checked against
 * the module, io arrays must lie in the run's stack, fuel it reports is clamped to what it
 * was given, and function references it wrote into its tables and globals are checked before
 * they reach the runtime's (only valid ones, or null, ever get there). A fault of native code
 * comes back here as a trap of that module; the runtime never switches back into it.
 *
 * Copies are synchronised at every switch: into the user block before native code runs,
 * back (checked) when it parks. Between switches only native code runs, so both sides agree.
 */
#include "aot_internal.h"

#if WM_AOT_ISO_PMSA != 0

/* Store records span whole sectors (core/store): the code's regions may reach that far
 * around the code (read-only), never further. */
#ifndef WM_AOT_ISO_CODE_GRAIN
#define WM_AOT_ISO_CODE_GRAIN 4096u
#endif

static uintptr_t up(uintptr_t v, uintptr_t a) { return (v + a - 1u) & ~(a - 1u); }
static uintptr_t down(uintptr_t v, uintptr_t a) { return v & ~(a - 1u); }

static wm_aot_inst *ai_of(const wm_instance *inst) { return (wm_aot_inst *)inst->native; }

/* ---- layout ---------------------------------------------------------------------------- */

/* Offsets in the user block. */
typedef struct {
    uintptr_t mem, tabs, tsize, gptr, gval, funcs, elems, size;
} ub_layout;

static ub_layout ub_plan(const wm_module *m, wm_instance *inst)
{
    ub_layout l;
    uintptr_t off = up(sizeof(wm_aot_ctx), 8);
    l.mem = off;
    off += 8;
    l.tabs = up(off, sizeof(void *));
    off = l.tabs + m->ntables * sizeof(wm_aot_table);
    l.tsize = off;
    off += m->ntables * 4u;
    l.gptr = up(off, sizeof(void *));
    off = l.gptr + m->nglobals * sizeof(void *);
    l.gval = up(off, 8);
    off = l.gval + m->nglobals * 8u;
    l.funcs = up(off, sizeof(void *));
    off = l.funcs + m->nfuncs * sizeof(void *);
    l.elems = up(off, 8);
    off = l.elems;
    for (uint32_t i = 0; i < m->ntables; i++) off += (uintptr_t)inst->tables[i]->cap * 8u;
    l.size = off;
    return l;
}

wm_err wm_aot_iso_instantiate(wm_arena *arena, wm_instance *inst, wm_aot_inst *ai, wm_error *err)
{
    const wm_module *m = inst->mod;
    if (m->ntable_imports != 0)
        return wm_fail(err, WM_ERR_INVALID, NULL, NULL,
                       "aot: isolated native code cannot share an imported table");
    wm_aot_iso_inst *iso = (wm_aot_iso_inst *)wm_arena_alloc(arena, sizeof *iso, 8);
    if (!iso) return wm_fail(err, WM_ERR_NO_MEMORY, NULL, NULL, "out of memory");
    wm_memset(iso, 0, sizeof *iso);
    ub_layout l = ub_plan(m, inst);
    /* one region */
    size_t align, round;
    wm_aot_iso_one_region(l.size, &align, &round);
    uintptr_t size = up(l.size, round);
    uint8_t *ub = (uint8_t *)wm_arena_alloc(arena, size, align);
    if (!ub) return wm_fail(err, WM_ERR_NO_MEMORY, NULL, NULL, "out of memory");
    wm_memset(ub, 0, size);
    iso->ublock = ub;
    iso->ublock_size = size;
    iso->uctx = (wm_aot_ctx *)(void *)ub;
    iso->umem = (uint32_t *)(void *)(ub + l.mem);
    iso->utabs = (wm_aot_table *)(void *)(ub + l.tabs);
    iso->utsize = (uint32_t *)(void *)(ub + l.tsize);
    uint64_t **gptr = (uint64_t **)(void *)(ub + l.gptr);
    iso->ugval = (uint64_t *)(void *)(ub + l.gval);
    const void **funcs = (const void **)(void *)(ub + l.funcs);
    uint64_t *elems = (uint64_t *)(void *)(ub + l.elems);
    for (uint32_t i = 0; i < m->nglobals; i++) gptr[i] = &iso->ugval[i];
    for (uint32_t i = 0; i < m->nfuncs; i++) funcs[i] = inst->funcs[i];
    for (uint32_t i = 0; i < m->ntables; i++) {
        iso->utabs[i].elems = elems;
        iso->utabs[i].size = &iso->utsize[i];
        elems += inst->tables[i]->cap;
    }
    wm_aot_ctx *u = iso->uctx;
    const wm_aot_ctx *c = &ai->ctx;
    u->mem_bytes = &iso->umem[0];
    u->mem_pages = &iso->umem[1];
    u->globals = (uint64_t *const *)gptr;
    u->tables = iso->utabs;
    u->funcs = (const void *const *)funcs;
    u->own_base = c->own_base;
    u->own_shift = c->own_shift;
    u->nown = c->nown;
    u->rt = &wm_aot_iso_gate;
    /* the stack block exactly as wm_instantiate allocated it (granule of the native ops) */
    uint64_t sbytes = (uint64_t)(inst->x.stack_end - inst->x.stack) * 8u + 8u;
    size_t sg = wm_aot_iso_granule(sbytes);
    iso->stack_lo = (uintptr_t)inst->x.stack;
    iso->stack_hi = iso->stack_lo + up((uintptr_t)sbytes, sg);
    iso->map_bytes = 0xFFFFFFFFu; /* the memory comes later: mapped at the first call */
    ai->iso = iso;
    return WM_OK;
}

/* The block of a bound section's code (what its MPU regions may cover: the 4 KiB granules
 * around it, never more). */
static void code_block(const uint8_t *code, wm_aot_iso_block *b)
{
    uintptr_t cb = (uintptr_t)(code + wm_aot_u32(code, WM_AOT_H_CODE));
    uintptr_t cs = wm_aot_u32(code, WM_AOT_H_CODE_SIZE);
    b->base = cb;
    b->size = cs;
    b->lo = down(cb, WM_AOT_ISO_CODE_GRAIN);
    b->hi = up(cb + cs, WM_AOT_ISO_CODE_GRAIN);
    b->kind = WM_AOT_ISO_CODE;
    b->regions = 2;
}

/* The regions of an instance: gate, code, user block, stack, memory (what it can access now,
 * never beyond its reservation). */
static int iso_map(const wm_instance *inst, wm_aot_inst *ai)
{
    wm_aot_iso_inst *iso = ai->iso;
    wm_aot_iso_block b[5];
    unsigned n = 0;
    wm_aot_iso_gate_block(&b[n++]);
    code_block(ai->code, &b[n++]);
    b[n].base = b[n].lo = (uintptr_t)iso->ublock;
    b[n].size = iso->ublock_size;
    b[n].hi = b[n].base + b[n].size;
    b[n].kind = WM_AOT_ISO_DATA;
    b[n++].regions = 1;
    b[n].base = b[n].lo = iso->stack_lo;
    b[n].size = iso->stack_hi - iso->stack_lo;
    b[n].hi = iso->stack_hi;
    b[n].kind = WM_AOT_ISO_DATA;
    b[n++].regions = 2;
    const wm_memory *mem = inst->mem;
    uint32_t bytes = mem ? mem->bytes : 0;
    if (bytes != 0) {
        b[n].base = b[n].lo = (uintptr_t)mem->data;
        b[n].size = bytes;
        b[n].hi = (uintptr_t)mem->data + (uintptr_t)mem->reserved;
        b[n].kind = WM_AOT_ISO_DATA;
        b[n++].regions = 2;
    }
    iso->map_bytes = bytes;
    iso->map_ok = wm_aot_iso_map_make(&iso->map, b, n) == 0;
    return iso->map_ok ? 0 : -1;
}

/* Whether the MPU can cover a bound section's code with its two regions (and the gate). */
static int code_coverable(const uint8_t *code)
{
    wm_aot_iso_block b[2];
    wm_aot_iso_map map;
    wm_aot_iso_gate_block(&b[0]);
    code_block(code, &b[1]);
    return wm_aot_iso_map_make(&map, b, 2) == 0;
}

/* ---- the copies ------------------------------------------------------------------------ */

/* A function reference native code may hand to the runtime: null, one of this instance's
 * functions, or one it imports. */
static int ref_ok(const wm_instance *inst, uint64_t v)
{
    uintptr_t p = (uintptr_t)v;
    return (uint64_t)p == v && wm_func_of(inst, (const wm_func *)p);
}

/* runtime -> user block, before native code runs */
static void sync_in(const wm_instance *inst, wm_aot_inst *ai, wm_aot_run *r)
{
    wm_aot_iso_inst *iso = ai->iso;
    const wm_aot_ctx *c = &ai->ctx;
    wm_aot_ctx *u = iso->uctx;
    const wm_module *m = inst->mod;
    const wm_memory *mem = inst->mem;
    (void)r;
    u->stack_limit = c->stack_limit;
    u->fuel = c->fuel;
    u->mem = mem ? mem->data : NULL;
    /* the fixed fields too: native code may have scribbled over its own copy */
    u->mem_bytes = &iso->umem[0];
    u->mem_pages = &iso->umem[1];
    u->rt = &wm_aot_iso_gate;
    u->run = NULL;
    u->inst = NULL;
    iso->umem[0] = mem ? mem->bytes : 0;
    iso->umem[1] = mem ? mem->pages : 0;
    for (uint32_t i = 0; i < m->nglobals; i++) iso->ugval[i] = inst->globals[i]->val;
    for (uint32_t i = 0; i < m->ntables; i++) {
        const wm_table *t = inst->tables[i];
        iso->utsize[i] = t->size;
        wm_memcpy(iso->utabs[i].elems, t->elems, (size_t)t->size * 8u);
    }
}

/* user block -> runtime, when native code parked or faulted: 0, or -1 when it stored a
 * function reference that is not one (it becomes null in the runtime's copy). */
static int sync_out(wm_instance *inst, wm_aot_inst *ai, wm_aot_run *r)
{
    wm_aot_iso_inst *iso = ai->iso;
    wm_aot_ctx *c = &ai->ctx;
    const wm_module *m = inst->mod;
    int bad = 0;
    intptr_t fuel = (intptr_t)iso->uctx->fuel;
    c->fuel = fuel < 0 ? 0u : (uintptr_t)fuel > r->fuel_cap ? r->fuel_cap : (uintptr_t)fuel;
    for (uint32_t i = 0; i < m->nglobals; i++) {
        wm_global *g = inst->globals[i];
        if (!g->mut) continue;
        uint64_t v = iso->ugval[i];
        if (g->type == WM_FUNCREF && !ref_ok(inst, v)) {
            v = 0;
            bad = -1;
        }
        g->val = v;
    }
    for (uint32_t i = 0; i < m->ntables; i++) {
        wm_table *t = inst->tables[i];
        const uint64_t *e = iso->utabs[i].elems;
        for (uint32_t k = 0; k < t->size; k++) {
            uint64_t v = e[k];
            if (t->elem == WM_FUNCREF && !ref_ok(inst, v)) {
                v = 0;
                bad = -1;
            }
            t->elems[k] = v;
        }
    }
    return bad;
}

/* ---- serving requests -------------------------------------------------------------------- */

static wm_err iso_trap(wm_aot_run *r, wm_error *err, wm_err code, const char *msg)
{
    const wm_aot_inst *ai = ai_of(r->inst);
    r->slice = ai->ctx.fuel;
    r->status = WM_AOT_TRAP;
    r->trap_err = code;
    r->trap_msg = msg;
    r->pending = 0;
    return wm_trap_err(err, code, msg);
}

static wm_err trap_code(wm_aot_run *r, wm_error *err, uint32_t code)
{
    return iso_trap(r, err, code == WM_AOT_TRAP_EXHAUSTED ? WM_ERR_EXHAUSTION : WM_ERR_TRAP,
                    wm_aot_trap_msg(code));
}

static const char k_bad_request[] = "native code made an invalid request to the runtime";

/* [io, io + 8n) inside the run's stack */
static int io_ok(const wm_aot_run *r, uint64_t io, uint32_t n)
{
    return (io & 7u) == 0 && io >= r->lo && io <= r->stack_top &&
           (uint64_t)n * 8u <= r->stack_top - io;
}

/* Bulk work inside a service spent the slice: the next one from the call's budget, or false
 * when there is none (the call then suspends with the request pending, re-served on resume
 * with the operands advanced past the work done). */
static int iso_more(wm_aot_run *r, wm_aot_ctx *c)
{
    uint64_t have = *r->reserve;
    if (have == 0) return 0;
    uintptr_t take = have > WM_AOT_ISO_SLICE ? WM_AOT_ISO_SLICE : (uintptr_t)have;
    *r->reserve = have - take;
    c->fuel = take;
    r->fuel_cap = take;
    return 1;
}

static wm_err iso_suspend(wm_aot_run *r, wm_error *err)
{
    r->status = WM_AOT_SUSPEND;
    return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");
}

/* memory.grow, never past the reservation (the regions must cover it exactly); the new
 * bytes zeroed in the pieces the fuel pays for (progress in the call's grow_done). */
static wm_err iso_grow(wm_aot_run *r, wm_aot_ctx *c, uint32_t delta, uintptr_t *ret, wm_error *err)
{
    wm_instance *inst = r->inst;
    wm_memory *mem = inst->mem;
    *ret = 0xFFFFFFFFu;
    if (!mem) return WM_OK;
    uint64_t nb = ((uint64_t)mem->pages + delta) * WM_PAGE;
    if (nb > mem->reserved && nb <= mem->cap) return WM_OK; /* would move the end */
    for (;;) {
        uint64_t done;
        int32_t g = wm_memory_grow_part(mem, delta, &inst->x.grow_done,
                                        wm_aot_bulk_can(c->fuel, WM_FUEL_BYTES), &done);
        if (g != WM_GROW_MORE) {
            c->fuel -= (uintptr_t)(done / WM_FUEL_BYTES);
            *ret = (uint32_t)g;
            return WM_OK;
        }
        c->fuel = 0;
        if (!iso_more(r, c)) return iso_suspend(r, err);
    }
}

/* At most WM_AOT_ISO_SLICE units per switch-in, the rest back to the reserve: honest code
 * comes back through the gate (REFUEL) at least that often, so native code that does not for
 * WM_AOT_ISO_STUCK_TICKS is known to skip its fuel checks (wm_aot_tick_vector). */
static void iso_cap_slice(wm_aot_run *r, uintptr_t *fuel)
{
    if (*fuel > WM_AOT_ISO_SLICE) {
        *r->reserve += *fuel - WM_AOT_ISO_SLICE;
        *fuel = WM_AOT_ISO_SLICE;
    }
}

static wm_err serve_call(wm_aot_run *r, wm_error *err, const wm_func *f, uint64_t io)
{
    const wm_functype *t = f->type;
    uint32_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
    if (n != 0 && !io_ok(r, io, n)) return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
    r->req_func = f;
    r->req_io = (uint64_t *)(uintptr_t)io;
    r->status = WM_AOT_CALL;
    wm_err e = wm_aot_serve_call(r, err); /* blocked: pending, made again on resume */
    if (e == WM_ERR_OUT_OF_FUEL) {        /* served, but it charged more than was left */
        r->pending = 0;
        wm_aot_iso_ret(r, 0);
    }
    if (e != WM_OK) return e;
    iso_cap_slice(r, &ai_of(r->inst)->ctx.fuel);
    r->fuel_cap = ai_of(r->inst)->ctx.fuel;
    return WM_OK;
}

/* Serves r's pending request on this (the runtime's) stack. WM_OK: served, switch back in
 * (or, after DONE, the call is over); anything else ends or suspends the call. */
static wm_err iso_serve(wm_aot_run *r, wm_error *err)
{
    wm_instance *inst = r->inst;
    wm_aot_inst *ai = ai_of(inst);
    wm_aot_ctx *c = &ai->ctx;
    const wm_module *m = inst->mod;
    const uint64_t *a = r->a;
    uintptr_t ret = 0;
    uint32_t t;
    switch (r->svc) {
    case WM_AOT_SVC_DONE:
        r->slice = c->fuel;
        r->status = WM_AOT_DONE;
        r->pending = 0;
        return WM_OK;
    case WM_AOT_SVC_TRAP:
        c->fuel = a[1] > r->fuel_cap ? r->fuel_cap : (uintptr_t)a[1];
        return trap_code(r, err, a[0] < WM_AOT_TRAP_COUNT ? (uint32_t)a[0] : 0u);
    case WM_AOT_SVC_REFUEL: { /* as wm_aot_refuel; suspended, it is served again */
        intptr_t fl = (intptr_t)(uintptr_t)a[0];
        uint64_t have = *r->reserve;
        if (fl >= 0) { /* bulk work wants more: suspends once when there is none */
            if (have == 0 && !r->refuel_waited) {
                r->refuel_waited = 1;
                return iso_suspend(r, err);
            }
            ret = have > WM_AOT_ISO_SLICE ? WM_AOT_ISO_SLICE : (uintptr_t)have;
            *r->reserve = have - ret;
        } else { /* a check point owes -fl */
            uint64_t want = (uint64_t)WM_AOT_ISO_SLICE + (uint64_t) - (int64_t)fl;
            uintptr_t take = have > want ? (uintptr_t)want : (uintptr_t)have;
            *r->reserve = have - take;
            fl += (intptr_t)take;
            if (fl < 0) {
                r->a[0] = (uint64_t)(uintptr_t)fl;
                return iso_suspend(r, err);
            }
            ret = (uintptr_t)fl;
        }
        r->refuel_waited = 0;
        r->fuel_cap = ret;
        break;
    }
    case WM_AOT_SVC_CALL: {
        if (a[0] >= m->nfuncs) return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        wm_err e = serve_call(r, err, inst->funcs[a[0]], a[1]);
        if (e != WM_OK) return e;
        break;
    }
    case WM_AOT_SVC_CALL_REF: {
        if (a[1] >= m->ntypes || !ref_ok(inst, a[0]))
            return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        const wm_func *f = (const wm_func *)(uintptr_t)a[0];
        if (!f) return trap_code(r, err, WM_AOT_TRAP_UNINIT_ELEM);
        if (!wm_functype_eq(f->type, &m->types[a[1]]))
            return trap_code(r, err, WM_AOT_TRAP_SIG_MISMATCH);
        wm_err e = serve_call(r, err, f, a[2]);
        if (e != WM_OK) return e;
        break;
    }
    case WM_AOT_SVC_MEM_GROW: {
        wm_err e = iso_grow(r, c, (uint32_t)a[0], &ret, err);
        if (e != WM_OK) return e;
        break;
    }
    case WM_AOT_SVC_MEM_INIT: /* in pieces, the pending request's operands advanced */
        if (a[0] >= m->ndatas || !inst->mem) return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        for (;;) {
            uint32_t n = (uint32_t)r->a[3], p = wm_aot_bulk_pays(c->fuel, n, WM_FUEL_BYTES);
            t = wm_aot_op_mem_init(inst, (uint32_t)a[0], (uint32_t)r->a[1], (uint32_t)r->a[2], n,
                                   p);
            if (t) return trap_code(r, err, t);
            c->fuel = wm_aot_bulk_paid(c->fuel, n, p, WM_FUEL_BYTES);
            if (p == n) break;
            r->a[1] += p;
            r->a[2] += p;
            r->a[3] -= p;
            if (!iso_more(r, c)) return iso_suspend(r, err);
        }
        break;
    case WM_AOT_SVC_DATA_DROP:
        if (a[0] >= m->ndatas) return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        inst->data_dropped[a[0]] = 1;
        break;
    case WM_AOT_SVC_TABLE_INIT:
        if (a[0] >= m->ntables || a[1] >= m->nelems)
            return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        t = wm_aot_op_table_init(inst, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2],
                                 (uint32_t)a[3], (uint32_t)a[4]);
        if (t) return trap_code(r, err, t);
        break;
    case WM_AOT_SVC_ELEM_DROP:
        if (a[0] >= m->nelems) return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        inst->elem_dropped[a[0]] = 1;
        break;
    case WM_AOT_SVC_TABLE_COPY:
        if (a[0] >= m->ntables || a[1] >= m->ntables)
            return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        for (;;) {
            uint32_t d = (uint32_t)r->a[2], s = (uint32_t)r->a[3], n = (uint32_t)r->a[4];
            uint32_t n0 = n, p = wm_aot_bulk_pays(c->fuel, n, WM_FUEL_ELEMS);
            t = wm_aot_op_table_copy(inst, (uint32_t)a[0], (uint32_t)a[1], &d, &s, &n, p);
            if (t) return trap_code(r, err, t);
            c->fuel = wm_aot_bulk_paid(c->fuel, n0, p, WM_FUEL_ELEMS);
            if (n == 0) break;
            r->a[2] = d;
            r->a[3] = s;
            r->a[4] = n;
            if (!iso_more(r, c)) return iso_suspend(r, err);
        }
        break;
    case WM_AOT_SVC_TABLE_GROW: {
        if (a[0] >= m->ntables || (inst->tables[a[0]]->elem == WM_FUNCREF && !ref_ok(inst, a[1])))
            return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        for (;;) {
            uint64_t done;
            int32_t g =
                wm_table_grow_part(inst->tables[a[0]], (uint32_t)a[2], a[1], &inst->x.grow_done,
                                   wm_aot_bulk_can(c->fuel, WM_FUEL_ELEMS), &done);
            if (g != WM_GROW_MORE) {
                c->fuel -= (uintptr_t)(done / WM_FUEL_ELEMS);
                ret = (uint32_t)g;
                break;
            }
            c->fuel = 0;
            if (!iso_more(r, c)) return iso_suspend(r, err);
        }
        break;
    }
    case WM_AOT_SVC_TABLE_FILL:
        if (a[0] >= m->ntables || (inst->tables[a[0]]->elem == WM_FUNCREF && !ref_ok(inst, a[2])))
            return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
        for (;;) {
            uint32_t n = (uint32_t)r->a[3], p = wm_aot_bulk_pays(c->fuel, n, WM_FUEL_ELEMS);
            t = wm_aot_op_table_fill(inst, (uint32_t)a[0], (uint32_t)r->a[1], a[2], n, p);
            if (t) return trap_code(r, err, t);
            c->fuel = wm_aot_bulk_paid(c->fuel, n, p, WM_FUEL_ELEMS);
            if (p == n) break;
            r->a[1] += p;
            r->a[3] -= p;
            if (!iso_more(r, c)) return iso_suspend(r, err);
        }
        break;
    default: return iso_trap(r, err, WM_ERR_TRAP, k_bad_request);
    }
    r->pending = 0;
    wm_aot_iso_ret(r, ret);
    return WM_OK;
}

/* Runs r until the call ends, traps or suspends. */
static wm_err iso_drive(wm_aot_run *r, wm_error *err)
{
    wm_instance *inst = r->inst;
    wm_aot_inst *ai = ai_of(inst);
    wm_aot_iso_inst *iso = ai->iso;
    for (;;) {
        if (r->pending) {
            wm_err e = iso_serve(r, err);
            if (e != WM_OK || r->status == WM_AOT_DONE) return e;
        }
        wm_aot_enter(&ai->ctx, r);
        uint32_t bytes = inst->mem ? inst->mem->bytes : 0;
        if ((bytes != iso->map_bytes || !iso->map_ok) && iso_map(inst, ai) != 0)
            return iso_trap(r, err, WM_ERR_TRAP,
                            "aot: the MPU cannot cover the instance's code, stack and memory");
        sync_in(inst, ai, r);
        r->status = WM_AOT_RUNNING;
        wm_aot_iso_enter(r, &iso->map);
        int bad = sync_out(inst, ai, r);
        uint32_t svc = 0;
        uint64_t a[5];
        if (wm_aot_iso_request(r, &svc, a, iso->msg, sizeof iso->msg) != 0)
            return iso_trap(r, err, WM_ERR_TRAP, iso->msg);
        if (bad)
            return iso_trap(r, err, WM_ERR_TRAP,
                            "native code stored an invalid function reference");
        r->svc = svc;
        wm_memcpy(r->a, a, sizeof a);
        r->pending = 1;
        r->refuel_waited = 0;
    }
}

static wm_err iso_call(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
                       wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err)
{
    if (f->inst != inst)
        return wm_fail(err, WM_ERR_STATE, NULL, NULL,
                       "aot: isolated native code runs only on its own instance");
    wm_exec *x = &inst->x;
    wm_aot_inst *ai = ai_of(inst);
    wm_aot_iso_inst *iso = ai->iso;
    const wm_functype *t = f->type;
    wm_aot_entry entry = wm_aot_entry_of(f);
    if (!entry) return wm_fail(err, WM_ERR_STATE, NULL, NULL, "aot: function has no entry");
    bool nested = x->state == WM_RUNNING;
    uint32_t nio = nargs > t->nresults ? nargs : t->nresults;
    wm_aot_run local;
    wm_aot_run *r;
    uintptr_t lo = up(iso->stack_lo, 16), top;
    if (!nested) { /* the record is the instance's, out of native code's reach */
        r = &iso->top;
        top = down(iso->stack_hi, 16);
    } else if (x->native_run) { /* below the parked native caller, with a gap */
        r = &local;
        top = down(wm_aot_iso_sp((const wm_aot_run *)x->native_run) - 256u, 16);
    } else {
        return wm_fail(err, WM_ERR_STATE, NULL, NULL, "aot: bad state of native code");
    }
    uint64_t *io = (uint64_t *)(void *)down(top - 8u * (nio + 1u), 16);
    if ((uintptr_t)io < lo + 512u || top < lo)
        return wm_trap_err(err, WM_ERR_EXHAUSTION, "call stack exhausted");
    wm_exec saved;
    wm_memcpy(&saved, x, sizeof saved);
    for (uint32_t i = 0; i < nargs; i++) io[i] = wm_val_to_slot(&args[i]);
    wm_aot_run_init(r, inst, &ai->ctx, entry, io, lo, (uintptr_t)io, nested);
    r->stack_top = top;
    r->iso = 1;
    wm_aot_iso_start(r, entry, iso->uctx);
    x->fuel = fuel;
    x->owed = 0;
    x->grow_done = 0;
    wm_aot_slice_from_reserve(r->entry_ctx, r);
    iso_cap_slice(r, &r->entry_ctx->fuel);
    r->fuel_cap = r->entry_ctx->fuel;
    wm_aot_exec_begin(inst, r, t, inst->mod->native);
    wm_err e = iso_drive(r, err);
    wm_aot_asan_forget_ended(r, e, nested);
    return wm_aot_finish(inst, r, e, &saved, nested, results, nresults);
}

static wm_err iso_resume(wm_instance *inst, uint64_t fuel, wm_val *results, uint32_t nresults,
                         wm_error *err)
{
    wm_exec *x = &inst->x;
    wm_aot_run *r = (wm_aot_run *)x->native_run;
    x->fuel = fuel;
    x->state = WM_RUNNING;
    wm_err e = iso_drive(r, err);
    wm_aot_asan_forget_ended(r, e, false);
    return wm_aot_finish(inst, r, e, x, false, results, nresults);
}

const wm_native_ops wm_aot_native_ops_iso = {wm_aot_instantiate_hook, iso_call, iso_resume,
                                             wm_aot_iso_granule};

#else /* no isolation in this build */

static int code_coverable(const uint8_t *code)
{
    (void)code;
    return 1;
}

const wm_native_ops wm_aot_native_ops_iso = {wm_aot_instantiate_hook, NULL, NULL, NULL};

wm_err wm_aot_iso_instantiate(wm_arena *arena, wm_instance *inst, wm_aot_inst *ai, wm_error *err)
{
    (void)arena;
    (void)inst;
    (void)ai;
    return wm_fail(err, WM_ERR_INVALID, NULL, NULL, "aot: no isolation in this build");
}

int wm_aot_isolation_init(void) { return 0; }

int wm_aot_isolation(void) { return 0; }

#endif

static wm_err attach_isolated(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                              uint16_t abi, unsigned how, wm_error *err)
{
    if (wm_aot_isolation() == 0)
        return wm_fail(err, WM_ERR_INVALID, NULL, NULL,
                       "aot: this runtime cannot isolate native code (no MPU set up)");
    wm_err e = wm_aot_bind(mod, code, len, arch, abi, WM_AOT_BIND_ISOLATED | how, err);
    if (e != WM_OK) return e;
    /* The code's regions depend only on where the section lies: a section they cannot cover
     * (too large for two regions at this address) is refused here, where the caller can
     * still interpret the module, not at its first call. */
    if (!code_coverable(code)) {
        mod->native = NULL;
        mod->native_code = NULL;
        return wm_fail(err, WM_ERR_LIMIT, NULL, NULL,
                       "aot: the MPU cannot cover this native code where it is stored");
    }
    return WM_OK;
}

wm_err wm_aot_attach_isolated(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                              uint16_t abi, wm_error *err)
{
    return attach_isolated(mod, code, len, arch, abi, 0, err);
}

wm_err wm_aot_attach_isolated_committed(wm_module *mod, const uint8_t *code, size_t len,
                                        uint8_t arch, uint16_t abi, wm_error *err)
{
    return attach_isolated(mod, code, len, arch, abi, WM_AOT_BIND_COMMITTED, err);
}
