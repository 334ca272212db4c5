/* instance.c - host objects, the linker, and instantiation (2.0 semantics: segments are
 * applied in order and a trapping one leaves earlier writes in place). */
#include "wm_internal.h"

#define TRY(x)             \
    do {                   \
        wm_err e_ = (x);   \
        if (e_) return e_; \
    } while (0)

void wm_limits_default(wm_limits *l)
{
    l->stack_slots = 16384;
    l->call_depth = 1024;
    l->mem_cap_bytes = 64u * 1024 * 1024;
    l->table_cap = 1024;
    l->mem_reserve = 1024u * 1024;
    l->start_fuel = WM_FUEL_UNLIMITED;
}

static wm_err nomem(wm_error *err)
{
    return wm_fail(err, WM_ERR_NO_MEMORY, NULL, NULL, "out of memory");
}

static uint8_t sig_letter(char c)
{
    switch (c) {
    case 'i': return WM_I32;
    case 'I': return WM_I64;
    case 'f': return WM_F32;
    case 'F': return WM_F64;
    case 'r': return WM_FUNCREF;
    case 'e': return WM_EXTERNREF;
    default: return 0;
    }
}

wm_err wm_host_func_new(wm_arena *arena, const wm_host_func *hf, const wm_func **out)
{
    size_t n = wm_strlen(hf->sig), colon = n;
    for (size_t i = 0; i < n; i++)
        if (hf->sig[i] == ':') {
            colon = i;
            break;
        }
    if (colon == n || colon > 16 || n - colon - 1 > 16) return WM_ERR_ARGS;
    wm_func *f = (wm_func *)wm_arena_alloc(arena, sizeof(wm_func), 8);
    wm_functype *t = (wm_functype *)wm_arena_alloc(arena, sizeof(wm_functype), 8);
    uint8_t *types = (uint8_t *)wm_arena_alloc(arena, n + 1, 1);
    if (!f || !t || !types) return WM_ERR_NO_MEMORY;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == colon) continue;
        types[k] = sig_letter(hf->sig[i]);
        if (!types[k]) return WM_ERR_ARGS;
        k++;
    }
    t->nparams = (uint32_t)colon;
    t->params = types;
    t->nresults = (uint32_t)(n - colon - 1);
    t->results = types + colon;
    f->type = t;
    f->inst = NULL;
    f->def = NULL;
    f->host = hf;
    *out = f;
    return WM_OK;
}

wm_err wm_global_new(wm_arena *arena, wm_val init, bool mutable_, wm_global **out)
{
    wm_global *g = (wm_global *)wm_arena_alloc(arena, sizeof(wm_global), 8);
    if (!g) return WM_ERR_NO_MEMORY;
    g->type = init.type;
    g->mut = mutable_;
    g->val = wm_val_to_slot(&init);
    *out = g;
    return WM_OK;
}

static wm_err table_make(wm_arena *arena, wm_work *work, uint8_t elem, uint32_t min, uint32_t max,
                         uint32_t cap, wm_table **out)
{
    uint32_t reserve = max < cap ? max : cap;
    if (reserve < min) reserve = min;
    if ((uint64_t)reserve * sizeof(uint64_t) > SIZE_MAX / 2) return WM_ERR_NO_MEMORY;
    wm_table *t = (wm_table *)wm_arena_alloc(arena, sizeof(wm_table), 8);
    if (!t) return WM_ERR_NO_MEMORY;
    t->elems = (uint64_t *)wm_arena_alloc(arena, (size_t)reserve * sizeof(uint64_t) + 1, 8);
    if (!t->elems) return WM_ERR_NO_MEMORY;
    t->elem = elem;
    t->size = min;
    t->max = max;
    t->cap = reserve;
    for (uint32_t i = 0; i < min; i++) {
        t->elems[i] = 0;
        if ((i & 1023u) == 1023u) wm_work_charge(work, 64u); /* ~3 instructions a slot */
    }
    *out = t;
    return WM_OK;
}

wm_err wm_table_new(wm_arena *arena, uint8_t elem_type, uint32_t min, uint32_t max, wm_table **out)
{
    return table_make(arena, NULL, elem_type, min, max, max != WM_NONE ? max : min, out);
}

/* Alignment and size granule of a block native code owns (8: no requirement). */
static size_t granule_of(const wm_module *mod, uint64_t bytes)
{
    size_t g = mod && mod->native && mod->native->granule ? mod->native->granule(bytes) : 8;
    return g < 8 ? 8 : g;
}

static uint64_t round_up(uint64_t v, size_t g) { return (v + g - 1) & ~(uint64_t)(g - 1); }

static wm_err memory_make(wm_arena *arena, uint32_t min_pages, uint32_t max_pages,
                          uint32_t cap_bytes, uint64_t slack, const wm_module *mod, wm_memory **out)
{
    if (min_pages > WM_MAX_PAGES) return WM_ERR_LIMIT;
    wm_memory *m = (wm_memory *)wm_arena_alloc(arena, sizeof(wm_memory), 8);
    if (!m) return WM_ERR_NO_MEMORY;
    uint64_t lim = max_pages == WM_NONE ? WM_MAX_PAGES : max_pages;
    uint64_t want = (uint64_t)min_pages * WM_PAGE;
    uint64_t reserve = want + slack;
    if (reserve > lim * WM_PAGE) reserve = lim * WM_PAGE;
    if (reserve > cap_bytes) reserve = cap_bytes;
    if (want > cap_bytes) want = cap_bytes;
    size_t g = granule_of(mod, reserve);
    if (reserve > SIZE_MAX - 16 - g) return WM_ERR_NO_MEMORY;
    reserve = round_up(reserve, g);
    m->data = (uint8_t *)wm_arena_alloc(arena, (size_t)reserve, g);
    if (!m->data) return WM_ERR_NO_MEMORY;
    /* zeroed a piece at a time, charged to the install's meter: a module may start with
     * all the RAM its limit allows (~1 Cortex-M4 instruction a byte: 2.6 M for 2.5 MiB) */
    for (size_t done = 0; done < (size_t)want;) {
        size_t n = (size_t)want - done < 16384u ? (size_t)want - done : 16384u;
        wm_memset(m->data + done, 0, n);
        done += n;
        wm_work_charge(mod != NULL ? mod->work : NULL, (uint32_t)(n / 16u));
    }
    m->pages = min_pages;
    m->max_pages = (uint32_t)lim;
    m->bytes = (uint32_t)want;
    m->cap = cap_bytes;
    m->reserved = reserve;
    m->arena = arena;
    m->has_max = max_pages != WM_NONE;
    *out = m;
    return WM_OK;
}

wm_err wm_memory_new(wm_arena *arena, uint32_t min_pages, uint32_t max_pages, uint32_t cap_bytes,
                     wm_memory **out)
{
    uint64_t lim = max_pages == WM_NONE ? min_pages : max_pages;
    return memory_make(arena, min_pages, max_pages, cap_bytes,
                       (lim - min_pages) * (uint64_t)WM_PAGE, NULL, out);
}

int32_t wm_memory_grow_part(wm_memory *m, uint32_t delta, uint64_t *zeroed, uint64_t max,
                            uint64_t *done)
{
    uint32_t old = m->pages;
    *done = 0;
    if (delta == 0) return (int32_t)old;
    uint64_t np = (uint64_t)old + delta;
    uint64_t nb = np * WM_PAGE;
    /* the byte budget is a hard limit */
    if (np > m->max_pages || nb > m->cap) {
        *zeroed = 0;
        return -1;
    }
    if (nb > m->reserved) {
        wm_arena *a = m->arena;
        uint64_t extra = nb - m->reserved;
        /* extend in place only while this memory is the arena's last allocation */
        if (m->data + m->reserved != a->base + a->used || extra > a->size - a->used) {
            *zeroed = 0;
            return -1;
        }
        a->used += (size_t)extra;
        m->reserved = nb;
    }
    /* the new bytes were never accessible (or, with MPU-isolated native code that has no
     * bounds checks, may have been written past the end): zeroed, in pieces */
    uint64_t left = nb - m->bytes - *zeroed;
    uint64_t step = left < max ? left : max;
    wm_memset(m->data + m->bytes + *zeroed, 0, (size_t)step);
    *done = step;
    if (step < left) {
        *zeroed += step;
        return WM_GROW_MORE;
    }
    *zeroed = 0;
    m->pages = (uint32_t)np;
    m->bytes = (uint32_t)nb;
    return (int32_t)old;
}

int32_t wm_memory_grow(wm_memory *m, uint32_t delta)
{
    uint64_t zeroed = 0, done;
    return wm_memory_grow_part(m, delta, &zeroed, UINT64_MAX, &done);
}

int32_t wm_table_grow_part(wm_table *t, uint32_t delta, uint64_t init, uint64_t *set, uint64_t max,
                           uint64_t *done)
{
    uint32_t old = t->size;
    uint64_t ns = (uint64_t)old + delta;
    *done = 0;
    if (ns > t->max || ns > t->cap) {
        *set = 0;
        return -1;
    }
    uint64_t left = delta - *set, step = left < max ? left : max;
    for (uint64_t i = 0; i < step; i++) t->elems[old + *set + i] = init;
    *done = step;
    if (step < left) {
        *set += step;
        return WM_GROW_MORE;
    }
    *set = 0;
    t->size = (uint32_t)ns;
    return (int32_t)old;
}

int32_t wm_table_grow(wm_table *t, uint32_t delta, uint64_t init)
{
    uint64_t set = 0, done;
    return wm_table_grow_part(t, delta, init, &set, UINT64_MAX, &done);
}

/* ---- linker ---- */

void wm_linker_init(wm_linker *l, wm_arena *arena)
{
    l->arena = arena;
    l->head = NULL;
}

static wm_err link_add(wm_linker *l, const char *module, const char *name, wm_instance *inst,
                       wm_extern ext)
{
    wm_link_entry *e = (wm_link_entry *)wm_arena_alloc(l->arena, sizeof(wm_link_entry), 8);
    if (!e) return WM_ERR_NO_MEMORY;
    e->module = module;
    e->name = name;
    e->inst = inst;
    wm_memcpy(&e->ext, &ext, sizeof ext);
    e->next = l->head;
    l->head = e;
    return WM_OK;
}

wm_err wm_linker_add(wm_linker *l, const char *module, const char *name, wm_extern ext)
{
    return link_add(l, module, name, NULL, ext);
}

wm_err wm_linker_add_host(wm_linker *l, const wm_host_func *hf)
{
    wm_extern ext;
    ext.kind = WM_EXTERN_FUNC;
    TRY(wm_host_func_new(l->arena, hf, &ext.of.func));
    return link_add(l, hf->module, hf->name, NULL, ext);
}

wm_err wm_linker_add_instance(wm_linker *l, const char *as, wm_instance *inst)
{
    wm_extern none;
    none.kind = 0;
    none.of.func = NULL;
    return link_add(l, as, NULL, inst, none);
}

static wm_extern export_of(const wm_instance *inst, const wm_exportdef *x)
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

static bool find_export(const wm_instance *inst, const uint8_t *name, uint32_t len, wm_extern *out)
{
    const wm_module *m = inst->mod;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].len == len && !wm_memcmp(m->exports[i].name, name, len)) {
            *out = export_of(inst, &m->exports[i]);
            return true;
        }
    return false;
}

static bool resolve(const wm_linker *l, const wm_import *im, wm_extern *out)
{
    /* A host entry's name is compared before its module: the sandbox's entries share a few
     * long module names, so the module first cost ~23 byte compares an entry. */
    for (const wm_link_entry *e = l ? l->head : NULL; e; e = e->next) {
        if (!e->inst && !wm_streq_n(e->name, im->name, im->name_len)) continue;
        if (!wm_streq_n(e->module, im->mod, im->mod_len)) continue;
        if (e->inst) {
            if (find_export(e->inst, im->name, im->name_len, out)) return true;
        } else {
            *out = e->ext;
            return true;
        }
    }
    return false;
}

static bool limits_ok(uint32_t have_min, uint32_t have_max, uint32_t want_min, uint32_t want_max)
{
    if (have_min < want_min) return false;
    if (want_max == WM_NONE) return true;
    return have_max != WM_NONE && have_max <= want_max;
}

uint64_t wm_eval_const(const wm_instance *inst, const uint8_t **expr)
{
    const uint8_t *p = *expr;
    uint8_t op = *p++;
    uint64_t v = 0;
    switch (op) {
    case 0x41: v = (uint32_t)wm_fast_s32(&p); break;
    case 0x42: v = (uint64_t)wm_fast_s64(&p); break;
    case 0x43:
        v = wm_ld32(p);
        p += 4;
        break;
    case 0x44:
        v = wm_ld64(p);
        p += 8;
        break;
    case 0xD0:
        p++;
        v = 0;
        break;
    case 0xD2: v = (uint64_t)(uintptr_t)inst->funcs[wm_fast_u32(&p)]; break;
    case 0x23: v = inst->globals[wm_fast_u32(&p)]->val; break;
    default: break;
    }
    p++; /* end */
    *expr = p;
    return v;
}

wm_err wm_table_init_op(wm_instance *inst, wm_table *t, uint32_t seg, uint32_t dst, uint32_t src,
                        uint32_t n, wm_work *work)
{
    const wm_elemseg *s = &inst->mod->elems[seg];
    uint32_t count = inst->elem_dropped[seg] ? 0 : s->count;
    if ((uint64_t)src + n > count || (uint64_t)dst + n > t->size) return WM_ERR_TRAP;
    const uint8_t *p = s->items;
    for (uint32_t i = 0; i < src + n; i++) {
        uint64_t v;
        if (s->exprs)
            v = wm_eval_const(inst, &p);
        else
            v = (uint64_t)(uintptr_t)inst->funcs[wm_fast_u32(&p)];
        if (i >= src) t->elems[dst + i - src] = v;
        if ((i & 255u) == 255u) wm_work_charge(work, 512u); /* ~35 instructions an item */
    }
    return WM_OK;
}

static wm_err unlinkable(wm_error *err, const wm_module *m, const wm_import *im, const char *msg)
{
    return wm_fail(err, WM_ERR_UNLINKABLE, m->bytes, im->mod, msg);
}

wm_err wm_instantiate(wm_arena *arena, const wm_module *mod, const wm_linker *linker,
                      const wm_limits *limits, wm_instance **out, wm_error *err)
{
    wm_limits deflim;
    if (!limits) {
        wm_limits_default(&deflim);
        limits = &deflim;
    }
    *out = NULL;
    wm_instance *inst = (wm_instance *)wm_arena_alloc(arena, sizeof(wm_instance), 8);
    if (!inst) return nomem(err);
    wm_memset(inst, 0, sizeof *inst);
    inst->mod = mod;
    inst->funcs = (const wm_func **)wm_arena_alloc(arena, (mod->nfuncs + 1) * sizeof(void *), 8);
    inst->own = (wm_func *)wm_arena_alloc(
        arena, (mod->nfuncs - mod->nfunc_imports + 1) * sizeof(wm_func), 8);
    inst->tables = (wm_table **)wm_arena_alloc(arena, (mod->ntables + 1) * sizeof(void *), 8);
    inst->globals = (wm_global **)wm_arena_alloc(arena, (mod->nglobals + 1) * sizeof(void *), 8);
    inst->elem_dropped = (uint8_t *)wm_arena_alloc(arena, mod->nelems + 1, 1);
    inst->data_dropped = (uint8_t *)wm_arena_alloc(arena, mod->ndatas + 1, 1);
    if (!inst->funcs || !inst->own || !inst->tables || !inst->globals || !inst->elem_dropped ||
        !inst->data_dropped)
        return nomem(err);
    wm_memset(inst->elem_dropped, 0, mod->nelems);
    wm_memset(inst->data_dropped, 0, mod->ndatas);

    /* imports */
    for (uint32_t i = 0; i < mod->nimports; i++) {
        const wm_import *im = &mod->imports[i];
        wm_extern e;
        if (!resolve(linker, im, &e)) return unlinkable(err, mod, im, "unknown import");
        if (e.kind != im->kind) return unlinkable(err, mod, im, "incompatible import type");
        switch (im->kind) {
        case WM_EXTERN_FUNC:
            if (!wm_functype_eq(e.of.func->type, &mod->types[im->d.type]))
                return unlinkable(err, mod, im, "incompatible import type");
            inst->funcs[im->index] = e.of.func;
            break;
        case WM_EXTERN_TABLE:
            if (e.of.table->elem != im->d.tt.elem ||
                !limits_ok(e.of.table->size, e.of.table->max, im->d.tt.min, im->d.tt.max))
                return unlinkable(err, mod, im, "incompatible import type");
            inst->tables[im->index] = e.of.table;
            break;
        case WM_EXTERN_MEMORY: {
            wm_memory *mm = e.of.memory;
            if (!limits_ok(mm->pages, mm->has_max ? mm->max_pages : WM_NONE, im->d.mt.min,
                           im->d.mt.max))
                return unlinkable(err, mod, im, "incompatible import type");
            inst->mem = mm;
            break;
        }
        default:
            if (e.of.global->type != im->d.gt.type || e.of.global->mut != im->d.gt.mut)
                return unlinkable(err, mod, im, "incompatible import type");
            inst->globals[im->index] = e.of.global;
            break;
        }
    }
    /* own functions */
    for (uint32_t i = mod->nfunc_imports; i < mod->nfuncs; i++) {
        wm_func *f = &inst->own[i - mod->nfunc_imports];
        f->def = &mod->funcs[i - mod->nfunc_imports];
        f->type = f->def->type;
        f->inst = inst;
        f->host = NULL;
        inst->funcs[i] = f;
    }
    /* globals (initialisers may read imported globals and take function references) */
    for (uint32_t i = mod->nglobal_imports; i < mod->nglobals; i++) {
        wm_global *g = (wm_global *)wm_arena_alloc(arena, sizeof(wm_global), 8);
        if (!g) return nomem(err);
        const uint8_t *p = mod->globals[i].init;
        g->type = mod->globals[i].type;
        g->mut = mod->globals[i].mut;
        g->val = wm_eval_const(inst, &p);
        inst->globals[i] = g;
        wm_work_charge(mod->work, WM_WORK_ITEM_UNITS);
    }
    for (uint32_t i = mod->ntable_imports; i < mod->ntables; i++) {
        const wm_tabletype *tt = &mod->tables[i];
        uint32_t cap = limits->table_cap > tt->min ? limits->table_cap : tt->min;
        if (table_make(arena, mod->work, tt->elem, tt->min, tt->max, cap, &inst->tables[i]) !=
            WM_OK)
            return nomem(err);
        wm_work_charge(mod->work, WM_WORK_ITEM_UNITS);
    }
    /* stacks */
    wm_exec *x = &inst->x;
    if ((uint64_t)limits->stack_slots * 8 + 8 > SIZE_MAX / 2 ||
        (uint64_t)limits->call_depth * sizeof(wm_frame) + 8 > SIZE_MAX / 2)
        return nomem(err);
    uint64_t sbytes = (uint64_t)limits->stack_slots * 8 + 8;
    size_t sg = granule_of(mod, sbytes);
    x->stack = (uint64_t *)wm_arena_alloc(arena, (size_t)round_up(sbytes, sg), sg);
    x->frames =
        (wm_frame *)wm_arena_alloc(arena, (size_t)limits->call_depth * sizeof(wm_frame) + 8, 8);
    if (!x->stack || !x->frames) return nomem(err);
    x->stack_end = x->stack + limits->stack_slots;
    x->max_frames = limits->call_depth;
    x->sp = x->fp = x->stack;
    if (mod->native) { /* native code's per-instance state, before the memory (see below) */
        wm_err e = mod->native->instantiate(arena, inst, err);
        if (e) return e;
    }
    /* memory last, so that it can grow in place at the arena's top */
    if (mod->nmems > mod->nmem_imports) {
        const wm_memtype *mt = &mod->mems[mod->nmem_imports];
        wm_err e = memory_make(arena, mt->min, mt->max, limits->mem_cap_bytes, limits->mem_reserve,
                               mod, &inst->mem);
        if (e) return wm_fail(err, e, NULL, NULL, "out of memory");
    }
    /* active and declarative element segments, in order */
    for (uint32_t i = 0; i < mod->nelems; i++) {
        const wm_elemseg *s = &mod->elems[i];
        if (s->mode == WM_SEG_ACTIVE) {
            const uint8_t *p = s->offset;
            uint32_t off = (uint32_t)wm_eval_const(inst, &p);
            if (wm_table_init_op(inst, inst->tables[s->table], i, off, 0, s->count, mod->work) !=
                WM_OK) {
                return wm_trap_err(err, WM_ERR_TRAP, "out of bounds table access");
            }
        }
        if (s->mode != WM_SEG_PASSIVE) inst->elem_dropped[i] = 1;
        wm_work_charge(mod->work, WM_WORK_ITEM_UNITS);
    }
    for (uint32_t i = 0; i < mod->ndatas; i++) {
        const wm_dataseg *s = &mod->datas[i];
        if (s->mode != WM_SEG_ACTIVE) continue;
        const uint8_t *p = s->offset;
        uint32_t off = (uint32_t)wm_eval_const(inst, &p);
        if ((uint64_t)off + s->len > inst->mem->bytes) {
            return wm_trap_err(err, WM_ERR_TRAP, "out of bounds memory access");
        }
        wm_memcpy(inst->mem->data + off, s->bytes, s->len);
        inst->data_dropped[i] = 1;
    }
    if (mod->start != WM_NONE) {
        wm_err e =
            wm_call(inst, inst->funcs[mod->start], NULL, 0, NULL, 0, limits->start_fuel, err);
        if (e == WM_ERR_OUT_OF_FUEL) wm_abort(inst); /* not resumable: the instance is unusable */
        if (e) return e;
    }
    *out = inst;
    return WM_OK;
}
