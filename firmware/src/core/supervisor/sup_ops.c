/* The supervisor behind the wire protocol: START, STOP, what a push or a REMOVE changes,
 * LIST and INFO state, and the validation of a push before it is committed. */
#include "sup_internal.h"

#include "pins.h"

static int op_start(void *ctx, wm_protocol *p, const char *name, wm_msg *msg)
{
    wm_supervisor *s = ctx;
    (void)p;
    wm_slot *sl = wm_sup_find(s, name);
    if (sl != NULL && wm_sup_running_state(sl->state)) {
        wm_msg_fail(msg, WM_ST_BUSY, "module ");
        wm_msg_put(msg, name);
        wm_msg_put(msg, " is running; stop it first");
        return WM_ST_BUSY;
    }
    if (sl == NULL) {
        sl = wm_sup_claim(s);
        if (sl == NULL) {
            return wm_msg_fail(msg, WM_ST_BUSY,
                               "all module slots are in use: stop or remove a module");
        }
        wm_sup_reset_record(sl, name);
    }
    if (sl->state == WM_MS_DISABLED) {
        wm_sup_crash_clear(s, name); /* started by hand: give it another chance */
    }
    int st = wm_sup_start_slot(s, sl, msg);
    if (st != WM_ST_OK) {
        sl->state = WM_MS_FAILED;
        wm_sup_strcpy(sl->last_trap, msg->buf, sizeof sl->last_trap);
    }
    return st;
}

static int op_stop(void *ctx, wm_protocol *p, const char *name, wm_msg *msg)
{
    wm_supervisor *s = ctx;
    (void)p;
    wm_slot *sl = wm_sup_find(s, name);
    if (sl == NULL || !wm_sup_running_state(sl->state)) {
        wm_msg_fail(msg, WM_ST_NOT_FOUND, "module ");
        wm_msg_put(msg, name);
        wm_msg_put(msg, " is not running");
        return WM_ST_NOT_FOUND;
    }
    wm_sup_stop_slot(s, sl, "stopped");
    return WM_ST_OK;
}

static void op_installed(void *ctx, wm_protocol *p, const char *name)
{
    wm_supervisor *s = ctx;
    (void)p;
    wm_store_info info;
    wm_sup_crash_clear(s, name);
    const uint8_t *image = wm_sup_store_image(s, name, &info);
    if (image == NULL) {
        return;
    }
    /* (the replay pin was raised before the commit: wm_sup_validate) */
    wm_slot *sl = wm_sup_find(s, name);
    bool was_running = sl != NULL && wm_sup_running_state(sl->state);
    if (sl != NULL && sl->loaded) {
        /* It executes in place from the old image, which the store now deletes. */
        wm_sup_unload(s, sl);
        wm_sup_announce(s, WM_EV_EXIT, name, "stopped: replaced by a new version");
        sl->state = WM_MS_STOPPED;
    }
    if (!was_running && !wm_sup_autostart(s, &info, image)) {
        if (sl != NULL && sl->state == WM_MS_DISABLED) {
            sl->state = WM_MS_IDLE;
        }
        return;
    }
    if (sl == NULL) {
        sl = wm_sup_claim(s);
        if (sl == NULL) {
            return;
        }
        wm_sup_reset_record(sl, name);
    }
    wm_sup_start_or_report(s, sl);
}

static int op_removing(void *ctx, wm_protocol *p, const char *name, wm_msg *msg)
{
    wm_supervisor *s = ctx;
    (void)p;
    /* Its data goes with it (`wasmote rm` deletes the module's kv keys): the namespace of
     * its store name, which is its manifest name (checked at install and load), so no
     * package can point this at another module's data. All keys go at once, or none. */
    if (s->cfg.kv != NULL &&
        wm_kv_clear_ns(s->cfg.kv, (const uint8_t *)name, (uint32_t)wm_strlen(name)) != 0) {
        return wm_msg_fail(msg, WM_ST_FLASH_ERROR,
                           "could not delete its key-value data "
                           "(config area write failed): nothing removed");
    }
    wm_slot *sl = wm_sup_find(s, name);
    if (sl != NULL) {
        if (wm_sup_running_state(sl->state)) {
            wm_sup_stop_slot(s, sl, "stopped: removed");
        }
        wm_sup_unload(s, sl);
        sl->name[0] = '\0';
        sl->state = WM_MS_IDLE;
    }
    wm_sup_crash_clear(s, name);
    return WM_ST_OK;
}

/* Kind, version and RAM of a module that is not loaded, from its manifest in the store
 * (RAM: what it would reserve, memory + stack). A bare module: kind 0, no version. */
static void stored_manifest(wm_supervisor *s, const char *name, wm_proto_module_state *out)
{
    wm_store_info info;
    wm_manifest m;
    const uint8_t *image = wm_sup_store_image(s, name, &info);
    if (image == NULL || !wm_sup_manifest_of(image, info.size, &m)) {
        return;
    }
    out->kind = 1u;
    out->version[0] = m.version[0];
    out->version[1] = m.version[1];
    out->version[2] = m.version[2];
    /* the RAM its limits ask for, saturated: limits.memory may be up to 2^32 - 1 */
    out->mem_bytes =
        m.mem_bytes > UINT32_MAX - m.stack_bytes ? UINT32_MAX : m.mem_bytes + m.stack_bytes;
    out->mem_limit = m.mem_bytes;
    out->stack_limit = m.stack_bytes;
}

bool wm_sup_autostart(wm_supervisor *s, const wm_store_info *info, const uint8_t *image)
{
    if (s->nkeys == 0) {
        return (info->flags & WM_MODFLAG_AUTOSTART) != 0;
    }
    wm_manifest m;
    return wm_sup_manifest_of(image, info->size, &m) && m.autostart;
}

static void op_module_state(void *ctx, const char *name, wm_proto_module_state *out)
{
    wm_supervisor *s = ctx;
    wm_slot *sl = wm_sup_find(s, name);
    wm_store_info info;
    const uint8_t *image = wm_sup_store_image(s, name, &info);
    if (image != NULL) {
        bool on = wm_sup_autostart(s, &info, image);
        out->flags = on ? (out->flags | WM_MODFLAG_AUTOSTART)
                        : (out->flags & ~(uint32_t)WM_MODFLAG_AUTOSTART);
    }
    out->last_trap = "";
    wm_sup_form_state(s, name, sl, out);
    if (sl == NULL || !sl->loaded) {
        stored_manifest(s, name, out);
    }
    if (sl == NULL) {
        out->state = WM_MS_IDLE;
        return;
    }
    out->state = sl->state;
    if (sl->loaded) {
        const wm_sb_module *m = &sl->sb;
        /* the install fails if binding the native code fails, or (the MPU cannot cover it
         * where it lies) interprets it and clears the decision: aot set means attached */
        bool native = m->decision.aot != NULL && m->decision.aot_attach != NULL;
        out->kind = m->pkg.bytes != m->pkg.module ? (native ? 2u : 1u) : 0u;
        out->version[0] = m->manifest.version[0];
        out->version[1] = m->manifest.version[1];
        out->version[2] = m->manifest.version[2];
        out->mem_bytes = (uint32_t)sl->arena.size;
        out->mem_limit = m->manifest.mem_bytes;
        out->stack_limit = m->manifest.stack_bytes;
        const wm_memory *mem = sl->sb.inst != NULL ? wm_instance_memory(sl->sb.inst) : NULL;
        out->mem_now = mem != NULL ? wm_memory_bytes(mem) : 0u;
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
    out->nkeys = (uint8_t)s->nkeys;
    out->device_id = s->device_id;
    out->random_kind = wm_random_kind(&s->rng);
    out->key_counter = s->key_counter;
    out->aot_arch = s->cfg.aot_arch;
    out->aot_abi = s->cfg.aot_abi;
    out->aot_isolated = s->cfg.aot_isolated;
    out->slots = WM_SUP_SLOTS;
    out->running = (uint16_t)wm_sup_running(s);
    out->boots = s->cfg.retained != NULL ? s->cfg.retained->boots : 0u;
    out->reset_cause = (uint8_t)s->cfg.reset_cause;
    /* notes: provisioning state, then modules disabled for crashing the device */
    wm_msg t;
    wm_msg_init(&t, s->notes, sizeof s->notes);
    if (s->locked) {
        wm_msg_put(&t, "locked: the keys record cannot be read");
    } else if (s->nkeys == 0) {
        wm_msg_put(&t, unprov);
    }
    if (s->cfg.kv != NULL && s->cfg.kv->module_pool == 0) {
        wm_msg_put(&t, t.len > 0 ? "; " : "");
        wm_msg_put(&t, "config area too small for module data");
    }
    uint32_t disabled = 0;
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        disabled += s->slots[i].name[0] != '\0' && s->slots[i].state == WM_MS_DISABLED ? 1u : 0u;
    }
    if (s->nkeys > 0 && disabled > 0) {
        /* INFO is open: on a provisioned device module names are for operators (LIST) */
        wm_msg_put_u(&t, disabled);
        wm_msg_put(&t, " module(s) disabled: they reset the device repeatedly (wasmote ls)");
        disabled = 0;
    }
    for (uint32_t i = 0; i < WM_SUP_SLOTS && disabled > 0; i++) {
        if (s->slots[i].name[0] != '\0' && s->slots[i].state == WM_MS_DISABLED) {
            wm_msg_put(&t, t.len > 0 ? "; disabled: " : "disabled: ");
            wm_msg_put(&t, s->slots[i].name);
            wm_msg_put(&t, " (reset the device ");
            wm_msg_put_u(&t, wm_sup_crash_count(s, s->slots[i].name));
            wm_msg_put(&t, " times)");
        }
    }
    out->notes = s->notes;
}

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
    ops->identity = wm_sup_identity;
    ops->random = wm_sup_random;
    ops->bridge_in = wm_sup_bridge_in;
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
        wm_sup_announce(s, WM_EV_LOG, sl->name, "restarting: the module store is being compacted");
    }
}

int wm_sup_validate(void *ctx, const uint8_t *image, uint32_t size, wm_msg *why)
{
    wm_supervisor *s = ctx;
    wm_store_info pending;
    uint32_t written;
    const char *name = wm_store_pending(s->cfg.store, &pending, &written) ? pending.name : "module";
    wm_extent g;
    if (!wm_pool_largest(&s->pool, &g)) {
        wm_msg_fail(why, WM_ST_NO_RAM, "no free RAM to validate the module: stop a module");
        return -1;
    }
    wm_arena_init(&s->tmp.arena, g.base, g.size);
    int status = wm_sup_check_unlocked(s, why);
    if (status == WM_ST_OK) {
        bool package = wm_sup_is_package(image, size);
        status = wm_sb_check(&s->host, &s->tmp.sb, &s->tmp.arena, image, size, &s->dev,
                             package ? NULL : name, why);
    }
    if (status != WM_ST_OK) {
        return -1;
    }
    const wm_manifest *m = &s->tmp.sb.manifest;
    status = wm_sup_check_name(name, m, why);
    if (status == WM_ST_OK) {
        status = wm_sup_kv_admit(s, name, m, why);
    }
    if (status == WM_ST_OK && wm_sup_is_package(image, size) && s->dev.nkeys > 0 &&
        s->cfg.kv != NULL) {
        /* The replay pin is raised before the commit: a package whose pin cannot be
         * written is not installed (an unraised pin would let an older one back in). */
        /* and notes the version installed now: a power cut before the commit leaves that
         * image, which must still run (wm_sb_pin_lookup_installed) */
        wm_store_info live;
        wm_manifest now;
        const uint8_t *old = wm_sup_store_image(s, m->name, &live);
        bool have = old != NULL && wm_sup_manifest_of(old, live.size, &now);
        int pr = wm_sb_pin_record(s->cfg.kv, m->name, m->version, have ? now.version : NULL);
        if (pr == WM_E_QUOTA) {
            status = wm_msg_fail(why, WM_ST_NO_SPACE,
                                 "no room for its version pin: the "
                                 "device keeps pins of at most ");
            wm_msg_put_u(why, WM_SB_PINS_MAX);
            wm_msg_put(why, " module names");
        } else if (pr != 0) {
            status = wm_msg_fail(why, WM_ST_FLASH_ERROR,
                                 "its version pin could not be written (config area)");
        }
    }
    if (status != WM_ST_OK) {
        return -1;
    }
    /* Accepted, but its native code will not run: the commit's answer says why. */
    uint32_t aot = s->tmp.sb.decision.notes &
                   (WM_SB_NOTE_AOT_UNSIGNED | WM_SB_NOTE_AOT_ABI | WM_SB_NOTE_AOT_MPU);
    if (aot != 0u) {
        wm_msg_fail(why, WM_ST_OK, wm_sb_note_text(aot & (0u - aot))); /* the lowest one */
    }
    if (wm_store_pending(s->cfg.store, &pending, &written)) {
        wm_sup_form_install(s, pending.sha256, why);
    }
    return 0;
}
