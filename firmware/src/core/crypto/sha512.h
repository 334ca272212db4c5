/* SHA-512 (FIPS 180-4), streaming; Ed25519 hashes R || A || message with it. */
#ifndef WM_SHA512_H
#define WM_SHA512_H

#include <stddef.h>
#include <stdint.h>

#include "crypto_status.h"

#define WM_SHA512_DIGEST_SIZE 64u
#define WM_SHA512_BLOCK_SIZE 128u

typedef struct {
    uint64_t state[8];
    uint64_t total;                      /* bytes absorbed so far */
    uint8_t block[WM_SHA512_BLOCK_SIZE]; /* partial block waiting for more input */
    uint32_t fill;                       /* bytes used in block */
    uint32_t finished;                   /* set by final; update/final then refuse */
} wm_sha512_ctx;

wm_crypto_status wm_sha512_init(wm_sha512_ctx *ctx);
/* data may be NULL only when len == 0. */
wm_crypto_status wm_sha512_update(wm_sha512_ctx *ctx, const uint8_t *data, size_t len);
wm_crypto_status wm_sha512_final(wm_sha512_ctx *ctx, uint8_t digest[WM_SHA512_DIGEST_SIZE]);
wm_crypto_status wm_sha512(const uint8_t *data, size_t len, uint8_t digest[WM_SHA512_DIGEST_SIZE]);

#endif
