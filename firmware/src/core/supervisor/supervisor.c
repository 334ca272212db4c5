/* Slots, the scheduler step and the module lifecycle (start, trap, backoff, stop, boot).
 * Loading is in sup_load.c, the protocol side in sup_ops.c, RUN in sup_run.c, provisioning
 * in keys.c, reset attribution in crash.c. */
#include "sup_internal.h"

#include "pins.h"

bool wm_sup_running_state(uint8_t st)
{
    return st == WM_MS_READY || st == WM_MS_SLEEPING || st == WM_MS_WAITING || st == WM_MS_BACKOFF;
}

uint32_t wm_sup_running(const wm_supervisor *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        n += s->slots[i].name[0] != '\0' && wm_sup_running_state(s->slots[i].state) ? 1u : 0u;
    }
    return n;
}

wm_slot *wm_sup_find(wm_supervisor *s, const char *name)
{
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        if (s->slots[i].name[0] != '\0' && wm_streq(s->slots[i].name, name)) {
            return &s->slots[i];
        }
    }
    return NULL;
}

/* A free slot, else the record of a module that is not running (its statistics go). */
wm_slot *wm_sup_claim(wm_supervisor *s)
{
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        if (s->slots[i].name[0] == '\0') {
            return &s->slots[i];
        }
    }
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        wm_slot *sl = &s->slots[i];
        if (!wm_sup_running_state(sl->state) && !sl->loaded && sl->state != WM_MS_DISABLED) {
            return sl;
        }
    }
    return NULL;
}

void wm_sup_reset_record(wm_slot *sl, const char *name)
{
    wm_memset(sl, 0, sizeof *sl);
    wm_sup_strcpy(sl->name, name, sizeof sl->name);
    sl->state = WM_MS_IDLE;
}

const uint8_t *wm_sup_store_image(wm_supervisor *s, const char *name, wm_store_info *info)
{
    uint32_t idx = 0;
    if (wm_store_find(s->cfg.store, name, &idx) != WM_STORE_OK ||
        wm_store_get(s->cfg.store, idx, info) != WM_STORE_OK) {
        return NULL;
    }
    return wm_store_image(s->cfg.store, idx);
}

const wm_func *wm_sup_reactor_init(wm_instance *inst, const char *export_name)
{
    wm_extern ext;
    if (wm_streq(export_name, "_initialize") || wm_export(inst, "_start", &ext) == WM_OK ||
        wm_export(inst, "_initialize", &ext) != WM_OK || ext.kind != WM_EXTERN_FUNC) {
        return NULL;
    }
    uint32_t np = 0, nr = 0;
    const uint8_t *pt = NULL, *rt = NULL;
    wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
    return np == 0 && nr == 0 ? ext.of.func : NULL;
}

void wm_sup_exit_text(wm_msg *t, uint32_t code)
{
    wm_msg_put(t, "exit status ");
    wm_msg_put_u(t, code);
}

void wm_sup_trap_text(const wm_slot *sl, const wm_error *err, wm_msg *out)
{
    wm_sb_trap_text(&sl->sb, err->msg, out);
}

/* Loads the slot's module from the store and prepares its entry; READY on success. */
int wm_sup_start_slot(wm_supervisor *s, wm_slot *sl, wm_msg *msg)
{
    wm_store_info info;
    const uint8_t *image = wm_sup_store_image(s, sl->name, &info);
    if (image == NULL) {
        return wm_msg_fail(msg, WM_ST_NOT_FOUND, "no such module");
    }
    uint64_t t0 = wm_sup_now(s);
    /* A reset inside the load (its start function, a check that ran too long) is this
     * module's as much as one inside its slice: else an autostart module whose load
     * resets the device would boot-loop it (crash.c). */
    wm_sup_slice_begin(s, sl->name);
    int st = wm_sup_load(s, sl, sl->name, image, info.size, msg);
    wm_sup_slice_end(s);
    if (st != WM_ST_OK) {
        return st;
    }
    uint64_t took = wm_sup_now(s) - t0;
    sl->load_ms = took > UINT32_MAX ? UINT32_MAX : (uint32_t)took;
    const char *entry = sl->sb.manifest.entry[0] != '\0' ? sl->sb.manifest.entry : "_start";
    wm_extern ext;
    uint32_t np = 0, nr = 0;
    const uint8_t *pt = NULL, *rt = NULL;
    if (wm_export(sl->sb.inst, entry, &ext) != WM_OK || ext.kind != WM_EXTERN_FUNC) {
        wm_msg_fail(msg, WM_ST_NOT_FOUND, "no exported function '");
        wm_msg_put(msg, entry);
        wm_msg_put(msg, sl->sb.manifest.entry[0] != '\0'
                            ? "', the manifest's entry"
                            : "' to start (export _start or set entry in the manifest)");
        wm_sup_put_exports(msg, sl->sb.inst);
        wm_sup_unload(s, sl);
        return WM_ST_NOT_FOUND;
    }
    wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
    if (np != 0 || nr > WM_PROTO_MAX_VALUES) {
        wm_sup_unload(s, sl);
        wm_msg_fail(msg, WM_ST_BAD_ARGS, "the entry '");
        wm_msg_put(msg, entry);
        wm_msg_put(msg, "' must take no parameters");
        return WM_ST_BAD_ARGS;
    }
    sl->entry = ext.of.func;
    sl->init = wm_sup_reactor_init(sl->sb.inst, entry);
    sl->nresults = nr;
    sl->state = WM_MS_READY;
    sl->started_ms = wm_sup_now(s);
    sl->window_ms = sl->started_ms;
    sl->window_fuel = 0;
    sl->window_busy_ms = 0;
    return WM_ST_OK;
}

/* Start with a failure turned into an event (autostart, restart, replace). */
void wm_sup_start_or_report(wm_supervisor *s, wm_slot *sl)
{
    char why[WM_MSG_MAX], line[160];
    wm_msg msg;
    wm_msg_init(&msg, why, sizeof why);
    int st = wm_sup_start_slot(s, sl, &msg);
    if (st == WM_ST_OK) {
        return;
    }
    sl->state = WM_MS_FAILED;
    wm_sup_strcpy(sl->last_trap, why, sizeof sl->last_trap);
    wm_msg t;
    wm_msg_init(&t, line, sizeof line);
    wm_msg_put(&t, "failed to start: ");
    wm_msg_put(&t, why);
    wm_sup_announce(s, WM_EV_EXIT, sl->name, line);
}

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
    wm_msg t;
    uint64_t now = wm_sup_now(s);
    bool restart = sl->sb.manifest.restart;
    /* a restart costs a load: wait, and count "ran long", at least a share of it */
    uint64_t floor = (uint64_t)sl->load_ms * WM_SUP_RELOAD_SHARE;
    bool ran_long = now - sl->started_ms >= (floor > 10000u ? floor : 10000u);
    sl->traps++;
    wm_sup_strcpy(sl->last_trap, why, sizeof sl->last_trap);
    wm_msg_init(&t, line, sizeof line);
    wm_msg_put(&t, "trap: ");
    wm_msg_put(&t, why);
    wm_sup_announce(s, WM_EV_TRAP, sl->name, line);
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
    bool for_load = floor > sl->backoff_ms;
    if (for_load) {
        sl->backoff_ms = floor > UINT32_MAX ? UINT32_MAX : (uint32_t)floor;
    }
    sl->wake_ms = now + sl->backoff_ms;
    sl->state = WM_MS_BACKOFF;
    wm_msg_init(&t, line, sizeof line);
    wm_msg_put(&t, "restarting in ");
    wm_msg_put_u(&t, sl->backoff_ms);
    wm_msg_put(&t, " ms");
    if (for_load) {
        wm_msg_put(&t, " (its load took ");
        wm_msg_put_u(&t, sl->load_ms);
        wm_msg_put(&t, " ms)");
    }
    wm_sup_emit(s, WM_EV_LOG, sl->name, line);
}

void wm_sup_stop_slot(wm_supervisor *s, wm_slot *sl, const char *why)
{
    wm_sup_unload(s, sl);
    sl->state = WM_MS_STOPPED;
    wm_sup_announce(s, WM_EV_EXIT, sl->name, why);
}

uint64_t wm_sup_slice(const wm_supervisor *s, const wm_slot *sl)
{
    return wm_sb_slice_fuel(&sl->sb, s->cfg.slice_max != 0 ? s->cfg.slice_max : WM_SUP_SLICE_MAX);
}

static void exited(wm_supervisor *s, wm_slot *sl, uint32_t code)
{
    wm_msg t;
    wm_msg_init(&t, sl->last_trap, sizeof sl->last_trap);
    wm_sup_exit_text(&t, code);
    wm_sup_unload(s, sl);
    sl->state = WM_MS_EXITED;
    wm_sup_announce(s, WM_EV_EXIT, sl->name, sl->last_trap);
}

static void run_slice(wm_supervisor *s, wm_slot *sl)
{
    wm_val res[WM_PROTO_MAX_VALUES];
    wm_error err = {WM_OK, 0, "", NULL};
    uint64_t fuel = wm_sup_slice(s, sl);
    uint64_t t0 = wm_sup_now(s);
    /* Work charged beyond an earlier slice (flash work, wm_charge) is owed by the call:
     * wm_resume repays it first, so its turns go to the others until it is paid (a turn
     * spent paying returns OUT_OF_FUEL and counts as fuel used, for limits.cpu too). */
    wm_err e = WM_ERR_OUT_OF_FUEL;
    uint64_t used = 0;
    if (fuel > 0) {
        /* a reactor's _initialize first, then the entry */
        const wm_func *f = sl->init != NULL ? sl->init : sl->entry;
        uint32_t nres = sl->init != NULL ? 0u : sl->nresults;
        wm_sup_slice_begin(s, sl->name);
        e = sl->in_call ? wm_resume(sl->sb.inst, fuel, res, nres, &err)
                        : wm_call(sl->sb.inst, f, NULL, 0, res, nres, fuel, &err);
        wm_sup_slice_end(s);
        sl->in_call = true;
        uint64_t left = wm_fuel_left(sl->sb.inst);
        used += e == WM_ERR_OUT_OF_FUEL ? fuel : (left <= fuel ? fuel - left : 0u);
    }
    uint64_t now = wm_sup_now(s);
    roll_window(sl, now);
    sl->fuel_total += used;
    sl->window_fuel += (uint32_t)used;
    sl->window_busy_ms += (uint32_t)(now - t0);
    switch (e) {
    case WM_ERR_OUT_OF_FUEL: break; /* preempted: stays READY */
    case WM_ERR_BLOCKED: sl->state = sl->blocked_on; break;
    case WM_OK:
        if (sl->init != NULL) { /* initialized: the entry runs from the next slice */
            sl->init = NULL;
            sl->in_call = false;
            break;
        }
        wm_sup_unload(s, sl);
        sl->state = WM_MS_EXITED;
        wm_sup_announce(s, WM_EV_EXIT, sl->name, "exit");
        return;
    default: {
        uint32_t code = 0;
        if (wm_sb_exited(&sl->sb, err.msg, &code)) {
            exited(s, sl, code);
            return;
        }
        char why[WM_SUP_TRAP_MAX];
        wm_msg t;
        wm_msg_init(&t, why, sizeof why);
        wm_sup_trap_text(sl, &err, &t);
        trapped(s, sl, why);
        return;
    }
    }
    uint32_t budget = sl->sb.manifest.cpu;
    if (budget != 0 && sl->window_fuel > budget) {
        char line[96];
        wm_msg t;
        wm_msg_init(&t, line, sizeof line);
        wm_msg_put(&t, "cpu budget exceeded: ");
        wm_msg_put_u(&t, sl->window_fuel);
        wm_msg_put(&t, " fuel within a second, limit ");
        wm_msg_put_u(&t, budget);
        wm_sup_strcpy(sl->last_trap, line, sizeof sl->last_trap);
        wm_sup_stop_slot(s, sl, line);
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
        if (sl->reload && !sl->loaded && wm_sup_running_state(sl->state)) {
            sl->reload = false;
            wm_sup_start_or_report(s, sl);
        } else if ((sl->state == WM_MS_SLEEPING || sl->state == WM_MS_WAITING) &&
                   wm_sup_woken(s, sl)) {
            sl->state = WM_MS_READY;
        } else if (sl->state == WM_MS_BACKOFF && now >= sl->wake_ms) {
            sl->restarts++;
            wm_sup_announce(s, WM_EV_LOG, sl->name, "restarted");
            wm_sup_start_or_report(s, sl);
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

void wm_sup_init(wm_supervisor *s, const wm_sup_config *cfg)
{
    wm_memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->last_millis = cfg->millis != NULL ? cfg->millis() : 0u;
    wm_pool_init(&s->pool, cfg->ram, cfg->ram_size);
    wm_sb_platform plat;
    wm_sup_platform(s, &plat);
    wm_sb_host_init(&s->host, &plat);
    wm_sup_bridge_attach(s);
    s->dev.keys = (const uint8_t(*)[32])s->pkg_keys;
    s->dev.nkeys = 0;
    s->dev.pinned = cfg->kv != NULL ? wm_sb_pin_lookup : NULL;
    s->dev.pin_ctx = cfg->kv;
    if (cfg->kv != NULL) {
        /* modules' data may not crowd out the firmware's records (supervisor.h) */
        wm_kv_set_module_pool(cfg->kv, wm_sup_kv_pool(cfg->kv));
    }
    s->dev.arch = cfg->aot_arch;
    s->dev.aot_abi = cfg->aot_abi;
    /* native code only with a binder (core/aot's wm_aot_attach), and only from signed
     * packages (the policy) */
    s->dev.aot_attach = cfg->aot_arch != 0 ? cfg->aot_attach : NULL;
    s->dev.aot_unsigned = cfg->aot_unsigned != 0;
    wm_work_init(&s->work, cfg->kick);
    s->dev.work = &s->work;
    wm_store_on_work(cfg->store, &s->work);
    wm_sup_keys_load(s);
    wm_sup_crash_attribute(s);
    wm_sup_identity_init(s);
    /* Autostart, skipping modules that kept resetting the device. */
    wm_store *st = cfg->store;
    for (uint32_t i = 0; i < wm_store_count(st); i++) {
        wm_store_info info;
        if (wm_store_get(st, i, &info) != WM_STORE_OK ||
            !wm_sup_autostart(s, &info, wm_store_image(st, i))) {
            continue;
        }
        wm_slot *sl = wm_sup_claim(s);
        if (sl == NULL) {
            wm_sup_announce(s, WM_EV_EXIT, info.name, "not started: all module slots are in use");
            continue;
        }
        wm_sup_reset_record(sl, info.name);
        if (wm_streq(s->unrecorded, info.name)) {
            sl->state = WM_MS_FAILED;
            wm_sup_strcpy(sl->last_trap,
                          "not autostarted: the reset it caused could not be "
                          "counted in the config area",
                          sizeof sl->last_trap);
            wm_sup_announce(s, WM_EV_EXIT, info.name, sl->last_trap);
            continue;
        }
        if (wm_sup_crash_count(s, info.name) >= WM_SUP_CRASH_LIMIT) {
            sl->state = WM_MS_DISABLED;
            wm_sup_announce(s, WM_EV_EXIT, info.name,
                            "disabled: it reset the device repeatedly (start it by hand or push it "
                            "again)");
            continue;
        }
        wm_sup_emit(s, WM_EV_LOG, info.name, "autostart");
        wm_sup_start_or_report(s, sl);
    }
}
