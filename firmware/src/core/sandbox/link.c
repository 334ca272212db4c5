/* The link-time capability check (docs/security.md, rule 5): every import must be a host
 * function the sandbox provides (module wasmote: API v1; wasi_snapshot_preview1: the WASI
 * subset; env: AssemblyScript's runtime imports) with the exact signature, and granted by
 * the manifest; only those are put into the module's linker, so an ungranted function has
 * no path to be called. An ungranted WASI function links a stub that answers ENOTCAPABLE
 * (wasi-libc programs import more than they call).
 *
 * Reads the import, type and memory sections straight from the module bytes (already
 * validated by wm_load, but every read is still bounds-checked). */
#include "sandbox.h"

typedef struct {
    const uint8_t *p;
    uint32_t len, pos;
    bool bad;
} rdr;

static uint32_t leb(rdr *r)
{
    uint32_t v = 0;
    for (uint32_t shift = 0; shift < 35u; shift += 7u) {
        if (r->pos >= r->len) break;
        uint8_t b = r->p[r->pos++];
        v |= (uint32_t)(b & 0x7Fu) << shift;
        if (!(b & 0x80u)) return v;
    }
    r->bad = true;
    return 0;
}

static uint8_t byte(rdr *r)
{
    if (r->pos >= r->len) {
        r->bad = true;
        return 0;
    }
    return r->p[r->pos++];
}

static const uint8_t *bytes(rdr *r, uint32_t n)
{
    if (r->len - r->pos < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

/* Finds section `id` (first occurrence); false if absent. A module may be hundreds of
 * thousands of empty custom sections (3 bytes each), so the walk charges the install's
 * meter a unit a section header (~25 Cortex-M4 instructions). */
static bool section(const uint8_t *mod, uint32_t len, uint8_t id, rdr *out, wm_work *work)
{
    rdr r = {mod, len, 8, false};
    while (r.pos < r.len && !r.bad) {
        uint8_t sid = byte(&r);
        uint32_t size = leb(&r);
        const uint8_t *body = bytes(&r, size);
        wm_work_charge(work, 1u);
        if (r.bad) return false;
        if (sid == id) {
            out->p = body;
            out->len = size;
            out->pos = 0;
            out->bad = false;
            return true;
        }
    }
    return false;
}

static char sig_char(uint8_t vt)
{
    switch (vt) {
    case 0x7F: return 'i';
    case 0x7E: return 'I';
    case 0x7D: return 'f';
    case 0x7C: return 'F';
    case 0x70: return 'r';
    case 0x6F: return 'e';
    default: return '?';
    }
}

/* Writes the function type `idx` as a wasmote.h signature string ("ii:i"); false if it
 * cannot be one of ours (too long, unknown type). Reads the loader's type table: constant
 * time per import (rescanning the type section made linking imports x types). */
static bool type_sig(const wm_module *mod, uint32_t idx, char *sig, uint32_t cap)
{
    const uint8_t *vt[2];
    uint32_t k[2], o = 0;
    if (!wm_module_functype(mod, idx, &vt[0], &k[0], &vt[1], &k[1])) return false;
    if (k[0] >= cap || k[1] >= cap - k[0] - 1u) return false; /* ':' and '\0' */
    for (int part = 0; part < 2; part++) {
        if (part == 1) sig[o++] = ':';
        for (uint32_t i = 0; i < k[part]; i++) sig[o++] = sig_char(vt[part][i]);
    }
    sig[o] = '\0';
    return true;
}

static const char *type_name(char t)
{
    switch (t) {
    case 'i': return "i32";
    case 'I': return "i64";
    case 'f': return "f32";
    case 'F': return "f64";
    case 'r': return "funcref";
    case 'e': return "externref";
    default: return "?";
    }
}

/* Appends a signature string ("ii:i") as "(i32, i32) -> (i32)". */
static void append_sig(wm_msg *err, const char *sig)
{
    wm_msg_put(err, " (");
    bool first = true;
    for (const char *p = sig; *p; p++) {
        if (*p == ':') {
            wm_msg_put(err, ") -> (");
            first = true;
            continue;
        }
        if (!first) wm_msg_put(err, ", ");
        wm_msg_put(err, type_name(*p));
        first = false;
    }
    wm_msg_put(err, ")");
}

/* "import M.N (signature)" into the error message, names escaped. */
static int link_fail(wm_msg *err, wm_status code, uint32_t off, const uint8_t *m, uint32_t ml,
                     const uint8_t *n, uint32_t nl, const char *sig, const char *what,
                     const char *more)
{
    wm_msg_fail_at(err, code, NULL, off, "import ");
    wm_msg_put_input(err, m, ml > 24u ? 24u : ml);
    wm_msg_put(err, ".");
    wm_msg_put_input(err, n, nl > 32u ? 32u : nl);
    if (sig) append_sig(err, sig);
    wm_msg_put(err, what);
    wm_msg_put(err, more);
    return code;
}

static const char *cap_hint(uint8_t cap)
{
    switch (cap) {
    case WM_CAP_LOG: return "log)";
    case WM_CAP_TIME: return "time)";
    case WM_CAP_SLEEP: return "sleep)";
    case WM_CAP_GPIO: return "gpio:PIN)";
    case WM_CAP_KV: return "kv)";
    case WM_CAP_RANDOM: return "random)";
    case WM_CAP_I2C: return "i2c:BUS/ADDR or i2c:NAME)";
    case WM_CAP_SPI: return "spi:BUS/CS or spi:NAME)";
    case WM_CAP_UART: return "uart:NAME)";
    case WM_CAP_ADC: return "adc:NAME)";
    case WM_CAP_PWM: return "pwm:NAME)";
    default: return "pubsub:PATTERN)";
    }
}

uint64_t wm_sb_initial_memory(const uint8_t *module, uint32_t len, wm_work *work)
{
    rdr r;
    if (len < 8u || !section(module, len, 5, &r, work) || leb(&r) == 0) return 0;
    (void)byte(&r);
    uint32_t min = leb(&r);
    return r.bad ? 0 : (uint64_t)min * 65536u;
}

/* The import set named by `m` (ml bytes), or NULL. */
static const wm_sb_import_set *import_set(const uint8_t *m, uint32_t ml)
{
    uint32_t n;
    const wm_sb_import_set *sets = wm_sb_import_sets(&n);
    for (uint32_t i = 0; i < n; i++)
        if (wm_streq_n(sets[i].module, m, ml)) return &sets[i];
    return NULL;
}

int wm_sb_link(wm_sb_module *mod, wm_arena *arena, wm_msg *err)
{
    const uint8_t *b = mod->pkg.module;
    uint32_t len = mod->pkg.module_len, base = mod->pkg.module_off;
    rdr r;
    wm_linker_init(&mod->linker, arena);
    mod->funcs = NULL;
    mod->nfuncs = 0;
    if (section(b, len, 5, &r, mod->work)) {
        uint32_t n = leb(&r);
        if (n > 0) {
            (void)byte(&r);
            uint32_t min = leb(&r);
            if (!r.bad && (uint64_t)min * 65536u > mod->manifest.mem_bytes) {
                wm_msg_fail_at(err, WM_ST_DENIED, NULL, base, "initial memory of ");
                wm_msg_put_u(err, min);
                wm_msg_put(err, " pages does not fit limits.memory = ");
                wm_msg_put_u(err, mod->manifest.mem_bytes);
                wm_msg_put(err, " (raise it, or link with a smaller initial memory)");
                return WM_ST_DENIED;
            }
        }
    }
    if (!section(b, len, 2, &r, mod->work)) return WM_ST_OK;
    uint32_t n = leb(&r);
    if (r.bad || n > (len - r.pos) / 4u) /* an import takes at least 4 bytes */
        return wm_msg_fail_at(err, WM_ST_INVALID_MODULE, "module", base,
                              "import section unreadable");
    /* one host function record per import at most (the arena is the module's own RAM) */
    mod->funcs = n ? wm_arena_alloc(arena, n * sizeof(wm_host_func), sizeof(void *)) : NULL;
    if (n && !mod->funcs)
        return wm_msg_fail_at(err, WM_ST_NO_RAM, NULL, base, "out of memory linking imports");
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        uint32_t at = base + (uint32_t)(r.p - b) + r.pos;
        /* an import's lookup: the host table and the functions linked so far */
        wm_work_charge(mod->work, 64u);
        uint32_t ml = leb(&r);
        const uint8_t *m = bytes(&r, ml);
        uint32_t nl = leb(&r);
        const uint8_t *nm = bytes(&r, nl);
        uint8_t kind = byte(&r);
        if (r.bad) break;
        if (kind != 0)
            return link_fail(err, WM_ST_DENIED, at, m, ml, nm, nl, NULL,
                             ": the device provides only functions", NULL);
        uint32_t type = leb(&r);
        char sig[20];
        bool sig_ok = type_sig(mod->module, type, sig, sizeof sig);
        const char *shown = sig_ok ? sig : NULL;
        const wm_sb_import_set *set = import_set(m, ml);
        if (!set)
            return link_fail(err, WM_ST_DENIED, at, m, ml, nm, nl, shown,
                             ": no such import module (the device provides wasmote, "
                             "wasi_snapshot_preview1 and env)",
                             NULL);
        uint32_t napi;
        const wm_sb_api_entry *api = set->table(&napi);
        const wm_sb_api_entry *e = NULL;
        for (uint32_t j = 0; j < napi && !e; j++) /* names are unique in a table */
            if (wm_streq_n(api[j].name, nm, nl)) e = &api[j];
        if (!e)
            return link_fail(err, WM_ST_DENIED, at, m, ml, nm, nl, shown, ": no such host function",
                             NULL);
        if (!sig_ok || !wm_streq_n(e->sig, (const uint8_t *)sig, wm_strlen(sig))) {
            link_fail(err, WM_ST_DENIED, at, m, ml, nm, nl, shown,
                      ": signature does not match the host function's", NULL);
            append_sig(err, e->sig);
            return WM_ST_DENIED;
        }
        wm_host_fn fn = e->fn;
        if (!wm_sb_granted(&mod->manifest, e->cap)) {
            if (!set->denied)
                return link_fail(err, WM_ST_DENIED, at, m, ml, nm, nl, shown,
                                 ": not granted by the manifest (needs capability ",
                                 cap_hint(e->cap));
            fn = set->denied; /* WASI: linked, answers "not capable" */
        }
        bool have = false;
        for (uint32_t j = 0; j < mod->nfuncs; j++)
            if (mod->funcs[j].name == e->name && mod->funcs[j].module == set->module) have = true;
        if (have) continue;
        wm_host_func *hf = &mod->funcs[mod->nfuncs++];
        hf->module = set->module;
        hf->name = e->name;
        hf->sig = e->sig;
        hf->fn = fn;
        hf->user = mod;
        if (wm_linker_add_host(&mod->linker, hf) != WM_OK)
            return wm_msg_fail_at(err, WM_ST_NO_RAM, NULL, at, "out of memory linking imports");
    }
    if (r.bad)
        return wm_msg_fail_at(err, WM_ST_INVALID_MODULE, "module", base,
                              "import section unreadable");
    return WM_ST_OK;
}
