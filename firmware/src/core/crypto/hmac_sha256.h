/* HMAC-SHA-256 (RFC 2104, FIPS 198-1): the keyed hash the device's DRBG is built on
 * (core/random). Streaming, like sha256.h. */
#ifndef WM_HMAC_SHA256_H
#define WM_HMAC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

typedef struct {
    wm_sha256_ctx inner;
    uint8_t okey[WM_SHA256_BLOCK_SIZE]; /* key ^ opad, for final */
} wm_hmac_sha256_ctx;

void wm_hmac_sha256_init(wm_hmac_sha256_ctx *c, const uint8_t *key, size_t key_len);
void wm_hmac_sha256_update(wm_hmac_sha256_ctx *c, const uint8_t *data, size_t len);
void wm_hmac_sha256_final(wm_hmac_sha256_ctx *c, uint8_t mac[WM_SHA256_DIGEST_SIZE]);

#endif
