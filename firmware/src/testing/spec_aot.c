/* spec_aot.c - the spec driver's `load` hook for packages: the module section is loaded and
 * the AOT section for this runtime's architecture, if there is one, attached (core/aot).
 * A test harness: it trusts its input (the device's install path applies the signature
 * policy, core/sandbox). Freestanding. */
#include "aot.h"
#include "package.h"
#include "spec_driver.h"

static void sd_copy_msg(wm_spec_driver *d, const char *msg)
{
    size_t i = 0;
    for (; msg[i] != '\0' && i + 1 < sizeof d->load_msg; i++) d->load_msg[i] = msg[i];
    d->load_msg[i] = '\0';
}

wm_err wm_sd_load_package(wm_spec_driver *d, const uint8_t *bytes, size_t len, wm_module **out,
                          wm_error *err)
{
    if (len < 4 || bytes[0] != 0 || bytes[1] != 'w' || bytes[2] != 'm' || bytes[3] != 'p')
        return wm_load(&d->arena, bytes, len, out, err);
    wm_package pkg;
    char pe_buf[WM_MSG_MAX];
    wm_msg pe;
    wm_msg_init(&pe, pe_buf, sizeof pe_buf);
    if (len > UINT32_MAX || wm_pkg_parse(bytes, (uint32_t)len, &pkg, &pe) != 0) {
        sd_copy_msg(d, len > UINT32_MAX ? "package too large" : pe.buf);
        err->code = WM_ERR_MALFORMED;
        err->offset = len > UINT32_MAX ? 0 : pe.offset;
        err->msg = d->load_msg;
        return WM_ERR_MALFORMED;
    }
    const wm_pkg_aot *aot = NULL;
    for (uint32_t i = 0; i < pkg.naot; i++) {
        if (WM_AOT_ARCH_SELF != 0 && pkg.aot[i].arch == WM_AOT_ARCH_SELF) aot = &pkg.aot[i];
    }
    wm_err rc = wm_load(&d->arena, pkg.module, pkg.module_len, out, err);
    if (rc != WM_OK || aot == NULL) return rc;
    const uint8_t *code = aot->code;
    if (d->exec_code != NULL) code = d->exec_code(d->exec_ctx, aot->code, aot->len);
    if (code == NULL) {
        err->code = WM_OK;
        err->offset = 0;
        err->msg = "no executable memory for AOT code";
        return WM_ERR_NO_MEMORY;
    }
    /* isolated by the MPU where the port set it up (the QEMU images), as the firmware does */
    if (wm_aot_isolation() != 0)
        return wm_aot_attach_isolated(*out, code, aot->len, aot->arch, aot->abi, err);
    return wm_aot_attach(*out, code, aot->len, aot->arch, aot->abi, err);
}
