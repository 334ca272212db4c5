/* The install decision (docs/security.md), the same rules as the host's reference model
 * host_tools/wasmote/package/policy.py: signature policy by provisioning state, version
 * pinning against replay, and when AOT native code may be used. */
#ifndef WM_SB_POLICY_H
#define WM_SB_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/wm_work.h"
#include "package.h"
#include "wasmote.h"

/* What the policy needs to know about the device. */
typedef struct wm_sb_device {
    const uint8_t (*keys)[32]; /* provisioned Ed25519 public keys; none = unprovisioned */
    uint32_t nkeys;
    /* Highest version installed under `name` (from the config area): 1 and the version, 0
     * if none, < 0 if it cannot be read (the package is refused). May be NULL (nothing
     * pinned). */
    int (*pinned)(void *ctx, const char *name, uint16_t version[3]);
    void *pin_ctx;
    uint8_t arch;     /* WM_AOT_* of this firmware, 0 = none */
    uint16_t aot_abi; /* AOT ABI version the firmware runs, 0 = none */
    /* Binds an AOT section to the loaded module: core/aot's wm_aot_attach, set together
     * with arch (WM_AOT_ARCH_SELF) and aot_abi (WM_AOT_ABI_VERSION) by firmware that links
     * core/aot. NULL: the module is interpreted even when the decision names AOT code. */
    wm_err (*aot_attach)(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                         uint16_t abi, wm_error *err);
    /* Host only (the posix device `wasmote exec` runs): an unprovisioned device runs the
     * native code of unsigned packages too (the user's own code on the user's computer).
     * Firmware never sets it. */
    bool aot_unsigned;
    /* Install-time work meter (core/base/wm_work.h): the package hash, the loader, the
     * link and the pre-decoded translator charge it and it feeds the watchdog. NULL: none. */
    wm_work *work;
} wm_sb_device;

/* Notes for INFO / the install response (bit set). */
enum {
    WM_SB_NOTE_UNSIGNED_OK = 1u << 0,   /* unprovisioned: unsigned package accepted */
    WM_SB_NOTE_SIG_UNTRUSTED = 1u << 1, /* unprovisioned: signature not checked against a key */
    WM_SB_NOTE_AOT_UNSIGNED = 1u << 2,  /* AOT ignored: needs a provisioned key */
    WM_SB_NOTE_AOT_ABI = 1u << 3,       /* AOT ignored: ABI version mismatch */
    WM_SB_NOTE_AOT_MPU = 1u << 4        /* AOT ignored: the MPU cannot cover its code here */
};

typedef struct wm_sb_decision {
    const wm_pkg_aot *aot; /* native code to use, or NULL: interpret the wasm */
    uint32_t notes;        /* WM_SB_NOTE_* */
    /* the device's aot_attach (sandbox.c uses it to bind `aot` after loading the module) */
    wm_err (*aot_attach)(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                         uint16_t abi, wm_error *err);
} wm_sb_decision;

/* Parses (wm_pkg_parse), applies the signature policy, then decodes the manifest and checks
 * the pin. On success fills pkg, manifest and decision; else the refusal's status, with `err`. */
int wm_sb_check_install(const uint8_t *bytes, uint32_t size, const wm_sb_device *dev,
                        wm_package *pkg, wm_manifest *manifest, wm_sb_decision *decision,
                        wm_msg *err);

/* Text of one note bit (static). */
const char *wm_sb_note_text(uint32_t note);

#endif
