/* spec_driver.c - see spec_driver.h for the line format. Freestanding: no libc. */
#include "spec_driver.h"
#if WM_PREDECODE
#include "wm_pd.h"
#endif

#include <stdbool.h>

#define SD_MAX_TOKENS 80 /* command, name, field + values */
#define SD_MAX_VALUES 64

struct wm_sd_named {
    const char *name;
    wm_instance *inst;
    wm_sd_named *next;
};

/* ---- small string helpers (no libc on the device) ------------------------------------- */

static size_t sd_strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') n++;
    return n;
}

static bool sd_streq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static void sd_puts(wm_spec_driver *d, const char *s) { d->io.write(d->io.ctx, s, sd_strlen(s)); }

static void sd_put_hex(wm_spec_driver *d, uint64_t v)
{
    char buf[17];
    int i = 16;
    buf[16] = '\0';
    do {
        buf[--i] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v != 0);
    sd_puts(d, &buf[i]);
}

static void sd_put_dec(wm_spec_driver *d, uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[20] = '\0';
    do {
        buf[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    sd_puts(d, &buf[i]);
}

static int sd_hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool sd_parse_hex(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        int h = sd_hexdigit(s[n]);
        if (h < 0 || n >= 16) return false;
        v = (v << 4) | (uint64_t)h;
    }
    *out = v;
    return n > 0;
}

static bool sd_parse_dec(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (s[n] < '0' || s[n] > '9') return false;
        unsigned digit = (unsigned)(s[n] - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    *out = v;
    return n > 0;
}

/* Percent-decodes in place (the result is never longer) and returns the decoded length, or
 * -1 on a bad escape. A lone "%" is the empty name. Decoded names may contain NUL bytes. */
static long sd_unescape(char *s)
{
    if (s[0] == '%' && s[1] == '\0') {
        s[0] = '\0';
        return 0;
    }
    char *w = s;
    for (const char *r = s; *r != '\0'; r++) {
        if (*r == '%') {
            int hi = sd_hexdigit(r[1]);
            int lo = hi < 0 ? -1 : sd_hexdigit(r[2]);
            if (lo < 0) return -1;
            *w++ = (char)((hi << 4) | lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (long)(w - s);
}

/* Names must outlive linker entries: copy them into the driver's own arena, not the one
 * modules live in (a memory can only grow while it is that arena's last allocation). */
static const char *sd_strdup(wm_spec_driver *d, const char *s)
{
    size_t n = sd_strlen(s) + 1;
    char *c = wm_arena_alloc(&d->meta, n, 1);
    if (c != NULL) {
        for (size_t i = 0; i < n; i++) c[i] = s[i];
    }
    return c;
}

/* ---- answers ------------------------------------------------------------------------------ */

static const char *sd_kind(wm_err code)
{
    switch (code) {
    case WM_ERR_MALFORMED: return "malformed";
    case WM_ERR_INVALID: return "invalid";
    case WM_ERR_NO_MEMORY: return "nomemory";
    case WM_ERR_UNLINKABLE: return "unlinkable";
    case WM_ERR_NOT_FOUND: return "notfound";
    case WM_ERR_ARGS: return "args";
    case WM_ERR_STATE: return "state";
    case WM_ERR_LIMIT: return "limit";
    default: return "driver";
    }
}

static void sd_answer_error(wm_spec_driver *d, wm_err code, const wm_error *e)
{
    const char *msg = (e != NULL && e->msg != NULL) ? e->msg : "(no message)";
    if (code == WM_ERR_TRAP) {
        sd_puts(d, "trap ");
        sd_puts(d, msg);
    } else if (code == WM_ERR_EXHAUSTION) {
        sd_puts(d, "exhausted ");
        sd_puts(d, msg);
    } else if (code == WM_ERR_OUT_OF_FUEL) {
        sd_puts(d, "outoffuel");
    } else {
        sd_puts(d, "error ");
        sd_puts(d, sd_kind(code));
        sd_puts(d, " ");
        sd_put_hex(d, e != NULL ? e->offset : 0);
        sd_puts(d, " ");
        sd_puts(d, msg);
        if (e != NULL && e->msg != NULL && e->feature != NULL) {
            sd_puts(d, " (");
            sd_puts(d, e->feature);
            sd_puts(d, WM_FEATURE_BEYOND ")");
        }
    }
    sd_puts(d, "\n");
}

static void sd_driver_error(wm_spec_driver *d, const char *msg)
{
    sd_puts(d, "error driver 0 ");
    sd_puts(d, msg);
    sd_puts(d, "\n");
}

static const char *sd_type_name(uint8_t t)
{
    switch (t) {
    case WM_I32: return "i32";
    case WM_I64: return "i64";
    case WM_F32: return "f32";
    case WM_F64: return "f64";
    case WM_FUNCREF: return "funcref";
    case WM_EXTERNREF: return "externref";
    default: return "unknown";
    }
}

static void sd_put_value(wm_spec_driver *d, const wm_val *v)
{
    sd_puts(d, sd_type_name(v->type));
    sd_puts(d, ":");
    switch (v->type) {
    case WM_I32: sd_put_hex(d, v->of.i32); break;
    case WM_F32: sd_put_hex(d, v->of.f32); break;
    case WM_I64: sd_put_hex(d, v->of.i64); break;
    case WM_F64: sd_put_hex(d, v->of.f64); break;
    case WM_FUNCREF:
        if (v->of.func == NULL)
            sd_puts(d, "null");
        else
            sd_puts(d, "1");
        break;
    case WM_EXTERNREF:
        /* The host's handle h travels as h+1 because 0 is the runtime's null. */
        if (v->of.ext == 0)
            sd_puts(d, "null");
        else
            sd_put_hex(d, (uint64_t)(v->of.ext - 1));
        break;
    default: sd_puts(d, "?"); break;
    }
}

static bool sd_parse_value(const char *tok, wm_val *v)
{
    static const struct {
        const char *name;
        uint8_t type;
    } types[] = {{"i32", WM_I32}, {"i64", WM_I64},         {"f32", WM_F32},
                 {"f64", WM_F64}, {"funcref", WM_FUNCREF}, {"externref", WM_EXTERNREF}};
    char name[12];
    size_t n = 0;
    while (tok[n] != ':' && tok[n] != '\0' && n < sizeof name - 1) {
        name[n] = tok[n];
        n++;
    }
    if (tok[n] != ':') return false;
    name[n] = '\0';
    const char *bits = tok + n + 1;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (!sd_streq(name, types[i].name)) continue;
        uint64_t x = 0;
        v->type = types[i].type;
        if (v->type == WM_FUNCREF || v->type == WM_EXTERNREF) {
            if (sd_streq(bits, "null")) {
                if (v->type == WM_FUNCREF)
                    v->of.func = NULL;
                else
                    v->of.ext = 0;
                return true;
            }
            if (v->type == WM_FUNCREF || !sd_parse_hex(bits, &x) || x >= UINTPTR_MAX) return false;
            v->of.ext = (uintptr_t)x + 1;
            return true;
        }
        if (!sd_parse_hex(bits, &x)) return false;
        if (v->type == WM_I32 || v->type == WM_F32) {
            if (x > UINT32_MAX) return false;
            if (v->type == WM_I32)
                v->of.i32 = (uint32_t)x;
            else
                v->of.f32 = (uint32_t)x;
        } else if (v->type == WM_I64) {
            v->of.i64 = x;
        } else {
            v->of.f64 = x;
        }
        return true;
    }
    return false;
}

/* ---- the spectest module ------------------------------------------------------------------- */

static wm_err sd_nop(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    (void)args;
    (void)results;
    return WM_OK;
}

static const wm_host_func sd_spectest_funcs[] = {
    {"spectest", "print", ":", sd_nop, NULL},
    {"spectest", "print_i32", "i:", sd_nop, NULL},
    {"spectest", "print_i64", "I:", sd_nop, NULL},
    {"spectest", "print_f32", "f:", sd_nop, NULL},
    {"spectest", "print_f64", "F:", sd_nop, NULL},
    {"spectest", "print_i32_f32", "if:", sd_nop, NULL},
    {"spectest", "print_f64_f64", "FF:", sd_nop, NULL},
};

static wm_err sd_add_global(wm_spec_driver *d, const char *name, wm_val v)
{
    wm_extern ext;
    wm_err rc = wm_global_new(&d->arena, v, false, &ext.of.global);
    if (rc != WM_OK) return rc;
    ext.kind = WM_EXTERN_GLOBAL;
    return wm_linker_add(&d->linker, "spectest", name, ext);
}

static wm_err sd_build_spectest(wm_spec_driver *d)
{
    wm_err rc = WM_OK;
    for (size_t i = 0; rc == WM_OK && i < sizeof sd_spectest_funcs / sizeof sd_spectest_funcs[0];
         i++)
        rc = wm_linker_add_host(&d->linker, &sd_spectest_funcs[i]);
    wm_val v;
    v.type = WM_I32;
    v.of.i32 = 666;
    if (rc == WM_OK) rc = sd_add_global(d, "global_i32", v);
    v.type = WM_I64;
    v.of.i64 = 666;
    if (rc == WM_OK) rc = sd_add_global(d, "global_i64", v);
    v.type = WM_F32;
    v.of.f32 = 0x4426a666u; /* 666.6f */
    if (rc == WM_OK) rc = sd_add_global(d, "global_f32", v);
    v.type = WM_F64;
    v.of.f64 = 0x4084d4cccccccccdull; /* 666.6 */
    if (rc == WM_OK) rc = sd_add_global(d, "global_f64", v);
    wm_extern ext;
    if (rc == WM_OK) rc = wm_table_new(&d->arena, WM_FUNCREF, 10, 20, &ext.of.table);
    if (rc == WM_OK) {
        ext.kind = WM_EXTERN_TABLE;
        rc = wm_linker_add(&d->linker, "spectest", "table", ext);
    }
    if (rc == WM_OK) rc = wm_memory_new(&d->arena, 1, 2, 2u * 65536u, &ext.of.memory);
    if (rc == WM_OK) {
        ext.kind = WM_EXTERN_MEMORY;
        rc = wm_linker_add(&d->linker, "spectest", "memory", ext);
    }
    return rc;
}

wm_err wm_sd_init(wm_spec_driver *d, const wm_sd_io *io, void *mem, size_t size)
{
    d->io = *io;
    /* A sixteenth for names and linker entries, the rest for modules and instances. */
    size_t meta = size / 16;
    wm_arena_init(&d->meta, mem, meta);
    wm_arena_init(&d->arena, (uint8_t *)mem + meta, size - meta);
    wm_linker_init(&d->linker, &d->meta);
    d->current = NULL;
    d->named = NULL;
    wm_limits_default(&d->limits);
    d->fuel = WM_FUEL_UNLIMITED;
    d->suspended_results = 0;
    d->nslices = d->next_slice = 0;
    d->resumes = 0;
    d->nwatch = 0;
    d->trail = 1469598103934665603ull;
    d->trail_cuts = 0;
    d->load = NULL;
    d->exec_code = NULL;
    d->exec_ctx = NULL;
#if WM_PREDECODE
    d->predecode = false;
    d->pd_modules = d->pd_in_place = 0;
    d->pd_form_bytes = d->pd_code_bytes = 0;
#endif
    wm_err rc = sd_build_spectest(d);
    d->base_linker = d->linker;
    d->base_mark = wm_arena_mark(&d->arena);
    d->base_meta_mark = wm_arena_mark(&d->meta);
    return rc;
}

/* ---- commands ------------------------------------------------------------------------------ */

static wm_instance *sd_find(wm_spec_driver *d, const char *name)
{
    if (sd_streq(name, "-")) return d->current;
    for (wm_sd_named *n = d->named; n != NULL; n = n->next) {
        if (sd_streq(n->name, name)) return n->inst;
    }
    return NULL;
}

/* `probe` loads and instantiates like `module` but the result never becomes current, so an
 * assert_invalid module that wrongly loads cannot disturb the commands after it. */
static void sd_cmd_module(wm_spec_driver *d, const char *name, const char *src, bool probe)
{
    size_t mark = wm_arena_mark(&d->arena);
    size_t meta_mark = wm_arena_mark(&d->meta);
    const uint8_t *bytes = NULL;
    size_t len = 0;
    wm_error e = {WM_OK, 0, NULL, NULL};
    wm_err rc = d->io.module_bytes(d->io.ctx, src, &d->arena, &bytes, &len);
    if (rc != WM_OK) {
        wm_arena_release(&d->arena, mark);
        sd_driver_error(d, rc == WM_ERR_NO_MEMORY ? "arena full reading module"
                                                  : "cannot read module source");
        return;
    }
    wm_module *mod = NULL;
    rc = d->load != NULL ? d->load(d, bytes, len, &mod, &e)
                         : wm_load(&d->arena, bytes, len, &mod, &e);
    if (rc != WM_OK) {
        wm_arena_release(&d->arena, mark);
        if (e.code == WM_OK) /* the hook refused without a runtime error code */
            sd_driver_error(d, e.msg != NULL ? e.msg : "module loader hook failed");
        else
            sd_answer_error(d, rc, &e);
        return;
    }
#if WM_PREDECODE
    if (d->predecode) {
        rc = wm_pd_attach_arena(mod, &d->arena, &e);
        if (rc != WM_OK) {
            wm_arena_release(&d->arena, mark);
            sd_answer_error(d, rc, &e);
            return;
        }
        if (mod->pd) {
            d->pd_modules++;
            d->pd_form_bytes += wm_pd_form_size(mod);
            d->pd_code_bytes += wm_pd_code_size(mod);
        } else
            d->pd_in_place++;
    }
#endif
    wm_instance *inst = NULL;
    rc = wm_instantiate(&d->arena, mod, &d->linker, &d->limits, &inst, &e);
    if (rc != WM_OK) {
        /* A start function or segment that trapped may already have written this module's
         * functions into shared tables, so its memory must stay; other failures happen
         * before anything is shared. */
        if (rc != WM_ERR_TRAP && rc != WM_ERR_EXHAUSTION) wm_arena_release(&d->arena, mark);
        sd_answer_error(d, rc, &e);
        return;
    }
    if (probe) {
        sd_puts(d, "ok\n");
        return;
    }
    if (!sd_streq(name, "-")) {
        wm_sd_named *n = wm_arena_alloc(&d->meta, sizeof *n, sizeof(void *));
        const char *copy = sd_strdup(d, name);
        if (n == NULL || copy == NULL) {
            wm_arena_release(&d->meta, meta_mark);
            sd_driver_error(d, "driver arena full naming module");
            return;
        }
        n->name = copy;
        n->inst = inst;
        n->next = d->named;
        d->named = n;
    }
    d->current = inst;
    sd_puts(d, "ok\n");
}

static void sd_cmd_register(wm_spec_driver *d, const char *as, const char *name)
{
    wm_instance *inst = sd_find(d, name);
    if (inst == NULL) {
        sd_driver_error(d, "no such module");
        return;
    }
    const char *copy = sd_strdup(d, as);
    if (copy == NULL) {
        sd_driver_error(d, "arena full");
        return;
    }
    wm_err rc = wm_linker_add_instance(&d->linker, copy, inst);
    if (rc != WM_OK) {
        wm_error e = {rc, 0, "register failed", NULL};
        sd_answer_error(d, rc, &e);
        return;
    }
    sd_puts(d, "ok\n");
}

static void sd_put_results(wm_spec_driver *d, const wm_val *results, uint32_t n)
{
    sd_puts(d, "ok");
    for (uint32_t i = 0; i < n; i++) {
        sd_puts(d, " ");
        sd_put_value(d, &results[i]);
    }
    sd_puts(d, "\n");
}

/* Export lookup by byte length, so that names containing NUL work too. */
static bool sd_export(const wm_instance *inst, const char *field, size_t len, uint8_t kind,
                      wm_extern *out)
{
    uint32_t n = wm_export_count(inst);
    for (uint32_t i = 0; i < n; i++) {
        const char *name = NULL;
        uint32_t name_len = 0;
        if (wm_export_at(inst, i, &name, &name_len, out) != WM_OK || name_len != len ||
            out->kind != kind)
            continue;
        size_t k = 0;
        while (k < len && name[k] == field[k]) k++;
        if (k == len) return true;
    }
    return false;
}

/* `watch`: folds the watched bytes of the suspended instance's memory into the trail. */
static void sd_note_cut(wm_spec_driver *d, wm_instance *inst)
{
    wm_memory *m = d->nwatch > 0 ? wm_instance_memory(inst) : NULL;
    if (m == NULL) return;
    const uint8_t *data = wm_memory_data(m);
    uint32_t size = wm_memory_bytes(m);
    uint64_t h = d->trail ^ size;
    for (uint32_t w = 0; w < d->nwatch; w++) {
        uint32_t at = d->watch[2 * w], len = d->watch[2 * w + 1];
        for (uint32_t i = at; i < size && i - at < len; i++) h = (h ^ data[i]) * 1099511628211ull;
    }
    d->trail = h;
    d->trail_cuts++;
}

static void sd_cmd_invoke(wm_spec_driver *d, const char *name, const char *field, size_t field_len,
                          char **argv, uint32_t argc)
{
    wm_instance *inst = sd_find(d, name);
    if (inst == NULL) {
        sd_driver_error(d, "no such module");
        return;
    }
    wm_extern ext;
    wm_error e = {WM_OK, 0, NULL, NULL};
    wm_err rc = WM_OK;
    if (!sd_export(inst, field, field_len, WM_EXTERN_FUNC, &ext)) {
        e.code = WM_ERR_NOT_FOUND;
        e.msg = "no exported function of that name";
        sd_answer_error(d, WM_ERR_NOT_FOUND, &e);
        return;
    }
    uint32_t np = 0;
    uint32_t nr = 0;
    const uint8_t *pt = NULL;
    const uint8_t *rt = NULL;
    wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
    if (argc > SD_MAX_VALUES || nr > SD_MAX_VALUES) {
        sd_driver_error(d, "too many values for the driver");
        return;
    }
    wm_val args[SD_MAX_VALUES];
    wm_val results[SD_MAX_VALUES];
    for (uint32_t i = 0; i < argc; i++) {
        if (!sd_parse_value(argv[i], &args[i])) {
            sd_driver_error(d, "bad argument value");
            return;
        }
    }
    /* A call left suspended by an earlier outoffuel that nobody resumed is dropped. */
    if (wm_suspended(inst)) wm_abort(inst);
    rc = wm_call(inst, ext.of.func, args, argc, results, nr, d->fuel, &e);
    while (rc == WM_ERR_OUT_OF_FUEL && d->nslices > 0) {
        uint32_t f = d->slices[d->next_slice];
        d->next_slice = (d->next_slice + 1u) % d->nslices;
        d->resumes++;
        sd_note_cut(d, inst);
        rc = wm_resume(inst, f, results, nr, &e);
    }
    if (rc == WM_ERR_OUT_OF_FUEL) {
        d->suspended_results = nr;
    }
    if (rc != WM_OK) {
        sd_answer_error(d, rc, &e);
        return;
    }
    sd_put_results(d, results, nr);
}

static void sd_cmd_resume(wm_spec_driver *d, const char *name, const char *fuel)
{
    wm_instance *inst = sd_find(d, name);
    uint64_t f = 0;
    if (inst == NULL || !sd_parse_dec(fuel, &f) || f == 0) {
        sd_driver_error(d, "usage: resume NAME FUEL (a known module, fuel > 0)");
        return;
    }
    wm_val results[SD_MAX_VALUES];
    wm_error e = {WM_OK, 0, NULL, NULL};
    uint32_t nr = d->suspended_results;
    wm_err rc = wm_resume(inst, f, results, nr, &e);
    if (rc != WM_OK) {
        sd_answer_error(d, rc, &e);
        return;
    }
    sd_put_results(d, results, nr);
}

static void sd_cmd_get(wm_spec_driver *d, const char *name, const char *field, size_t len)
{
    wm_instance *inst = sd_find(d, name);
    if (inst == NULL) {
        sd_driver_error(d, "no such module");
        return;
    }
    wm_extern ext;
    if (!sd_export(inst, field, len, WM_EXTERN_GLOBAL, &ext)) {
        wm_error e = {WM_ERR_NOT_FOUND, 0, "no exported global of that name", NULL};
        sd_answer_error(d, WM_ERR_NOT_FOUND, &e);
        return;
    }
    wm_val v = wm_global_value(ext.of.global);
    sd_put_results(d, &v, 1);
}

static char sd_type_letter(uint8_t t)
{
    switch (t) {
    case WM_I32: return 'i';
    case WM_I64: return 'I';
    case WM_F32: return 'f';
    case WM_F64: return 'F';
    case WM_FUNCREF: return 'r';
    case WM_EXTERNREF: return 'e';
    default: return '?';
    }
}

/* Writes a name percent-encoded, as the host sends names, and ':' too (the field separator
 * of `exports`). */
static void sd_put_name(wm_spec_driver *d, const char *name, uint32_t len)
{
    if (len == 0) sd_puts(d, "%");
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)name[i];
        if (c > 0x20 && c < 0x7f && c != '%' && c != ':') {
            d->io.write(d->io.ctx, &name[i], 1);
        } else {
            char esc[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
            d->io.write(d->io.ctx, esc, 3);
        }
    }
}

static void sd_cmd_exports(wm_spec_driver *d, const char *name)
{
    static const char *const kinds[] = {"func", "table", "memory", "global"};
    wm_instance *inst = sd_find(d, name);
    if (inst == NULL) {
        sd_driver_error(d, "no such module");
        return;
    }
    sd_puts(d, "ok");
    uint32_t n = wm_export_count(inst);
    for (uint32_t i = 0; i < n; i++) {
        const char *ename = NULL;
        uint32_t len = 0;
        wm_extern ext;
        if (wm_export_at(inst, i, &ename, &len, &ext) != WM_OK || ext.kind > 3) continue;
        sd_puts(d, " ");
        sd_puts(d, kinds[ext.kind]);
        sd_puts(d, ":");
        sd_put_name(d, ename, len);
        if (ext.kind == WM_EXTERN_FUNC) {
            uint32_t np = 0;
            uint32_t nr = 0;
            const uint8_t *pt = NULL;
            const uint8_t *rt = NULL;
            wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
            sd_puts(d, ":");
            for (uint32_t k = 0; k < np; k++) {
                char c = sd_type_letter(pt[k]);
                d->io.write(d->io.ctx, &c, 1);
            }
            sd_puts(d, ":");
            for (uint32_t k = 0; k < nr; k++) {
                char c = sd_type_letter(rt[k]);
                d->io.write(d->io.ctx, &c, 1);
            }
        }
    }
    sd_puts(d, "\n");
}

static void sd_cmd_limit(wm_spec_driver *d, const char *key, const char *value)
{
    uint64_t n = 0;
    if (!sd_parse_dec(value, &n) || n > UINT32_MAX) {
        sd_driver_error(d, "bad limit value");
        return;
    }
    if (sd_streq(key, "stack"))
        d->limits.stack_slots = (uint32_t)n;
    else if (sd_streq(key, "depth"))
        d->limits.call_depth = (uint32_t)n;
    else if (sd_streq(key, "memcap"))
        d->limits.mem_cap_bytes = (uint32_t)n;
    else if (sd_streq(key, "memreserve"))
        d->limits.mem_reserve = (uint32_t)n;
    else if (sd_streq(key, "tablecap"))
        d->limits.table_cap = (uint32_t)n;
    else {
        sd_driver_error(d, "unknown limit (stack, depth, memcap, memreserve, tablecap)");
        return;
    }
    sd_puts(d, "ok\n");
}

static void sd_cmd_reset(wm_spec_driver *d)
{
    if (d->exec_code != NULL) (void)d->exec_code(d->exec_ctx, NULL, 0);
    /* spectest is built afresh too: its table may hold functions of the modules just
     * released (a later call_indirect through it must not reach freed memory). */
    wm_arena_release(&d->arena, 0);
    wm_arena_release(&d->meta, 0);
    wm_linker_init(&d->linker, &d->meta);
    d->current = NULL;
    d->named = NULL;
    wm_err rc = sd_build_spectest(d);
    d->base_linker = d->linker;
    d->base_mark = wm_arena_mark(&d->arena);
    d->base_meta_mark = wm_arena_mark(&d->meta);
    if (rc != WM_OK) {
        sd_driver_error(d, "cannot rebuild the spectest module");
        return;
    }
    sd_puts(d, "ok\n");
}

void wm_sd_exec_line(wm_spec_driver *d, char *line)
{
    char *tok[SD_MAX_TOKENS];
    uint32_t n = 0;
    char *p = line;
    while (*p != '\0') {
        if (n == SD_MAX_TOKENS) {
            sd_driver_error(d, "too many tokens");
            return;
        }
        tok[n++] = p;
        while (*p != '\0' && *p != ' ') p++;
        if (*p == ' ') *p++ = '\0';
    }
    if (n == 0) {
        sd_driver_error(d, "empty command");
        return;
    }
    const char *cmd = tok[0];
    /* Names and sources arrive percent-encoded; values never contain '%'. */
    uint32_t names = 0;
    if (sd_streq(cmd, "module") || sd_streq(cmd, "register") || sd_streq(cmd, "get") ||
        sd_streq(cmd, "invoke") || sd_streq(cmd, "probe") || sd_streq(cmd, "exports"))
        names = n < 3 ? n - 1 : 2;
    long len[3] = {0, 0, 0};
    for (uint32_t i = 1; i <= names; i++) {
        len[i] = sd_unescape(tok[i]);
        if (len[i] < 0) {
            sd_driver_error(d, "bad %-escape in name");
            return;
        }
    }
    /* Only export names (invoke/get FIELD) may hold NUL bytes; others are C strings. */
    for (uint32_t i = 1; i <= names; i++) {
        bool field = i == 2 && (sd_streq(cmd, "invoke") || sd_streq(cmd, "get"));
        if (!field && (size_t)len[i] != sd_strlen(tok[i])) {
            sd_driver_error(d, "NUL byte in a name");
            return;
        }
    }
    if (sd_streq(cmd, "module") && n == 3)
        sd_cmd_module(d, tok[1], tok[2], false);
    else if (sd_streq(cmd, "probe") && n == 2)
        sd_cmd_module(d, "-", tok[1], true);
    else if (sd_streq(cmd, "register") && n == 3)
        sd_cmd_register(d, tok[1], tok[2]);
    else if (sd_streq(cmd, "invoke") && n >= 3)
        sd_cmd_invoke(d, tok[1], tok[2], (size_t)len[2], &tok[3], n - 3);
    else if (sd_streq(cmd, "get") && n == 3)
        sd_cmd_get(d, tok[1], tok[2], (size_t)len[2]);
    else if (sd_streq(cmd, "fuel") && n == 2) {
        uint64_t f = 0;
        if (!sd_parse_dec(tok[1], &f)) {
            sd_driver_error(d, "bad fuel value");
            return;
        }
        d->fuel = f == 0 ? WM_FUEL_UNLIMITED : f;
        sd_puts(d, "ok\n");
    } else if (sd_streq(cmd, "slices") && n - 1u <= WM_SD_MAX_SLICES) {
        uint32_t k = 0;
        for (uint32_t i = 1; i < n; i++) {
            uint64_t f = 0;
            if (!sd_parse_dec(tok[i], &f) || f == 0 || f > UINT32_MAX) {
                sd_driver_error(d, "usage: slices FUEL... (each > 0)");
                return;
            }
            d->slices[k++] = (uint32_t)f;
        }
        d->nslices = k;
        d->next_slice = 0;
        sd_puts(d, "ok\n");
    } else if (sd_streq(cmd, "watch") && n % 2 == 1 && (n - 1u) / 2 <= WM_SD_MAX_WATCH) {
        uint32_t k = 0;
        for (uint32_t i = 1; i < n; i++) {
            uint64_t v = 0;
            if (!sd_parse_dec(tok[i], &v) || v > UINT32_MAX) {
                sd_driver_error(d, "usage: watch OFFSET LENGTH... (decimal)");
                return;
            }
            d->watch[k++] = (uint32_t)v;
        }
        d->nwatch = k / 2;
        d->trail = 1469598103934665603ull;
        d->trail_cuts = 0;
        sd_puts(d, "ok\n");
    } else if (sd_streq(cmd, "trail") && n == 1) {
        sd_puts(d, "ok ");
        sd_put_hex(d, d->trail);
        sd_puts(d, " ");
        sd_put_dec(d, d->trail_cuts);
        sd_puts(d, "\n");
        d->trail = 1469598103934665603ull;
        d->trail_cuts = 0;
    } else if (sd_streq(cmd, "resumes") && n == 1) {
        sd_puts(d, "ok ");
        sd_put_dec(d, d->resumes);
        sd_puts(d, "\n");
    } else if (sd_streq(cmd, "resume") && n == 3) {
        if (sd_unescape(tok[1]) < 0) {
            sd_driver_error(d, "bad %-escape in name");
            return;
        }
        sd_cmd_resume(d, tok[1], tok[2]);
    } else if (sd_streq(cmd, "exports") && n == 2)
        sd_cmd_exports(d, tok[1]);
    else if (sd_streq(cmd, "limit") && n == 3)
        sd_cmd_limit(d, tok[1], tok[2]);
    else if (sd_streq(cmd, "reset") && n == 1)
        sd_cmd_reset(d);
#if WM_PREDECODE
    else if (sd_streq(cmd, "predecode") && n == 2 &&
             (sd_streq(tok[1], "on") || sd_streq(tok[1], "off"))) {
        /* modules loaded from now on run pre-decoded (on) or in place (off): a device image
         * runs both paths over one serial line */
        d->predecode = sd_streq(tok[1], "on");
        sd_puts(d, "ok\n");
    } else if (sd_streq(cmd, "predecoded") && n == 1) {
        /* modules loaded so far that run pre-decoded, that run in place; the bytes of the
         * pre-decoded forms and of the function bodies they were translated from */
        sd_puts(d, "ok ");
        sd_put_dec(d, d->pd_modules);
        sd_puts(d, " ");
        sd_put_dec(d, d->pd_in_place);
        sd_puts(d, " ");
        sd_put_dec(d, d->pd_form_bytes);
        sd_puts(d, " ");
        sd_put_dec(d, d->pd_code_bytes);
        sd_puts(d, "\n");
    }
#endif
    else if (sd_streq(cmd, "mem") && n == 1) {
        sd_puts(d, "ok ");
        sd_put_dec(d, d->arena.used + d->meta.used);
        sd_puts(d, " ");
        sd_put_dec(d, d->arena.size + d->meta.size);
        sd_puts(d, "\n");
    } else
        sd_driver_error(d, "unknown command or wrong number of arguments");
}

void wm_sd_run(wm_spec_driver *d, char *buf, size_t cap)
{
    for (;;) {
        long n = d->io.read_line(d->io.ctx, buf, cap);
        if (n == -1) return;
        if (n < 0) {
            sd_driver_error(d, "line too long");
            continue;
        }
        wm_sd_exec_line(d, buf);
    }
}

wm_err wm_sd_hex_module_bytes(void *ctx, const char *src, wm_arena *arena, const uint8_t **bytes,
                              size_t *len)
{
    (void)ctx;
    size_t n = sd_strlen(src);
    if (n % 2 != 0) return WM_ERR_NOT_FOUND;
    /* One spare byte so that an empty module still gets a non-NULL buffer. */
    uint8_t *buf = wm_arena_alloc(arena, n / 2 + 1, 8);
    if (buf == NULL) return WM_ERR_NO_MEMORY;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = sd_hexdigit(src[2 * i]);
        int lo = sd_hexdigit(src[2 * i + 1]);
        if (hi < 0 || lo < 0) return WM_ERR_NOT_FOUND;
        buf[i] = (uint8_t)((hi << 4) | lo);
    }
    *bytes = buf;
    *len = n / 2;
    return WM_OK;
}
