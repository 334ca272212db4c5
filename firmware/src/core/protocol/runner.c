#include "runner.h"

/* ---- small string helpers (no libc in the core) ---- */

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
} wm_text;

static void put_s(wm_text *t, const char *s)
{
    while (s != NULL && *s != '\0' && t->len + 1u < t->cap) {
        t->buf[t->len++] = *s++;
    }
    t->buf[t->len] = '\0';
}

static void put_hex(wm_text *t, uint32_t v)
{
    char d[11];
    int n = 0;
    d[n++] = '0';
    d[n++] = 'x';
    for (int shift = 28; shift >= 0; shift -= 4) {
        uint32_t nib = (v >> shift) & 0xFu;
        if (nib != 0 || n > 2 || shift == 0) {
            d[n++] = (char)(nib < 10u ? '0' + nib : 'a' + nib - 10u);
        }
    }
    d[n] = '\0';
    put_s(t, d);
}

static const char *type_name(uint8_t t)
{
    switch (t) {
    case WM_I32:
        return "i32";
    case WM_I64:
        return "i64";
    case WM_F32:
        return "f32";
    case WM_F64:
        return "f64";
    case WM_FUNCREF:
        return "funcref";
    default:
        return "externref";
    }
}

static size_t c_len(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* ---- host functions ---- */

static wm_err host_log(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_runner *r = user;
    int32_t len = (int32_t)args[1].of.i32;
    if (len < 0) {
        results[0].type = WM_I32;
        results[0].of.i32 = (uint32_t)-2; /* WM_E_INVAL */
        return WM_OK;
    }
    const uint8_t *p = wm_mem_ptr(inst, args[0].of.i32, (uint32_t)len);
    results[0].type = WM_I32;
    if (p == NULL) {
        results[0].of.i32 = (uint32_t)-1; /* WM_E_FAULT */
        return WM_OK;
    }
    uint32_t n = (uint32_t)len < WM_RUNNER_LOG_MAX ? (uint32_t)len : WM_RUNNER_LOG_MAX;
    if (r->proto != NULL) {
        (void)wm_protocol_event(r->proto, WM_EV_LOG, r->module, (const char *)p, n);
    }
    results[0].of.i32 = n;
    return WM_OK;
}

static wm_err host_yield(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    (void)args;
    results[0].type = WM_I32;
    results[0].of.i32 = 0;
    return WM_OK;
}

void wm_runner_init(wm_runner *r, void *mem, size_t size, uint64_t fuel)
{
    wm_arena_init(&r->arena, mem, size);
    r->store = NULL;
    r->slice = 20000u;
    r->bg.active = false;
    r->bg.name[0] = '\0';
    r->bg.mark = 0;
    r->bg.inst = NULL;
    wm_limits_default(&r->limits);
    r->fuel = fuel;
    r->proto = NULL;
    r->module = "";
    r->host[0].module = "wasmote";
    r->host[0].name = "log";
    r->host[0].sig = "ii:i";
    r->host[0].fn = host_log;
    r->host[0].user = r;
    r->host[1].module = "wasmote";
    r->host[1].name = "yield";
    r->host[1].sig = ":i";
    r->host[1].fn = host_yield;
    r->host[1].user = r;
    r->msg[0] = '\0';
}

/* Load + instantiate; on failure a WM_ST_* status with the reason in msg. */
static int instantiate(wm_runner *r, const uint8_t *image, uint32_t size, wm_instance **inst,
                       char *msg, size_t cap)
{
    wm_text t = {msg, cap, 0};
    wm_module *mod = NULL;
    wm_error err = {WM_OK, 0, ""};
    wm_err e = wm_load(&r->arena, image, size, &mod, &err);
    if (e != WM_OK) {
        put_s(&t, e == WM_ERR_NO_MEMORY ? "not enough RAM to load the module" : "invalid module at ");
        if (e != WM_ERR_NO_MEMORY) {
            put_hex(&t, err.offset);
            put_s(&t, ": ");
            put_s(&t, err.msg);
        }
        return e == WM_ERR_NO_MEMORY ? WM_ST_NO_SPACE : WM_ST_INVALID_MODULE;
    }
    wm_linker l;
    wm_linker_init(&l, &r->arena);
    if (wm_linker_add_host(&l, &r->host[0]) != WM_OK ||
        wm_linker_add_host(&l, &r->host[1]) != WM_OK) {
        put_s(&t, "not enough RAM to link host functions");
        return WM_ST_NO_SPACE;
    }
    e = wm_instantiate(&r->arena, mod, &l, &r->limits, inst, &err);
    if (e == WM_OK) {
        return WM_ST_OK;
    }
    if (e == WM_ERR_TRAP || e == WM_ERR_EXHAUSTION) {
        put_s(&t, err.msg);
        put_s(&t, " (in the start function)");
        return WM_ST_TRAP;
    }
    if (e == WM_ERR_NO_MEMORY || e == WM_ERR_LIMIT) {
        put_s(&t, "not enough RAM to instantiate: ");
        put_s(&t, err.msg);
        return WM_ST_NO_SPACE;
    }
    put_s(&t, "cannot instantiate: ");
    put_s(&t, err.msg);
    return WM_ST_INVALID_MODULE;
}

static int call(wm_runner *r, wm_instance *inst, const char *export_name,
                const wm_wire_value *args, uint32_t nargs, wm_wire_value *results,
                uint32_t *nresults, char *msg, size_t cap)
{
    wm_text t = {msg, cap, 0};
    wm_extern ext;
    if (wm_export(inst, export_name, &ext) != WM_OK || ext.kind != WM_EXTERN_FUNC) {
        put_s(&t, "no exported function '");
        put_s(&t, export_name);
        put_s(&t, "'");
        return WM_ST_NOT_FOUND;
    }
    uint32_t np = 0, nr = 0;
    const uint8_t *pt = NULL, *rt = NULL;
    wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
    bool ok = np == nargs && nr <= WM_PROTO_MAX_VALUES;
    for (uint32_t i = 0; ok && i < np; i++) {
        ok = pt[i] == args[i].type;
    }
    if (!ok) {
        put_s(&t, export_name);
        put_s(&t, " takes (");
        for (uint32_t i = 0; i < np; i++) {
            put_s(&t, i > 0 ? ", " : "");
            put_s(&t, type_name(pt[i]));
        }
        put_s(&t, ")");
        return WM_ST_BAD_ARGS;
    }
    wm_val in[WM_PROTO_MAX_VALUES], out[WM_PROTO_MAX_VALUES];
    for (uint32_t i = 0; i < nargs; i++) {
        in[i].type = args[i].type;
        if (args[i].type == WM_I32 || args[i].type == WM_F32) {
            in[i].of.i32 = (uint32_t)args[i].bits;
        } else {
            in[i].of.i64 = args[i].bits;
        }
    }
    wm_error err = {WM_OK, 0, ""};
    wm_err e = wm_call(inst, ext.of.func, in, nargs, out, nr, r->fuel, &err);
    if (e == WM_ERR_OUT_OF_FUEL) {
        wm_abort(inst);
        put_s(&t, "out of fuel (the call ran too long)");
        return WM_ST_TRAP;
    }
    if (e != WM_OK) {
        put_s(&t, err.msg);
        return e == WM_ERR_TRAP || e == WM_ERR_EXHAUSTION ? WM_ST_TRAP : WM_ST_BAD_ARGS;
    }
    for (uint32_t i = 0; i < nr; i++) {
        results[i].type = rt[i];
        if (rt[i] == WM_I32 || rt[i] == WM_F32) {
            results[i].bits = out[i].of.i32;
        } else if (rt[i] == WM_I64 || rt[i] == WM_F64) {
            results[i].bits = out[i].of.i64;
        } else {
            results[i].bits = 0; /* references do not cross the wire */
        }
    }
    *nresults = nr;
    return WM_ST_OK;
}

static int run(void *ctx, wm_protocol *p, const char *name, const uint8_t *image,
               uint32_t size, const char *export_name, const wm_wire_value *args,
               uint32_t nargs, wm_wire_value *results, uint32_t *nresults, char *msg,
               size_t msg_cap)
{
    wm_runner *r = ctx;
    size_t mark = wm_arena_mark(&r->arena);
    wm_instance *inst = NULL;
    r->proto = p;
    r->module = name;
    int st = instantiate(r, image, size, &inst, msg, msg_cap);
    if (st == WM_ST_OK) {
        st = call(r, inst, export_name, args, nargs, results, nresults, msg, msg_cap);
    }
    wm_arena_release(&r->arena, mark);
    return st;
}

static void bg_end(wm_runner *r, wm_protocol *p, uint8_t ev, const char *what)
{
    (void)wm_protocol_event(p, ev, r->bg.name, what, c_len(what));
    (void)wm_protocol_event(p, WM_EV_LOG, r->bg.name, what, c_len(what));
    wm_arena_release(&r->arena, r->bg.mark);
    r->bg.active = false;
    r->bg.inst = NULL;
}

/* Continue the background call; `first` starts it. */
static void bg_run(wm_runner *r, wm_protocol *p, const wm_func *f)
{
    wm_val res[WM_PROTO_MAX_VALUES];
    wm_error err = {WM_OK, 0, ""};
    r->proto = p;
    r->module = r->bg.name;
    wm_err e = f != NULL ? wm_call(r->bg.inst, f, NULL, 0, res, 0, r->slice, &err)
                         : wm_resume(r->bg.inst, r->slice, res, 0, &err);
    if (e == WM_ERR_OUT_OF_FUEL) {
        return; /* suspended: the next step continues it */
    }
    if (e == WM_OK) {
        bg_end(r, p, WM_EV_EXIT, "exit");
        return;
    }
    char line[128];
    wm_text t = {line, sizeof line, 0};
    put_s(&t, "trap: ");
    put_s(&t, err.msg);
    bg_end(r, p, WM_EV_TRAP, line);
}

static int start(void *ctx, wm_protocol *p, const char *name, char *msg, size_t cap)
{
    wm_runner *r = ctx;
    wm_text t = {msg, cap, 0};
    uint32_t idx = 0;
    wm_store_info info;
    const uint8_t *image = NULL;
    if (r->bg.active) {
        put_s(&t, "module ");
        put_s(&t, r->bg.name);
        put_s(&t, " is running; stop it first");
        return WM_ST_BUSY;
    }
    if (r->store == NULL || wm_store_find(r->store, name, &idx) != WM_STORE_OK ||
        wm_store_get(r->store, idx, &info) != WM_STORE_OK ||
        (image = wm_store_image(r->store, idx)) == NULL) {
        put_s(&t, "no such module");
        return WM_ST_NOT_FOUND;
    }
    size_t mark = wm_arena_mark(&r->arena);
    r->proto = p;
    r->module = name;
    wm_instance *inst = NULL;
    int st = instantiate(r, image, info.size, &inst, msg, cap);
    wm_extern ext;
    if (st == WM_ST_OK && (wm_export(inst, "_start", &ext) != WM_OK ||
                           ext.kind != WM_EXTERN_FUNC)) {
        put_s(&t, "no exported function '_start'");
        st = WM_ST_NOT_FOUND;
    }
    if (st != WM_ST_OK) {
        wm_arena_release(&r->arena, mark);
        return st;
    }
    uint32_t n = 0;
    while (n < WM_STORE_NAME_MAX && name[n] != '\0') {
        r->bg.name[n] = name[n];
        n++;
    }
    r->bg.name[n] = '\0';
    r->bg.mark = mark;
    r->bg.inst = inst;
    r->bg.active = true;
    bg_run(r, p, ext.of.func);
    return WM_ST_OK;
}

static int stop(void *ctx, wm_protocol *p, const char *name, char *msg, size_t cap)
{
    wm_runner *r = ctx;
    wm_text t = {msg, cap, 0};
    size_t i = 0;
    while (r->bg.active && name[i] != '\0' && name[i] == r->bg.name[i]) {
        i++;
    }
    if (!r->bg.active || name[i] != r->bg.name[i]) {
        put_s(&t, "module ");
        put_s(&t, name);
        put_s(&t, " is not running");
        return WM_ST_NOT_FOUND;
    }
    wm_abort(r->bg.inst);
    bg_end(r, p, WM_EV_EXIT, "stopped");
    return WM_ST_OK;
}

static void quiesce(void *ctx, wm_protocol *p)
{
    wm_runner *r = ctx;
    if (r->bg.active) {
        /* It executes in place from flash the store is about to change. */
        wm_abort(r->bg.inst);
        bg_end(r, p, WM_EV_EXIT, "stopped: the module store is changing");
    }
}

bool wm_runner_step(wm_runner *r, wm_protocol *p)
{
    if (r->bg.active) {
        bg_run(r, p, NULL);
    }
    return r->bg.active;
}

void wm_runner_ops(wm_runner *r, wm_protocol_runner *ops, wm_store *store)
{
    r->store = store;
    ops->ctx = r;
    ops->run = run;
    ops->start = start;
    ops->stop = stop;
    ops->quiesce = quiesce;
}

int wm_runner_validate(void *ctx, const uint8_t *image, uint32_t size)
{
    wm_runner *r = ctx;
    size_t mark = wm_arena_mark(&r->arena);
    wm_module *mod = NULL;
    wm_error err = {WM_OK, 0, ""};
    wm_err e = wm_load(&r->arena, image, size, &mod, &err);
    wm_arena_release(&r->arena, mark);
    wm_text t = {r->msg, sizeof r->msg, 0};
    if (e == WM_OK) {
        r->msg[0] = '\0';
        return 0;
    }
    put_s(&t, "invalid module at ");
    put_hex(&t, err.offset);
    put_s(&t, ": ");
    put_s(&t, e == WM_ERR_NO_MEMORY ? "not enough RAM to load it" : err.msg);
    return -1;
}

const char *wm_runner_validate_error(void *ctx)
{
    return ((wm_runner *)ctx)->msg;
}

uint32_t wm_runner_autostart(wm_runner *r, wm_protocol *p, wm_store *st)
{
    uint32_t ok = 0;
    for (uint32_t i = 0; i < wm_store_count(st); i++) {
        wm_store_info info;
        const uint8_t *image = wm_store_image(st, i);
        if (wm_store_get(st, i, &info) != WM_STORE_OK || image == NULL ||
            (info.flags & WM_MODFLAG_AUTOSTART) == 0) {
            continue;
        }
        wm_wire_value res[WM_PROTO_MAX_VALUES];
        uint32_t nres = 0;
        char msg[128];
        msg[0] = '\0';
        static const char started[] = "autostart";
        (void)wm_protocol_event(p, WM_EV_LOG, info.name, started, sizeof started - 1u);
        int rc = run(r, p, info.name, image, info.size, "_start", NULL, 0, res, &nres, msg,
                     sizeof msg);
        if (rc == WM_ST_OK) {
            ok++;
            continue;
        }
        /* Tell the host and keep going: the next module still starts. */
        char line[160];
        wm_text t = {line, sizeof line, 0};
        put_s(&t, rc == WM_ST_TRAP ? "trap: " : "failed: ");
        put_s(&t, msg);
        (void)wm_protocol_event(p, rc == WM_ST_TRAP ? WM_EV_TRAP : WM_EV_EXIT, info.name,
                                line, c_len(line));
        (void)wm_protocol_event(p, WM_EV_LOG, info.name, line, c_len(line));
    }
    return ok;
}
