/* GF(2^255 - 19) with ten 26-bit limbs; see fe25519.h for the invariants. */
#include "fe25519.h"

#define LIMB_BITS 26u
#define LIMB_MASK 0x3ffffffu
/* 2^260 = 32 * 2^255 == 32 * 19 (mod p): what a carry out of limb 9 is worth at limb 0. */
#define FOLD_260 608u

/* Limbs of 64p = 2^261 - 1216, each >= 2^26, so a + 64p - b never goes
 * negative in any limb when b is carried. */
static const uint32_t wm_fe25519_64p[10] = {
    0x7fffb40u, 0x7fffffeu, 0x7fffffeu, 0x7fffffeu, 0x7fffffeu,
    0x7fffffeu, 0x7fffffeu, 0x7fffffeu, 0x7fffffeu, 0x7fffffeu,
};

/* Turns ten wide limbs (any values < 2^63) into a carried element. Loops
 * until nothing is carried out of limb 9: each fold shrinks the value, so
 * this ends after two or three passes. */
static void carry_wide(wm_fe25519 *out, uint64_t t[10])
{
    uint64_t top;
    unsigned i;
    do {
        for (i = 0; i < 9u; i++) {
            t[i + 1u] += t[i] >> LIMB_BITS;
            t[i] &= LIMB_MASK;
        }
        top = t[9] >> LIMB_BITS;
        t[9] &= LIMB_MASK;
        t[0] += top * FOLD_260;
    } while (top != 0u);
    for (i = 0; i < 10u; i++) {
        out->v[i] = (uint32_t)t[i];
    }
}

void wm_fe25519_set_small(wm_fe25519 *out, uint32_t value)
{
    unsigned i;
    out->v[0] = value & LIMB_MASK;
    for (i = 1; i < 10u; i++) {
        out->v[i] = 0;
    }
}

void wm_fe25519_copy(wm_fe25519 *out, const wm_fe25519 *a)
{
    unsigned i;
    for (i = 0; i < 10u; i++) {
        out->v[i] = a->v[i];
    }
}

void wm_fe25519_add(wm_fe25519 *out, const wm_fe25519 *a, const wm_fe25519 *b)
{
    uint64_t t[10];
    unsigned i;
    for (i = 0; i < 10u; i++) {
        t[i] = (uint64_t)a->v[i] + b->v[i];
    }
    carry_wide(out, t);
}

void wm_fe25519_sub(wm_fe25519 *out, const wm_fe25519 *a, const wm_fe25519 *b)
{
    uint64_t t[10];
    unsigned i;
    for (i = 0; i < 10u; i++) {
        t[i] = (uint64_t)a->v[i] + wm_fe25519_64p[i] - b->v[i];
    }
    carry_wide(out, t);
}

void wm_fe25519_neg(wm_fe25519 *out, const wm_fe25519 *a)
{
    wm_fe25519 zero;
    wm_fe25519_set_small(&zero, 0);
    wm_fe25519_sub(out, &zero, a);
}

/* Carries 19 product columns into 20 limbs of 26 bits, then folds limbs
 * 10..19 (worth 2^260 each step) back onto limbs 0..9 times 608. */
static void reduce_columns(wm_fe25519 *out, uint64_t c[19])
{
    uint64_t t[10];
    uint64_t hi[10];
    unsigned i;
    for (i = 0; i < 18u; i++) {
        c[i + 1u] += c[i] >> LIMB_BITS;
        c[i] &= LIMB_MASK;
    }
    /* Limb 19 is what carries out of column 18; the product is < 2^520 so it fits. */
    for (i = 0; i < 9u; i++) {
        hi[i] = c[10u + i];
    }
    hi[9] = c[18] >> LIMB_BITS;
    hi[8] = c[18] & LIMB_MASK;
    for (i = 0; i < 10u; i++) {
        t[i] = c[i] + hi[i] * FOLD_260;
    }
    carry_wide(out, t);
}

void wm_fe25519_mul(wm_fe25519 *out, const wm_fe25519 *a, const wm_fe25519 *b)
{
    /* Each column sums at most ten 52-bit products: < 2^56. */
    uint64_t c[19];
    unsigned i, j;
    for (i = 0; i < 19u; i++) {
        c[i] = 0;
    }
    for (i = 0; i < 10u; i++) {
        uint32_t ai = a->v[i];
        for (j = 0; j < 10u; j++) {
            c[i + j] += (uint64_t)ai * b->v[j];
        }
    }
    reduce_columns(out, c);
}

void wm_fe25519_sq(wm_fe25519 *out, const wm_fe25519 *a)
{
    /* Cross products appear twice; doubling one limb saves 45 of 100 multiplies. */
    uint64_t c[19];
    unsigned i, j;
    for (i = 0; i < 19u; i++) {
        c[i] = 0;
    }
    for (i = 0; i < 10u; i++) {
        uint32_t ai = a->v[i];
        uint32_t ai2 = ai * 2u; /* < 2^27 */
        c[2u * i] += (uint64_t)ai * ai;
        for (j = i + 1u; j < 10u; j++) {
            c[i + j] += (uint64_t)ai2 * a->v[j];
        }
    }
    reduce_columns(out, c);
}

/* out = a^(2^k) * b. */
static void sq_times_mul(wm_fe25519 *out, const wm_fe25519 *a, unsigned k, const wm_fe25519 *b)
{
    wm_fe25519 t;
    unsigned i;
    wm_fe25519_sq(&t, a);
    for (i = 1; i < k; i++) {
        wm_fe25519_sq(&t, &t);
    }
    wm_fe25519_mul(out, &t, b);
}

/* Sets z3 = a^3 and returns a^(2^250 - 1) in out: the common part of the
 * inversion and square-root exponents (addition chain of 249 squarings). */
static void pow_2_250_minus_1(wm_fe25519 *out, wm_fe25519 *z3, const wm_fe25519 *a)
{
    wm_fe25519 e5, e10, e20, e40, e50, e100, e200, t;
    wm_fe25519_sq(&t, a);
    wm_fe25519_mul(z3, &t, a);                 /* a^(2^2 - 1) */
    sq_times_mul(&t, z3, 2, z3);               /* a^(2^4 - 1) */
    sq_times_mul(&e5, &t, 1, a);               /* a^(2^5 - 1) */
    sq_times_mul(&e10, &e5, 5, &e5);           /* a^(2^10 - 1) */
    sq_times_mul(&e20, &e10, 10, &e10);        /* a^(2^20 - 1) */
    sq_times_mul(&e40, &e20, 20, &e20);        /* a^(2^40 - 1) */
    sq_times_mul(&e50, &e40, 10, &e10);        /* a^(2^50 - 1) */
    sq_times_mul(&e100, &e50, 50, &e50);       /* a^(2^100 - 1) */
    sq_times_mul(&e200, &e100, 100, &e100);    /* a^(2^200 - 1) */
    sq_times_mul(out, &e200, 50, &e50);        /* a^(2^250 - 1) */
}

void wm_fe25519_invert(wm_fe25519 *out, const wm_fe25519 *a)
{
    /* p - 2 = 2^255 - 21 = (2^250 - 1) * 2^5 + 11. */
    wm_fe25519 e250, z3, z8, z11;
    pow_2_250_minus_1(&e250, &z3, a);
    wm_fe25519_sq(&z8, a);
    wm_fe25519_sq(&z8, &z8);
    wm_fe25519_sq(&z8, &z8);
    wm_fe25519_mul(&z11, &z8, &z3);
    sq_times_mul(out, &e250, 5, &z11);
}

void wm_fe25519_pow22523(wm_fe25519 *out, const wm_fe25519 *a)
{
    /* (p - 5) / 8 = 2^252 - 3 = (2^250 - 1) * 2^2 + 1. */
    wm_fe25519 e250, z3;
    pow_2_250_minus_1(&e250, &z3, a);
    sq_times_mul(out, &e250, 2, a);
}

/* Fully reduces a carried element to its canonical limbs (value < p). */
static void canonical(uint32_t r[10], const wm_fe25519 *a)
{
    unsigned i;
    uint32_t hi;
    bool ge_p;
    for (i = 0; i < 10u; i++) {
        r[i] = a->v[i];
    }
    /* Fold bits 255.. (bit 21 of limb 9 and up) down as 19 each until none is left. */
    do {
        hi = r[9] >> 21;
        r[9] &= 0x1fffffu;
        r[0] += 19u * hi;
        for (i = 0; i < 9u; i++) {
            r[i + 1u] += r[i] >> LIMB_BITS;
            r[i] &= LIMB_MASK;
        }
    } while ((r[9] >> 21) != 0u);
    /* Now value < 2^255; it is >= p only in [p, 2^255), i.e. limbs of p plus at most 18. */
    ge_p = r[0] >= LIMB_MASK - 18u && r[9] == 0x1fffffu;
    for (i = 1; i < 9u && ge_p; i++) {
        ge_p = r[i] == LIMB_MASK;
    }
    if (ge_p) {
        r[0] -= LIMB_MASK - 18u;
        for (i = 1; i < 10u; i++) {
            r[i] = 0;
        }
    }
}

bool wm_fe25519_frombytes(wm_fe25519 *out, const uint8_t in[32])
{
    uint64_t acc = 0;
    unsigned bits = 0, limb = 0, i;
    uint32_t r[10];
    for (i = 0; i < 32u; i++) {
        acc |= (uint64_t)in[i] << bits;
        bits += 8u;
        if (bits >= LIMB_BITS && limb < 10u) {
            out->v[limb++] = (uint32_t)acc & LIMB_MASK;
            acc >>= LIMB_BITS;
            bits -= LIMB_BITS;
        }
    }
    /* 256 bits = 9 full limbs + 22 bits; drop bit 255 (the x sign). */
    out->v[9] = (uint32_t)acc & 0x1fffffu;
    canonical(r, out);
    for (i = 0; i < 10u; i++) {
        if (r[i] != out->v[i]) {
            return false;
        }
    }
    return true;
}

void wm_fe25519_tobytes(uint8_t out[32], const wm_fe25519 *a)
{
    uint32_t r[10];
    uint64_t acc = 0;
    unsigned bits = 0, limb = 0, i;
    canonical(r, a);
    for (i = 0; i < 32u; i++) {
        while (bits < 8u && limb < 10u) {
            acc |= (uint64_t)r[limb++] << bits;
            bits += LIMB_BITS;
        }
        out[i] = (uint8_t)acc;
        acc >>= 8;
        bits = bits >= 8u ? bits - 8u : 0u;
    }
}

bool wm_fe25519_iszero(const wm_fe25519 *a)
{
    uint32_t r[10];
    uint32_t any = 0;
    unsigned i;
    canonical(r, a);
    for (i = 0; i < 10u; i++) {
        any |= r[i];
    }
    return any == 0u;
}

bool wm_fe25519_equal(const wm_fe25519 *a, const wm_fe25519 *b)
{
    wm_fe25519 d;
    wm_fe25519_sub(&d, a, b);
    return wm_fe25519_iszero(&d);
}

bool wm_fe25519_isodd(const wm_fe25519 *a)
{
    uint32_t r[10];
    canonical(r, a);
    return (r[0] & 1u) != 0u;
}
