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

#include "harness.h"
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
    if (isnan(f32_of(want)) ? !(isnan(f32_of(got)) && (got & 0x400000u)) : got != want) {
        report(op, a, b, got, want);
    }
}

static void f64_eq(const char *op, uint64_t a, uint64_t b, uint64_t got, uint64_t want)
{
    if (isnan(f64_of(want)) ? !(isnan(f64_of(got)) && (got & 0x8000000000000ull)) : got != want) {
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
        volatile float fa = f32_of(a), fb = f32_of(b);
        volatile double da = f64_of(c), db = f64_of(d);
        f32_eq("addsf3", a, b, f32_bits(H(addsf3)(fa, fb)), f32_bits(fa + fb));
        f32_eq("subsf3", a, b, f32_bits(H(subsf3)(fa, fb)), f32_bits(fa - fb));
        f32_eq("mulsf3", a, b, f32_bits(H(mulsf3)(fa, fb)), f32_bits(fa * fb));
        f64_eq("adddf3", c, d, f64_bits(H(adddf3)(da, db)), f64_bits(da + db));
        f64_eq("subdf3", c, d, f64_bits(H(subdf3)(da, db)), f64_bits(da - db));
        f64_eq("muldf3", c, d, f64_bits(H(muldf3)(da, db)), f64_bits(da * db));
        f64_eq("divdf3", c, d, f64_bits(H(divdf3)(da, db)), f64_bits(da / db));
        f64_eq("extendsfdf2", a, 0, f64_bits(H(extendsfdf2)(fa)), f64_bits((double)fa));
        f32_eq("truncdfsf2", (uint32_t)(c >> 32), (uint32_t)c, f32_bits(H(truncdfsf2)(da)),
               f32_bits((float)da));
        int32_t si = (int32_t)a;
        uint32_t ui = b;
        if (i % 3 == 0) { /* small magnitudes too */
            si >>= rnd() % 31;
            ui >>= rnd() % 31;
        }
        f32_eq("floatsisf", a, 0, f32_bits(H(floatsisf)(si)), f32_bits((float)si));
        f32_eq("floatunsisf", b, 0, f32_bits(H(floatunsisf)(ui)), f32_bits((float)ui));
        f64_eq("floatsidf", a, 0, f64_bits(H(floatsidf)(si)), f64_bits((double)si));
        f64_eq("floatunsidf", b, 0, f64_bits(H(floatunsidf)(ui)), f64_bits((double)ui));
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
