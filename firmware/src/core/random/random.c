/* HMAC-DRBG per NIST SP 800-90A rev. 1, section 10.1.2, with SHA-256. */
#include "random.h"

#include "hmac_sha256.h"

/* K = HMAC(K, V || tag || data...); V = HMAC(K, V): one half of the update function. */
static void update_half(wm_random *r, uint8_t tag, const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen)
{
    wm_hmac_sha256_ctx h;
    wm_hmac_sha256_init(&h, r->k, sizeof r->k);
    wm_hmac_sha256_update(&h, r->v, sizeof r->v);
    wm_hmac_sha256_update(&h, &tag, 1);
    wm_hmac_sha256_update(&h, a, alen);
    wm_hmac_sha256_update(&h, b, blen);
    wm_hmac_sha256_final(&h, r->k);
    wm_hmac_sha256_init(&h, r->k, sizeof r->k);
    wm_hmac_sha256_update(&h, r->v, sizeof r->v);
    wm_hmac_sha256_final(&h, r->v);
}

/* HMAC_DRBG_Update(provided_data = a || b). */
static void update(wm_random *r, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    update_half(r, 0x00, a, alen, b, blen);
    if (alen + blen > 0) {
        update_half(r, 0x01, a, alen, b, blen);
    }
}

/* Fresh entropy from the source, if any; returns the kind it reported. */
static int gather(wm_random *r, uint8_t *buf, size_t len)
{
    int kind = r->source != NULL ? r->source(r->source_ctx, buf, len) : -1;
    if (kind != WM_RANDOM_HARDWARE && kind != WM_RANDOM_SEEDED) {
        for (size_t i = 0; i < len; i++) {
            buf[i] = 0;
        }
        return WM_RANDOM_NONE;
    }
    return kind;
}

void wm_random_init(wm_random *r, wm_entropy_fn source, void *source_ctx, const uint8_t *extra,
                    size_t extra_len)
{
    uint8_t seed[WM_RANDOM_SEED_BYTES];
    for (size_t i = 0; i < 32u; i++) {
        r->k[i] = 0x00;
        r->v[i] = 0x01;
    }
    r->requests = 0;
    r->stirred = 0;
    for (size_t i = 0; i < 4u; i++) {
        r->pool[i] = 0;
    }
    r->source = source;
    r->source_ctx = source_ctx;
    r->kind = (uint8_t)gather(r, seed, sizeof seed);
    /* instantiate: seed_material = entropy || personalization (extra) */
    update(r, seed, sizeof seed, extra, extra != NULL ? extra_len : 0u);
    if (r->kind == WM_RANDOM_NONE && (extra == NULL || extra_len == 0u)) {
        r->kind = WM_RANDOM_NONE; /* nothing secret went in: refuse to answer */
    } else if (r->kind == WM_RANDOM_NONE) {
        r->kind = WM_RANDOM_SEEDED; /* only the kept seed */
    }
}

void wm_random_reseed(wm_random *r, const uint8_t *extra, size_t extra_len)
{
    uint8_t seed[WM_RANDOM_SEED_BYTES];
    int kind = gather(r, seed, sizeof seed);
    update(r, seed, sizeof seed, extra, extra != NULL ? extra_len : 0u);
    if (kind != WM_RANDOM_NONE && (r->kind == WM_RANDOM_NONE || kind < r->kind)) {
        r->kind = (uint8_t)kind;
    }
    r->requests = 0;
}

void wm_random_stir(wm_random *r, uint32_t sample)
{
    uint32_t i = r->stirred++ & 3u;
    r->pool[i] = ((r->pool[i] << 7) | (r->pool[i] >> 25)) ^ sample;
}

int wm_random_bytes(wm_random *r, uint8_t *out, size_t len)
{
    if (r->kind == WM_RANDOM_NONE || len > WM_RANDOM_MAX_REQUEST) {
        return -1;
    }
    if (r->source != NULL && r->requests >= WM_RANDOM_RESEED_EVERY) {
        wm_random_reseed(r, NULL, 0);
    }
    /* stirred timing as additional input (SP 800-90A generate, step 2) */
    uint8_t add[16];
    size_t add_len = 0;
    if (r->stirred != 0) {
        for (size_t i = 0; i < 4u; i++) {
            for (size_t b = 0; b < 4u; b++) {
                add[i * 4u + b] = (uint8_t)(r->pool[i] >> (8u * b));
            }
            r->pool[i] = 0;
        }
        r->stirred = 0;
        add_len = sizeof add;
        update(r, add, add_len, NULL, 0);
    }
    size_t done = 0;
    while (done < len) {
        wm_hmac_sha256_ctx h;
        wm_hmac_sha256_init(&h, r->k, sizeof r->k);
        wm_hmac_sha256_update(&h, r->v, sizeof r->v);
        wm_hmac_sha256_final(&h, r->v);
        for (size_t i = 0; i < sizeof r->v && done < len; i++) {
            out[done++] = r->v[i];
        }
    }
    update(r, add, add_len, NULL, 0);
    r->requests++;
    return 0;
}

uint8_t wm_random_kind(const wm_random *r) { return r->kind; }

const char *wm_random_kind_name(uint8_t kind)
{
    return kind == WM_RANDOM_HARDWARE ? "hardware"
           : kind == WM_RANDOM_SEEDED ? "seeded DRBG"
                                      : "none";
}
