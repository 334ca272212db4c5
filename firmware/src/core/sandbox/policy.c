#include "policy.h"

#include "sha256.h"

/* Appends "key 0123456789abcdef" (first 8 bytes of SHA-256(pub), as the host's key_id). */
static void append_key_id(wm_msg *err, const uint8_t pub[32])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[32];
    char out[17];
    (void)wm_sha256(pub, 32, d);
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15u];
    }
    out[16] = '\0';
    wm_msg_put(err, "key ");
    wm_msg_put(err, out);
}

static void append_version(wm_msg *err, const uint16_t v[3])
{
    for (int i = 0; i < 3; i++) {
        if (i) wm_msg_put(err, ".");
        wm_msg_put_u(err, v[i]);
    }
}

static int signature_policy(const wm_package *pkg, const wm_sb_device *dev, uint32_t *notes,
                            wm_msg *err)
{
    uint32_t sig_at = pkg->content_len + WM_PKG_HASH_SECTION_SIZE;
    if (dev->nkeys == 0) {
        if (!pkg->is_signed) {
            *notes |= WM_SB_NOTE_UNSIGNED_OK;
            return WM_ST_OK;
        }
        /* Still refuse a signature that is present but wrong: it means tampering. */
        if (wm_pkg_verify_with(pkg, pkg->signer, NULL) != WM_ST_OK) {
            wm_msg_fail_at(err, WM_ST_DENIED, NULL, sig_at, "signature by ");
            append_key_id(err, pkg->signer);
            wm_msg_put(err, " does not verify");
            return WM_ST_DENIED;
        }
        *notes |= WM_SB_NOTE_SIG_UNTRUSTED;
        return WM_ST_OK;
    }
    if (!pkg->is_signed)
        return wm_msg_fail_at(err, WM_ST_DENIED, NULL, sig_at,
                              "package is not signed (the device is provisioned)");
    for (uint32_t i = 0; i < dev->nkeys; i++) {
        if (!wm_memeq(dev->keys[i], pkg->signer, 32)) continue;
        if (wm_pkg_verify_with(pkg, dev->keys[i], NULL) == WM_ST_OK) return WM_ST_OK;
        wm_msg_fail_at(err, WM_ST_DENIED, NULL, sig_at, "signature by ");
        append_key_id(err, pkg->signer);
        wm_msg_put(err, " does not verify: modified after signing or forged");
        return WM_ST_DENIED;
    }
    wm_msg_fail_at(err, WM_ST_DENIED, NULL, sig_at + 12u, "package is signed by ");
    append_key_id(err, pkg->signer);
    wm_msg_put(err, ", which is not a trusted key");
    return WM_ST_DENIED;
}

int wm_sb_check_install(const uint8_t *bytes, uint32_t size, const wm_sb_device *dev,
                        wm_package *pkg, wm_manifest *m, wm_sb_decision *d, wm_msg *err)
{
    if (!dev || !pkg || !m || !d)
        return wm_msg_fail(err, WM_ST_BAD_ARGS, "check_install: NULL argument");
    d->aot = NULL;
    d->notes = 0;
    int rc = wm_pkg_parse_metered(bytes, size, dev->work, pkg, err);
    if (rc) return rc;
    /* Authenticate before any parser looks at the manifest or the module. */
    rc = signature_policy(pkg, dev, &d->notes, err);
    if (rc) return rc;
    rc = wm_pkg_manifest(pkg, m, err);
    if (rc) return rc;
    bool provisioned = dev->nkeys > 0;
    uint16_t pin[3];
    int pinned = provisioned && dev->pinned ? dev->pinned(dev->pin_ctx, m->name, pin) : 0;
    if (pinned < 0) {
        wm_msg_fail_at(err, WM_ST_DENIED, NULL, pkg->manifest_off, m->name);
        wm_msg_put(err, ": its version pin cannot be read from the config area (refused: it "
                        "could be a replay)");
        return WM_ST_DENIED;
    }
    if (pinned > 0 && wm_pkg_version_cmp(m->version, pin) < 0) {
        wm_msg_fail_at(err, WM_ST_DENIED, NULL, pkg->manifest_off, m->name);
        wm_msg_put(err, ": version ");
        append_version(err, m->version);
        wm_msg_put(err, " is older than the installed ");
        append_version(err, pin);
        wm_msg_put(err, " (replay refused); rm keeps pins, provision clears");
        return WM_ST_DENIED;
    }
    for (uint32_t i = 0; i < pkg->naot; i++) {
        if (dev->arch == 0 || pkg->aot[i].arch != dev->arch) continue;
        if (!provisioned && !dev->aot_unsigned)
            d->notes |= WM_SB_NOTE_AOT_UNSIGNED;
        else if (pkg->aot[i].abi != dev->aot_abi)
            d->notes |= WM_SB_NOTE_AOT_ABI;
        else
            d->aot = &pkg->aot[i];
    }
    return WM_ST_OK;
}

const char *wm_sb_note_text(uint32_t note)
{
    switch (note) {
    case WM_SB_NOTE_UNSIGNED_OK: return "unprovisioned device: unsigned package accepted";
    case WM_SB_NOTE_SIG_UNTRUSTED:
        return "unprovisioned device: signature not checked against any trusted key";
    case WM_SB_NOTE_AOT_UNSIGNED:
        return "AOT code ignored: native code runs only from packages signed by a "
               "provisioned key";
    case WM_SB_NOTE_AOT_ABI: return "AOT code ignored: ABI version mismatch";
    case WM_SB_NOTE_AOT_MPU:
        return "AOT code ignored: the MPU's regions cannot cover its native code where it "
               "is stored (the wasm runs instead)";
    default: return "";
    }
}
