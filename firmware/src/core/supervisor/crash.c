/* Resets blamed on modules. Before every slice, and every load that starts a module
 * (START, autostart, restart), the supervisor writes the module's name into RAM the port
 * keeps across a reset (cfg.retained) and clears it afterwards. If the device comes up with
 * a name there, it reset inside that module's slice or load (watchdog, CPU fault):
 * the module's count in the config area ("#crash" namespace) goes up, and at
 * WM_SUP_CRASH_LIMIT it is no longer autostarted, so a bad module cannot boot-loop the
 * device. A push of the module or a START by hand clears the count. */
#include "sup_internal.h"

#define RETAINED_MAGIC 0x52544D57u /* "WMTR" */

static const uint8_t k_ns[] = "#crash";
#define NS_LEN ((uint32_t)(sizeof k_ns - 1u))

uint32_t wm_sup_crash_count(wm_supervisor *s, const char *name)
{
    uint8_t v[4];
    uint32_t n = (uint32_t)wm_strlen(name);
    if (s->cfg.kv == NULL) {
        return 0;
    }
    int got = wm_kv_get(s->cfg.kv, k_ns, NS_LEN, (const uint8_t *)name, n, v, sizeof v);
    if (got == WM_E_NOTFOUND &&
        wm_kv_torn(s->cfg.kv, k_ns, NS_LEN, (const uint8_t *)name, n) == 0) {
        return 0;
    }
    /* a count that cannot be read is not zero: the guard fails closed */
    return got == 4 ? wm_ld32(v) : WM_SUP_CRASH_LIMIT;
}

void wm_sup_crash_clear(wm_supervisor *s, const char *name)
{
    if (s->cfg.kv != NULL && wm_sup_crash_count(s, name) != 0) {
        (void)wm_kv_delete(s->cfg.kv, k_ns, NS_LEN, (const uint8_t *)name,
                           (uint32_t)wm_strlen(name));
    }
}

void wm_sup_crash_attribute(wm_supervisor *s)
{
    wm_sup_retained *r = s->cfg.retained;
    if (r == NULL) {
        return;
    }
    if (r->magic != RETAINED_MAGIC) { /* power-on: RAM holds nothing of ours */
        wm_memset(r, 0, sizeof *r);
        r->magic = RETAINED_MAGIC;
    }
    r->boots++;
    r->running[sizeof r->running - 1u] = '\0';
    if (r->running[0] == '\0' || !wm_store_name_ok(r->running, wm_strlen(r->running))) {
        r->running[0] = '\0';
        return;
    }
    char name[WM_STORE_NAME_MAX + 1];
    uint32_t idx = 0;
    wm_sup_strcpy(name, r->running, sizeof name);
    r->running[0] = '\0';
    if (wm_store_find(s->cfg.store, name, &idx) != WM_STORE_OK) {
        return; /* not installed (any more): nothing to guard, and no record to keep */
    }
    uint32_t n = wm_sup_crash_count(s, name) + 1u;
    uint8_t v[4];
    wm_st32(v, n);
    /* Counts are kept for store names only, so "#crash" stays within its share; a count
     * that cannot be written keeps the module from autostarting this boot instead. */
    if (s->cfg.kv == NULL || s->locked ||
        wm_kv_set(s->cfg.kv, k_ns, NS_LEN, (const uint8_t *)name, (uint32_t)wm_strlen(name), v,
                  sizeof v, WM_SUP_KV_CRASH_BYTES) != 0) {
        wm_sup_strcpy(s->unrecorded, name, sizeof s->unrecorded);
    }
    char line[96];
    wm_msg t;
    wm_msg_init(&t, line, sizeof line);
    wm_msg_put(&t, "the device reset while this module ran (");
    if (s->unrecorded[0] != '\0') {
        wm_msg_put(&t, "not counted: config area; not started this boot)");
    } else {
        wm_msg_put_u(&t, n);
        wm_msg_put(&t, " of ");
        wm_msg_put_u(&t, WM_SUP_CRASH_LIMIT);
        wm_msg_put(&t, " before it is disabled)");
    }
    wm_sup_emit(s, WM_EV_TRAP, name, line);
    wm_sup_emit(s, WM_EV_LOG, name, line);
}

void wm_sup_slice_begin(wm_supervisor *s, const char *name)
{
    if (s->cfg.retained != NULL) {
        wm_sup_strcpy(s->cfg.retained->running, name, sizeof s->cfg.retained->running);
    }
}

void wm_sup_slice_end(wm_supervisor *s)
{
    if (s->cfg.retained != NULL) {
        s->cfg.retained->running[0] = '\0';
    }
}
