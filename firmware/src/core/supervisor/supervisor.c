/* Slots, the scheduler and the module lifecycle (START, STOP, replace, remove, autostart,
 * crash policy). RUN lives in sup_run.c, provisioning in keys.c, reset attribution in
 * crash.c. */
#include "sup_internal.h"

#include "pins.h"
#include "sb_api.h"

/* ---- small helpers ---- */

void wm_sup_text_init(wm_sup_text *t, char *buf, size_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

void wm_sup_put(wm_sup_text *t, const char *s)
{
    while (s != NULL && *s != '\0' && t->len + 1u < t->cap) {
        t->buf[t->len++] = *s++;
    }
    if (t->cap > 0) {
        t->buf[t->len] = '\0';
    }
}

void wm_sup_put_u(wm_sup_text *t, uint64_t v)
{
    char d[21];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < 20);
    char out[21];
    for (int i = 0; i < n; i++) {
        out[i] = d[n - 1 - i];
    }
    out[n] = '\0';
    wm_sup_put(t, out);
}

void wm_sup_put_hex(wm_sup_text *t, uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    char d[11];
    int n = 0;
    d[n++] = '0';
    d[n++] = 'x';
    bool started = false;
    for (int shift = 28; shift >= 0; shift -= 4) {
        uint32_t nib = (v >> shift) & 0xFu;
        if (nib != 0 || started || shift == 0) {
            d[n++] = hex[nib];
            started = true;
        }
    }
    d[n] = '\0';
    wm_sup_put(t, d);
}

size_t wm_sup_strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

bool wm_sup_streq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

void wm_sup_strcpy(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; i + 1u < cap && src[i] != '\0'; i++) {
        dst[i] = src[i];
    }
    dst[i] = '\0';
}

void wm_sup_emit_n(wm_supervisor *s, uint8_t ev, const char *name, const char *text,
                   size_t len)
{
    if (s->cfg.event != NULL) {
        s->cfg.event(s->cfg.event_ctx, ev, name, text, len);
    }
}

void wm_sup_emit(wm_supervisor *s, uint8_t ev, const char *name, const char *text)
{
    wm_sup_emit_n(s, ev, name, text, wm_sup_strlen(text));
}

/* An event and the same line in the log ring (LOGS), as the old runner did. */
static void announce(wm_supervisor *s, uint8_t ev, const char *name, const char *text)
{
    wm_sup_emit(s, ev, name, text);
    if (ev != WM_EV_LOG) {
        wm_sup_emit(s, WM_EV_LOG, name, text);
    }
}

uint64_t wm_sup_now(wm_supervisor *s)
{
    uint32_t m = s->cfg.millis != NULL ? s->cfg.millis() : 0u;
    s->now += (uint32_t)(m - s->last_millis); /* wrap-safe: unsigned difference */
    s->last_millis = m;
    return s->now;
}

static wm_slot *slot_of(wm_sb_module *m)
{
    return (wm_slot *)(void *)((uint8_t *)m - offsetof(wm_slot, sb));
}

static bool running_state(uint8_t st)
{
    return st == WM_MS_READY || st == WM_MS_SLEEPING || st == WM_MS_WAITING ||
           st == WM_MS_BACKOFF;
}

uint32_t wm_sup_running(const wm_supervisor *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        n += s->slots[i].name[0] != '\0' && running_state(s->slots[i].state) ? 1u : 0u;
    }
    return n;
}

static wm_slot *find_slot(wm_supervisor *s, const char *name)
{
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        if (s->slots[i].name[0] != '\0' && wm_sup_streq(s->slots[i].name, name)) {
            return &s->slots[i];
        }
    }
    return NULL;
}

/* A free slot, else the record of a module that is not running (its statistics go). */
static wm_slot *claim_slot(wm_supervisor *s)
{
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        if (s->slots[i].name[0] == '\0') {
            return &s->slots[i];
        }
    }
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        wm_slot *sl = &s->slots[i];
        if (!running_state(sl->state) && !sl->loaded && sl->state != WM_MS_DISABLED) {
            return sl;
        }
    }
    return NULL;
}

static void reset_record(wm_slot *sl, const char *name)
{
    uint8_t *b = (uint8_t *)sl;
    for (size_t i = 0; i < sizeof *sl; i++) {
        b[i] = 0;
    }
    wm_sup_strcpy(sl->name, name, sizeof sl->name);
    sl->state = WM_MS_IDLE;
}

/* ---- the sandbox platform hooks ---- */

static uint64_t hk_now(void *ctx) { return wm_sup_now(ctx); }

static void hk_log(void *ctx, wm_sb_module *m, const uint8_t *msg, uint32_t len)
{
    wm_sup_emit_n(ctx, WM_EV_LOG, slot_of(m)->name, (const char *)msg, len);
}

/* First call: register the deadline and block; the retry (after the scheduler woke the
 * module) completes. */
static bool hk_sleep(void *ctx, wm_sb_module *m, uint32_t ms)
{
    wm_slot *sl = slot_of(m);
    if (sl->armed) {
        sl->armed = false;
        return false;
    }
    sl->armed = true;
    sl->blocked_on = WM_MS_SLEEPING;
    sl->forever = false;
    sl->wake_ms = wm_sup_now(ctx) + ms;
    return true;
}

static bool hk_wait(void *ctx, wm_sb_module *m, int32_t timeout_ms)
{
    wm_slot *sl = slot_of(m);
    if (sl->armed) {
        sl->armed = false;
        return false;
    }
    sl->armed = true;
    sl->blocked_on = WM_MS_WAITING;
    sl->forever = timeout_ms < 0;
    sl->wake_ms = wm_sup_now(ctx) + (uint32_t)(timeout_ms < 0 ? 0 : timeout_ms);
    return true;
}

bool wm_sup_woken(wm_supervisor *s, const wm_slot *sl)
{
    uint64_t now = wm_sup_now(s);
    if (sl->blocked_on == WM_MS_WAITING) {
        return sl->sb.ps.count > 0 || (!sl->forever && now >= sl->wake_ms);
    }
    return now >= sl->wake_ms;
}

/* ---- loading ---- */

int wm_sup_refusal(const wm_sb_error *err, char *msg, size_t cap)
{
    wm_sup_text t;
    wm_sup_text_init(&t, msg, cap);
    int st;
    switch (err->code) {
    case WM_SB_EUNSIGNED:
    case WM_SB_ESIG:
    case WM_SB_EREPLAY:
    case WM_SB_ELINK:
    case WM_SB_ELIMIT:
        st = WM_ST_DENIED;
        break;
    case WM_SB_ENOMEM:
        st = WM_ST_NO_RAM;
        break;
    default:
        st = WM_ST_INVALID_MODULE;
        break;
    }
    const char *why = err->msg;
    if (err->code == WM_SB_EFORMAT || err->code == WM_SB_EMODULE || err->code == WM_SB_EHASH) {
        static const char prefix[] = "module: ";
        bool module = err->code == WM_SB_EMODULE;
        wm_sup_put(&t, module ? "invalid module at " : "invalid package at ");
        wm_sup_put_hex(&t, err->offset);
        wm_sup_put(&t, ": ");
        size_t i = 0;
        while (module && prefix[i] != '\0' && why[i] == prefix[i]) {
            i++;
        }
        if (prefix[i] == '\0') {
            why += i;
        }
    }
    wm_sup_put(&t, why);
    return st;
}

static bool is_package(const uint8_t *image, uint32_t size)
{
    return size >= 4u && image[0] == 0x00 && image[1] == 0x77 && image[2] == 0x6D &&
           image[3] == 0x70;
}

int wm_sup_load(wm_supervisor *s, wm_slot *sl, const char *name, const uint8_t *image,
                uint32_t size, char *msg, size_t cap)
{
    wm_sup_text t;
    wm_sup_text_init(&t, msg, cap);
    wm_extent g;
    if (!wm_pool_largest(&s->pool, &g) || g.size < 256u) {
        wm_sup_put(&t, "no free RAM for another module (");
        wm_sup_put_u(&t, wm_pool_free(&s->pool));
        wm_sup_put(&t, " bytes free): stop one");
        return WM_ST_NO_RAM;
    }
    wm_arena_init(&sl->arena, g.base, g.size);
    wm_sb_error err;
    err.code = 0;
    err.offset = 0;
    err.msg[0] = '\0';
    int rc = is_package(image, size)
                 ? wm_sb_install(&s->host, &sl->sb, &sl->arena, image, size, &s->dev, &err)
                 : wm_sb_install_bare(&s->host, &sl->sb, &sl->arena, image, size, &s->dev,
                                      name, &err);
    if (rc != WM_SB_OK) {
        if (rc == WM_SB_ENOMEM) {
            wm_sup_put(&t, "not enough free RAM for the module's limits (");
            wm_sup_put_u(&t, g.size);
            wm_sup_put(&t, " bytes in the largest free block): ");
            wm_sup_put(&t, err.msg);
            return WM_ST_NO_RAM;
        }
        return wm_sup_refusal(&err, msg, cap);
    }
    size_t used = (sl->arena.used + 7u) & ~(size_t)7u;
    if (used > g.size) {
        used = g.size;
    }
    (void)wm_pool_take(&s->pool, g.base, used); /* inside the gap: cannot fail */
    sl->arena.size = used;
    sl->loaded = true;
    sl->in_call = false;
    sl->armed = false;
    return WM_ST_OK;
}

void wm_sup_unload(wm_supervisor *s, wm_slot *sl)
{
    if (!sl->loaded) {
        return;
    }
    if (sl->sb.inst != NULL && wm_suspended(sl->sb.inst)) {
        wm_abort(sl->sb.inst);
    }
    wm_sb_uninstall(&sl->sb);
    wm_pool_give(&s->pool, sl->arena.base);
    sl->loaded = false;
    sl->in_call = false;
    sl->armed = false;
}

/* Loads the slot's module from the store and prepares its entry; READY on success. */
static int start_slot(wm_supervisor *s, wm_slot *sl, char *msg, size_t cap)
{
    wm_sup_text t;
    wm_sup_text_init(&t, msg, cap);
    uint32_t idx = 0;
    wm_store_info info;
    const uint8_t *image = NULL;
    if (wm_store_find(s->cfg.store, sl->name, &idx) != WM_STORE_OK ||
        wm_store_get(s->cfg.store, idx, &info) != WM_STORE_OK ||
        (image = wm_store_image(s->cfg.store, idx)) == NULL) {
        wm_sup_put(&t, "no such module");
        return WM_ST_NOT_FOUND;
    }
    int st = wm_sup_load(s, sl, sl->name, image, info.size, msg, cap);
    if (st != WM_ST_OK) {
        return st;
    }
    const char *entry = sl->sb.manifest.entry[0] != '\0' ? sl->sb.manifest.entry : "_start";
    wm_extern ext;
    uint32_t np = 0, nr = 0;
    const uint8_t *pt = NULL, *rt = NULL;
    if (wm_export(sl->sb.inst, entry, &ext) != WM_OK || ext.kind != WM_EXTERN_FUNC) {
        wm_sup_unload(s, sl);
        wm_sup_put(&t, "no exported function '");
        wm_sup_put(&t, entry);
        wm_sup_put(&t, "' to start (export _start or set entry in the manifest)");
        return WM_ST_NOT_FOUND;
    }
    wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
    if (np != 0 || nr > WM_PROTO_MAX_VALUES) {
        wm_sup_unload(s, sl);
        wm_sup_put(&t, "the entry '");
        wm_sup_put(&t, entry);
        wm_sup_put(&t, "' must take no parameters");
        return WM_ST_BAD_ARGS;
    }
    sl->entry = ext.of.func;
    sl->nresults = nr;
    sl->state = WM_MS_READY;
    sl->started_ms = wm_sup_now(s);
    sl->window_ms = sl->started_ms;
    sl->window_fuel = 0;
    sl->window_busy_ms = 0;
    return WM_ST_OK;
}

/* Start with a failure turned into an event (autostart, restart, replace). */
static void start_or_report(wm_supervisor *s, wm_slot *sl)
{
    char msg[128], line[160];
    int st = start_slot(s, sl, msg, sizeof msg);
    if (st == WM_ST_OK) {
        return;
    }
    sl->state = WM_MS_FAILED;
    wm_sup_strcpy(sl->last_trap, msg, sizeof sl->last_trap);
    wm_sup_text t;
    wm_sup_text_init(&t, line, sizeof line);
    wm_sup_put(&t, "failed to start: ");
    wm_sup_put(&t, msg);
    announce(s, WM_EV_EXIT, sl->name, line);
}

/* ---- running ---- */

static void roll_window(wm_slot *sl, uint64_t now)
{
    uint64_t span = now - sl->window_ms;
    if (span < 1000u) {
        return;
    }
    sl->last_fuel_per_s = (uint32_t)((uint64_t)sl->window_fuel * 1000u / span);
    uint64_t permille = (uint64_t)sl->window_busy_ms * 1000u / span;
    sl->last_cpu_permille = (uint16_t)(permille > 1000u ? 1000u : permille);
    sl->window_ms = now;
    sl->window_fuel = 0;
    sl->window_busy_ms = 0;
}

static void trapped(wm_supervisor *s, wm_slot *sl, const char *why)
{
    char line[WM_SUP_TRAP_MAX + 16];
    wm_sup_text t;
    uint64_t now = wm_sup_now(s);
    bool restart = sl->sb.manifest.restart;
    bool ran_long = now - sl->started_ms >= 10000u;
    sl->traps++;
    wm_sup_strcpy(sl->last_trap, why, sizeof sl->last_trap);
    wm_sup_text_init(&t, line, sizeof line);
    wm_sup_put(&t, "trap: ");
    wm_sup_put(&t, why);
    announce(s, WM_EV_TRAP, sl->name, line);
    wm_sup_unload(s, sl);
    if (!restart) {
        sl->state = WM_MS_TRAPPED;
        return;
    }
    /* Back off exponentially, from the start again once it had run for a while. */
    sl->backoff_ms = (ran_long || sl->backoff_ms == 0)
                         ? WM_SUP_BACKOFF_MIN_MS
                         : (sl->backoff_ms * 2u > WM_SUP_BACKOFF_MAX_MS ? WM_SUP_BACKOFF_MAX_MS
                                                                       : sl->backoff_ms * 2u);
    sl->wake_ms = now + sl->backoff_ms;
    sl->state = WM_MS_BACKOFF;
    wm_sup_text_init(&t, line, sizeof line);
    wm_sup_put(&t, "restarting in ");
    wm_sup_put_u(&t, sl->backoff_ms);
    wm_sup_put(&t, " ms");
    wm_sup_emit(s, WM_EV_LOG, sl->name, line);
}

static void stop_slot(wm_supervisor *s, wm_slot *sl, const char *why)
{
    wm_sup_unload(s, sl);
    sl->state = WM_MS_STOPPED;
    announce(s, WM_EV_EXIT, sl->name, why);
}

uint64_t wm_sup_slice(const wm_supervisor *s, const wm_slot *sl)
{
    uint32_t cap = s->cfg.slice_max != 0 ? s->cfg.slice_max : WM_SUP_SLICE_MAX;
    return sl->sb.manifest.fuel < cap ? sl->sb.manifest.fuel : cap;
}

static void run_slice(wm_supervisor *s, wm_slot *sl)
{
    wm_val res[WM_PROTO_MAX_VALUES];
    wm_error err = {WM_OK, 0, ""};
    uint64_t fuel = wm_sup_slice(s, sl);
    uint64_t t0 = wm_sup_now(s);
    wm_sup_slice_begin(s, sl->name);
    wm_err e = sl->in_call ? wm_resume(sl->sb.inst, fuel, res, sl->nresults, &err)
                           : wm_call(sl->sb.inst, sl->entry, NULL, 0, res, sl->nresults, fuel,
                                     &err);
    wm_sup_slice_end(s);
    sl->in_call = true;
    uint64_t left = wm_fuel_left(sl->sb.inst);
    uint64_t used = e == WM_ERR_OUT_OF_FUEL ? fuel : (left <= fuel ? fuel - left : 0u);
    uint64_t now = wm_sup_now(s);
    roll_window(sl, now);
    sl->fuel_total += used;
    sl->window_fuel += (uint32_t)used;
    sl->window_busy_ms += (uint32_t)(now - t0);
    switch (e) {
    case WM_ERR_OUT_OF_FUEL:
        break; /* preempted: stays READY */
    case WM_ERR_BLOCKED:
        sl->state = sl->blocked_on;
        break;
    case WM_OK:
        wm_sup_unload(s, sl);
        sl->state = WM_MS_EXITED;
        announce(s, WM_EV_EXIT, sl->name, "exit");
        return;
    default:
        trapped(s, sl, err.msg != NULL ? err.msg : "trap");
        return;
    }
    uint32_t budget = sl->sb.manifest.cpu;
    if (budget != 0 && sl->window_fuel > budget) {
        char line[96];
        wm_sup_text t;
        wm_sup_text_init(&t, line, sizeof line);
        wm_sup_put(&t, "cpu budget exceeded: ");
        wm_sup_put_u(&t, sl->window_fuel);
        wm_sup_put(&t, " fuel within a second, limit ");
        wm_sup_put_u(&t, budget);
        wm_sup_strcpy(sl->last_trap, line, sizeof sl->last_trap);
        stop_slot(s, sl, line);
    }
}

bool wm_sup_step(wm_supervisor *s)
{
    uint64_t now = wm_sup_now(s);
    if (s->cfg.kick != NULL) {
        s->cfg.kick();
    }
    bool pending = false;
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        wm_slot *sl = &s->slots[i];
        if (sl->name[0] == '\0') {
            continue;
        }
        roll_window(sl, now);
        if (sl->reload && !sl->loaded) {
            sl->reload = false;
            start_or_report(s, sl);
        } else if ((sl->state == WM_MS_SLEEPING || sl->state == WM_MS_WAITING) &&
                   wm_sup_woken(s, sl)) {
            sl->state = WM_MS_READY;
        } else if (sl->state == WM_MS_BACKOFF && now >= sl->wake_ms) {
            sl->restarts++;
            announce(s, WM_EV_LOG, sl->name, "restarted");
            start_or_report(s, sl);
        }
        pending = pending || sl->state == WM_MS_READY;
    }
    if (!pending) {
        return false;
    }
    for (uint32_t k = 1; k <= WM_SUP_SLOTS; k++) {
        uint32_t i = (s->next + k) % WM_SUP_SLOTS;
        wm_slot *sl = &s->slots[i];
        if (sl->name[0] != '\0' && sl->state == WM_MS_READY && sl->loaded) {
            s->next = i;
            run_slice(s, sl);
            return true;
        }
    }
    return false;
}

/* ---- protocol hooks ---- */

static int op_start(void *ctx, wm_protocol *p, const char *name, char *msg, size_t cap)
{
    wm_supervisor *s = ctx;
    wm_sup_text t;
    (void)p;
    wm_sup_text_init(&t, msg, cap);
    wm_slot *sl = find_slot(s, name);
    if (sl != NULL && running_state(sl->state)) {
        wm_sup_put(&t, "module ");
        wm_sup_put(&t, name);
        wm_sup_put(&t, " is running; stop it first");
        return WM_ST_BUSY;
    }
    if (sl == NULL) {
        sl = claim_slot(s);
        if (sl == NULL) {
            wm_sup_put(&t, "all module slots are in use: stop or remove a module");
            return WM_ST_BUSY;
        }
        reset_record(sl, name);
    }
    if (sl->state == WM_MS_DISABLED) {
        wm_sup_crash_clear(s, name); /* started by hand: give it another chance */
    }
    int st = start_slot(s, sl, msg, cap);
    if (st != WM_ST_OK) {
        sl->state = WM_MS_FAILED;
        wm_sup_strcpy(sl->last_trap, msg, sizeof sl->last_trap);
    }
    return st;
}

static int op_stop(void *ctx, wm_protocol *p, const char *name, char *msg, size_t cap)
{
    wm_supervisor *s = ctx;
    wm_sup_text t;
    (void)p;
    wm_sup_text_init(&t, msg, cap);
    wm_slot *sl = find_slot(s, name);
    if (sl == NULL || !running_state(sl->state)) {
        wm_sup_put(&t, "module ");
        wm_sup_put(&t, name);
        wm_sup_put(&t, " is not running");
        return WM_ST_NOT_FOUND;
    }
    stop_slot(s, sl, "stopped");
    return WM_ST_OK;
}

static void op_installed(void *ctx, wm_protocol *p, const char *name)
{
    wm_supervisor *s = ctx;
    (void)p;
    uint32_t idx = 0;
    wm_store_info info;
    wm_sup_crash_clear(s, name);
    if (wm_store_find(s->cfg.store, name, &idx) != WM_STORE_OK ||
        wm_store_get(s->cfg.store, idx, &info) != WM_STORE_OK) {
        return;
    }
    /* Raise the replay pin of a signed package on a provisioned device. */
    const uint8_t *image = wm_store_image(s->cfg.store, idx);
    if (s->dev.nkeys > 0 && image != NULL && is_package(image, info.size)) {
        wm_package pkg;
        wm_manifest m;
        if (wm_pkg_parse(image, info.size, &pkg, NULL) == WM_SB_OK &&
            wm_pkg_manifest(&pkg, &m, NULL) == WM_SB_OK && s->cfg.kv != NULL) {
            (void)wm_sb_pin_record(s->cfg.kv, m.name, m.version);
        }
    }
    wm_slot *sl = find_slot(s, name);
    bool was_running = sl != NULL && running_state(sl->state);
    if (sl != NULL && sl->loaded) {
        /* It executes in place from the old image, which the store now deletes. */
        wm_sup_unload(s, sl);
        announce(s, WM_EV_EXIT, name, "stopped: replaced by a new version");
        sl->state = WM_MS_STOPPED;
    }
    if (!was_running && (info.flags & WM_MODFLAG_AUTOSTART) == 0) {
        if (sl != NULL && sl->state == WM_MS_DISABLED) {
            sl->state = WM_MS_IDLE;
        }
        return;
    }
    if (sl == NULL) {
        sl = claim_slot(s);
        if (sl == NULL) {
            return;
        }
        reset_record(sl, name);
    }
    start_or_report(s, sl);
}

/* The kv namespace of the module `name` (its manifest name, or the store name if bare). */
static void module_namespace(wm_supervisor *s, const char *name, char *ns, size_t cap)
{
    uint32_t idx = 0;
    wm_store_info info;
    wm_sup_strcpy(ns, name, cap);
    if (wm_store_find(s->cfg.store, name, &idx) != WM_STORE_OK ||
        wm_store_get(s->cfg.store, idx, &info) != WM_STORE_OK) {
        return;
    }
    const uint8_t *image = wm_store_image(s->cfg.store, idx);
    wm_package pkg;
    wm_manifest m;
    if (image != NULL && is_package(image, info.size) &&
        wm_pkg_parse(image, info.size, &pkg, NULL) == WM_SB_OK &&
        wm_pkg_manifest(&pkg, &m, NULL) == WM_SB_OK) {
        wm_sup_strcpy(ns, m.name, cap);
    }
}

static void op_removing(void *ctx, wm_protocol *p, const char *name)
{
    wm_supervisor *s = ctx;
    (void)p;
    wm_slot *sl = find_slot(s, name);
    if (sl != NULL) {
        if (running_state(sl->state)) {
            stop_slot(s, sl, "stopped: removed");
        }
        wm_sup_unload(s, sl);
        sl->name[0] = '\0';
        sl->state = WM_MS_IDLE;
    }
    char ns[WM_PKG_NAME_MAX + 1];
    module_namespace(s, name, ns, sizeof ns);
    if (s->cfg.kv != NULL) {
        /* its data goes with it (documented: `wasmote rm` deletes the module's kv keys) */
        (void)wm_kv_clear_ns(s->cfg.kv, (const uint8_t *)ns, (uint32_t)wm_sup_strlen(ns));
    }
    wm_sup_crash_clear(s, name);
}

static void op_module_state(void *ctx, const char *name, wm_proto_module_state *out)
{
    wm_supervisor *s = ctx;
    wm_slot *sl = find_slot(s, name);
    out->last_trap = "";
    if (sl == NULL) {
        out->state = WM_MS_IDLE;
        return;
    }
    out->state = sl->state;
    if (sl->loaded) {
        const wm_sb_module *m = &sl->sb;
        out->kind = m->pkg.bytes != m->pkg.module ? (m->decision.aot != NULL ? 2u : 1u) : 0u;
        out->version[0] = m->manifest.version[0];
        out->version[1] = m->manifest.version[1];
        out->version[2] = m->manifest.version[2];
        out->mem_bytes = (uint32_t)sl->arena.size;
    }
    out->fuel_per_s = sl->last_fuel_per_s;
    out->cpu_permille = sl->last_cpu_permille;
    out->traps = sl->traps;
    out->restarts = sl->restarts;
    out->last_trap = sl->last_trap;
}

static void op_device_state(void *ctx, wm_proto_device_state *out)
{
    wm_supervisor *s = ctx;
    static const char unprov[] = "unprovisioned: unsigned packages accepted";
    out->free_ram = (uint32_t)wm_pool_free(&s->pool);
    out->nkeys = (uint8_t)s->dev.nkeys;
    out->key_counter = s->key_counter;
    out->aot_arch = s->cfg.aot_arch;
    out->aot_abi = s->cfg.aot_abi;
    out->slots = WM_SUP_SLOTS;
    out->running = (uint16_t)wm_sup_running(s);
    out->boots = s->cfg.retained != NULL ? s->cfg.retained->boots : 0u;
    out->reset_cause = (uint8_t)s->cfg.reset_cause;
    /* notes: provisioning state, then modules disabled for crashing the device */
    wm_sup_text t;
    wm_sup_text_init(&t, s->notes, sizeof s->notes);
    if (s->dev.nkeys == 0) {
        wm_sup_put(&t, unprov);
    }
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        if (s->slots[i].name[0] != '\0' && s->slots[i].state == WM_MS_DISABLED) {
            wm_sup_put(&t, t.len > 0 ? "; disabled: " : "disabled: ");
            wm_sup_put(&t, s->slots[i].name);
            wm_sup_put(&t, " (reset the device ");
            wm_sup_put_u(&t, wm_sup_crash_count(s, s->slots[i].name));
            wm_sup_put(&t, " times)");
        }
    }
    out->notes = s->notes;
}

static uint16_t op_validate_status(void *ctx) { return ((wm_supervisor *)ctx)->validate_status; }

void wm_sup_protocol_ops(wm_supervisor *s, wm_protocol_runner *ops)
{
    ops->ctx = s;
    ops->run = wm_sup_run;
    ops->start = op_start;
    ops->stop = op_stop;
    ops->installed = op_installed;
    ops->removing = op_removing;
    ops->module_state = op_module_state;
    ops->device_state = op_device_state;
    ops->provision = wm_sup_provision;
    ops->validate_status = op_validate_status;
}

void wm_sup_store_moving(void *ctx)
{
    wm_supervisor *s = ctx;
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        wm_slot *sl = &s->slots[i];
        if (sl->name[0] == '\0' || !sl->loaded) {
            continue;
        }
        /* It executes in place from an image compaction is about to move. */
        wm_sup_unload(s, sl);
        sl->reload = true;
        announce(s, WM_EV_LOG, sl->name, "restarting: the module store is being compacted");
    }
}

int wm_sup_validate(void *ctx, const uint8_t *image, uint32_t size)
{
    wm_supervisor *s = ctx;
    wm_store *st = s->cfg.store;
    const char *name = st->pending ? st->recs[st->pending_idx].name : "module";
    wm_extent g;
    s->validate_status = WM_ST_OK;
    s->validate_msg[0] = '\0';
    if (!wm_pool_largest(&s->pool, &g)) {
        wm_sup_strcpy(s->validate_msg, "no free RAM to validate the module: stop a module",
                      sizeof s->validate_msg);
        s->validate_status = WM_ST_NO_RAM;
        return -1;
    }
    wm_arena_init(&s->tmp.arena, g.base, g.size);
    wm_sb_error err;
    err.code = 0;
    err.offset = 0;
    err.msg[0] = '\0';
    int rc = wm_sb_check(&s->host, &s->tmp.sb, &s->tmp.arena, image, size, &s->dev,
                         is_package(image, size) ? NULL : name, &err);
    if (rc == WM_SB_OK) {
        return 0;
    }
    s->validate_status = (uint16_t)wm_sup_refusal(&err, s->validate_msg, sizeof s->validate_msg);
    return -1;
}

const char *wm_sup_validate_error(void *ctx) { return ((wm_supervisor *)ctx)->validate_msg; }

void wm_sup_init(wm_supervisor *s, const wm_sup_config *cfg)
{
    uint8_t *b = (uint8_t *)s;
    for (size_t i = 0; i < sizeof *s; i++) {
        b[i] = 0;
    }
    s->cfg = *cfg;
    s->last_millis = cfg->millis != NULL ? cfg->millis() : 0u;
    wm_pool_init(&s->pool, cfg->ram, cfg->ram_size);
    wm_sb_platform plat = {s, hk_now, hk_log, hk_sleep, hk_wait, cfg->gpio, cfg->kv};
    wm_sb_host_init(&s->host, &plat);
    s->dev.keys = (const uint8_t(*)[32])s->keys;
    s->dev.nkeys = 0;
    s->dev.pinned = cfg->kv != NULL ? wm_sb_pin_lookup : NULL;
    s->dev.pin_ctx = cfg->kv;
    s->dev.arch = cfg->aot_arch;
    s->dev.aot_abi = cfg->aot_abi;
    wm_sup_keys_load(s);
    wm_sup_crash_attribute(s);
    /* Autostart, skipping modules that kept resetting the device. */
    wm_store *st = cfg->store;
    for (uint32_t i = 0; i < wm_store_count(st); i++) {
        wm_store_info info;
        if (wm_store_get(st, i, &info) != WM_STORE_OK ||
            (info.flags & WM_MODFLAG_AUTOSTART) == 0) {
            continue;
        }
        wm_slot *sl = claim_slot(s);
        if (sl == NULL) {
            announce(s, WM_EV_EXIT, info.name, "not started: all module slots are in use");
            continue;
        }
        reset_record(sl, info.name);
        if (wm_sup_crash_count(s, info.name) >= WM_SUP_CRASH_LIMIT) {
            sl->state = WM_MS_DISABLED;
            announce(s, WM_EV_EXIT, info.name,
                     "disabled: it reset the device repeatedly (start it by hand or push it "
                     "again)");
            continue;
        }
        wm_sup_emit(s, WM_EV_LOG, info.name, "autostart");
        start_or_report(s, sl);
    }
}
