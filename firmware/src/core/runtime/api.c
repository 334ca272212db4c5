/* api.c - calling exports (with fuel, suspension and re-entrancy) and introspection. */
#include "wm_internal.h"

static bool find_n(const wm_instance *inst, const char *name, size_t n, wm_exportdef const **out)
{
    const wm_module *m = inst->mod;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].len == n && !wm_memcmp(m->exports[i].name, name, n)) {
            *out = &m->exports[i];
            return true;
        }
    return false;
}

static wm_extern ext_of(const wm_instance *inst, const wm_exportdef *x)
{
    wm_extern e;
    e.kind = x->kind;
    switch (x->kind) {
    case WM_EXTERN_FUNC: e.of.func = inst->funcs[x->index]; break;
    case WM_EXTERN_TABLE: e.of.table = inst->tables[x->index]; break;
    case WM_EXTERN_MEMORY: e.of.memory = inst->mem; break;
    default: e.of.global = inst->globals[x->index]; break;
    }
    return e;
}

static bool find(const wm_instance *inst, const char *name, wm_exportdef const **out)
{
    return find_n(inst, name, wm_strlen(name), out);
}

wm_err wm_export_n(const wm_instance *inst, const char *name, size_t len, wm_extern *out)
{
    const wm_exportdef *x;
    if (!find_n(inst, name, len, &x)) return WM_ERR_NOT_FOUND;
    *out = ext_of(inst, x);
    return WM_OK;
}

wm_err wm_export(const wm_instance *inst, const char *name, wm_extern *out)
{
    const wm_exportdef *x;
    if (!find(inst, name, &x)) return WM_ERR_NOT_FOUND;
    *out = ext_of(inst, x);
    return WM_OK;
}

uint32_t wm_export_count(const wm_instance *inst) { return inst->mod->nexports; }

wm_err wm_export_at(const wm_instance *inst, uint32_t i, const char **name, uint32_t *name_len,
                    wm_extern *out)
{
    if (i >= inst->mod->nexports) return WM_ERR_NOT_FOUND;
    const wm_exportdef *x = &inst->mod->exports[i];
    *name = (const char *)x->name;
    *name_len = x->len;
    *out = ext_of(inst, x);
    return WM_OK;
}

void wm_func_sig(const wm_func *f, uint32_t *nparams, const uint8_t **params, uint32_t *nresults,
                 const uint8_t **results)
{
    *nparams = f->type->nparams;
    *params = f->type->params;
    *nresults = f->type->nresults;
    *results = f->type->results;
}

wm_val wm_global_value(const wm_global *g)
{
    wm_val v;
    wm_slot_to_val(g->type, g->val, &v);
    return v;
}

wm_err wm_global_get(const wm_instance *inst, const char *name, wm_val *out)
{
    const wm_exportdef *x;
    if (!find(inst, name, &x) || x->kind != WM_EXTERN_GLOBAL) return WM_ERR_NOT_FOUND;
    *out = wm_global_value(inst->globals[x->index]);
    return WM_OK;
}

wm_memory *wm_instance_memory(const wm_instance *inst) { return inst->mem; }
uint32_t wm_memory_pages(const wm_memory *m) { return m->pages; }
uint32_t wm_memory_bytes(const wm_memory *m) { return m->bytes; }
uint8_t *wm_memory_data(wm_memory *m) { return m->data; }
uint32_t wm_table_size(const wm_table *t) { return t->size; }

uint8_t *wm_mem_ptr(wm_instance *inst, uint32_t addr, uint32_t len)
{
    wm_memory *m = inst->mem;
    if (!m || (uint64_t)addr + len > m->bytes) return NULL;
    return m->data + addr;
}

wm_err wm_trap(wm_instance *inst, const char *msg)
{
    inst->trap_msg = msg;
    return WM_ERR_TRAP;
}

uint32_t wm_trap_trace(const wm_instance *inst, const wm_trace_frame **frames)
{
    *frames = inst->trace;
    return inst->ntrace;
}

/* Collects results and brings the exec state back after a call ended (any outcome). */
static wm_err finish(wm_instance *inst, wm_err e, const wm_exec *saved, bool nested,
                     wm_val *results, uint32_t nresults)
{
    wm_exec *x = &inst->x;
    if (e == WM_OK) {
        const wm_functype *t = x->entry_type;
        for (uint32_t i = 0; i < nresults && i < t->nresults; i++)
            wm_slot_to_val(t->results[i], x->result_base[i], &results[i]);
    }
    if ((e == WM_ERR_OUT_OF_FUEL || e == WM_ERR_BLOCKED) && !nested) return e; /* suspended */
    uint64_t fuel = x->fuel;
    if (nested) {
        wm_memcpy(x, saved, sizeof *x); /* a nested call cannot stay suspended: dropped */
    } else {
        x->state = WM_IDLE;
        x->depth = 0;
        x->sp = x->fp = x->stack;
        x->func = NULL;
        x->pc = NULL;
        x->owed = 0; /* what a host function charged in the last stretch: the call is over */
        x->grow_done = 0;
    }
    x->fuel = nested ? saved->fuel : fuel;
    return e;
}

bool wm_func_of(const wm_instance *inst, const wm_func *f)
{
    if (!f) return true;
    const wm_module *m = inst->mod;
    /* compared as integers: `f` may point anywhere, not into `own` */
    uintptr_t p = (uintptr_t)f, base = (uintptr_t)inst->own;
    uint32_t nown = m->nfuncs - m->nfunc_imports;
    if (inst->own && p >= base && (p - base) % sizeof(wm_func) == 0 &&
        (p - base) / sizeof(wm_func) < nown)
        return true;
    for (uint32_t i = 0; i < m->nfunc_imports; i++)
        if (inst->funcs[i] == f) return true;
    return false;
}

wm_err wm_call(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
               wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err)
{
    wm_exec *x = &inst->x;
    const wm_functype *t = f->type;
    if (x->state == WM_SUSPENDED)
        return wm_fail(err, WM_ERR_STATE, NULL, NULL, "instance is suspended");
    if (x->state == WM_IDLE) inst->ntrace = 0; /* an outermost call: a new trace */
    if (nargs != t->nparams || nresults != t->nresults)
        return wm_fail(err, WM_ERR_ARGS, NULL, NULL, "wrong number of arguments or results");
    for (uint32_t i = 0; i < nargs; i++) {
        if (args[i].type != t->params[i])
            return wm_fail(err, WM_ERR_ARGS, NULL, NULL, "argument type mismatch");
        /* call_indirect and call_ref trust a funcref to be a wm_func: a caller must not be
         * able to hand in an arbitrary address (interpreted and native code alike). An
         * externref is an opaque word the runtime never dereferences. */
        if (args[i].type == WM_FUNCREF && !wm_func_of(f->inst ? f->inst : inst, args[i].of.func))
            return wm_fail(err, WM_ERR_ARGS, NULL, NULL,
                           "funcref argument is not null or a function of the instance");
    }
    /* called by a function of this instance, not the outermost call */
    bool nested = x->state == WM_RUNNING;
    if (f->host) { /* no wasm involved */
        wm_val res[16];
        for (uint32_t i = 0; i < t->nresults; i++) {
            res[i].type = t->results[i];
            res[i].of.i64 = 0;
        }
        inst->trap_msg = NULL;
        /* An outermost call's own fuel, as for wasm: what the function's wm_charge takes
         * from and wm_fuel_left then reports (it read the last call's, e.g. as a budget) */
        if (!nested) {
            x->fuel = fuel;
            x->owed = 0;
        }
        wm_err e = f->host->fn(inst, f->host->user, args, res);
        if (!nested) x->owed = 0; /* the call is over (finish) */
        if (e) return wm_trap_err(err, e, inst->trap_msg ? inst->trap_msg : "host function failed");
        for (uint32_t i = 0; i < nresults; i++) results[i] = res[i];
        return WM_OK;
    }
    if (f->inst && f->inst->native) /* AOT-compiled: core/aot runs it natively */
        return f->inst->mod->native->call(inst, f, args, nargs, results, nresults, fuel, err);
    wm_exec saved;
    wm_memcpy(&saved, x, sizeof saved); /* own copy: the core links no memcpy */
    uint64_t *base = nested ? x->sp : x->stack;
    if ((size_t)(x->stack_end - base) < nargs + (size_t)t->nresults)
        return wm_trap_err(err, WM_ERR_EXHAUSTION, "call stack exhausted");
    for (uint32_t i = 0; i < nargs; i++) base[i] = wm_val_to_slot(&args[i]);
    x->sp = base + nargs;
    if (!nested) {
        x->fp = x->stack;
        x->func = NULL;
        x->depth = 0;
    }
    x->pc = NULL;
    x->fuel = fuel;
    x->owed = 0;
    x->grow_done = 0;
    x->state = WM_RUNNING;
    x->result_base = base;
    x->entry_type = t;
    wm_err e = wm_run(inst, f, err);
    return finish(inst, e, &saved, nested, results, nresults);
}

wm_err wm_call_export(wm_instance *inst, const char *name, const wm_val *args, uint32_t nargs,
                      wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err)
{
    const wm_exportdef *x;
    if (!find(inst, name, &x) || x->kind != WM_EXTERN_FUNC)
        return wm_fail(err, WM_ERR_NOT_FOUND, NULL, NULL, "unknown export");
    return wm_call(inst, inst->funcs[x->index], args, nargs, results, nresults, fuel, err);
}

wm_err wm_resume(wm_instance *inst, uint64_t fuel, wm_val *results, uint32_t nresults,
                 wm_error *err)
{
    wm_exec *x = &inst->x;
    if (x->state != WM_SUSPENDED)
        return wm_fail(err, WM_ERR_STATE, NULL, NULL, "instance is not suspended");
    if (nresults != x->entry_type->nresults)
        return wm_fail(err, WM_ERR_ARGS, NULL, NULL, "wrong number of results");
    /* Fuel owed first (the call then stays suspended while it owes), fuel kept added. */
    if (x->owed > 0) {
        if (fuel < (uint64_t)x->owed) {
            x->owed -= (int64_t)fuel;
            return wm_trap_err(err, WM_ERR_OUT_OF_FUEL, "out of fuel");
        }
        fuel -= (uint64_t)x->owed;
    } else if (x->owed < 0) {
        uint64_t kept = (uint64_t)-x->owed;
        fuel = fuel > UINT64_MAX - kept ? UINT64_MAX : fuel + kept;
    }
    x->owed = 0;
    if (x->native_ops) return x->native_ops->resume(inst, fuel, results, nresults, err);
    x->fuel = fuel;
    x->state = WM_RUNNING;
    wm_err e = wm_run(inst, NULL, err);
    return finish(inst, e, x, false, results, nresults);
}

bool wm_suspended(const wm_instance *inst) { return inst->x.state == WM_SUSPENDED; }

void wm_abort(wm_instance *inst)
{
    wm_exec *x = &inst->x;
    x->retry = NULL;
    x->owed = 0;
    x->grow_done = 0;
    x->native_ops = NULL;
    x->native_run = NULL;
    x->state = WM_IDLE;
    x->depth = 0;
    x->sp = x->fp = x->stack;
    x->func = NULL;
    x->pc = NULL;
}

uint64_t wm_fuel_left(const wm_instance *inst) { return inst->x.fuel; }

/* The interpreter reads x->fuel at every check point, so zero fuel is a yield request. */
void wm_yield(wm_instance *inst) { inst->x.fuel = 0; }

uint64_t wm_charge(wm_instance *inst, uint64_t units)
{
    wm_exec *x = &inst->x;
    if (x->fuel >= units) {
        x->fuel -= units;
        return 0;
    }
    /* owed: the next check point suspends the call and the next slices repay it first */
    uint64_t more = units - x->fuel, room = (uint64_t)INT64_MAX - (uint64_t)x->owed;
    x->owed += (int64_t)(more < room ? more : room);
    x->fuel = 0;
    return more;
}
