/* The LX106 port's libgcc helpers (firmware/src/port/xtensa_lx106: lx106_intdiv.c,
 * lx106_softfloat.c), built for the host under another prefix, against the host's own
 * integer unit and IEEE 754 FPU (round to nearest even): bit for bit, except that a NaN
 * result only has to be a quiet NaN (WebAssembly's arithmetic NaN). Random operands from a
 * fixed seed, biased towards the hard cases: zeros, subnormals, infinities, NaNs, operands
 * near 1.0 and near each other (cancellation). Prints the first mismatches; exit 1 on any.
 * usage: lx106_helpers_check [cases] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lx106_helpers.h"

#define H(name) WM_LX106_HELPER(name)

static uint64_t seed = 88172645463325252ull;
static unsigned long bad;

static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static uint64_t d2u(double f)
{
    uint64_t u;
    memcpy(&u, &f, 8);
    return u;
}
static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double u2d(uint64_t u)
{
    double f;
    memcpy(&f, &u, 8);
    return f;
}

static uint32_t pick32(void)
{
    switch (rnd() % 8) {
    case 0: return (uint32_t)(rnd() & 0x807FFFFFu);               /* zero or subnormal */
    case 1: return 0x7F800000u | (uint32_t)(rnd() & 0x807FFFFFu); /* inf or NaN */
    case 2: return (uint32_t)rnd() & 0x80000000u;                 /* signed zero */
    case 3: return ((uint32_t)rnd() & 0x80FFFFFFu) | 0x3F000000u; /* near 1 */
    default: return (uint32_t)rnd();
    }
}

static uint64_t pick64(void)
{
    switch (rnd() % 8) {
    case 0: return rnd() & 0x800FFFFFFFFFFFFFull;
    case 1: return 0x7FF0000000000000ull | (rnd() & 0x800FFFFFFFFFFFFFull);
    case 2: return rnd() & 0x8000000000000000ull;
    case 3: return (rnd() & 0x801FFFFFFFFFFFFFull) | 0x3FE0000000000000ull;
    default: return rnd();
    }
}

static void report(const char *op, uint64_t a, uint64_t b, uint64_t got, uint64_t want)
{
    if (bad++ < 20) {
        printf("%s %016llx %016llx: got %016llx want %016llx\n", op, (unsigned long long)a,
               (unsigned long long)b, (unsigned long long)got, (unsigned long long)want);
    }
}

static void f32_eq(const char *op, uint32_t a, uint32_t b, uint32_t got, uint32_t want)
{
    if (isnan(u2f(want)) ? !(isnan(u2f(got)) && (got & 0x400000u)) : got != want) {
        report(op, a, b, got, want);
    }
}

static void f64_eq(const char *op, uint64_t a, uint64_t b, uint64_t got, uint64_t want)
{
    if (isnan(u2d(want)) ? !(isnan(u2d(got)) && (got & 0x8000000000000ull)) : got != want) {
        report(op, a, b, got, want);
    }
}

static void int_eq(const char *op, uint64_t a, uint64_t b, uint64_t got, uint64_t want)
{
    if (got != want) {
        report(op, a, b, got, want);
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    for (long i = 0; i < n; i++) {
        uint32_t a = pick32(), b = pick32();
        uint64_t c = pick64(), d = pick64();
        if (i % 4 == 1) { /* close operands: cancellation in add/sub */
            b = a ^ (uint32_t)(rnd() & 0x800000FFu);
            d = c ^ (rnd() & 0x80000000000000FFull);
        }
        volatile float fa = u2f(a), fb = u2f(b);
        volatile double da = u2d(c), db = u2d(d);
        f32_eq("addsf3", a, b, f2u(H(addsf3)(fa, fb)), f2u(fa + fb));
        f32_eq("subsf3", a, b, f2u(H(subsf3)(fa, fb)), f2u(fa - fb));
        f32_eq("mulsf3", a, b, f2u(H(mulsf3)(fa, fb)), f2u(fa * fb));
        f64_eq("adddf3", c, d, d2u(H(adddf3)(da, db)), d2u(da + db));
        f64_eq("subdf3", c, d, d2u(H(subdf3)(da, db)), d2u(da - db));
        f64_eq("muldf3", c, d, d2u(H(muldf3)(da, db)), d2u(da * db));
        f64_eq("divdf3", c, d, d2u(H(divdf3)(da, db)), d2u(da / db));
        f64_eq("extendsfdf2", a, 0, d2u(H(extendsfdf2)(fa)), d2u((double)fa));
        f32_eq("truncdfsf2", (uint32_t)(c >> 32), (uint32_t)c, f2u(H(truncdfsf2)(da)),
               f2u((float)da));
        int32_t si = (int32_t)a;
        uint32_t ui = b;
        if (i % 3 == 0) { /* small magnitudes too */
            si >>= rnd() % 31;
            ui >>= rnd() % 31;
        }
        f32_eq("floatsisf", a, 0, f2u(H(floatsisf)(si)), f2u((float)si));
        f32_eq("floatunsisf", b, 0, f2u(H(floatunsisf)(ui)), f2u((float)ui));
        f64_eq("floatsidf", a, 0, d2u(H(floatsidf)(si)), d2u((double)si));
        f64_eq("floatunsidf", b, 0, d2u(H(floatunsidf)(ui)), d2u((double)ui));
        /* float -> int only in range (the runtime range-checks before converting) */
        if (!isnan(da) && da > -2147483649.0 && da < 2147483648.0) {
            int_eq("fixdfsi", c, 0, (uint32_t)H(fixdfsi)(da), (uint32_t)(int32_t)da);
        }
        if (!isnan(da) && da > -1.0 && da < 4294967296.0) {
            int_eq("fixunsdfsi", c, 0, H(fixunsdfsi)(da), (uint32_t)da);
        }
        if (!isnan(fa) && fa > -1.0f && fa < 4294967296.0f) {
            int_eq("fixunssfsi", a, 0, H(fixunssfsi)(fa), (uint32_t)fa);
        }
        uint32_t x = (uint32_t)rnd() >> (rnd() % 32), y = (uint32_t)rnd() >> (rnd() % 32);
        uint64_t X = rnd() >> (rnd() % 64), Y = rnd() >> (rnd() % 64);
        if (y != 0u) {
            int_eq("udivsi3", x, y, H(udivsi3)(x, y), x / y);
            int_eq("umodsi3", x, y, H(umodsi3)(x, y), x % y);
            if (!((int32_t)x == INT32_MIN && (int32_t)y == -1)) {
                int_eq("divsi3", x, y, (uint32_t)H(divsi3)((int32_t)x, (int32_t)y),
                       (uint32_t)((int32_t)x / (int32_t)y));
            }
        }
        if (Y != 0u) {
            int_eq("udivdi3", X, Y, H(udivdi3)(X, Y), X / Y);
            int_eq("umoddi3", X, Y, H(umoddi3)(X, Y), X % Y);
            if (!((int64_t)X == INT64_MIN && (int64_t)Y == -1)) {
                int_eq("divdi3", X, Y, (uint64_t)H(divdi3)((int64_t)X, (int64_t)Y),
                       (uint64_t)((int64_t)X / (int64_t)Y));
            }
        }
        int_eq("muldi3", X, Y, (uint64_t)H(muldi3)((int64_t)X, (int64_t)Y), X * Y);
        int_eq("umulsidi3", x, y, H(umulsidi3)(x, y), (uint64_t)x * y);
    }
    printf("%ld cases, %lu mismatches\n", n, bad);
    return bad != 0;
}
