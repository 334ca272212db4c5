/* Ed25519 verification, RFC 8032 section 5.1.7, cofactorless equation
 * [S]B == R + [k]A checked as [S]B + [k](-A) == R. */
#include "ed25519.h"

#include "ge25519.h"
#include "sc25519.h"

wm_crypto_status wm_ed25519_verify_init(wm_ed25519_verify_ctx *ctx, const uint8_t pub[32],
                                        const uint8_t sig[64])
{
    unsigned i;
    wm_crypto_status st;
    if (ctx == NULL) {
        return WM_CRYPTO_ERR_ARG;
    }
    if (pub == NULL || sig == NULL) {
        ctx->status = WM_CRYPTO_ERR_ARG;
        return WM_CRYPTO_ERR_ARG;
    }
    for (i = 0; i < 32u; i++) {
        ctx->pub[i] = pub[i];
    }
    for (i = 0; i < 64u; i++) {
        ctx->sig[i] = sig[i];
    }
    /* k = SHA-512(R || A || M): start with R and A. */
    st = wm_sha512_init(&ctx->hash);
    if (st == WM_CRYPTO_OK) {
        st = wm_sha512_update(&ctx->hash, ctx->sig, 32);
    }
    if (st == WM_CRYPTO_OK) {
        st = wm_sha512_update(&ctx->hash, ctx->pub, 32);
    }
    ctx->status = st;
    return st;
}

wm_crypto_status wm_ed25519_verify_update(wm_ed25519_verify_ctx *ctx, const uint8_t *chunk,
                                          size_t len)
{
    if (ctx == NULL) {
        return WM_CRYPTO_ERR_ARG;
    }
    if (ctx->status == WM_CRYPTO_OK) {
        ctx->status = wm_sha512_update(&ctx->hash, chunk, len);
    }
    return ctx->status;
}

wm_crypto_status wm_ed25519_verify_final(wm_ed25519_verify_ctx *ctx)
{
    uint8_t digest[64];
    uint8_t k[32];
    wm_ge25519 a, r, base, check;
    wm_crypto_status st;

    if (ctx == NULL) {
        return WM_CRYPTO_ERR_ARG;
    }
    if (ctx->status != WM_CRYPTO_OK) {
        return ctx->status;
    }
    st = wm_sha512_final(&ctx->hash, digest);
    if (st != WM_CRYPTO_OK) {
        ctx->status = st;
        return st;
    }
    /* Further calls must not reuse a finished hash. */
    ctx->status = WM_CRYPTO_ERR_FINISHED;

    /* Cheapest checks first. S must be canonical (S < L), or a signature
     * would be malleable into S + L. */
    if (!wm_sc25519_is_canonical(ctx->sig + 32)) {
        return WM_CRYPTO_ERR_BAD_S;
    }
    /* A and R must decode (canonical y < p, on the curve, no "negative zero"
     * x); small-order A or R is refused by policy (see docs/crypto.md). */
    if (wm_ge25519_frombytes(&a, ctx->pub) != WM_GE25519_DECODED) {
        return WM_CRYPTO_ERR_BAD_KEY;
    }
    if (wm_ge25519_has_small_order(&a)) {
        return WM_CRYPTO_ERR_WEAK_KEY;
    }
    if (wm_ge25519_frombytes(&r, ctx->sig) != WM_GE25519_DECODED) {
        return WM_CRYPTO_ERR_BAD_R;
    }
    if (wm_ge25519_has_small_order(&r)) {
        return WM_CRYPTO_ERR_WEAK_R;
    }
    wm_sc25519_reduce64(k, digest);
    wm_ge25519_neg(&a, &a);
    wm_ge25519_base(&base);
    wm_ge25519_double_scalarmult(&check, ctx->sig + 32, &base, k, &a);
    if (!wm_ge25519_equal(&check, &r)) {
        return WM_CRYPTO_ERR_BAD_SIGNATURE;
    }
    return WM_CRYPTO_OK;
}

wm_crypto_status wm_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
                                   const uint8_t sig[64])
{
    wm_ed25519_verify_ctx ctx;
    wm_crypto_status st;
    if (msg == NULL && len != 0u) {
        return WM_CRYPTO_ERR_ARG;
    }
    st = wm_ed25519_verify_init(&ctx, pub, sig);
    if (st == WM_CRYPTO_OK) {
        st = wm_ed25519_verify_update(&ctx, msg, len);
    }
    if (st == WM_CRYPTO_OK) {
        st = wm_ed25519_verify_final(&ctx);
    }
    return st;
}
