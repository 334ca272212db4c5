/* Authenticated management requests (docs/security.md, "Management link").
 *
 * On a provisioned device every request that changes or reveals state carries a token: the
 * frame flag WM_FRAME_FLAG_AUTH and, after the request's own body, a trailer
 *     pub[32] | nonce[16] | sig[64]
 * where nonce is one the device handed out (NONCE, single use, WM_AUTH_NONCE_MS to live)
 * and sig is Ed25519 by `pub` over
 *     "wasmote-auth-v1\0" || device_id[16] || nonce[16] || u8 msg || body.
 * `pub` must be a provisioned key holding the role the message needs. Nothing here depends
 * on who sent the request or on its seq: a relay that multiplexes several host processes
 * over one line (rewriting seq) passes tokens through untouched, and each process asks for
 * its own nonce from a pool of WM_AUTH_NONCES outstanding ones. */
#ifndef WM_AUTH_H
#define WM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct {
    uint8_t pub[32];
    uint8_t roles; /* WM_ROLE_* */
} wm_auth_key;

/* What the device is and whom it trusts (the supervisor's provisioned keys). */
typedef struct {
    const uint8_t *device_id; /* WM_DEVICE_ID_BYTES */
    const wm_auth_key *keys;
    uint32_t nkeys; /* 0: unprovisioned, nothing is checked */
} wm_auth_identity;

typedef struct {
    uint8_t nonce[WM_AUTH_NONCES][WM_AUTH_NONCE_BYTES];
    uint32_t issued_ms[WM_AUTH_NONCES];
    bool live[WM_AUTH_NONCES];
    uint32_t next; /* the slot the next nonce takes (the oldest) */
} wm_auth_pool;

enum {
    WM_AUTH_OK = 0,
    WM_AUTH_ESHAPE = 1, /* the trailer does not fit the body */
    WM_AUTH_EKEY = 2,   /* not a provisioned key */
    WM_AUTH_EROLE = 3,  /* the key lacks the role */
    WM_AUTH_ENONCE = 4, /* never issued, already used, or expired */
    WM_AUTH_ESIG = 5,   /* the signature does not verify */
};

void wm_auth_pool_init(wm_auth_pool *a);
/* Records `fresh` (random bytes) as a new outstanding nonce issued at `now_ms`. */
void wm_auth_issue(wm_auth_pool *a, const uint8_t fresh[WM_AUTH_NONCE_BYTES], uint32_t now_ms);
/* Checks the token of request `msg` whose body (the trailer included) is body[0..len):
 * WM_AUTH_OK consumes the nonce; any refusal leaves the pool as it was. Cheap refusals
 * (shape, key, role, nonce) come before the Ed25519 verification. */
int wm_auth_check(wm_auth_pool *a, const wm_auth_identity *id, uint8_t role, uint8_t msg,
                  const uint8_t *body, size_t len, uint32_t now_ms);
/* Why, for the DENIED message. */
const char *wm_auth_error(int code);

#endif
