/* The C library of the benchmark programs (bench/programs/include): compiled from this
 * source into every engine's build - the wasm module, the host executable and the Cortex-M4
 * image - so that native C and the module run the same library code. Compiled with
 * -fno-builtin (a compiler must not turn these loops into calls to themselves). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp < sp) {
        while (n--) *dp++ = *sp++;
    } else {
        dp += n;
        sp += n;
        while (n--) *--dp = *--sp;
    }
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--) *dp++ = (uint8_t)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *ap = a, *bp = b;
    for (; n; n--, ap++, bp++)
        if (*ap != *bp) return *ap < *bp ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c) return (char *)s;
        if (!*s) return NULL;
    }
}

int isdigit(int c) { return c >= '0' && c <= '9'; }
int isspace(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
int isxdigit(int c) { return isdigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
int tolower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

_Noreturn void abort(void) { __builtin_trap(); }

double fabs(double x) { return __builtin_fabs(x); }
float fabsf(float x) { return __builtin_fabsf(x); }

#if defined(__wasm__) || defined(__x86_64__) || defined(__aarch64__)
double sqrt(double x) { return __builtin_sqrt(x); } /* one instruction */
#else
/* No double-precision square root in hardware (the Cortex-M4F's FPU is single precision):
 * correctly rounded, digit by digit on the bits, as the instruction would. */
double sqrt(double x)
{
    uint64_t a;
    __builtin_memcpy(&a, &x, 8);
    uint64_t mant = a & ((1ull << 52) - 1u);
    int e = (int)((a >> 52) & 0x7ff);
    if (e == 0x7ff) {
        if (mant || !(a >> 63)) return x + x; /* NaN, +inf */
        return (x - x) / (x - x);             /* -inf: NaN */
    }
    if ((a << 1) == 0) return x; /* +-0 */
    if (a >> 63) return (x - x) / (x - x);
    if (e == 0) {
        e = 1;
        while (!(mant & (1ull << 52))) {
            mant <<= 1;
            e--;
        }
    } else {
        mant |= 1ull << 52;
    }
    int ex = e - 1023 - 52; /* x = mant * 2^ex, ex made even below */
    if (ex & 1) {
        mant <<= 1;
        ex--;
    }
    /* r = floor(sqrt(mant * 2^10)) has 32 bits (mant < 2^54): 26 more result bits, plus
     * the sticky remainder, round to nearest even at 53 bits. */
    uint64_t m = mant << 10, q = 0, rem = 0;
    for (int i = 62; i >= 0; i -= 2) {
        rem = (rem << 2) | ((m >> i) & 3u);
        uint64_t t = (q << 2) | 1u;
        q <<= 1;
        if (rem >= t) {
            rem -= t;
            q |= 1u;
        }
    }
    /* q = floor(sqrt(mant * 2^10)), 32 bits; need 54 bits: continue with zero digits */
    for (int i = 0; i < 22; i++) {
        rem <<= 2;
        uint64_t t = (q << 2) | 1u;
        q <<= 1;
        if (rem >= t) {
            rem -= t;
            q |= 1u;
        }
    }
    /* q = floor(sqrt(mant * 2^54)) in [2^53, 2^54): one guard bit */
    int half = (int)(q & 1u);
    q >>= 1;
    if (half && (rem != 0 || (q & 1u))) q++;
    int re = ex / 2 - 26 + 52; /* sqrt(x) = q * 2^(ex/2 - 26), q in [2^52, 2^53] */
    if (q == (1ull << 53)) {
        q >>= 1;
        re++;
    }
    uint64_t bits = ((uint64_t)(re + 1023) << 52) | (q & ((1ull << 52) - 1u));
    double r;
    __builtin_memcpy(&r, &bits, 8);
    return r;
}
#endif
