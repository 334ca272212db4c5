/* Provisioning: the device's trusted Ed25519 public keys, kept in the config area (the kv
 * store, namespace "#keys", which no module name can equal).
 *
 * PROVISION body: u32 counter | u8 n (0..4) | n x 32-byte public keys | [64-byte signature]
 * An unprovisioned device accepts any request (trust on first use: provision before the
 * device leaves your hands). A provisioned one requires the signature, by one of its current
 * keys, over "wasmote-provision-v1\0" || the body before the signature, and a counter above
 * the stored one, so a captured request cannot be replayed. n = 0 unprovisions. Every
 * change of keys forgets the version pins (docs/security.md). */
#include "sup_internal.h"

#include "ed25519.h"
#include "pins.h"

static const uint8_t k_ns[] = "#keys";
static const uint8_t k_key[] = "keys";
static const uint8_t k_pins_ns[] = "#pins";
static const char k_domain[] = "wasmote-provision-v1"; /* + NUL = 21 bytes */

#define NS_LEN(a) ((uint32_t)(sizeof(a) - 1u))

void wm_sup_keys_load(wm_supervisor *s)
{
    uint8_t v[5u + 32u * WM_SUP_KEYS_MAX];
    s->dev.nkeys = 0;
    s->key_counter = 0;
    if (s->cfg.kv == NULL) {
        return;
    }
    int n = wm_kv_get(s->cfg.kv, k_ns, NS_LEN(k_ns), k_key, NS_LEN(k_key), v, sizeof v);
    if (n < 5 || (uint32_t)n != 5u + 32u * v[4] || v[4] > WM_SUP_KEYS_MAX) {
        return; /* none, or unreadable: unprovisioned */
    }
    s->key_counter = wm_sb_le32(v);
    for (uint32_t i = 0; i < v[4]; i++) {
        wm_sb_mem_copy(s->keys[i], v + 5u + 32u * i, 32u);
    }
    s->dev.nkeys = v[4];
}

static bool signed_by_current_key(const wm_supervisor *s, const uint8_t *body, size_t signed_len,
                                  const uint8_t *sig)
{
    uint8_t msg[sizeof k_domain + 5u + 32u * WM_SUP_KEYS_MAX];
    wm_sb_mem_copy(msg, k_domain, sizeof k_domain); /* includes the NUL */
    wm_sb_mem_copy(msg + sizeof k_domain, body, signed_len);
    for (uint32_t i = 0; i < s->dev.nkeys; i++) {
        if (wm_ed25519_verify(s->keys[i], msg, sizeof k_domain + signed_len, sig) ==
            WM_CRYPTO_OK) {
            return true;
        }
    }
    return false;
}

int wm_sup_provision(void *ctx, const uint8_t *body, size_t len, char *msg, size_t cap)
{
    wm_supervisor *s = ctx;
    wm_sup_text t;
    wm_sup_text_init(&t, msg, cap);
    if (len < 5u || body[4] > WM_SUP_KEYS_MAX) {
        wm_sup_put(&t, "malformed PROVISION (at most 4 keys)");
        return WM_ST_MALFORMED;
    }
    uint32_t n = body[4];
    size_t signed_len = 5u + 32u * n;
    bool has_sig = len == signed_len + 64u;
    if (len != signed_len && !has_sig) {
        wm_sup_put(&t, "malformed PROVISION: wrong length");
        return WM_ST_MALFORMED;
    }
    uint32_t counter = wm_sb_le32(body);
    if (s->dev.nkeys > 0) {
        if (!has_sig) {
            wm_sup_put(&t, "the device is provisioned: the request must be signed by one of "
                           "its keys (--key)");
            return WM_ST_DENIED;
        }
        if (!signed_by_current_key(s, body, signed_len, body + signed_len)) {
            wm_sup_put(&t, "signature does not verify with any provisioned key");
            return WM_ST_DENIED;
        }
        if (counter <= s->key_counter) {
            wm_sup_put(&t, "stale or replayed request: counter ");
            wm_sup_put_u(&t, counter);
            wm_sup_put(&t, " is not above the device's ");
            wm_sup_put_u(&t, s->key_counter);
            return WM_ST_DENIED;
        }
    }
    if (s->cfg.kv == NULL) {
        wm_sup_put(&t, "this device has no config area");
        return WM_ST_NOT_SUPPORTED;
    }
    int rc = wm_kv_set(s->cfg.kv, k_ns, NS_LEN(k_ns), k_key, NS_LEN(k_key), body,
                       (uint32_t)signed_len, 0xFFFFFFFFu);
    if (rc == 0) {
        rc = wm_kv_clear_ns(s->cfg.kv, k_pins_ns, NS_LEN(k_pins_ns));
    }
    if (rc != 0) {
        wm_sup_put(&t, "config area write failed; the old keys are kept");
        wm_sup_keys_load(s);
        return WM_ST_FLASH_ERROR;
    }
    wm_sup_keys_load(s);
    return WM_ST_OK;
}
