/* The device's random numbers: one HMAC-DRBG (NIST SP 800-90A, HMAC-SHA-256) seeded from
 * the port's entropy source, for device identity, protocol nonces and (issue 16) WASI's
 * random_get. Freestanding, no globals: the owner (the supervisor) keeps one wm_random.
 *
 * Interface for whoever needs random bytes:
 *     wm_random_bytes(rng, out, n)   // 0, or -1 when the DRBG was never seeded
 *     wm_random_kind(rng)            // WM_RANDOM_HARDWARE / WM_RANDOM_SEEDED / _NONE
 * and for the port (wasmote_port.h wm_port_entropy, handed in through wm_device_config):
 *     int entropy(void *ctx, uint8_t *buf, size_t len)
 * fills buf and returns WM_RANDOM_HARDWARE when the bytes come from a true entropy source
 * (an RNG peripheral; on posix the OS's getrandom), WM_RANDOM_SEEDED when they are only
 * timing jitter (QEMU boards have no RNG), or <0 when it has nothing. Every output goes
 * through the DRBG either way, and the DRBG is reseeded from the source every
 * WM_RANDOM_RESEED_EVERY requests. Cheap event timing (byte arrival) is stirred into a pool
 * that the next request folds in. */
#ifndef WM_RANDOM_H
#define WM_RANDOM_H

#include <stddef.h>
#include <stdint.h>

enum { WM_RANDOM_NONE = 0, WM_RANDOM_HARDWARE = 1, WM_RANDOM_SEEDED = 2 };

#define WM_RANDOM_SEED_BYTES 48u     /* entropy asked of the port at a (re)seed */
#define WM_RANDOM_RESEED_EVERY 1024u /* requests between reseeds from the source */
#define WM_RANDOM_MAX_REQUEST 65536u /* longest single request (SP 800-90A allows more) */

typedef int (*wm_entropy_fn)(void *ctx, uint8_t *buf, size_t len);

typedef struct {
    uint8_t k[32], v[32];
    uint32_t requests; /* since the last reseed */
    uint32_t pool[4];  /* stirred event timing, folded in at the next request */
    uint32_t stirred;
    uint8_t kind; /* WM_RANDOM_*: the best source that seeded it */
    wm_entropy_fn source;
    void *source_ctx;
} wm_random;

/* Seeds from the source (may be NULL) plus `extra` (a seed kept across boots, a device
 * secret: anything that makes this boot differ; may be NULL). The kind is the source's. */
void wm_random_init(wm_random *r, wm_entropy_fn source, void *source_ctx, const uint8_t *extra,
                    size_t extra_len);
/* Mixes more material in now (SP 800-90A reseed with it as additional input). */
void wm_random_reseed(wm_random *r, const uint8_t *extra, size_t extra_len);
/* A cheap sample of event timing; no hashing here. */
void wm_random_stir(wm_random *r, uint32_t sample);
/* `len` (<= WM_RANDOM_MAX_REQUEST) random bytes: 0, or -1 (never seeded, or too long). */
int wm_random_bytes(wm_random *r, uint8_t *out, size_t len);
uint8_t wm_random_kind(const wm_random *r);
/* "hardware", "seeded DRBG" or "none" (INFO). */
const char *wm_random_kind_name(uint8_t kind);

#endif
