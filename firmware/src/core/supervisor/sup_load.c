/* Loading a store image into a slot (sandbox install in a RAM extent of its own), and the
 * sandbox's platform hooks: clock, log lines, and the blocking sleep/receive. */
#include "sup_internal.h"

#include "sb_api.h"

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

static uint64_t hk_now(void *ctx) { return wm_sup_now(ctx); }

static void hk_log(void *ctx, wm_sb_module *m, const uint8_t *msg, uint32_t len)
{
    wm_sup_emit_n(ctx, WM_EV_LOG, slot_of(m)->name, (const char *)msg, len);
}

/* An OUTPUT event: the flags byte, then the piece (at most WM_LOG_MAX bytes). */
static void hk_output(void *ctx, wm_sb_module *m, const uint8_t *data, uint32_t len, uint32_t flags)
{
    char ev[1 + WM_LOG_MAX];
    if (len > WM_LOG_MAX) {
        len = WM_LOG_MAX;
    }
    ev[0] = (char)(((flags & WM_SB_OUT_STDERR) ? WM_OUT_STDERR : 0u) |
                   ((flags & WM_SB_OUT_PARTIAL) ? WM_OUT_PARTIAL : 0u));
    for (uint32_t i = 0; i < len; i++) {
        ev[1 + i] = (char)data[i];
    }
    wm_sup_emit_n(ctx, WM_EV_OUTPUT, slot_of(m)->name, ev, 1u + len);
}

/* random_get and env.seed draw from the device's DRBG (core/random, issue 14), in requests
 * it accepts; -1 when it was never seeded. */
static int hk_random(void *ctx, uint8_t *buf, uint32_t len)
{
    while (len > 0) {
        uint32_t n = len < WM_RANDOM_MAX_REQUEST ? len : WM_RANDOM_MAX_REQUEST;
        if (wm_sup_random(ctx, buf, n) != 0) {
            return -1;
        }
        buf += n;
        len -= n;
    }
    return 0;
}

static bool hk_realtime(void *ctx, uint64_t *ns)
{
    wm_supervisor *s = ctx;
    return s->cfg.realtime_ns != NULL && s->cfg.realtime_ns(ns);
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
    if (m->ps.count > 0) {
        return false; /* a message is waiting: nothing to block for */
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
        return wm_sb_wait_ready(&sl->sb) || (!sl->forever && now >= sl->wake_ms);
    }
    return now >= sl->wake_ms;
}

bool wm_sup_is_package(const uint8_t *image, uint32_t size)
{
    return wm_pkg_has_magic(image, size);
}

bool wm_sup_manifest_of(const uint8_t *image, uint32_t size, wm_manifest *m)
{
    /* In place, without hashing the package again: a committed image was verified when it
     * was committed, and every read here is bounds-checked. */
    if (image == NULL || size < WM_PKG_HEADER_SIZE + 8u || !wm_sup_is_package(image, size)) {
        return false;
    }
    wm_package pkg;
    wm_memset(&pkg, 0, sizeof pkg);
    uint32_t len = wm_ld32(image + WM_PKG_HEADER_SIZE + 4u);
    if (image[WM_PKG_HEADER_SIZE] != WM_PKG_KIND_MANIFEST || len > WM_PKG_MANIFEST_MAX ||
        len > size - WM_PKG_HEADER_SIZE - 8u) {
        return false;
    }
    pkg.manifest = image + WM_PKG_HEADER_SIZE + 8u;
    pkg.manifest_len = len;
    pkg.manifest_off = WM_PKG_HEADER_SIZE + 8u;
    return wm_pkg_manifest(&pkg, m, NULL) == WM_ST_OK;
}

int wm_sup_check_name(const char *name, const wm_manifest *m, wm_msg *msg)
{
    if (wm_streq(name, m->name)) {
        return WM_ST_OK;
    }
    wm_msg_fail(msg, WM_ST_BAD_NAME, "the package's manifest names '");
    wm_msg_put(msg, m->name);
    wm_msg_put(msg, "' but it is installed as '");
    wm_msg_put(msg, name);
    wm_msg_put(msg, "': a module runs only under its own name");
    return WM_ST_BAD_NAME;
}

void wm_sup_installed_dev(const wm_supervisor *s, wm_sb_device *dev)
{
    *dev = s->dev;
    if (dev->pinned != NULL) {
        dev->pinned = wm_sb_pin_lookup_installed;
    }
}

int wm_sup_load(wm_supervisor *s, wm_slot *sl, const char *name, const uint8_t *image,
                uint32_t size, wm_msg *msg)
{
    int st = wm_sup_check_unlocked(s, msg);
    if (st != WM_ST_OK) {
        return st;
    }
    wm_extent g;
    if (!wm_pool_largest(&s->pool, &g) || g.size < 256u) {
        wm_msg_fail(msg, WM_ST_NO_RAM, "no free RAM for another module (");
        wm_msg_put_u(msg, wm_pool_free(&s->pool));
        wm_msg_put(msg, " bytes free): stop one");
        return WM_ST_NO_RAM;
    }
    wm_arena_init(&sl->arena, g.base, g.size);
    /* Images come from the store: each passed wm_sb_check, the module hash binding its
     * native code included, before it was committed, and wm_sb_install verifies its
     * content hash again. So the package is hashed once per load, not the module again. */
    wm_sb_device dev;
    wm_sup_installed_dev(s, &dev);
    if (dev.aot_attach != NULL && s->cfg.aot_attach_committed != NULL) {
        dev.aot_attach = s->cfg.aot_attach_committed;
    }
    /* The sandbox's refusal is the answer as it is; only a lack of RAM says how much the
     * supervisor had (the sandbox does not know the pool). */
    int rc =
        wm_sup_is_package(image, size)
            ? wm_sb_install(&s->host, &sl->sb, &sl->arena, image, size, &dev, msg)
            : wm_sb_install_bare(&s->host, &sl->sb, &sl->arena, image, size, &s->dev, name, msg);
    if (rc == WM_ST_NO_RAM) {
        wm_msg_fail(msg, WM_ST_NO_RAM, "not enough free RAM for the module's limits (");
        wm_msg_put_u(msg, g.size);
        wm_msg_put(msg, " bytes in the largest free block)");
    }
    if (rc != WM_ST_OK) {
        return rc;
    }
    /* Installed before names were checked at commit: it must not run as another module
     * (its kv data and pins are keyed by the manifest name). No code ran: no start
     * function is allowed. */
    st = wm_sup_check_name(name, &sl->sb.manifest, msg);
    if (st != WM_ST_OK) {
        wm_sb_uninstall(&sl->sb);
        return st;
    }
    size_t used = (sl->arena.used + 7u) & ~(size_t)7u;
    if (used > g.size) {
        used = g.size;
    }
    (void)wm_pool_take(&s->pool, g.base, used); /* inside the gap: cannot fail */
    sl->arena.size = used;
    wm_sup_form_attach(s, sl, name);
    sl->loaded = true;
    sl->in_call = false;
    sl->armed = false;
    return WM_ST_OK;
}

void wm_sup_unload(wm_supervisor *s, wm_slot *sl)
{
    /* Whoever unloads it decides what comes next: a compaction's pending reload is void
     * (a STOP, a trap, a replace or a remove must not be undone by the next step). */
    sl->reload = false;
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

/* kv writes: within the module's budget (per store name, shared by its RUN calls), and
 * the flash work charged to its fuel (wm_charge: beyond this slice the call owes it and
 * its next slices repay it). */
static bool hk_kv_budget(void *ctx, wm_sb_module *m, uint32_t bytes)
{
    return wm_sup_kv_budget(ctx, slot_of(m)->name, m->manifest.kv_write, bytes);
}

static void hk_kv_spent(void *ctx, wm_sb_module *m, uint32_t bytes, uint32_t work)
{
    wm_supervisor *s = ctx;
    wm_slot *sl = slot_of(m);
    wm_sup_kv_spent(s, sl->name, m->manifest.kv_write, bytes);
    /* beyond the fuel left it is owed: the call suspends and its next slices repay it */
    (void)wm_charge(m->inst, work / WM_SUP_KV_WORK_PER_FUEL);
}

void wm_sup_platform(wm_supervisor *s, wm_sb_platform *plat)
{
    plat->ctx = s;
    plat->now_ms = hk_now;
    plat->log = hk_log;
    plat->sleep = hk_sleep;
    plat->wait = hk_wait;
    plat->gpio = s->cfg.gpio;
    plat->kv = s->cfg.kv;
    plat->output = hk_output;
    plat->random = hk_random;
    plat->realtime_ns = hk_realtime;
    plat->kv_budget = hk_kv_budget;
    plat->kv_spent = hk_kv_spent;
    plat->log_byte_fuel = s->cfg.log_byte_fuel;
    plat->periph = s->cfg.periph;
}
