#include "hmac_sha256.h"

void wm_hmac_sha256_init(wm_hmac_sha256_ctx *c, const uint8_t *key, size_t key_len)
{
    uint8_t k[WM_SHA256_BLOCK_SIZE];
    for (size_t i = 0; i < sizeof k; i++) { /* a loop: the core links no memset */
        k[i] = i < key_len ? key[i] : 0u;
    }
    if (key_len > WM_SHA256_BLOCK_SIZE) { /* a long key is hashed first */
        for (size_t i = 0; i < sizeof k; i++) {
            k[i] = 0;
        }
        (void)wm_sha256(key, key_len, k);
    }
    uint8_t ikey[WM_SHA256_BLOCK_SIZE];
    for (size_t i = 0; i < WM_SHA256_BLOCK_SIZE; i++) {
        ikey[i] = (uint8_t)(k[i] ^ 0x36u);
        c->okey[i] = (uint8_t)(k[i] ^ 0x5Cu);
    }
    (void)wm_sha256_init(&c->inner);
    (void)wm_sha256_update(&c->inner, ikey, sizeof ikey);
}

void wm_hmac_sha256_update(wm_hmac_sha256_ctx *c, const uint8_t *data, size_t len)
{
    (void)wm_sha256_update(&c->inner, data, len);
}

void wm_hmac_sha256_final(wm_hmac_sha256_ctx *c, uint8_t mac[WM_SHA256_DIGEST_SIZE])
{
    uint8_t ih[WM_SHA256_DIGEST_SIZE];
    wm_sha256_ctx outer;
    (void)wm_sha256_final(&c->inner, ih);
    (void)wm_sha256_init(&outer);
    (void)wm_sha256_update(&outer, c->okey, sizeof c->okey);
    (void)wm_sha256_update(&outer, ih, sizeof ih);
    (void)wm_sha256_final(&outer, mac);
}
