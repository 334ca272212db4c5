/* float.c - bit-exact float helpers done on the raw bits (no libm on the device).
 * Plain IEEE arithmetic (+ - * / and conversions) is left to the compiler: the FPU where
 * present, libgcc's soft-float otherwise; both round correctly. */
#include "wm_internal.h"

#define F32_QUIET 0x00400000u
#define F64_QUIET 0x0008000000000000ull
#define F64_CANON 0x7ff8000000000000ull

static bool nan32(uint32_t a) { return (a & 0x7fffffffu) > 0x7f800000u; }
static bool nan64(uint64_t a) { return (a & 0x7fffffffffffffffull) > 0x7ff0000000000000ull; }

/* min/max: a NaN operand gives a (quieted) NaN; -0 is below +0 */
uint32_t wm_f32_min(uint32_t a, uint32_t b)
{
    if (nan32(a)) return a | F32_QUIET;
    if (nan32(b)) return b | F32_QUIET;
    float x = wm_f32(a), y = wm_f32(b);
    if (x == y) return a | b;
    return x < y ? a : b;
}
uint32_t wm_f32_max(uint32_t a, uint32_t b)
{
    if (nan32(a)) return a | F32_QUIET;
    if (nan32(b)) return b | F32_QUIET;
    float x = wm_f32(a), y = wm_f32(b);
    if (x == y) return a & b;
    return x > y ? a : b;
}
uint64_t wm_f64_min(uint64_t a, uint64_t b)
{
    if (nan64(a)) return a | F64_QUIET;
    if (nan64(b)) return b | F64_QUIET;
    double x = wm_f64(a), y = wm_f64(b);
    if (x == y) return a | b;
    return x < y ? a : b;
}
uint64_t wm_f64_max(uint64_t a, uint64_t b)
{
    if (nan64(a)) return a | F64_QUIET;
    if (nan64(b)) return b | F64_QUIET;
    double x = wm_f64(a), y = wm_f64(b);
    if (x == y) return a & b;
    return x > y ? a : b;
}

/* ceil/floor/trunc/nearest for a format with `mb` mantissa and `eb` exponent bits */
static uint64_t round_bits(uint64_t a, int mb, int eb, int mode)
{
    const uint64_t sign = 1ull << (mb + eb);
    const uint64_t mmask = (1ull << mb) - 1;
    const int emax = (1 << eb) - 1, bias = (1 << (eb - 1)) - 1;
    const uint64_t one = (uint64_t)bias << mb;
    int e = (int)((a >> mb) & (uint64_t)emax);
    bool neg = (a & sign) != 0;
    if (e == emax) return (a & mmask) ? a | (1ull << (mb - 1)) : a;
    int ue = e - bias;
    if (ue >= mb) return a;
    if (ue < 0) {
        if ((a & ~sign) == 0) return a;
        switch (mode) {
        case 0: return neg ? sign : one;
        case 1: return neg ? (sign | one) : 0;
        case 2: return a & sign;
        default: return (ue == -1 && (a & mmask) != 0) ? ((a & sign) | one) : (a & sign);
        }
    }
    uint64_t frac = mmask >> ue;
    if ((a & frac) == 0) return a;
    uint64_t t = a & ~frac, unit = frac + 1;
    switch (mode) {
    case 0: return neg ? t : t + unit;
    case 1: return neg ? t + unit : t;
    case 2: return t;
    default: {
        uint64_t f = a & frac, half = unit >> 1;
        bool odd = ue == 0 ? true : (t & unit) != 0;
        return (f > half || (f == half && odd)) ? t + unit : t;
    }
    }
}

uint32_t wm_f32_round(uint32_t a, int mode) { return (uint32_t)round_bits(a, 23, 8, mode); }
uint64_t wm_f64_round(uint64_t a, int mode) { return round_bits(a, 52, 11, mode); }

/* Correctly rounded square root, digit by digit on the mantissa. */
uint64_t wm_f64_sqrt(uint64_t a)
{
    uint64_t mant = a & ((1ull << 52) - 1);
    int e = (int)((a >> 52) & 0x7ff);
    if (e == 0x7ff) {
        if (mant) return a | F64_QUIET;
        return (a >> 63) ? F64_CANON : a;
    }
    if ((a << 1) == 0) return a;
    if (a >> 63) return F64_CANON;
    if (e == 0) {
        e = 1;
        while (!(mant & (1ull << 52))) {
            mant <<= 1;
            e--;
        }
    } else {
        mant |= 1ull << 52;
    }
    int ex = e - 1075; /* value = mant * 2^ex */
    if (ex & 1) {
        mant <<= 1;
        ex -= 1;
    }
    uint64_t q = 0, rem = 0;
    for (int i = 54; i >= 0; i--) { /* radicand = mant << 56, two bits per step */
        int p = 2 * i;
        uint64_t two = p >= 56 ? (mant >> (p - 56)) & 3 : 0;
        rem = (rem << 2) | two;
        uint64_t t = (q << 2) | 1;
        if (rem >= t) {
            rem -= t;
            q = (q << 1) | 1;
        } else {
            q <<= 1;
        }
    }
    uint64_t rb = q & 3;
    q >>= 2;
    int s = (ex - 56) / 2 + 2;
    if (rb == 3 || (rb == 2 && (rem != 0 || (q & 1)))) q++;
    if (q == (1ull << 53)) {
        q >>= 1;
        s++;
    }
    return ((uint64_t)(52 + s + 1023) << 52) | (q & ((1ull << 52) - 1));
}

uint32_t wm_f32_sqrt(uint32_t a)
{
    if (nan32(a)) return a | F32_QUIET;
    /* double rounding through f64 is exact for sqrt (53 >= 2*24+2) */
    double d = (double)wm_f32(a);
    return wm_f32b((float)wm_f64(wm_f64_sqrt(wm_f64b(d))));
}

bool wm_trunc_f64_i32(uint64_t a, bool sign, uint32_t *out, bool *nan)
{
    double d = wm_f64(a);
    *nan = nan64(a);
    if (*nan) return false;
    if (sign) {
        if (!(d > -2147483649.0 && d < 2147483648.0)) return false;
        *out = (uint32_t)(int32_t)d;
    } else {
        if (!(d > -1.0 && d < 4294967296.0)) return false;
        *out = (uint32_t)d;
    }
    return true;
}

bool wm_trunc_f64_i64(uint64_t a, bool sign, uint64_t *out, bool *nan)
{
    double d = wm_f64(a);
    *nan = nan64(a);
    if (*nan) return false;
    if (sign) {
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
        *out = (uint64_t)(int64_t)d;
    } else {
        if (!(d > -1.0 && d < 18446744073709551616.0)) return false;
        *out = (uint64_t)d;
    }
    return true;
}

uint32_t wm_trunc_sat_f64_i32(uint64_t a, bool sign)
{
    uint32_t r;
    bool nan;
    if (wm_trunc_f64_i32(a, sign, &r, &nan)) return r;
    if (nan) return 0;
    bool neg = (a >> 63) != 0;
    if (sign) return neg ? 0x80000000u : 0x7fffffffu;
    return neg ? 0 : 0xffffffffu;
}

uint64_t wm_trunc_sat_f64_i64(uint64_t a, bool sign)
{
    uint64_t r;
    bool nan;
    if (wm_trunc_f64_i64(a, sign, &r, &nan)) return r;
    if (nan) return 0;
    bool neg = (a >> 63) != 0;
    if (sign) return neg ? 0x8000000000000000ull : 0x7fffffffffffffffull;
    return neg ? 0 : 0xffffffffffffffffull;
}
