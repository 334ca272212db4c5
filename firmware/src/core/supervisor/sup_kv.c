/* The config area's shares (supervisor.h): the firmware's reserve, the pool of module data,
 * and the install-time check that what a module's manifest promises (limits.kv) can be
 * kept next to what is promised to the modules already installed. */
#include "sup_internal.h"

/* The shares assume these record sizes: a pin or a crash count of any store name. */
typedef char wm_sup_pin_fits[WM_KV_RECORD_OVERHEAD + ((5u + WM_STORE_NAME_MAX + 6u + 7u) & ~7u) <=
                                     WM_SB_PIN_RECORD_MAX
                                 ? 1
                                 : -1];
typedef char wm_sup_crash_fits[WM_KV_RECORD_OVERHEAD + ((6u + WM_STORE_NAME_MAX + 4u + 7u) & ~7u) <=
                                       WM_SUP_KV_CRASH_RECORD
                                   ? 1
                                   : -1];
/* The manifest name is the store name (issue 14 item 7): the limits agree. */
typedef char wm_sup_names_agree[WM_PKG_NAME_MAX == WM_STORE_NAME_MAX ? 1 : -1];

uint32_t wm_sup_kv_pool(const wm_kv *kv)
{
    uint32_t cap = wm_kv_capacity(kv);
    return cap > WM_SUP_KV_RESERVE ? (cap - WM_SUP_KV_RESERVE) / 2u : 0u;
}

uint64_t wm_sup_kv_write_capacity(const wm_kv *kv, uint32_t endurance, uint32_t lifetime_h)
{
    uint32_t cap = wm_kv_capacity(kv), pool = wm_sup_kv_pool(kv);
    if (cap <= WM_SUP_KV_RESERVE || lifetime_h == 0) {
        return 0;
    }
    /* Free after any compaction: all but the reserve and the pool (both enforced). The
     * next compaction comes when a record no longer fits, so more than that less one
     * record is written between two; each erases every sector of one bank: a sector is
     * erased once every two compactions. */
    uint32_t headroom = cap - WM_SUP_KV_RESERVE - pool;
    if (headroom <= WM_KV_RECORD_MAX) {
        return 0;
    }
    return 2u * (uint64_t)(headroom - WM_KV_RECORD_MAX) * endurance / lifetime_h;
}

uint64_t wm_sup_kv_writes_sustained(const wm_supervisor *s)
{
    const wm_kv *kv = s->cfg.kv;
    if (kv == NULL) {
        return 0;
    }
    uint32_t e = s->cfg.kv_endurance != 0 ? s->cfg.kv_endurance : WM_SUP_KV_ENDURANCE;
    uint32_t l = s->cfg.kv_lifetime_h != 0 ? s->cfg.kv_lifetime_h : WM_SUP_KV_LIFETIME_H;
    return wm_sup_kv_write_capacity(kv, e, l);
}

/* ---- write budgets ---- */

#define MS_PER_HOUR 3600000u

/* One hour's worth, and at least the largest record, so that any write is possible at some
 * point (none with a budget of 0); in the level's units. */
static uint64_t bucket_size(uint32_t rate)
{
    uint32_t bytes = rate == 0 ? 0u : rate > WM_KV_RECORD_MAX ? rate : WM_KV_RECORD_MAX;
    return (uint64_t)bytes * MS_PER_HOUR;
}

static wm_sup_budget *budget_of(wm_supervisor *s, const char *name, uint32_t rate)
{
    wm_sup_budget *spare = NULL;
    for (uint32_t i = 0; i < WM_SUP_BUDGETS; i++) {
        wm_sup_budget *b = &s->budgets[i];
        uint32_t idx = 0;
        if (b->name[0] != '\0' && wm_streq(b->name, name)) {
            return b;
        }
        /* an unused entry, or one of a module that is no longer installed */
        if (spare == NULL &&
            (b->name[0] == '\0' || wm_store_find(s->cfg.store, b->name, &idx) != WM_STORE_OK)) {
            spare = b;
        }
    }
    if (spare != NULL) {
        wm_sup_strcpy(spare->name, name, sizeof spare->name);
        spare->level = bucket_size(rate); /* full: what a boot gives */
        spare->at_ms = wm_sup_now(s);
    }
    return spare;
}

static void refill(wm_supervisor *s, wm_sup_budget *b, uint32_t rate)
{
    uint64_t now = wm_sup_now(s), full = bucket_size(rate);
    uint64_t elapsed = now - b->at_ms;
    b->at_ms = now;
    b->level += (elapsed < MS_PER_HOUR ? elapsed : MS_PER_HOUR) * rate;
    if (b->level > full) {
        b->level = full;
    }
}

bool wm_sup_kv_budget(wm_supervisor *s, const char *name, uint32_t rate, uint32_t bytes)
{
    wm_sup_budget *b = budget_of(s, name, rate);
    if (b == NULL) {
        return false; /* untracked: refused rather than unbounded */
    }
    refill(s, b, rate);
    return b->level >= (uint64_t)bytes * MS_PER_HOUR;
}

void wm_sup_kv_spent(wm_supervisor *s, const char *name, uint32_t rate, uint32_t bytes)
{
    wm_sup_budget *b = bytes != 0 ? budget_of(s, name, rate) : NULL;
    if (b != NULL) {
        uint64_t cost = (uint64_t)bytes * MS_PER_HOUR;
        b->level = b->level > cost ? b->level - cost : 0u;
    }
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* Flash bytes per hour a manifest's module may write (only with the kv capability). */
static uint32_t writes_of(const wm_manifest *m)
{
    return wm_sb_granted(m, WM_CAP_KV) ? m->kv_write : 0u;
}

int wm_sup_kv_admit(wm_supervisor *s, const char *name, const wm_manifest *m, wm_msg *msg)
{
    wm_kv *kv = s->cfg.kv;
    if (m->kv_quota == 0 && writes_of(m) == 0) {
        return WM_ST_OK;
    }
    if (kv == NULL) {
        return wm_msg_fail(msg, WM_ST_NO_SPACE,
                           "the module uses kv but this device has no config area");
    }
    /* Promised to the others: each installed module's quota, or the data it holds if that
     * is more (a quota lowered by a replace); plus data no installed module owns. And the
     * write budgets, against what the flash sustains for its lifetime. */
    uint64_t promised = 0, owned = 0, writes = writes_of(m);
    bool replacing = false;
    wm_store *st = s->cfg.store;
    for (uint32_t i = 0; i < wm_store_count(st); i++) {
        wm_store_info info;
        wm_manifest other;
        if (wm_store_get(st, i, &info) != WM_STORE_OK) {
            continue;
        }
        int used = wm_kv_usage(kv, (const uint8_t *)info.name, (uint32_t)wm_strlen(info.name));
        if (used < 0) {
            return wm_msg_fail(msg, WM_ST_FLASH_ERROR, "config area unreadable");
        }
        owned += (uint32_t)used;
        if (wm_streq(info.name, name)) {
            replacing = true; /* the version being replaced: its data counts below */
            continue;
        }
        /* (a bare module has the default manifest: no kv) */
        bool known = wm_sup_manifest_of(wm_store_image(st, i), info.size, &other);
        promised += max_u32(known ? other.kv_quota : 0u, (uint32_t)used);
        writes += known ? writes_of(&other) : 0u;
    }
    int mine = wm_kv_usage(kv, (const uint8_t *)name, (uint32_t)wm_strlen(name));
    int live = wm_kv_module_live(kv);
    if (mine < 0 || live < 0) {
        return wm_msg_fail(msg, WM_ST_FLASH_ERROR, "config area unreadable");
    }
    if (!replacing) {
        owned += (uint32_t)mine; /* a new name's leftover data (none, normally) */
    }
    promised += (uint64_t)live > owned ? (uint64_t)live - owned : 0u;
    uint32_t pool = kv->module_pool;
    uint64_t need = promised + max_u32(m->kv_quota, (uint32_t)mine);
    uint64_t sustained = wm_sup_kv_writes_sustained(s);
    /* (the validate message holds 127 characters) */
    if (need <= pool && writes <= sustained) {
        return WM_ST_OK;
    }
    if (need <= pool) {
        wm_msg_fail(msg, WM_ST_NO_SPACE, "limits.kv_write ");
        wm_msg_put_u(msg, writes_of(m));
        wm_msg_put(msg, " does not fit: the config area lasts its lifetime at ");
        wm_msg_put_u(msg, sustained);
        wm_msg_put(msg, " bytes/h, ");
        wm_msg_put_u(msg, writes - writes_of(m));
        wm_msg_put(msg, " given to others");
        return WM_ST_NO_SPACE;
    }
    wm_msg_fail(msg, WM_ST_NO_SPACE, "limits.kv ");
    wm_msg_put_u(msg, m->kv_quota);
    wm_msg_put(msg, " does not fit: the config area keeps ");
    wm_msg_put_u(msg, pool);
    wm_msg_put(msg, " bytes for module data, ");
    wm_msg_put_u(msg, promised);
    wm_msg_put(msg, " promised to others");
    return WM_ST_NO_SPACE;
}
