/* Ed25519 group operations; formulas from RFC 8032 section 5.1.4 (complete
 * for a = -1 and non-square d, so no special cases for identity or doubling). */
#include "ge25519.h"

/* Curve constants as carried limbs (radix 2^25.5, see fe25519.h), computed from their definitions:
 * d = -121665/121666, 2d, sqrt(-1) = 2^((p-1)/4), and the base point
 * B = (x, 4/5) with x even (RFC 8032 section 5.1). */
static const wm_fe25519 wm_ge25519_d = {{0x35978a3, 0x0d37284, 0x3156ebd, 0x06a0a0e, 0x001c029,
                                         0x179e898, 0x3a03cbb, 0x1ce7198, 0x2e2b6ff, 0x1480db3}};
static const wm_fe25519 wm_ge25519_d2 = {{0x2b2f159, 0x1a6e509, 0x22add7a, 0x0d4141d, 0x0038052,
                                          0x0f3d130, 0x3407977, 0x19ce331, 0x1c56dff, 0x0901b67}};
static const wm_fe25519 wm_ge25519_sqrtm1 = {{0x20ea0b0, 0x186c9d2, 0x08f189d, 0x035697f, 0x0bd0c60,
                                              0x1fbd7a7, 0x2804c9e, 0x1e16569, 0x004fc1d,
                                              0x0ae0c92}};
static const wm_fe25519 wm_ge25519_bx = {{0x325d51a, 0x18b5823, 0x0f6592a, 0x104a92d, 0x1a4b31d,
                                          0x1d6dc5c, 0x27118fe, 0x07fd814, 0x13cd6e5, 0x085a4db}};
static const wm_fe25519 wm_ge25519_by = {{0x2666658, 0x1999999, 0x0cccccc, 0x1333333, 0x1999999,
                                          0x0666666, 0x3333333, 0x0cccccc, 0x2666666, 0x1999999}};
static const wm_fe25519 wm_ge25519_bt = {{0x1b7dda3, 0x1a2ace9, 0x25eadbb, 0x003ba8a, 0x083c27e,
                                          0x0abe37d, 0x1274732, 0x0ccacdd, 0x0fd78b7, 0x19e1d7c}};

void wm_ge25519_identity(wm_ge25519 *out)
{
    wm_fe25519_set_small(&out->X, 0);
    wm_fe25519_set_small(&out->Y, 1);
    wm_fe25519_set_small(&out->Z, 1);
    wm_fe25519_set_small(&out->T, 0);
}

void wm_ge25519_base(wm_ge25519 *out)
{
    wm_fe25519_copy(&out->X, &wm_ge25519_bx);
    wm_fe25519_copy(&out->Y, &wm_ge25519_by);
    wm_fe25519_set_small(&out->Z, 1);
    wm_fe25519_copy(&out->T, &wm_ge25519_bt);
}

wm_ge25519_decode_result wm_ge25519_frombytes(wm_ge25519 *out, const uint8_t in[32])
{
    wm_fe25519 y, u, v, v3, x, vx2, t;
    bool sign = (in[31] >> 7) != 0;

    if (!wm_fe25519_frombytes(&y, in)) {
        return WM_GE25519_NONCANONICAL_Y;
    }
    /* u = y^2 - 1, v = d y^2 + 1 (never 0: -1/d is not a square). */
    wm_fe25519_sq(&u, &y);
    wm_fe25519_mul(&v, &u, &wm_ge25519_d);
    wm_fe25519_set_small(&t, 1);
    wm_fe25519_sub(&u, &u, &t);
    wm_fe25519_add(&v, &v, &t);
    /* Candidate root x = u v^3 (u v^7)^((p-5)/8). */
    wm_fe25519_sq(&v3, &v);
    wm_fe25519_mul(&v3, &v3, &v);
    wm_fe25519_sq(&x, &v3);
    wm_fe25519_mul(&x, &x, &v);
    wm_fe25519_mul(&x, &x, &u);
    wm_fe25519_pow22523(&x, &x);
    wm_fe25519_mul(&x, &x, &v3);
    wm_fe25519_mul(&x, &x, &u);
    /* v x^2 is u (x is a root), -u (x * sqrt(-1) is), or neither (not on the curve). */
    wm_fe25519_sq(&vx2, &x);
    wm_fe25519_mul(&vx2, &vx2, &v);
    if (!wm_fe25519_equal(&vx2, &u)) {
        wm_fe25519_neg(&t, &u);
        if (!wm_fe25519_equal(&vx2, &t)) {
            return WM_GE25519_NOT_ON_CURVE;
        }
        wm_fe25519_mul(&x, &x, &wm_ge25519_sqrtm1);
    }
    if (wm_fe25519_iszero(&x) && sign) {
        return WM_GE25519_NEGATIVE_ZERO;
    }
    if (wm_fe25519_isodd(&x) != sign) {
        wm_fe25519_neg(&x, &x);
    }
    wm_fe25519_copy(&out->X, &x);
    wm_fe25519_copy(&out->Y, &y);
    wm_fe25519_set_small(&out->Z, 1);
    wm_fe25519_mul(&out->T, &x, &y);
    return WM_GE25519_DECODED;
}

void wm_ge25519_tobytes(uint8_t out[32], const wm_ge25519 *p)
{
    wm_fe25519 zi, x, y;
    wm_fe25519_invert(&zi, &p->Z);
    wm_fe25519_mul(&x, &p->X, &zi);
    wm_fe25519_mul(&y, &p->Y, &zi);
    wm_fe25519_tobytes(out, &y);
    out[31] = (uint8_t)(out[31] | (wm_fe25519_isodd(&x) ? 0x80u : 0u));
}

void wm_ge25519_neg(wm_ge25519 *out, const wm_ge25519 *p)
{
    wm_fe25519_neg(&out->X, &p->X);
    wm_fe25519_copy(&out->Y, &p->Y);
    wm_fe25519_copy(&out->Z, &p->Z);
    wm_fe25519_neg(&out->T, &p->T);
}

bool wm_ge25519_has_small_order(const wm_ge25519 *p)
{
    wm_ge25519 q;
    wm_ge25519_dbl(&q, p);
    wm_ge25519_dbl(&q, &q);
    wm_ge25519_dbl(&q, &q);
    /* The identity is (0 : Z : Z); (0, -1) cannot be [8]P in a group of order 8L. */
    return wm_fe25519_iszero(&q.X) && wm_fe25519_equal(&q.Y, &q.Z);
}

bool wm_ge25519_equal(const wm_ge25519 *p, const wm_ge25519 *q)
{
    wm_fe25519 l, r;
    wm_fe25519_mul(&l, &p->X, &q->Z);
    wm_fe25519_mul(&r, &q->X, &p->Z);
    if (!wm_fe25519_equal(&l, &r)) {
        return false;
    }
    wm_fe25519_mul(&l, &p->Y, &q->Z);
    wm_fe25519_mul(&r, &q->Y, &p->Z);
    return wm_fe25519_equal(&l, &r);
}

/* Internal forms for the scalar multiplication, after the RFC 8032 formulas:
 * "completed" points (E, F, G, H) with X = E*F, Y = G*H, Z = F*G, T = E*H, so
 * a doubling that feeds another doubling can skip computing T; and "cached"
 * addends (Y+X, Y-X, Z, 2dT) that pay their additions and the d-multiplication
 * once per table entry instead of once per use. */
typedef struct {
    wm_fe25519 E, F, G, H;
} ge_completed;

typedef struct {
    wm_fe25519 YplusX, YminusX, Z, T2d;
} ge_cached;

static void completed_to_p3(wm_ge25519 *out, const ge_completed *c)
{
    wm_fe25519_mul(&out->X, &c->E, &c->F);
    wm_fe25519_mul(&out->Y, &c->G, &c->H);
    wm_fe25519_mul(&out->Z, &c->F, &c->G);
    wm_fe25519_mul(&out->T, &c->E, &c->H);
}

/* X, Y, Z only: enough as the input of a doubling. */
static void completed_to_p2(wm_ge25519 *out, const ge_completed *c)
{
    wm_fe25519_mul(&out->X, &c->E, &c->F);
    wm_fe25519_mul(&out->Y, &c->G, &c->H);
    wm_fe25519_mul(&out->Z, &c->F, &c->G);
}

static void to_cached(ge_cached *out, const wm_ge25519 *p)
{
    wm_fe25519_add(&out->YplusX, &p->Y, &p->X);
    wm_fe25519_sub(&out->YminusX, &p->Y, &p->X);
    wm_fe25519_copy(&out->Z, &p->Z);
    wm_fe25519_mul(&out->T2d, &p->T, &wm_ge25519_d2);
}

/* p + q (negate = false) or p - q (negate = true): -q swaps Y+X with Y-X and
 * negates T, which turns into swapped roles of the products below. */
static void add_cached(ge_completed *out, const wm_ge25519 *p, const ge_cached *q, bool negate)
{
    wm_fe25519 a, b, c, d, t;
    wm_fe25519_sub(&t, &p->Y, &p->X);
    wm_fe25519_mul(&a, &t, negate ? &q->YplusX : &q->YminusX);
    wm_fe25519_add(&t, &p->Y, &p->X);
    wm_fe25519_mul(&b, &t, negate ? &q->YminusX : &q->YplusX);
    wm_fe25519_mul(&c, &p->T, &q->T2d);
    wm_fe25519_mul(&d, &p->Z, &q->Z);
    wm_fe25519_add(&d, &d, &d);
    wm_fe25519_sub(&out->E, &b, &a);
    wm_fe25519_add(&out->H, &b, &a);
    if (negate) {
        wm_fe25519_add(&out->F, &d, &c);
        wm_fe25519_sub(&out->G, &d, &c);
    } else {
        wm_fe25519_sub(&out->F, &d, &c);
        wm_fe25519_add(&out->G, &d, &c);
    }
}

/* Doubling reads X, Y, Z only. */
static void dbl_completed(ge_completed *out, const wm_ge25519 *p)
{
    wm_fe25519 a, b, c, t;
    wm_fe25519_sq(&a, &p->X);
    wm_fe25519_sq(&b, &p->Y);
    wm_fe25519_sq(&c, &p->Z);
    wm_fe25519_add(&c, &c, &c);
    wm_fe25519_add(&out->H, &a, &b);
    wm_fe25519_add(&t, &p->X, &p->Y);
    wm_fe25519_sq(&t, &t);
    wm_fe25519_sub(&out->E, &out->H, &t);
    wm_fe25519_sub(&out->G, &a, &b);
    wm_fe25519_add(&out->F, &c, &out->G);
}

void wm_ge25519_dbl(wm_ge25519 *out, const wm_ge25519 *p)
{
    ge_completed c;
    dbl_completed(&c, p);
    completed_to_p3(out, &c);
}

/* Window width of the signed sliding windows: digits are odd, |digit| < 2^(W-1),
 * so each table holds P, 3P, ..., (2^(W-1) - 1)P. W = 4 keeps the two tables at
 * 1.3 KB of stack; W = 5 would save about 3% of the time for 1.3 KB more. */
#define WNAF_W 4
#define WNAF_TABLE (1 << (WNAF_W - 2))
#define WNAF_DIGITS 257

/* Width-W non-adjacent form of a 256-bit little-endian scalar: digits[i] is 0 or
 * odd, and scalar = sum digits[i] 2^i; any W consecutive digits hold at most one
 * non-zero one. */
static void wnaf(int8_t digits[WNAF_DIGITS], const uint8_t scalar[32])
{
    uint32_t k[9]; /* one spare word: subtracting a negative digit carries upward */
    unsigned i, w;
    for (w = 0; w < 8u; w++) {
        k[w] = (uint32_t)scalar[4u * w] | ((uint32_t)scalar[4u * w + 1u] << 8) |
               ((uint32_t)scalar[4u * w + 2u] << 16) | ((uint32_t)scalar[4u * w + 3u] << 24);
    }
    k[8] = 0;
    for (i = 0; i < WNAF_DIGITS; i++) {
        int32_t d = 0;
        if (k[0] & 1u) {
            d = (int32_t)(k[0] & ((1u << WNAF_W) - 1u));
            if (d >= (1 << (WNAF_W - 1))) {
                d -= 1 << WNAF_W;
            }
            /* k -= d, which clears the low W bits. */
            if (d > 0) {
                k[0] -= (uint32_t)d;
            } else {
                uint32_t add = (uint32_t)(-d);
                for (w = 0; w < 9u && add != 0u; w++) {
                    k[w] += add;
                    add = k[w] < add ? 1u : 0u;
                }
            }
        }
        digits[i] = (int8_t)d;
        for (w = 0; w < 8u; w++) {
            k[w] = (k[w] >> 1) | (k[w + 1u] << 31);
        }
        k[8] >>= 1;
    }
}

/* table[i] = (2i + 1) P. */
static void odd_multiples(ge_cached table[WNAF_TABLE], const wm_ge25519 *p)
{
    wm_ge25519 acc;
    ge_completed c;
    ge_cached p2c;
    int i;
    dbl_completed(&c, p);
    completed_to_p3(&acc, &c); /* acc = 2P, briefly */
    to_cached(&p2c, &acc);
    to_cached(&table[0], p);
    wm_fe25519_copy(&acc.X, &p->X);
    wm_fe25519_copy(&acc.Y, &p->Y);
    wm_fe25519_copy(&acc.Z, &p->Z);
    wm_fe25519_copy(&acc.T, &p->T);
    for (i = 1; i < WNAF_TABLE; i++) {
        add_cached(&c, &acc, &p2c, false);
        completed_to_p3(&acc, &c);
        to_cached(&table[i], &acc);
    }
}

/* Adds the table entry for a non-zero odd digit to the point in c. */
static void add_digit(ge_completed *c, const ge_cached table[WNAF_TABLE], int8_t digit)
{
    wm_ge25519 p;
    completed_to_p3(&p, c);
    if (digit > 0) {
        add_cached(c, &p, &table[digit / 2], false);
    } else {
        add_cached(c, &p, &table[(-digit) / 2], true);
    }
}

void wm_ge25519_double_scalarmult(wm_ge25519 *out, const uint8_t a[32], const wm_ge25519 *p,
                                  const uint8_t b[32], const wm_ge25519 *q)
{
    /* Both scalars share one chain of doublings (Straus); each non-zero
     * window digit costs one addition of a precomputed odd multiple. */
    int8_t da[WNAF_DIGITS], db[WNAF_DIGITS];
    ge_cached tp[WNAF_TABLE], tq[WNAF_TABLE];
    ge_completed c;
    wm_ge25519 acc;
    int i;

    wnaf(da, a);
    wnaf(db, b);
    odd_multiples(tp, p);
    odd_multiples(tq, q);
    wm_ge25519_identity(&acc);
    i = WNAF_DIGITS - 1;
    while (i >= 0 && da[i] == 0 && db[i] == 0) {
        i--;
    }
    for (; i >= 0; i--) {
        dbl_completed(&c, &acc);
        if (da[i] != 0) {
            add_digit(&c, tp, da[i]);
        }
        if (db[i] != 0) {
            add_digit(&c, tq, db[i]);
        }
        if (i > 0) {
            completed_to_p2(&acc, &c);
        } else {
            completed_to_p3(&acc, &c);
        }
    }
    wm_fe25519_copy(&out->X, &acc.X);
    wm_fe25519_copy(&out->Y, &acc.Y);
    wm_fe25519_copy(&out->Z, &acc.Z);
    wm_fe25519_copy(&out->T, &acc.T);
}
