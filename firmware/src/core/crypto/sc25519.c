/* Scalar arithmetic mod L, only what verification needs. Simple and slow
 * on purpose: one reduction per verify costs a few percent of the total. */
#include "sc25519.h"

/* L as little-endian 32-bit words. */
static const uint32_t wm_sc25519_l[8] = {
    0x5cf5d3edu, 0x5812631au, 0xa2f79cd6u, 0x14def9deu,
    0x00000000u, 0x00000000u, 0x00000000u, 0x10000000u,
};

/* True iff the 8-word number a >= L. */
static bool ge_l(const uint32_t a[8])
{
    int i;
    for (i = 7; i >= 0; i--) {
        if (a[i] != wm_sc25519_l[i]) {
            return a[i] > wm_sc25519_l[i];
        }
    }
    return true;
}

static void load_words(uint32_t w[8], const uint8_t s[32])
{
    unsigned i;
    for (i = 0; i < 8u; i++) {
        w[i] = (uint32_t)s[4u * i] | ((uint32_t)s[4u * i + 1u] << 8) |
               ((uint32_t)s[4u * i + 2u] << 16) | ((uint32_t)s[4u * i + 3u] << 24);
    }
}

bool wm_sc25519_is_canonical(const uint8_t s[32])
{
    uint32_t w[8];
    load_words(w, s);
    return !ge_l(w);
}

void wm_sc25519_reduce64(uint8_t out[32], const uint8_t in[64])
{
    /* Binary long division, most significant bit first: r stays < L < 2^253,
     * so 2r + 1 < 2^254 always fits in eight words. */
    uint32_t r[8];
    int bit;
    unsigned i;
    for (i = 0; i < 8u; i++) {
        r[i] = 0;
    }
    for (bit = 511; bit >= 0; bit--) {
        uint32_t in_bit = ((uint32_t)in[bit >> 3] >> (bit & 7)) & 1u;
        for (i = 7; i > 0; i--) {
            r[i] = (r[i] << 1) | (r[i - 1u] >> 31);
        }
        r[0] = (r[0] << 1) | in_bit;
        if (ge_l(r)) {
            uint32_t borrow = 0;
            for (i = 0; i < 8u; i++) {
                uint64_t d = (uint64_t)r[i] - wm_sc25519_l[i] - borrow;
                r[i] = (uint32_t)d;
                borrow = (uint32_t)(d >> 63);
            }
        }
    }
    for (i = 0; i < 8u; i++) {
        out[4u * i] = (uint8_t)r[i];
        out[4u * i + 1u] = (uint8_t)(r[i] >> 8);
        out[4u * i + 2u] = (uint8_t)(r[i] >> 16);
        out[4u * i + 3u] = (uint8_t)(r[i] >> 24);
    }
}
