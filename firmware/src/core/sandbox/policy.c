#include "policy.h"

#include "sha256.h"

/* Appends "key 0123456789abcdef" (first 8 bytes of SHA-256(pub), as the host's key_id). */
static void append_key_id(wm_sb_error *err, const uint8_t pub[32])
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
    wm_sb_msg_append(err, "key ");
    wm_sb_msg_append(err, out);
}

static void append_version(wm_sb_error *err, const uint16_t v[3])
{
    for (int i = 0; i < 3; i++) {
        if (i) wm_sb_msg_append(err, ".");
        wm_sb_msg_append_u(err, v[i]);
    }
}

static int signature_policy(const wm_package *pkg, const wm_sb_device *dev, uint32_t *notes,
                            wm_sb_error *err)
{
    uint32_t sig_at = pkg->content_len + WM_PKG_HASH_SECTION_SIZE;
    if (dev->nkeys == 0) {
        if (!pkg->is_signed) {
            *notes |= WM_SB_NOTE_UNSIGNED_OK;
            return WM_SB_OK;
        }
        /* Still refuse a signature that is present but wrong: it means tampering. */
        if (wm_pkg_verify_with(pkg, pkg->signer, NULL) != WM_SB_OK) {
            wm_sb_fail(err, WM_SB_ESIG, sig_at, "signature by ", NULL, NULL);
            append_key_id(err, pkg->signer);
            wm_sb_msg_append(err, " does not verify");
            return WM_SB_ESIG;
        }
        *notes |= WM_SB_NOTE_SIG_UNTRUSTED;
        return WM_SB_OK;
    }
    if (!pkg->is_signed)
        return wm_sb_fail(err, WM_SB_EUNSIGNED, sig_at, "package is not signed (the device "
                          "is provisioned)", NULL, NULL);
    for (uint32_t i = 0; i < dev->nkeys; i++) {
        if (!wm_memeq(dev->keys[i], pkg->signer, 32)) continue;
        if (wm_pkg_verify_with(pkg, dev->keys[i], NULL) == WM_SB_OK) return WM_SB_OK;
        wm_sb_fail(err, WM_SB_ESIG, sig_at, "signature by ", NULL, NULL);
        append_key_id(err, pkg->signer);
        wm_sb_msg_append(err, " does not verify: modified after signing or forged");
        return WM_SB_ESIG;
    }
    wm_sb_fail(err, WM_SB_ESIG, sig_at + 12u, "package is signed by ", NULL, NULL);
    append_key_id(err, pkg->signer);
    wm_sb_msg_append(err, ", which is not a trusted key");
    return WM_SB_ESIG;
}

int wm_sb_check_install(const uint8_t *bytes, uint32_t size, const wm_sb_device *dev,
                        wm_package *pkg, wm_manifest *m, wm_sb_decision *d, wm_sb_error *err)
{
    if (!dev || !pkg || !m || !d)
        return wm_sb_fail(err, WM_SB_EARG, 0, "check_install: NULL argument", NULL, NULL);
    d->aot = NULL;
    d->notes = 0;
    int rc = wm_pkg_parse(bytes, size, pkg, err);
    if (rc) return rc;
    /* Authenticate before any parser looks at the manifest or the module. */
    rc = signature_policy(pkg, dev, &d->notes, err);
    if (rc) return rc;
    rc = wm_pkg_manifest(pkg, m, err);
    if (rc) return rc;
    bool provisioned = dev->nkeys > 0;
    uint16_t pin[3];
    int pinned = provisioned && dev->pinned ? dev->pinned(dev->pin_ctx, m->name, pin) : 0;
    if (pinned < 0)
        return wm_sb_fail(err, WM_SB_EREPLAY, pkg->manifest_off, m->name, ": its version pin "
                          "cannot be read from the config area (refused: it could be a "
                          "replay)", NULL);
    if (pinned > 0 && wm_pkg_version_cmp(m->version, pin) < 0) {
        wm_sb_fail(err, WM_SB_EREPLAY, pkg->manifest_off, m->name, ": version ", NULL);
        append_version(err, m->version);
        wm_sb_msg_append(err, " is older than the installed ");
        append_version(err, pin);
        wm_sb_msg_append(err, " (replay refused); rm keeps pins, provision clears");
        return WM_SB_EREPLAY;
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
    return WM_SB_OK;
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
    default: return "";
    }
}
