/* Ed25519 signature verification (RFC 8032 section 5.1.7, "pure" Ed25519,
 * no context or prehash). The device only verifies; signing is on the host.
 * Which encodings are refused is listed in docs/crypto.md. */
#ifndef WM_ED25519_H
#define WM_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "crypto_status.h"
#include "sha512.h"

#define WM_ED25519_PUBLIC_KEY_SIZE 32u
#define WM_ED25519_SIGNATURE_SIZE 64u

/* Returns WM_CRYPTO_OK only for a valid signature of msg under pub. */
wm_crypto_status wm_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
                                   const uint8_t sig[64]);

/* Streaming form for messages read from flash in chunks: the hash input is
 * R || A || message, so the message can be fed after the key and signature. */
typedef struct {
    wm_sha512_ctx hash;
    uint8_t pub[32];
    uint8_t sig[64];
    wm_crypto_status status; /* first error seen; reported by final */
} wm_ed25519_verify_ctx;

wm_crypto_status wm_ed25519_verify_init(wm_ed25519_verify_ctx *ctx, const uint8_t pub[32],
                                        const uint8_t sig[64]);
wm_crypto_status wm_ed25519_verify_update(wm_ed25519_verify_ctx *ctx, const uint8_t *chunk,
                                          size_t len);
wm_crypto_status wm_ed25519_verify_final(wm_ed25519_verify_ctx *ctx);

#endif
