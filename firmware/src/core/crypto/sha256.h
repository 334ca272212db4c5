/* SHA-256 (FIPS 180-4), streaming: packages and store images are hashed from
 * flash in chunks, so the whole input never has to be in RAM. */
#ifndef WM_SHA256_H
#define WM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "crypto_status.h"

#define WM_SHA256_DIGEST_SIZE 32u
#define WM_SHA256_BLOCK_SIZE 64u

typedef struct {
    uint32_t state[8];
    uint64_t total;                      /* bytes absorbed so far */
    uint8_t block[WM_SHA256_BLOCK_SIZE]; /* partial block waiting for more input */
    uint32_t fill;                       /* bytes used in block */
    uint32_t finished;                   /* set by final; update/final then refuse */
} wm_sha256_ctx;

wm_crypto_status wm_sha256_init(wm_sha256_ctx *ctx);
/* data may be NULL only when len == 0. */
wm_crypto_status wm_sha256_update(wm_sha256_ctx *ctx, const uint8_t *data, size_t len);
wm_crypto_status wm_sha256_final(wm_sha256_ctx *ctx, uint8_t digest[WM_SHA256_DIGEST_SIZE]);
/* One-shot convenience over init/update/final. */
wm_crypto_status wm_sha256(const uint8_t *data, size_t len, uint8_t digest[WM_SHA256_DIGEST_SIZE]);
/* wm_sha256 in slices, charging each slice's bytes to `work` (core/base/wm_work.h; NULL:
 * none): a package's hash at install feeds the watchdog while it runs. */
struct wm_work;
wm_crypto_status wm_sha256_metered(const uint8_t *data, size_t len,
                                   uint8_t digest[WM_SHA256_DIGEST_SIZE], struct wm_work *work);

#endif
