/* The device's identity and randomness. At every boot the DRBG (core/random) is seeded from
 * the port's entropy source plus the seed the previous boot left in the config area
 * (namespace "#dev"), and leaves a fresh one for the next boot: even a board without any
 * entropy source (QEMU) never repeats a boot's random numbers while its flash works. The
 * device id (16 random bytes) is made at the first boot and kept; every signed request
 * binds it (docs/security.md). */
#include "sup_internal.h"

static const uint8_t k_ns[] = "#dev";
static const uint8_t k_id[] = "id";
static const uint8_t k_seed[] = "seed";

#define LEN(a) ((uint32_t)(sizeof(a) - 1u))
#define SEED_BYTES 32u

void wm_sup_identity_init(wm_supervisor *s)
{
    wm_kv *kv = s->cfg.kv;
    uint8_t seed[SEED_BYTES];
    bool kept = kv != NULL && wm_kv_get(kv, k_ns, LEN(k_ns), k_seed, LEN(k_seed), seed,
                                        SEED_BYTES) == (int)SEED_BYTES;
    /* only the kept seed counts as secret; without it and without a source the DRBG stays
     * unseeded (wm_random_bytes refuses) rather than answer predictable bytes */
    wm_random_init(&s->rng, s->cfg.entropy, s->cfg.entropy_ctx, kept ? seed : NULL,
                   kept ? SEED_BYTES : 0u);
    wm_random_stir(&s->rng, s->cfg.retained != NULL ? s->cfg.retained->boots : 0u);
    wm_random_stir(&s->rng, s->cfg.millis != NULL ? s->cfg.millis() : 0u);
    uint8_t next[SEED_BYTES];
    if (kv != NULL && wm_random_bytes(&s->rng, next, sizeof next) == 0) {
        (void)wm_kv_set(kv, k_ns, LEN(k_ns), k_seed, LEN(k_seed), next, sizeof next,
                        WM_SUP_KV_OTHER_BYTES);
    }
    if (kv != NULL && wm_kv_get(kv, k_ns, LEN(k_ns), k_id, LEN(k_id), s->device_id,
                                WM_DEVICE_ID_BYTES) == (int)WM_DEVICE_ID_BYTES) {
        return;
    }
    if (wm_random_bytes(&s->rng, s->device_id, WM_DEVICE_ID_BYTES) != 0) {
        wm_memset(s->device_id, 0, WM_DEVICE_ID_BYTES);
        return;
    }
    if (kv != NULL) {
        (void)wm_kv_set(kv, k_ns, LEN(k_ns), k_id, LEN(k_id), s->device_id, WM_DEVICE_ID_BYTES,
                        WM_SUP_KV_OTHER_BYTES);
    }
}

void wm_sup_identity(void *ctx, wm_auth_identity *out)
{
    /* Locked (the keys record cannot be read): a provisioned device whose one key holds no
     * role, so every management request is refused, none is open (fail closed). */
    static const wm_auth_key k_locked = {{0}, 0};
    wm_supervisor *s = ctx;
    out->device_id = s->device_id;
    out->keys = s->locked ? &k_locked : s->keys;
    out->nkeys = s->locked ? 1u : s->nkeys;
}

int wm_sup_random(void *ctx, uint8_t *buf, size_t len)
{
    return wm_random_bytes(&((wm_supervisor *)ctx)->rng, buf, len);
}
