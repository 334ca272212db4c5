#include "auth.h"

#include "ed25519.h"
#include "wm_mem.h"

static const char k_domain[] = "wasmote-auth-v1"; /* + its NUL: 16 bytes */

void wm_auth_pool_init(wm_auth_pool *a)
{
    for (uint32_t i = 0; i < WM_AUTH_NONCES; i++) {
        a->live[i] = false;
    }
    a->next = 0;
}

void wm_auth_issue(wm_auth_pool *a, const uint8_t fresh[WM_AUTH_NONCE_BYTES], uint32_t now_ms)
{
    uint32_t i = a->next;
    wm_memcpy(a->nonce[i], fresh, WM_AUTH_NONCE_BYTES);
    a->issued_ms[i] = now_ms;
    a->live[i] = true;
    a->next = (i + 1u) % WM_AUTH_NONCES;
}

int wm_auth_check(wm_auth_pool *a, const wm_auth_identity *id, uint8_t role, uint8_t msg,
                  const uint8_t *body, size_t len, uint32_t now_ms)
{
    if (len < WM_AUTH_TRAILER) {
        return WM_AUTH_ESHAPE;
    }
    size_t inner = len - WM_AUTH_TRAILER;
    const uint8_t *pub = body + inner;
    const uint8_t *nonce = pub + 32;
    const uint8_t *sig = nonce + WM_AUTH_NONCE_BYTES;
    const wm_auth_key *key = NULL;
    for (uint32_t i = 0; i < id->nkeys && key == NULL; i++) {
        if (wm_memeq(id->keys[i].pub, pub, 32)) {
            key = &id->keys[i];
        }
    }
    if (key == NULL) {
        return WM_AUTH_EKEY;
    }
    if ((key->roles & role) != role) {
        return WM_AUTH_EROLE;
    }
    uint32_t slot = WM_AUTH_NONCES;
    for (uint32_t i = 0; i < WM_AUTH_NONCES && slot == WM_AUTH_NONCES; i++) {
        if (a->live[i] && wm_memeq(a->nonce[i], nonce, WM_AUTH_NONCE_BYTES)) {
            slot = i;
        }
    }
    if (slot == WM_AUTH_NONCES || (uint32_t)(now_ms - a->issued_ms[slot]) > WM_AUTH_NONCE_MS) {
        return WM_AUTH_ENONCE;
    }
    wm_ed25519_verify_ctx v;
    uint8_t m = msg;
    (void)wm_ed25519_verify_init(&v, pub, sig);
    (void)wm_ed25519_verify_update(&v, (const uint8_t *)k_domain, sizeof k_domain);
    (void)wm_ed25519_verify_update(&v, id->device_id, WM_DEVICE_ID_BYTES);
    (void)wm_ed25519_verify_update(&v, nonce, WM_AUTH_NONCE_BYTES);
    (void)wm_ed25519_verify_update(&v, &m, 1);
    (void)wm_ed25519_verify_update(&v, body, inner);
    if (wm_ed25519_verify_final(&v) != WM_CRYPTO_OK) {
        return WM_AUTH_ESIG;
    }
    a->live[slot] = false; /* single use */
    return WM_AUTH_OK;
}

const char *wm_auth_error(int code)
{
    switch (code) {
    case WM_AUTH_ESHAPE: return "malformed authentication trailer";
    case WM_AUTH_EKEY: return "the request is signed by a key this device was not provisioned with";
    case WM_AUTH_EROLE: return "the signing key lacks the role this request needs";
    case WM_AUTH_ENONCE: return "unknown, used or expired nonce (ask NONCE again)";
    case WM_AUTH_ESIG: return "the request's signature does not verify";
    default: return "authentication failed";
    }
}
