/* loader.c - decodes a module's sections in place and validates everything but the code
 * bodies (validate.c). Arrays come from the arena; names and code stay in the buffer. */
#include "wm_internal.h"

#define TRY(x)             \
    do {                   \
        wm_err e_ = (x);   \
        if (e_) return e_; \
    } while (0)

typedef struct loader {
    wm_module *m;
    wm_arena *a;
    wm_reader r;
    wm_error *err;
    uint8_t *declared; /* one byte per function: may be the target of ref.func */
    uint32_t ndefined_funcs;
    bool funcs_built, tables_built, mems_built, globals_built, has_datacount;
    uint32_t datacount;
    uint32_t ndef_tables, ndef_mems, ndef_globals;
    wm_tabletype *def_tables;
    wm_memtype *def_mems;
    wm_globaltype *def_globals;
    const uint32_t *def_func_types_pos; /* start of the function section's vector */
    const uint8_t *mem_sec; /* the memory section's id byte (a refusal of several points here) */
} loader;

static wm_err bad(loader *L, wm_err code, const uint8_t *at, const char *msg)
{
    return wm_fail(L->err, code, L->m->bytes, at, msg);
}

/* A malformed byte that a feature beyond 2.0 may use: the feature is named (features.c). */
static wm_err beyond(loader *L, const uint8_t *at, const char *msg, const char *feature)
{
    return wm_fail_beyond(L->err, WM_ERR_MALFORMED, L->m->bytes, at, msg, feature);
}

/* Charges the bytes read since `from` (times `weight`: a loop that does more a byte). */
static void charge(const loader *L, const uint8_t *from, uint32_t weight)
{
    wm_work_charge(L->m->work, (uint32_t)(L->r.p - from) * weight);
}

static void *alloc(loader *L, size_t n, size_t size)
{
    if (n == 0) return L->a->base + L->a->used; /* never dereferenced */
    if (size && n > SIZE_MAX / size) return NULL;
    return wm_arena_alloc(L->a, n * size, 8);
}

#define NEED(ptr)                                                             \
    do {                                                                      \
        if (!(ptr)) return bad(L, WM_ERR_NO_MEMORY, L->r.p, "out of memory"); \
    } while (0)

bool wm_is_valtype(uint8_t t)
{
    return t == WM_I32 || t == WM_I64 || t == WM_F32 || t == WM_F64 || t == WM_FUNCREF ||
           t == WM_EXTERNREF;
}

bool wm_functype_eq(const wm_functype *a, const wm_functype *b)
{
    if (a == b) return true;
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           wm_memcmp(a->params, b->params, a->nparams) == 0 &&
           wm_memcmp(a->results, b->results, a->nresults) == 0;
}

static wm_err rd_count(loader *L, uint32_t *n)
{
    TRY(wm_rd_u32(&L->r, n));
    /* every entry takes at least one byte: reject absurd counts before allocating */
    if (*n > (size_t)(L->r.end - L->r.p)) return bad(L, WM_ERR_MALFORMED, L->r.p, "unexpected end");
    return WM_OK;
}

static wm_err rd_valtype(loader *L, uint8_t *t)
{
    const uint8_t *at = L->r.p;
    TRY(wm_rd_u8(&L->r, t));
    if (!wm_is_valtype(*t)) return beyond(L, at, "malformed value type", wm_feature_valtype(*t));
    return WM_OK;
}

static wm_err rd_reftype(loader *L, uint8_t *t)
{
    const uint8_t *at = L->r.p;
    TRY(wm_rd_u8(&L->r, t));
    if (*t != WM_FUNCREF && *t != WM_EXTERNREF)
        return beyond(L, at, "malformed reference type", wm_feature_valtype(*t));
    return WM_OK;
}

static wm_err rd_limits(loader *L, uint32_t *min, uint32_t *max, bool *has_max)
{
    const uint8_t *at = L->r.p;
    uint8_t flag;
    TRY(wm_rd_u8(&L->r, &flag)); /* a flag byte, not a LEB */
    if (flag > 1) return beyond(L, at, "integer too large", wm_feature_limits(flag));
    TRY(wm_rd_u32(&L->r, min));
    *max = WM_NONE;
    *has_max = flag;
    if (flag) TRY(wm_rd_u32(&L->r, max));
    if (flag && *min > *max)
        return bad(L, WM_ERR_INVALID, at, "size minimum must not be greater than maximum");
    return WM_OK;
}

static wm_err rd_tabletype(loader *L, wm_tabletype *t)
{
    bool has_max;
    TRY(rd_reftype(L, &t->elem));
    TRY(rd_limits(L, &t->min, &t->max, &has_max));
    if (has_max && t->max == WM_NONE) t->max = WM_NONE - 1; /* same: no table reaches it */
    return WM_OK;
}

static wm_err rd_memtype(loader *L, wm_memtype *t)
{
    const uint8_t *at = L->r.p;
    bool has_max;
    TRY(rd_limits(L, &t->min, &t->max, &has_max));
    if (t->min > WM_MAX_PAGES || (has_max && t->max > WM_MAX_PAGES))
        return bad(L, WM_ERR_INVALID, at, "memory size must be at most 65536 pages (4GiB)");
    return WM_OK;
}

static wm_err rd_globaltype(loader *L, wm_globaltype *g)
{
    const uint8_t *at;
    TRY(rd_valtype(L, &g->type));
    at = L->r.p;
    TRY(wm_rd_u8(&L->r, &g->mut));
    if (g->mut > 1) return bad(L, WM_ERR_MALFORMED, at, "malformed mutability");
    g->init = NULL;
    return WM_OK;
}

wm_err wm_check_const(wm_module *m, wm_reader *r, uint8_t type, uint8_t *declared)
{
    uint8_t op, got = 0;
    uint32_t n = 0;
    for (;;) {
        const uint8_t *at = r->p;
        TRY(wm_rd_u8(r, &op));
        if (op == 0x0B) break;
        n++;
        switch (op) {
        case 0x41: {
            int32_t v;
            TRY(wm_rd_s32(r, &v));
            got = WM_I32;
            break;
        }
        case 0x42: {
            int64_t v;
            TRY(wm_rd_s64(r, &v));
            got = WM_I64;
            break;
        }
        case 0x43: {
            const uint8_t *b;
            TRY(wm_rd_bytes(r, 4, &b));
            got = WM_F32;
            break;
        }
        case 0x44: {
            const uint8_t *b;
            TRY(wm_rd_bytes(r, 8, &b));
            got = WM_F64;
            break;
        }
        case 0xD0: {
            TRY(wm_rd_u8(r, &got));
            if (got != WM_FUNCREF && got != WM_EXTERNREF)
                return wm_fail(r->err, WM_ERR_MALFORMED, r->base, at, "malformed reference type");
            break;
        }
        case 0xD2: {
            uint32_t f;
            TRY(wm_rd_u32(r, &f));
            if (f >= m->nfuncs)
                return wm_fail(r->err, WM_ERR_INVALID, r->base, at, "unknown function");
            if (declared) declared[f] = 1;
            got = WM_FUNCREF;
            break;
        }
        case 0x23: {
            uint32_t g;
            TRY(wm_rd_u32(r, &g));
            if (g >= m->nglobal_imports)
                return wm_fail(r->err, WM_ERR_INVALID, r->base, at, "unknown global");
            if (m->globals[g].mut)
                return wm_fail(r->err, WM_ERR_INVALID, r->base, at, "constant expression required");
            got = m->globals[g].type;
            break;
        }
        default:
            return wm_fail_beyond(r->err, WM_ERR_INVALID, r->base, at,
                                  "constant expression required", wm_feature_const_op(op));
        }
    }
    if (n != 1 || got != type)
        return wm_fail(r->err, WM_ERR_INVALID, r->base, r->p, "type mismatch");
    return WM_OK;
}

/* Builds the index spaces (imports first) once the defining section is behind us. */
static wm_err build_spaces(loader *L, uint32_t rank)
{
    wm_module *m = L->m;
    if (rank > 3 && !L->funcs_built) {
        L->funcs_built = true;
        m->nfuncs = m->nfunc_imports + L->ndefined_funcs;
        NEED(m->func_types = (const wm_functype **)alloc(L, m->nfuncs, sizeof(void *)));
        NEED(L->declared = (uint8_t *)alloc(L, m->nfuncs, 1));
        wm_memset(L->declared, 0, m->nfuncs);
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == WM_EXTERN_FUNC)
                m->func_types[m->imports[i].index] = &m->types[m->imports[i].d.type];
        if (L->ndefined_funcs) {
            wm_reader rr = {(const uint8_t *)L->def_func_types_pos, m->bytes + m->len, m->bytes,
                            L->err};
            for (uint32_t i = 0; i < L->ndefined_funcs; i++) {
                uint32_t t;
                const uint8_t *at = rr.p;
                TRY(wm_rd_u32(&rr, &t));
                if (t >= m->ntypes) return bad(L, WM_ERR_INVALID, at, "unknown type");
                m->func_types[m->nfunc_imports + i] = &m->types[t];
                wm_work_charge(m->work, 2u);
            }
        }
    }
    if (rank > 4 && !L->tables_built) {
        L->tables_built = true;
        m->ntables = m->ntable_imports + L->ndef_tables;
        NEED(m->tables = (wm_tabletype *)alloc(L, m->ntables, sizeof(wm_tabletype)));
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == WM_EXTERN_TABLE)
                m->tables[m->imports[i].index] = m->imports[i].d.tt;
        for (uint32_t i = 0; i < L->ndef_tables; i++)
            m->tables[m->ntable_imports + i] = L->def_tables[i];
    }
    if (rank > 5 && !L->mems_built) {
        L->mems_built = true;
        m->nmems = m->nmem_imports + L->ndef_mems;
        if (m->nmems > 1)
            return wm_fail_beyond(L->err, WM_ERR_INVALID, L->m->bytes,
                                  L->mem_sec ? L->mem_sec : L->r.p, "multiple memories",
                                  WM_FEATURE_MULTI_MEMORY);
        NEED(m->mems = (wm_memtype *)alloc(L, m->nmems, sizeof(wm_memtype)));
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == WM_EXTERN_MEMORY)
                m->mems[m->imports[i].index] = m->imports[i].d.mt;
        for (uint32_t i = 0; i < L->ndef_mems; i++) m->mems[m->nmem_imports + i] = L->def_mems[i];
    }
    if (rank > 6 && !L->globals_built) {
        L->globals_built = true;
        if (!L->def_globals) {
            m->nglobals = m->nglobal_imports;
            NEED(m->globals = (wm_globaltype *)alloc(L, m->nglobals, sizeof(wm_globaltype)));
            for (uint32_t i = 0; i < m->nimports; i++)
                if (m->imports[i].kind == WM_EXTERN_GLOBAL)
                    m->globals[m->imports[i].index] = m->imports[i].d.gt;
        }
    }
    return WM_OK;
}

static wm_err sec_type(loader *L)
{
    wm_module *m = L->m;
    TRY(rd_count(L, &m->ntypes));
    NEED(m->types = (wm_functype *)alloc(L, m->ntypes, sizeof(wm_functype)));
    for (uint32_t i = 0; i < m->ntypes; i++) {
        wm_functype *t = &m->types[i];
        const uint8_t *at = L->r.p;
        uint8_t form, vt;
        TRY(wm_rd_u8(&L->r, &form));
        if (form != 0x60)
            return beyond(L, at, "integer representation too long", wm_feature_type_form(form));
        const uint8_t *cat = L->r.p;
        TRY(wm_rd_u32(&L->r, &t->nparams));
        if (t->nparams > WM_MAX_TYPE_VALUES)
            return bad(L, WM_ERR_LIMIT, cat, "too many parameters in a type (the limit is 128)");
        t->params = L->r.p;
        for (uint32_t k = 0; k < t->nparams; k++) {
            TRY(rd_valtype(L, &vt));
            wm_work_charge(m->work, 1u);
        }
        cat = L->r.p;
        TRY(wm_rd_u32(&L->r, &t->nresults));
        if (t->nresults > WM_MAX_TYPE_VALUES)
            return bad(L, WM_ERR_LIMIT, cat, "too many results in a type (the limit is 128)");
        t->results = L->r.p;
        for (uint32_t k = 0; k < t->nresults; k++) {
            TRY(rd_valtype(L, &vt));
            wm_work_charge(m->work, 1u);
        }
    }
    return WM_OK;
}

static wm_err sec_import(loader *L)
{
    wm_module *m = L->m;
    const uint8_t *cat = L->r.p;
    TRY(rd_count(L, &m->nimports));
    if (m->nimports > WM_MAX_IMPORTS)
        return bad(L, WM_ERR_LIMIT, cat, "too many imports (the limit is 2048)");
    NEED(m->imports = (wm_import *)alloc(L, m->nimports, sizeof(wm_import)));
    for (uint32_t i = 0; i < m->nimports; i++) {
        wm_import *im = &m->imports[i];
        const uint8_t *at, *from = L->r.p;
        TRY(wm_rd_name(&L->r, &im->mod, &im->mod_len, m->work));
        TRY(wm_rd_name(&L->r, &im->name, &im->name_len, m->work));
        at = L->r.p;
        TRY(wm_rd_u8(&L->r, &im->kind));
        switch (im->kind) {
        case WM_EXTERN_FUNC:
            at = L->r.p;
            TRY(wm_rd_u32(&L->r, &im->d.type));
            if (im->d.type >= m->ntypes) return bad(L, WM_ERR_INVALID, at, "unknown type");
            im->index = m->nfunc_imports++;
            break;
        case WM_EXTERN_TABLE:
            TRY(rd_tabletype(L, &im->d.tt));
            im->index = m->ntable_imports++;
            break;
        case WM_EXTERN_MEMORY:
            TRY(rd_memtype(L, &im->d.mt));
            im->index = m->nmem_imports++;
            break;
        case WM_EXTERN_GLOBAL:
            TRY(rd_globaltype(L, &im->d.gt));
            im->index = m->nglobal_imports++;
            break;
        default: return beyond(L, at, "malformed import kind", wm_feature_extern_kind(im->kind));
        }
        charge(L, from, 1u);
    }
    return WM_OK;
}

static wm_err sec_function(loader *L)
{
    TRY(rd_count(L, &L->ndefined_funcs));
    L->def_func_types_pos = (const uint32_t *)(const void *)L->r.p;
    for (uint32_t i = 0; i < L->ndefined_funcs; i++) {
        const uint8_t *from = L->r.p;
        uint32_t t;
        TRY(wm_rd_u32(&L->r, &t));
        charge(L, from, 1u);
    }
    return WM_OK;
}

static wm_err sec_table(loader *L)
{
    TRY(rd_count(L, &L->ndef_tables));
    NEED(L->def_tables = (wm_tabletype *)alloc(L, L->ndef_tables, sizeof(wm_tabletype)));
    for (uint32_t i = 0; i < L->ndef_tables; i++) {
        TRY(rd_tabletype(L, &L->def_tables[i]));
        wm_work_charge(L->m->work, WM_WORK_ITEM_UNITS); /* 3 bytes, ~134 M4 instructions */
    }
    return WM_OK;
}

static wm_err sec_memory(loader *L)
{
    TRY(rd_count(L, &L->ndef_mems));
    NEED(L->def_mems = (wm_memtype *)alloc(L, L->ndef_mems, sizeof(wm_memtype)));
    for (uint32_t i = 0; i < L->ndef_mems; i++) TRY(rd_memtype(L, &L->def_mems[i]));
    return WM_OK;
}

static wm_err sec_global(loader *L)
{
    wm_module *m = L->m;
    TRY(rd_count(L, &L->ndef_globals));
    m->nglobals = m->nglobal_imports + L->ndef_globals;
    NEED(m->globals = (wm_globaltype *)alloc(L, m->nglobals, sizeof(wm_globaltype)));
    L->def_globals = m->globals;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == WM_EXTERN_GLOBAL)
            m->globals[m->imports[i].index] = m->imports[i].d.gt;
    for (uint32_t i = 0; i < L->ndef_globals; i++) {
        wm_globaltype *g = &m->globals[m->nglobal_imports + i];
        TRY(rd_globaltype(L, g));
        g->init = L->r.p;
        TRY(wm_check_const(m, &L->r, g->type, L->declared));
        charge(L, g->init, 1u);
        wm_work_charge(m->work, WM_WORK_ITEM_UNITS); /* 5 bytes, ~224 M4 instructions */
    }
    return WM_OK;
}

/* Export names ordered by (length, bytes, index): a total order, so equal names end up
 * adjacent and in module order. */
static int export_cmp(const wm_exportdef *x, uint32_t i, uint32_t j)
{
    const wm_exportdef *a = &x[i], *b = &x[j];
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    int c = wm_memcmp(a->name, b->name, a->len);
    if (c != 0) return c;
    return i < j ? -1 : (i > j ? 1 : 0);
}

static void sift_down(const wm_exportdef *x, uint32_t *h, uint32_t root, uint32_t n)
{
    for (;;) {
        uint32_t c = 2u * root + 1u;
        if (c >= n) return;
        if (c + 1u < n && export_cmp(x, h[c], h[c + 1u]) < 0) c++;
        if (export_cmp(x, h[root], h[c]) >= 0) return;
        uint32_t t = h[root];
        h[root] = h[c];
        h[c] = t;
        root = c;
    }
}

/* The first export (in module order) whose name an earlier one has, or n if none. A heap
 * sort of their indices: at most ~2 n log2 n name compares whatever the names, where
 * comparing each with every earlier one cost n^2 / 2 (35 instructions a pair on the
 * Cortex-M4: 4000 exports, a 24 KB module, took 11 s, past the watchdog). */
static uint32_t first_duplicate_export(const wm_exportdef *x, uint32_t *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) h[i] = i;
    for (uint32_t i = n / 2u; i-- > 0u;) sift_down(x, h, i, n);
    for (uint32_t end = n; end > 1u; end--) {
        uint32_t t = h[0];
        h[0] = h[end - 1u];
        h[end - 1u] = t;
        sift_down(x, h, 0, end - 1u);
    }
    uint32_t first = n;
    for (uint32_t i = 1; i < n; i++) {
        const wm_exportdef *a = &x[h[i - 1u]], *b = &x[h[i]];
        if (a->len == b->len && !wm_memcmp(a->name, b->name, a->len) && h[i] < first) first = h[i];
    }
    return first;
}

static wm_err sec_export(loader *L)
{
    wm_module *m = L->m;
    const uint8_t *cat = L->r.p;
    TRY(rd_count(L, &m->nexports));
    if (m->nexports > WM_MAX_EXPORTS)
        return bad(L, WM_ERR_LIMIT, cat, "too many exports (the limit is 1024)");
    NEED(m->exports = (wm_exportdef *)alloc(L, m->nexports, sizeof(wm_exportdef)));
    /* scratch for the duplicate-name check, released after it: each name's offset (for
     * the refusal) and the sort's index */
    size_t mark = wm_arena_mark(L->a);
    uint32_t *name_at, *order;
    NEED(name_at = (uint32_t *)alloc(L, m->nexports, sizeof(uint32_t)));
    NEED(order = (uint32_t *)alloc(L, m->nexports, sizeof(uint32_t)));
    for (uint32_t i = 0; i < m->nexports; i++) {
        wm_exportdef *x = &m->exports[i];
        const uint8_t *at = L->r.p;
        uint32_t lim = 0;
        name_at[i] = (uint32_t)(at - L->m->bytes);
        TRY(wm_rd_name(&L->r, &x->name, &x->len, m->work));
        at = L->r.p;
        TRY(wm_rd_u8(&L->r, &x->kind));
        const uint8_t *ai = L->r.p;
        TRY(wm_rd_u32(&L->r, &x->index));
        switch (x->kind) {
        case WM_EXTERN_FUNC: lim = m->nfuncs; break;
        case WM_EXTERN_TABLE: lim = m->ntables; break;
        case WM_EXTERN_MEMORY: lim = m->nmems; break;
        case WM_EXTERN_GLOBAL: lim = m->nglobals; break;
        default: return beyond(L, at, "malformed export kind", wm_feature_extern_kind(x->kind));
        }
        if (x->index >= lim) {
            static const char *const msg[] = {"unknown function", "unknown table", "unknown memory",
                                              "unknown global"};
            return bad(L, WM_ERR_INVALID, ai, msg[x->kind]);
        }
        if (x->kind == WM_EXTERN_FUNC) L->declared[x->index] = 1;
        /* and its share of the name check: ~2 log2 n compares, 1700 instructions an export
         * of 6 bytes on the Cortex-M4 at the cap */
        charge(L, L->m->bytes + name_at[i], 8u);
    }
    uint32_t dup = first_duplicate_export(m->exports, order, m->nexports);
    if (dup < m->nexports)
        return bad(L, WM_ERR_INVALID, L->m->bytes + name_at[dup], "duplicate export name");
    wm_arena_release(L->a, mark);
    return WM_OK;
}

static wm_err sec_start(loader *L)
{
    wm_module *m = L->m;
    const uint8_t *at = L->r.p;
    TRY(wm_rd_u32(&L->r, &m->start));
    if (m->start >= m->nfuncs) return bad(L, WM_ERR_INVALID, at, "unknown function");
    if (m->func_types[m->start]->nparams || m->func_types[m->start]->nresults)
        return bad(L, WM_ERR_INVALID, at, "start function");
    return WM_OK;
}

static wm_err rd_offset(loader *L, const uint8_t **off)
{
    *off = L->r.p;
    return wm_check_const(L->m, &L->r, WM_I32, L->declared);
}

static wm_err sec_elem(loader *L)
{
    wm_module *m = L->m;
    TRY(rd_count(L, &m->nelems));
    NEED(m->elems = (wm_elemseg *)alloc(L, m->nelems, sizeof(wm_elemseg)));
    for (uint32_t i = 0; i < m->nelems; i++) {
        wm_elemseg *s = &m->elems[i];
        const uint8_t *at = L->r.p;
        uint32_t flags;
        TRY(wm_rd_u32(&L->r, &flags));
        if (flags > 7) return bad(L, WM_ERR_MALFORMED, at, "malformed elements segment kind");
        s->mode = (flags & 1) ? ((flags & 2) ? WM_SEG_DECLARATIVE : WM_SEG_PASSIVE) : WM_SEG_ACTIVE;
        s->exprs = (flags & 4) != 0;
        s->table = 0;
        s->offset = NULL;
        s->elem = WM_FUNCREF;
        if ((flags & 3) == 2) {
            at = L->r.p;
            TRY(wm_rd_u32(&L->r, &s->table));
        }
        if (s->mode == WM_SEG_ACTIVE) {
            if (s->table >= m->ntables) return bad(L, WM_ERR_INVALID, at, "unknown table");
            TRY(rd_offset(L, &s->offset));
        }
        if (flags & 3) {
            at = L->r.p;
            if (s->exprs) {
                TRY(rd_reftype(L, &s->elem));
            } else {
                uint8_t kind;
                TRY(wm_rd_u8(&L->r, &kind));
                if (kind != 0) return bad(L, WM_ERR_MALFORMED, at, "malformed element kind");
            }
        }
        TRY(wm_rd_u32(&L->r, &s->count));
        wm_work_charge(m->work, WM_WORK_ITEM_UNITS); /* a segment: 3 bytes, ~132 instructions */
        s->items = L->r.p;
        for (uint32_t k = 0; k < s->count; k++) {
            at = L->r.p;
            if (s->exprs) {
                TRY(wm_check_const(m, &L->r, s->elem, L->declared));
            } else {
                uint32_t f;
                TRY(wm_rd_u32(&L->r, &f));
                if (f >= m->nfuncs) return bad(L, WM_ERR_INVALID, at, "unknown function");
                L->declared[f] = 1;
            }
            charge(L, at, 2u); /* ~65 Cortex-M4 instructions an item */
        }
        if (s->mode == WM_SEG_ACTIVE && m->tables[s->table].elem != s->elem)
            return bad(L, WM_ERR_INVALID, at, "type mismatch");
    }
    return WM_OK;
}

static wm_err sec_data(loader *L)
{
    wm_module *m = L->m;
    TRY(rd_count(L, &m->ndatas));
    if (L->has_datacount && m->ndatas != L->datacount)
        return bad(L, WM_ERR_MALFORMED, L->r.p,
                   "data count and data section have inconsistent lengths");
    NEED(m->datas = (wm_dataseg *)alloc(L, m->ndatas, sizeof(wm_dataseg)));
    for (uint32_t i = 0; i < m->ndatas; i++) {
        wm_dataseg *s = &m->datas[i];
        const uint8_t *at = L->r.p;
        uint32_t flags, mem = 0;
        TRY(wm_rd_u32(&L->r, &flags));
        if (flags > 2) return bad(L, WM_ERR_MALFORMED, at, "malformed data segment kind");
        s->mode = flags == 1 ? WM_SEG_PASSIVE : WM_SEG_ACTIVE;
        s->offset = NULL;
        if (flags == 2) {
            at = L->r.p;
            TRY(wm_rd_u32(&L->r, &mem));
        }
        if (s->mode == WM_SEG_ACTIVE) {
            if (mem >= m->nmems) return bad(L, WM_ERR_INVALID, at, "unknown memory");
            TRY(rd_offset(L, &s->offset));
        }
        TRY(wm_rd_u32(&L->r, &s->len));
        TRY(wm_rd_bytes(&L->r, s->len, &s->bytes));
        wm_work_charge(m->work, 8u); /* its bytes are not read here */
    }
    return WM_OK;
}

static int rank_of(uint8_t id)
{
    static const uint8_t rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return id <= 12 ? rank[id] : -1;
}

wm_err wm_load(wm_arena *arena, const uint8_t *bytes, size_t len, wm_module **out, wm_error *err)
{
    return wm_load_metered(arena, bytes, len, NULL, out, err);
}

wm_err wm_load_metered(wm_arena *arena, const uint8_t *bytes, size_t len, wm_work *work,
                       wm_module **out, wm_error *err)
{
    static const uint8_t magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    size_t mark = wm_arena_mark(arena);
    loader L;
    wm_err e;
    wm_memset(&L, 0, sizeof L);
    L.a = arena;
    L.err = err;
    *out = NULL;
    wm_module *m = (wm_module *)wm_arena_alloc(arena, sizeof(wm_module), 8);
    if (!m) return wm_fail(err, WM_ERR_NO_MEMORY, NULL, NULL, "out of memory");
    wm_memset(m, 0, sizeof *m);
    m->bytes = bytes;
    m->len = len;
    m->start = WM_NONE;
    m->work = work;
    L.m = m;
    L.r.base = bytes;
    L.r.p = bytes;
    L.r.end = bytes + len;
    L.r.err = err;
    if (len < 4 || wm_memcmp(bytes, magic, 4)) {
        e = wm_fail(err, WM_ERR_MALFORMED, bytes, bytes, "magic header not detected");
        goto fail;
    }
    if (len < 8 || wm_memcmp(bytes + 4, magic + 4, 4)) {
        /* 0x0d 0x00 0x01 0x00: the component model's layer 1 (wasm-tools, cargo component) */
        static const uint8_t component[4] = {0x0d, 0x00, 0x01, 0x00};
        bool comp = len >= 8 && wm_memcmp(bytes + 4, component, 4) == 0;
        e = wm_fail_beyond(err, WM_ERR_MALFORMED, bytes, bytes + 4, "unknown binary version",
                           comp ? "WebAssembly components" : NULL);
        goto fail;
    }
    L.r.p = bytes + 8;
    int last = 0;
    bool code_seen = false, data_seen = false;
    while (L.r.p < L.r.end) {
        uint8_t id;
        uint32_t size;
        const uint8_t *at = L.r.p;
        if ((e = wm_rd_u8(&L.r, &id))) goto fail;
        if ((e = wm_rd_u32(&L.r, &size))) goto fail;
        if (size > (size_t)(L.r.end - L.r.p)) {
            e = bad(&L, WM_ERR_MALFORMED, L.r.p, "section size mismatch");
            goto fail;
        }
        const uint8_t *send = L.r.p + size;
        /* a section header: a module may be ~320 000 empty custom sections, ~144 Cortex-M4
         * instructions each (46 M without a kick before this charge) */
        wm_work_charge(work, 4u);
        if (id == 0) { /* custom section: a valid name, content ignored */
            wm_reader sub = {L.r.p, send, bytes, err};
            const uint8_t *nm;
            uint32_t nl;
            if ((e = wm_rd_name(&sub, &nm, &nl, work))) goto fail;
            L.r.p = send;
            continue;
        }
        int rank = rank_of(id);
        if (rank < 0) {
            e = beyond(&L, at, "malformed section id", wm_feature_section(id));
            goto fail;
        }
        if (rank <= last) {
            e = bad(&L, WM_ERR_MALFORMED, at, "unexpected content after last section");
            goto fail;
        }
        last = rank;
        if ((e = build_spaces(&L, (uint32_t)rank))) goto fail;
        const uint8_t *saved_end = L.r.end;
        L.r.end = send;
        switch (id) {
        case 1: e = sec_type(&L); break;
        case 2: e = sec_import(&L); break;
        case 3: e = sec_function(&L); break;
        case 4: e = sec_table(&L); break;
        case 5:
            L.mem_sec = at;
            e = sec_memory(&L);
            break;
        case 6: e = sec_global(&L); break;
        case 7: e = sec_export(&L); break;
        case 8: e = sec_start(&L); break;
        case 9: e = sec_elem(&L); break;
        case 12:
            e = wm_rd_u32(&L.r, &L.datacount);
            L.has_datacount = true;
            m->has_datacount = true;
            m->ndatas = L.datacount;
            break;
        case 10: {
            uint32_t n;
            const uint8_t *cat = L.r.p;
            if ((e = wm_rd_u32(&L.r, &n))) break;
            if (n != L.ndefined_funcs) {
                e = bad(&L, WM_ERR_MALFORMED, cat,
                        "function and code section have inconsistent lengths");
                break;
            }
            code_seen = true;
            m->code = cat; /* trap traces report offsets from here (as DWARF does) */
            e = wm_validate_code(m, arena, L.r.p, send, L.declared, err);
            if (!e) L.r.p = send;
            break;
        }
        case 11:
            e = sec_data(&L);
            data_seen = true;
            break;
        default: break;
        }
        if (e) goto fail;
        if (L.r.p != send) {
            e = bad(&L, WM_ERR_MALFORMED, L.r.p, "section size mismatch");
            goto fail;
        }
        L.r.end = saved_end;
    }
    if ((e = build_spaces(&L, 13))) goto fail;
    if (!code_seen && L.ndefined_funcs) {
        e = bad(&L, WM_ERR_MALFORMED, L.r.p, "function and code section have inconsistent lengths");
        goto fail;
    }
    if (!data_seen) m->ndatas = 0; /* it held the data count for validating code */
    if (L.has_datacount && m->ndatas != L.datacount) {
        e = bad(&L, WM_ERR_MALFORMED, L.r.p,
                "data count and data section have inconsistent lengths");
        goto fail;
    }
    m->ram = wm_arena_mark(arena) - mark;
    *out = m;
    return WM_OK;
fail:
    wm_arena_release(arena, mark);
    return e;
}

size_t wm_module_ram(const wm_module *mod) { return mod->ram; }

uint32_t wm_module_fuel_stretch(const wm_module *mod) { return mod->fuel_stretch; }

bool wm_module_functype(const wm_module *mod, uint32_t idx, const uint8_t **params,
                        uint32_t *nparams, const uint8_t **results, uint32_t *nresults)
{
    if (idx >= mod->ntypes) return false;
    const wm_functype *t = &mod->types[idx];
    *params = t->params;
    *nparams = t->nparams;
    *results = t->results;
    *nresults = t->nresults;
    return true;
}
