/* GF(2^255 - 19) in radix 2^25.5; see fe25519.h for the limb bounds. The
 * multiplication and squaring are written out term by term: on Cortex-M4 that
 * is 100 (55) umull/umlal with no loop or index arithmetic around them. */
#include "fe25519.h"

#define MASK26 0x3ffffffu
#define MASK25 0x1ffffffu

/* Limbs of 2p, each above the largest carried limb, so a + 2p - b never goes
 * negative in any limb when a and b are carried. */
static const uint32_t wm_fe25519_2p[10] = {
    0x7ffffdau, 0x3fffffeu, 0x7fffffeu, 0x3fffffeu, 0x7fffffeu,
    0x3fffffeu, 0x7fffffeu, 0x3fffffeu, 0x7fffffeu, 0x3fffffeu,
};

static unsigned limb_bits(unsigned i) { return (i & 1u) ? 25u : 26u; }

/* Carries limbs below 2^31 into carried form: one pass, the top carry folded
 * as 19 (2^255 = 19 mod p), then limb 0 carried once more into limb 1.
 * Written out so every shift is by a constant. */
static void carry32(uint32_t v[10])
{
    uint32_t c;
    c = v[0] >> 26;
    v[0] &= MASK26;
    v[1] += c;
    c = v[1] >> 25;
    v[1] &= MASK25;
    v[2] += c;
    c = v[2] >> 26;
    v[2] &= MASK26;
    v[3] += c;
    c = v[3] >> 25;
    v[3] &= MASK25;
    v[4] += c;
    c = v[4] >> 26;
    v[4] &= MASK26;
    v[5] += c;
    c = v[5] >> 25;
    v[5] &= MASK25;
    v[6] += c;
    c = v[6] >> 26;
    v[6] &= MASK26;
    v[7] += c;
    c = v[7] >> 25;
    v[7] &= MASK25;
    v[8] += c;
    c = v[8] >> 26;
    v[8] &= MASK26;
    v[9] += c;
    c = v[9] >> 25;
    v[9] &= MASK25;
    v[0] += 19u * c;
    c = v[0] >> 26;
    v[0] &= MASK26;
    v[1] += c;
}

/* The same for the 64-bit column sums of a product (each < 2^61). */
static void carry64(wm_fe25519 *out, uint64_t h[10])
{
    uint64_t c;
    unsigned i;
    c = h[0] >> 26;
    h[0] &= MASK26;
    h[1] += c;
    c = h[1] >> 25;
    h[1] &= MASK25;
    h[2] += c;
    c = h[2] >> 26;
    h[2] &= MASK26;
    h[3] += c;
    c = h[3] >> 25;
    h[3] &= MASK25;
    h[4] += c;
    c = h[4] >> 26;
    h[4] &= MASK26;
    h[5] += c;
    c = h[5] >> 25;
    h[5] &= MASK25;
    h[6] += c;
    c = h[6] >> 26;
    h[6] &= MASK26;
    h[7] += c;
    c = h[7] >> 25;
    h[7] &= MASK25;
    h[8] += c;
    c = h[8] >> 26;
    h[8] &= MASK26;
    h[9] += c;
    c = h[9] >> 25; /* < 2^36 */
    h[9] &= MASK25;
    h[0] += 19u * c; /* < 2^41 */
    c = h[0] >> 26;
    h[0] &= MASK26;
    h[1] += c; /* h[1] < 2^25 + 2^15 */
    for (i = 0; i < 10u; i++) {
        out->v[i] = (uint32_t)h[i];
    }
}

void wm_fe25519_set_small(wm_fe25519 *out, uint32_t value)
{
    unsigned i;
    out->v[0] = value & MASK26;
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
    unsigned i;
    for (i = 0; i < 10u; i++) {
        out->v[i] = a->v[i] + b->v[i];
    }
    carry32(out->v);
}

void wm_fe25519_sub(wm_fe25519 *out, const wm_fe25519 *a, const wm_fe25519 *b)
{
    unsigned i;
    for (i = 0; i < 10u; i++) {
        out->v[i] = a->v[i] + wm_fe25519_2p[i] - b->v[i];
    }
    carry32(out->v);
}

void wm_fe25519_neg(wm_fe25519 *out, const wm_fe25519 *a)
{
    wm_fe25519 zero;
    wm_fe25519_set_small(&zero, 0);
    wm_fe25519_sub(out, &zero, a);
}

#define M(x, y) ((uint64_t)(x) * (y))

void wm_fe25519_mul(wm_fe25519 *out, const wm_fe25519 *f, const wm_fe25519 *g)
{
    /* Limb i times limb j lands at i + j; twice when both are odd (the two
     * half bits), times 19 when i + j >= 10 (past 2^255). */
    const uint32_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint32_t f5 = f->v[5], f6 = f->v[6], f7 = f->v[7], f8 = f->v[8], f9 = f->v[9];
    const uint32_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    const uint32_t g5 = g->v[5], g6 = g->v[6], g7 = g->v[7], g8 = g->v[8], g9 = g->v[9];
    const uint32_t f1_2 = 2u * f1, f3_2 = 2u * f3, f5_2 = 2u * f5, f7_2 = 2u * f7;
    const uint32_t f9_2 = 2u * f9;
    const uint32_t g1_19 = 19u * g1, g2_19 = 19u * g2, g3_19 = 19u * g3, g4_19 = 19u * g4;
    const uint32_t g5_19 = 19u * g5, g6_19 = 19u * g6, g7_19 = 19u * g7, g8_19 = 19u * g8;
    const uint32_t g9_19 = 19u * g9;
    uint64_t h[10];
    h[0] = M(f0, g0) + M(f1_2, g9_19) + M(f2, g8_19) + M(f3_2, g7_19) + M(f4, g6_19) +
           M(f5_2, g5_19) + M(f6, g4_19) + M(f7_2, g3_19) + M(f8, g2_19) + M(f9_2, g1_19);
    h[1] = M(f0, g1) + M(f1, g0) + M(f2, g9_19) + M(f3, g8_19) + M(f4, g7_19) + M(f5, g6_19) +
           M(f6, g5_19) + M(f7, g4_19) + M(f8, g3_19) + M(f9, g2_19);
    h[2] = M(f0, g2) + M(f1_2, g1) + M(f2, g0) + M(f3_2, g9_19) + M(f4, g8_19) + M(f5_2, g7_19) +
           M(f6, g6_19) + M(f7_2, g5_19) + M(f8, g4_19) + M(f9_2, g3_19);
    h[3] = M(f0, g3) + M(f1, g2) + M(f2, g1) + M(f3, g0) + M(f4, g9_19) + M(f5, g8_19) +
           M(f6, g7_19) + M(f7, g6_19) + M(f8, g5_19) + M(f9, g4_19);
    h[4] = M(f0, g4) + M(f1_2, g3) + M(f2, g2) + M(f3_2, g1) + M(f4, g0) + M(f5_2, g9_19) +
           M(f6, g8_19) + M(f7_2, g7_19) + M(f8, g6_19) + M(f9_2, g5_19);
    h[5] = M(f0, g5) + M(f1, g4) + M(f2, g3) + M(f3, g2) + M(f4, g1) + M(f5, g0) + M(f6, g9_19) +
           M(f7, g8_19) + M(f8, g7_19) + M(f9, g6_19);
    h[6] = M(f0, g6) + M(f1_2, g5) + M(f2, g4) + M(f3_2, g3) + M(f4, g2) + M(f5_2, g1) + M(f6, g0) +
           M(f7_2, g9_19) + M(f8, g8_19) + M(f9_2, g7_19);
    h[7] = M(f0, g7) + M(f1, g6) + M(f2, g5) + M(f3, g4) + M(f4, g3) + M(f5, g2) + M(f6, g1) +
           M(f7, g0) + M(f8, g9_19) + M(f9, g8_19);
    h[8] = M(f0, g8) + M(f1_2, g7) + M(f2, g6) + M(f3_2, g5) + M(f4, g4) + M(f5_2, g3) + M(f6, g2) +
           M(f7_2, g1) + M(f8, g0) + M(f9_2, g9_19);
    h[9] = M(f0, g9) + M(f1, g8) + M(f2, g7) + M(f3, g6) + M(f4, g5) + M(f5, g4) + M(f6, g3) +
           M(f7, g2) + M(f8, g1) + M(f9, g0);
    carry64(out, h);
}

void wm_fe25519_sq(wm_fe25519 *out, const wm_fe25519 *f)
{
    /* As mul with g = f; the cross terms i != j appear twice. */
    const uint32_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint32_t f5 = f->v[5], f6 = f->v[6], f7 = f->v[7], f8 = f->v[8], f9 = f->v[9];
    const uint32_t f0_2 = 2u * f0, f1_2 = 2u * f1, f2_2 = 2u * f2, f3_2 = 2u * f3;
    const uint32_t f4_2 = 2u * f4, f5_2 = 2u * f5, f6_2 = 2u * f6, f7_2 = 2u * f7;
    const uint32_t f8_2 = 2u * f8, f9_2 = 2u * f9;
    const uint32_t f5_19 = 19u * f5, f6_19 = 19u * f6, f7_19 = 19u * f7, f8_19 = 19u * f8;
    const uint32_t f9_19 = 19u * f9;
    const uint32_t f7_38 = 38u * f7, f9_38 = 38u * f9;
    uint64_t h[10];
    h[0] = M(f0, f0) + M(f1_2, f9_38) + M(f2_2, f8_19) + M(f3_2, f7_38) + M(f4_2, f6_19) +
           M(f5_2, f5_19);
    h[1] = M(f0_2, f1) + M(f2_2, f9_19) + M(f3_2, f8_19) + M(f4_2, f7_19) + M(f5_2, f6_19);
    h[2] =
        M(f0_2, f2) + M(f1_2, f1) + M(f3_2, f9_38) + M(f4_2, f8_19) + M(f5_2, f7_38) + M(f6, f6_19);
    h[3] = M(f0_2, f3) + M(f1_2, f2) + M(f4_2, f9_19) + M(f5_2, f8_19) + M(f6_2, f7_19);
    h[4] =
        M(f0_2, f4) + M(f1_2, f3_2) + M(f2, f2) + M(f5_2, f9_38) + M(f6_2, f8_19) + M(f7_2, f7_19);
    h[5] = M(f0_2, f5) + M(f1_2, f4) + M(f2_2, f3) + M(f6_2, f9_19) + M(f7_2, f8_19);
    h[6] = M(f0_2, f6) + M(f1_2, f5_2) + M(f2_2, f4) + M(f3_2, f3) + M(f7_2, f9_38) + M(f8, f8_19);
    h[7] = M(f0_2, f7) + M(f1_2, f6) + M(f2_2, f5) + M(f3_2, f4) + M(f8_2, f9_19);
    h[8] = M(f0_2, f8) + M(f1_2, f7_2) + M(f2_2, f6) + M(f3_2, f5_2) + M(f4, f4) + M(f9_2, f9_19);
    h[9] = M(f0_2, f9) + M(f1_2, f8) + M(f2_2, f7) + M(f3_2, f6) + M(f4_2, f5);
    carry64(out, h);
}

#undef M

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
    wm_fe25519_mul(z3, &t, a);              /* a^(2^2 - 1) */
    sq_times_mul(&t, z3, 2, z3);            /* a^(2^4 - 1) */
    sq_times_mul(&e5, &t, 1, a);            /* a^(2^5 - 1) */
    sq_times_mul(&e10, &e5, 5, &e5);        /* a^(2^10 - 1) */
    sq_times_mul(&e20, &e10, 10, &e10);     /* a^(2^20 - 1) */
    sq_times_mul(&e40, &e20, 20, &e20);     /* a^(2^40 - 1) */
    sq_times_mul(&e50, &e40, 10, &e10);     /* a^(2^50 - 1) */
    sq_times_mul(&e100, &e50, 50, &e50);    /* a^(2^100 - 1) */
    sq_times_mul(&e200, &e100, 100, &e100); /* a^(2^200 - 1) */
    sq_times_mul(out, &e200, 50, &e50);     /* a^(2^250 - 1) */
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
    uint32_t c;
    unsigned i;
    bool ge_p;
    for (i = 0; i < 10u; i++) {
        r[i] = a->v[i];
    }
    /* Carry with the top folded as 19 until every limb fits its width exactly:
     * then the value is < 2^255. A carried input needs at most two passes. */
    do {
        for (i = 0; i < 9u; i++) {
            r[i + 1u] += r[i] >> limb_bits(i);
            r[i] &= (i & 1u) ? MASK25 : MASK26;
        }
        c = r[9] >> 25;
        r[9] &= MASK25;
        r[0] += 19u * c;
    } while (c != 0u);
    /* It is >= p only in [p, 2^255): the limbs of p plus at most 18. */
    ge_p = r[0] >= MASK26 - 18u;
    for (i = 1; i < 10u && ge_p; i++) {
        ge_p = r[i] == ((i & 1u) ? MASK25 : MASK26);
    }
    if (ge_p) {
        r[0] -= MASK26 - 18u;
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
    for (i = 0; i < 32u && limb < 10u; i++) {
        acc |= (uint64_t)in[i] << bits;
        bits += 8u;
        if (bits >= limb_bits(limb)) {
            out->v[limb] = (uint32_t)acc & ((limb & 1u) ? MASK25 : MASK26);
            acc >>= limb_bits(limb);
            bits -= limb_bits(limb);
            limb++;
        }
    }
    /* The 25-bit limb 9 ends at bit 254: bit 255 (the x sign) is the one bit left in acc. */
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
            acc |= (uint64_t)r[limb] << bits;
            bits += limb_bits(limb);
            limb++;
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
