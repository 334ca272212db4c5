#include "sandbox.h"

void wm_sb_host_init(wm_sb_host *host, const wm_sb_platform *plat)
{
    host->plat = *plat;
    wm_ps_bus_init(&host->bus);
}

static int load_fail(wm_sb_error *err, int code, uint32_t base, const wm_error *e,
                     const char *what)
{
    wm_sb_fail(err, code, base + (e ? e->offset : 0u), what, e ? e->msg : NULL, NULL);
    return code;
}

int wm_sb_install(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, const uint8_t *bytes,
                  uint32_t size, const wm_sb_device *dev, wm_sb_error *err)
{
    if (!host || !mod || !arena || !dev)
        return wm_sb_fail(err, WM_SB_EARG, 0, "install: NULL argument", NULL, NULL);
    wm_sb_mem_set(mod, 0, sizeof *mod);
    mod->host = host;
    int rc = wm_sb_check_install(bytes, size, dev, &mod->pkg, &mod->manifest, &mod->decision,
                                 err);
    if (rc) return rc;
    wm_error e = {WM_OK, 0, 0};
    if (wm_load(arena, mod->pkg.module, mod->pkg.module_len, &mod->module, &e) != WM_OK)
        return load_fail(err, e.code == WM_ERR_NO_MEMORY ? WM_SB_ENOMEM : WM_SB_EMODULE,
                         mod->pkg.module_off, &e, "module: ");
    rc = wm_sb_link(mod, arena, err);
    if (rc) return rc;
    wm_limits lim;
    wm_limits_default(&lim);
    const wm_manifest *m = &mod->manifest;
    lim.stack_slots = m->stack_bytes / 8u;
    lim.call_depth = m->stack_bytes / 32u < 1024u ? m->stack_bytes / 32u : 1024u;
    lim.mem_cap_bytes = m->mem_bytes;
    /* growth happens in place at the arena's top (the memory is allocated last) */
    lim.mem_reserve = 0;
    e.code = WM_OK;
    wm_err w = wm_instantiate(arena, mod->module, &mod->linker, &lim, &mod->inst, &e);
    if (w != WM_OK) {
        int code = w == WM_ERR_UNLINKABLE ? WM_SB_ELINK
                 : w == WM_ERR_NO_MEMORY ? WM_SB_ENOMEM : WM_SB_ELIMIT;
        if (w == WM_ERR_NO_MEMORY)
            return wm_sb_fail(err, code, 0, "instantiate: out of memory (arena too small for "
                              "the limits)", NULL, NULL);
        return load_fail(err, code, 0, &e, "instantiate: ");
    }
    if (wm_ps_attach(&host->bus, &mod->ps, &mod->manifest) != 0)
        return wm_sb_fail(err, WM_SB_ENOMEM, 0, "too many modules on the message bus", NULL,
                          NULL);
    mod->attached = true;
    return WM_SB_OK;
}

void wm_sb_uninstall(wm_sb_module *mod)
{
    if (mod->attached) wm_ps_detach(&mod->host->bus, &mod->ps);
    mod->attached = false;
    mod->inst = NULL;
}

wm_err wm_sb_call(wm_sb_module *mod, const char *name, const wm_val *args, uint32_t nargs,
                  wm_val *results, uint32_t nresults, wm_error *err)
{
    if (!mod->inst) return WM_ERR_STATE;
    return wm_call_export(mod->inst, name, args, nargs, results, nresults, mod->manifest.fuel,
                          err);
}
