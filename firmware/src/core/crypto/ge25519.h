/* Points of the Ed25519 curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19),
 * in extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, x*y = T/Z
 * (RFC 8032 section 5.1.4). Verification only: nothing here is constant-time. */
#ifndef WM_GE25519_H
#define WM_GE25519_H

#include <stdbool.h>
#include <stdint.h>

#include "fe25519.h"

typedef struct {
    wm_fe25519 X, Y, Z, T;
} wm_ge25519;

/* Result of decoding a 32-byte point encoding (RFC 8032 section 5.1.3). */
typedef enum {
    WM_GE25519_DECODED = 0,
    WM_GE25519_NONCANONICAL_Y = 1, /* y >= p */
    WM_GE25519_NOT_ON_CURVE = 2,   /* x^2 = (y^2 - 1) / (d y^2 + 1) has no root */
    WM_GE25519_NEGATIVE_ZERO = 3   /* x = 0 with the sign bit set */
} wm_ge25519_decode_result;

void wm_ge25519_identity(wm_ge25519 *out);
void wm_ge25519_base(wm_ge25519 *out);
wm_ge25519_decode_result wm_ge25519_frombytes(wm_ge25519 *out, const uint8_t in[32]);
void wm_ge25519_tobytes(uint8_t out[32], const wm_ge25519 *p);
void wm_ge25519_dbl(wm_ge25519 *out, const wm_ge25519 *p);
void wm_ge25519_neg(wm_ge25519 *out, const wm_ge25519 *p);
/* True for the 8 points of order 1, 2, 4 or 8 ([8]P is the identity). */
bool wm_ge25519_has_small_order(const wm_ge25519 *p);
/* Same affine point, compared without an inversion. */
bool wm_ge25519_equal(const wm_ge25519 *p, const wm_ge25519 *q);
/* out = [a]P + [b]Q for 256-bit little-endian scalars a and b (variable time). */
void wm_ge25519_double_scalarmult(wm_ge25519 *out, const uint8_t a[32], const wm_ge25519 *p,
                                  const uint8_t b[32], const wm_ge25519 *q);

#endif
