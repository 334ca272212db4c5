/* Arithmetic in GF(p), p = 2^255 - 19, for Ed25519 verification.
 *
 * An element is ten unsigned limbs in radix 2^25.5: limb i has weight
 * 2^ceil(25.5 i), i.e. 26 bits for even i and 25 bits for odd i, so 2^255 = 19
 * folds the top back onto limb 0 with a small factor. Every function returns
 * "carried" elements (even limbs < 2^26, odd limbs < 2^25 + 2^15; the value is
 * not necessarily < p) and accepts any carried element; only
 * wm_fe25519_tobytes and the comparisons reduce fully. Limb products are at
 * most 27 x 31 bits and are summed in uint64_t, which 32-bit cores do with
 * umull/umlal (no __int128). */
#ifndef WM_FE25519_H
#define WM_FE25519_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t v[10];
} wm_fe25519;

void wm_fe25519_set_small(wm_fe25519 *out, uint32_t value); /* value < 2^26 */
void wm_fe25519_copy(wm_fe25519 *out, const wm_fe25519 *a);
void wm_fe25519_add(wm_fe25519 *out, const wm_fe25519 *a, const wm_fe25519 *b);
void wm_fe25519_sub(wm_fe25519 *out, const wm_fe25519 *a, const wm_fe25519 *b);
void wm_fe25519_neg(wm_fe25519 *out, const wm_fe25519 *a);
void wm_fe25519_mul(wm_fe25519 *out, const wm_fe25519 *a, const wm_fe25519 *b);
void wm_fe25519_sq(wm_fe25519 *out, const wm_fe25519 *a);
/* out = a^(p-2) = 1/a (0 maps to 0). */
void wm_fe25519_invert(wm_fe25519 *out, const wm_fe25519 *a);
/* out = a^((p-5)/8), the core of the square root in point decoding. */
void wm_fe25519_pow22523(wm_fe25519 *out, const wm_fe25519 *a);

/* Reads the low 255 bits (bit 255 is ignored: it is the sign of x in point
 * encodings). Returns false, with out still set, if that value is >= p, i.e.
 * the encoding is not canonical. */
bool wm_fe25519_frombytes(wm_fe25519 *out, const uint8_t in[32]);
/* Canonical little-endian encoding (value < p, bit 255 clear). */
void wm_fe25519_tobytes(uint8_t out[32], const wm_fe25519 *a);
bool wm_fe25519_iszero(const wm_fe25519 *a);
bool wm_fe25519_equal(const wm_fe25519 *a, const wm_fe25519 *b);
/* The low bit of the canonical value: the "sign" RFC 8032 encodes for x. */
bool wm_fe25519_isodd(const wm_fe25519 *a);

#endif
