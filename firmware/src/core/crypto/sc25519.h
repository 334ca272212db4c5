/* Scalars modulo the group order L = 2^252 + 27742317777372353535851937790883648493,
 * as 32-byte little-endian strings (RFC 8032). */
#ifndef WM_SC25519_H
#define WM_SC25519_H

#include <stdbool.h>
#include <stdint.h>

/* True iff s < L: RFC 8032 section 5.1.7 rejects signatures with S >= L. */
bool wm_sc25519_is_canonical(const uint8_t s[32]);
/* out = in mod L for a 64-byte little-endian number (a SHA-512 digest). */
void wm_sc25519_reduce64(uint8_t out[32], const uint8_t in[64]);

#endif
