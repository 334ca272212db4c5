#include "sandbox.h"

#include "wasi/wasi.h"
#include "periph_api.h"

void wm_sb_host_init(wm_sb_host *host, const wm_sb_platform *plat)
{
    host->plat = *plat;
    host->i2c_busy = 0;
    host->spi_busy = 0;
    wm_ps_bus_init(&host->bus);
}

/* A runtime error (wm_err, the runtime's finer vocabulary) as the sandbox's refusal: the
 * one place the two meet. An invalid module says so at its offset in the pushed image. */
static int load_fail(wm_msg *err, wm_status code, uint32_t base, const wm_error *e,
                     const char *what)
{
    wm_msg_fail_at(err, code, code == WM_ST_INVALID_MODULE ? "module" : NULL,
                   base + (e ? e->offset : 0u), what);
    wm_msg_put(err, e ? e->msg : NULL);
    if (e && e->feature) { /* the toolchain flag to turn off, as the host tools say it */
        wm_msg_put(err, " (");
        wm_msg_put(err, e->feature);
        wm_msg_put(err, WM_FEATURE_BEYOND ")");
    }
    return code;
}

/* Load, link and (unless only checking) instantiate mod->pkg's module under
 * mod->manifest (already decided). */
static int install_module(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, bool instantiate,
                          wm_work *work, wm_msg *err)
{
    wm_error e = {WM_OK, 0, 0, NULL};
    mod->work = work;
    if (wm_load_metered(arena, mod->pkg.module, mod->pkg.module_len, work, &mod->module, &e) !=
        WM_OK)
        return load_fail(err, e.code == WM_ERR_NO_MEMORY ? WM_ST_NO_RAM : WM_ST_INVALID_MODULE,
                         mod->pkg.module_off, &e, NULL);
    /* Native code the policy allows (signed, this architecture and ABI; docs/aot.md), run in
     * place from the package. A device that sets arch must also set aot_attach. */
    const wm_pkg_aot *aot = mod->decision.aot;
    if (aot && mod->decision.aot_attach) {
        wm_err a =
            mod->decision.aot_attach(mod->module, aot->code, aot->len, aot->arch, aot->abi, &e);
        if (a == WM_ERR_LIMIT) {
            /* Sound, but the MPU cannot isolate it where it lies now (an image's address
             * changes when the store compacts): the wasm runs instead, and says so. */
            mod->decision.aot = NULL;
            mod->decision.notes |= WM_SB_NOTE_AOT_MPU;
            e.code = WM_OK;
        } else if (a != WM_OK) {
            return load_fail(err, WM_ST_INVALID_MODULE, (uint32_t)(aot->code - mod->pkg.bytes), &e,
                             NULL);
        }
    }
    int rc = wm_sb_link(mod, arena, err);
    if (rc || !instantiate) return rc;
    wm_limits lim;
    wm_limits_default(&lim);
    const wm_manifest *m = &mod->manifest;
    lim.stack_slots = m->stack_bytes / 8u;
    lim.call_depth = m->stack_bytes / 32u < 1024u ? m->stack_bytes / 32u : 1024u;
    lim.mem_cap_bytes = m->mem_bytes;
    /* reserve the whole budget now: growth then never depends on what was allocated later */
    lim.mem_reserve = m->mem_bytes;
    /* A start function (AssemblyScript emits one) runs at install with the fuel of one
     * slice (work at most WM_SB_START_FUEL_MAX units, its stretch included): it cannot hold
     * the device longer than any other slice. */
    lim.start_fuel = wm_sb_slice_fuel(mod, WM_SB_START_FUEL_MAX);
    e.code = WM_OK;
    wm_err w = wm_instantiate(arena, mod->module, &mod->linker, &lim, &mod->inst, &e);
    if (w != WM_OK) {
        switch (w) {
        case WM_ERR_NO_MEMORY:
            return wm_msg_fail(err, WM_ST_NO_RAM,
                               "instantiate: out of memory (arena too small for the limits)");
        case WM_ERR_UNLINKABLE: return load_fail(err, WM_ST_DENIED, 0, &e, "instantiate: ");
        case WM_ERR_OUT_OF_FUEL:
            wm_msg_fail(err, WM_ST_TRAP, "the start function ran out of its fuel (");
            wm_msg_put_u(err, (uint32_t)lim.start_fuel);
            wm_msg_put(err, ", one slice)");
            return WM_ST_TRAP;
        case WM_ERR_BLOCKED:
            return wm_msg_fail(err, WM_ST_TRAP,
                               "the start function called a blocking host "
                               "function (sleep, receive, yield)");
        case WM_ERR_TRAP:
        case WM_ERR_EXHAUSTION:
            wm_msg_fail(err, WM_ST_TRAP, NULL);
            wm_sb_trap_text(mod, e.msg, err);
            wm_msg_put(err, " (while instantiating)");
            return WM_ST_TRAP;
        default: return load_fail(err, WM_ST_DENIED, 0, &e, "instantiate: ");
        }
    }
    if (wm_ps_attach(&host->bus, &mod->ps, &mod->manifest) != 0)
        return wm_msg_fail(err, WM_ST_NO_RAM, "too many modules on the message bus");
    mod->attached = true;
    return WM_ST_OK;
}

/* Policy and manifest: a package's own, or the default one of a bare module (name != NULL). */
static int decide(wm_sb_host *host, wm_sb_module *mod, const uint8_t *bytes, uint32_t size,
                  const wm_sb_device *dev, const char *name, wm_msg *err)
{
    wm_memset(mod, 0, sizeof *mod);
    mod->host = host;
    mod->decision.aot_attach = dev->aot_attach; /* the policy fills only aot and notes */
    if (!name)
        return wm_sb_check_install(bytes, size, dev, &mod->pkg, &mod->manifest, &mod->decision,
                                   err);
    if (dev->nkeys > 0)
        return wm_msg_fail(err, WM_ST_DENIED,
                           "a bare .wasm module cannot be signed and "
                           "the device is provisioned: push a signed package (wasmote "
                           "package --key)");
    mod->pkg.bytes = bytes;
    mod->pkg.size = size;
    mod->pkg.module = bytes;
    mod->pkg.module_len = size;
    mod->decision.notes = WM_SB_NOTE_UNSIGNED_OK;
    wm_manifest *m = &mod->manifest;
    m->api = 1;
    uint32_t n = 0;
    while (name[n] != '\0' && n < WM_PKG_NAME_MAX) {
        m->name[n] = name[n];
        n++;
    }
    m->name[n] = '\0';
    m->mem_bytes = WM_SB_DEFAULT_MEMORY;
    m->stack_bytes = WM_SB_DEFAULT_STACK;
    m->fuel = WM_SB_DEFAULT_FUEL;
    static const uint8_t kinds[4] = {WM_CAP_LOG, WM_CAP_TIME, WM_CAP_SLEEP, WM_CAP_RANDOM};
    for (uint32_t i = 0; i < 4u; i++) {
        m->caps[i].kind = kinds[i];
        m->caps[i].arg_len = 0;
        m->caps[i].arg = bytes; /* never read: empty argument */
    }
    m->ncaps = 4;
    /* a bare module gets at least the memory it declares */
    uint64_t want = wm_sb_initial_memory(bytes, size, dev->work);
    if (want > m->mem_bytes) m->mem_bytes = want > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)want;
    return WM_ST_OK;
}

int wm_sb_install(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, const uint8_t *bytes,
                  uint32_t size, const wm_sb_device *dev, wm_msg *err)
{
    if (!host || !mod || !arena || !dev)
        return wm_msg_fail(err, WM_ST_BAD_ARGS, "install: NULL argument");
    int rc = decide(host, mod, bytes, size, dev, NULL, err);
    return rc ? rc : install_module(host, mod, arena, true, dev->work, err);
}

int wm_sb_install_bare(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, const uint8_t *bytes,
                       uint32_t size, const wm_sb_device *dev, const char *name, wm_msg *err)
{
    if (!host || !mod || !arena || !dev || !name)
        return wm_msg_fail(err, WM_ST_BAD_ARGS, "install: NULL argument");
    int rc = decide(host, mod, bytes, size, dev, name, err);
    return rc ? rc : install_module(host, mod, arena, true, dev->work, err);
}

int wm_sb_check(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, const uint8_t *bytes,
                uint32_t size, const wm_sb_device *dev, const char *bare_name, wm_msg *err)
{
    if (!host || !mod || !arena || !dev)
        return wm_msg_fail(err, WM_ST_BAD_ARGS, "check: NULL argument");
    int rc = decide(host, mod, bytes, size, dev, bare_name, err);
    if (!rc) rc = install_module(host, mod, arena, false, dev->work, err);
    if (rc || mod->decision.aot || (mod->decision.notes & WM_SB_NOTE_AOT_MPU) || !dev->aot_attach)
        return rc;
    /* Loading a stored image does not hash its module again (wm_aot_attach_committed): the
     * binding is checked here, before the commit, also for native code this device does not
     * run yet (unprovisioned) but would run once provisioned. */
    for (uint32_t i = 0; i < mod->pkg.naot; i++) {
        const wm_pkg_aot *a = &mod->pkg.aot[i];
        if (a->arch != dev->arch || a->abi != dev->aot_abi) continue;
        wm_error e = {WM_OK, 0, 0, NULL};
        /* (WM_ERR_LIMIT: sound, but the MPU cannot cover it here; install_module's case) */
        wm_err r = dev->aot_attach(mod->module, a->code, a->len, a->arch, a->abi, &e);
        if (r != WM_OK && r != WM_ERR_LIMIT)
            return load_fail(err, WM_ST_INVALID_MODULE, (uint32_t)(a->code - mod->pkg.bytes), &e,
                             NULL);
    }
    return WM_ST_OK;
}

void wm_sb_uninstall(wm_sb_module *mod)
{
    if (mod->attached) {
        wm_sb_periph_release(mod);
        wm_ps_detach(&mod->host->bus, &mod->ps);
    }
    mod->attached = false;
    mod->inst = NULL;
}

bool wm_sb_exited(const wm_sb_module *mod, const char *msg, uint32_t *code)
{
    if (msg != wm_wasi_exit_msg) return false;
    if (code) *code = mod->wasi.exit_code;
    return true;
}

void wm_sb_trap_text(const wm_sb_module *mod, const char *msg, wm_msg *out)
{
    if (out == NULL) return;
    wm_msg_put(out, msg ? msg : "trap");
    const wm_trace_frame *f;
    uint32_t k = mod->inst ? wm_trap_trace(mod->inst, &f) : 0u;
    /* whole frames only: the host must never read a cut offset as a real one */
    uint32_t shown = 0;
    for (uint32_t i = 0; i < k; i++) {
        char frame[28];
        wm_msg ft;
        wm_msg_init(&ft, frame, sizeof frame);
        wm_msg_put(&ft, i ? " <- " : " [wasm ");
        wm_msg_put_u(&ft, f[i].func);
        wm_msg_put_c(&ft, '@');
        wm_msg_put_hex(&ft, f[i].offset);
        if (out->len + ft.len + 2u > out->cap) break; /* room for "]" and the NUL stays */
        wm_msg_put(out, frame);
        shown++;
    }
    if (shown) wm_msg_put_c(out, ']');
}

wm_err wm_sb_call(wm_sb_module *mod, const char *name, const wm_val *args, uint32_t nargs,
                  wm_val *results, uint32_t nresults, wm_error *err)
{
    if (!mod->inst) return WM_ERR_STATE;
    return wm_call_export(mod->inst, name, args, nargs, results, nresults, mod->manifest.fuel, err);
}
