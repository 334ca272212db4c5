/* The soft-float helpers GCC calls for float and double on the LX106 (no FPU) that the
 * Debian xtensa-lx106-elf libgcc leaves out because the ESP8266 has them in its mask ROM:
 * add, subtract, multiply (f32, f64), divide (f64), the int <-> float conversions and
 * f32 <-> f64. libgcc supplies the rest (compares, __divsf3, 64-bit conversions).
 * Integer arithmetic only, no tables: the same file links into AOT code, which must be
 * position independent. Checked bit for bit against the host's FPU by
 * tests/firmware/test_lx106_helpers.py. WM_LX106_HELPER_PREFIX renames the entry points
 * for that test (the host's own libgcc names must stay untouched there). */
#include <stdint.h>

#include "lx106_helpers.h"

/* 32 x 32 -> 64 from 16-bit pieces (the LX106 multiplies 32 x 32 -> low 32 only). */
uint64_t WM_LX106_HELPER(umulsidi3)(uint32_t a, uint32_t b)
{
    uint32_t al = a & 0xFFFFu, ah = a >> 16, bl = b & 0xFFFFu, bh = b >> 16;
    uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    uint32_t lo = (ll & 0xFFFFu) | (mid << 16);
    uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    return ((uint64_t)hi << 32) | lo;
}

static void wm_f32_wide_mul(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t p = WM_LX106_HELPER(umulsidi3)(a, b);
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

static void wm_f64_wide_mul(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint32_t a0 = (uint32_t)a, a1 = (uint32_t)(a >> 32);
    uint32_t b0 = (uint32_t)b, b1 = (uint32_t)(b >> 32);
    uint64_t p00 = WM_LX106_HELPER(umulsidi3)(a0, b0), p01 = WM_LX106_HELPER(umulsidi3)(a0, b1);
    uint64_t p10 = WM_LX106_HELPER(umulsidi3)(a1, b0), p11 = WM_LX106_HELPER(umulsidi3)(a1, b1);
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10; /* < 3 * 2^32 */
    *lo = (p00 & 0xFFFFFFFFu) | (mid << 32);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

#define FP_UINT uint32_t
#define FP_SIG 23
#define FP(x) wm_f32_##x
#include "lx106_fp_impl.h"
#undef FP_UINT
#undef FP_SIG
#undef FP

#define FP_UINT uint64_t
#define FP_SIG 52
#define FP(x) wm_f64_##x
#include "lx106_fp_impl.h"
#undef FP_UINT
#undef FP_SIG
#undef FP

static uint32_t f2u(float f)
{
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

static uint64_t d2u(double d)
{
    uint64_t u;
    __builtin_memcpy(&u, &d, 8);
    return u;
}

static double u2d(uint64_t u)
{
    double d;
    __builtin_memcpy(&d, &u, 8);
    return d;
}

float WM_LX106_HELPER(addsf3)(float a, float b) { return u2f(wm_f32_add(f2u(a), f2u(b))); }

float WM_LX106_HELPER(subsf3)(float a, float b)
{
    return u2f(wm_f32_add(f2u(a), f2u(b) ^ 0x80000000u));
}

float WM_LX106_HELPER(mulsf3)(float a, float b) { return u2f(wm_f32_mul(f2u(a), f2u(b))); }

double WM_LX106_HELPER(adddf3)(double a, double b) { return u2d(wm_f64_add(d2u(a), d2u(b))); }

double WM_LX106_HELPER(subdf3)(double a, double b)
{
    return u2d(wm_f64_add(d2u(a), d2u(b) ^ 0x8000000000000000u));
}

double WM_LX106_HELPER(muldf3)(double a, double b) { return u2d(wm_f64_mul(d2u(a), d2u(b))); }

double WM_LX106_HELPER(divdf3)(double a, double b) { return u2d(wm_f64_div(d2u(a), d2u(b))); }

static int wm_msb32(uint32_t x) /* x != 0 */
{
    int n = 31;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n--;
    }
    return n;
}

static float wm_u32_to_f32(uint32_t sign, uint32_t m)
{
    if (m == 0u) {
        return u2f(0u);
    }
    int e = wm_msb32(m); /* bring the leading bit to 26 (23 + guard, round, sticky) */
    uint32_t sig = e > 26 ? wm_f32_shr_sticky(m, e - 26) : m << (26 - e);
    return u2f(wm_f32_round_pack(sign, e + 127, sig));
}

float WM_LX106_HELPER(floatunsisf)(uint32_t a) { return wm_u32_to_f32(0u, a); }

float WM_LX106_HELPER(floatsisf)(int32_t a)
{
    return a < 0 ? wm_u32_to_f32(0x80000000u, 0u - (uint32_t)a) : wm_u32_to_f32(0u, (uint32_t)a);
}

static double wm_u32_to_f64(uint64_t sign, uint32_t m) /* exact */
{
    if (m == 0u) {
        return u2d(sign);
    }
    int e = wm_msb32(m);
    uint64_t frac = ((uint64_t)m << (52 - e)) & 0xFFFFFFFFFFFFFu;
    return u2d(sign | ((uint64_t)(e + 1023) << 52) | frac);
}

double WM_LX106_HELPER(floatunsidf)(uint32_t a) { return wm_u32_to_f64(0u, a); }

double WM_LX106_HELPER(floatsidf)(int32_t a)
{
    return a < 0 ? wm_u32_to_f64(0x8000000000000000u, 0u - (uint32_t)a)
                 : wm_u32_to_f64(0u, (uint32_t)a);
}

/* |a| truncated toward zero, saturated at 2^32 - 1 (callers range-check first). */
static uint32_t wm_f64_trunc_mag(uint64_t u)
{
    int exp = (int)((u >> 52) & 0x7FFu);
    if (exp == 0x7FF && (u & 0xFFFFFFFFFFFFFu)) {
        return 0u; /* NaN */
    }
    if (exp < 1023) {
        return 0u;
    }
    int e = exp - 1023;
    if (e >= 32) {
        return 0xFFFFFFFFu;
    }
    uint64_t sig = (u & 0xFFFFFFFFFFFFFu) | (1ull << 52);
    return (uint32_t)(sig >> (52 - e));
}

int32_t WM_LX106_HELPER(fixdfsi)(double a)
{
    uint64_t u = d2u(a);
    uint32_t m = wm_f64_trunc_mag(u);
    if (u >> 63) {
        return m >= 0x80000000u ? INT32_MIN : -(int32_t)m;
    }
    return m >= 0x80000000u ? INT32_MAX : (int32_t)m;
}

uint32_t WM_LX106_HELPER(fixunsdfsi)(double a)
{
    uint64_t u = d2u(a);
    return (u >> 63) ? 0u : wm_f64_trunc_mag(u);
}

uint32_t WM_LX106_HELPER(fixunssfsi)(float a)
{
    return WM_LX106_HELPER(fixunsdfsi)(WM_LX106_HELPER(extendsfdf2)(a));
}

double WM_LX106_HELPER(extendsfdf2)(float a) /* exact; a NaN comes back quiet */
{
    uint32_t u = f2u(a);
    uint64_t sign = (uint64_t)(u >> 31) << 63;
    int exp = (int)((u >> 23) & 0xFFu);
    uint32_t frac = u & 0x7FFFFFu;
    if (exp == 0xFF) {
        uint64_t nan = frac ? (1ull << 51) : 0u;
        return u2d(sign | (0x7FFull << 52) | nan | ((uint64_t)frac << 29));
    }
    if (exp == 0) {
        if (frac == 0u) {
            return u2d(sign);
        }
        int lead = wm_msb32(frac); /* value = frac * 2^-149 */
        uint64_t f = ((uint64_t)frac << (52 - lead)) & 0xFFFFFFFFFFFFFu;
        return u2d(sign | ((uint64_t)(lead - 149 + 1023) << 52) | f);
    }
    return u2d(sign | ((uint64_t)(exp - 127 + 1023) << 52) | ((uint64_t)frac << 29));
}

float WM_LX106_HELPER(truncdfsf2)(double a)
{
    uint64_t u = d2u(a);
    uint32_t sign = (uint32_t)(u >> 63) << 31;
    int exp = (int)((u >> 52) & 0x7FFu);
    uint64_t frac = u & 0xFFFFFFFFFFFFFu;
    if (exp == 0x7FF) {
        return u2f(sign | 0x7F800000u | (frac ? 0x400000u | (uint32_t)(frac >> 29) : 0u));
    }
    if (exp == 0 && frac == 0u) {
        return u2f(sign);
    }
    uint64_t sig = exp == 0 ? frac : (frac | (1ull << 52)); /* leading bit at 52: to 26 */
    int e = exp == 0 ? 1 : exp;
    uint32_t sig27 = (uint32_t)wm_f64_shr_sticky(sig, 26);
    return u2f(wm_f32_round_pack(sign, e - 1023 + 127, sig27));
}
