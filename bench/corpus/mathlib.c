/* A fixed-point maths library linked whole (-Wl,--no-gc-sections, as some SDK makefiles do):
   only a few entry points are exported, so most functions here are dead code that only a
   whole-module GC can remove. */
#include "wm_export.h"

typedef int32_t q16; /* 16.16 fixed point */

q16 q16_mul(q16 a, q16 b) { return (q16)(((int64_t)a * b) >> 16); }

q16 q16_div(q16 a, q16 b) {
    if (b == 0) return a < 0 ? INT32_MIN : INT32_MAX;
    return (q16)(((int64_t)a << 16) / b);
}

uint32_t isqrt32(uint32_t v) {
    uint32_t r = 0, bit = 1u << 30;
    while (bit > v) bit >>= 2;
    while (bit) {
        if (v >= r + bit) { v -= r + bit; r = (r >> 1) + bit; } else r >>= 1;
        bit >>= 2;
    }
    return r;
}

q16 q16_sqrt(q16 a) { return a <= 0 ? 0 : (q16)(isqrt32((uint32_t)a) << 8); }

/* atan on [-1, 1] by a rational approximation, result in 16.16 radians. */
q16 q16_atan_unit(q16 x) {
    q16 x2 = q16_mul(x, x);
    return q16_div(x, 65536 + q16_mul(18350, x2)); /* x / (1 + 0.28 x^2) */
}

q16 q16_atan2(q16 y, q16 x) {
    const q16 pi = 205887, half_pi = 102944;
    if (x == 0) return y > 0 ? half_pi : (y < 0 ? -half_pi : 0);
    q16 ax = x < 0 ? -x : x, ay = y < 0 ? -y : y;
    q16 r;
    if (ay <= ax) {
        r = q16_atan_unit(q16_div(y, ax));
        if (x < 0) r = (y >= 0 ? pi : -pi) - r;
    } else {
        r = half_pi - q16_atan_unit(q16_div(x, ay));
        if (y < 0) r = -r;
    }
    return r;
}

q16 q16_lerp(q16 a, q16 b, q16 t) { return a + q16_mul(b - a, t); }

q16 q16_clamp(q16 v, q16 lo, q16 hi) { return v < lo ? lo : (v > hi ? hi : v); }

int32_t median3(int32_t a, int32_t b, int32_t c) {
    if (a > b) { int32_t t = a; a = b; b = t; }
    if (b > c) b = c;
    return a > b ? a : b;
}

void insertion_sort(int32_t *v, uint32_t n) {
    for (uint32_t i = 1; i < n; i++) {
        int32_t x = v[i];
        uint32_t j = i;
        while (j > 0 && v[j - 1] > x) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
}

int32_t moving_average(const int32_t *v, uint32_t n, uint32_t window, int32_t *out) {
    int64_t acc = 0;
    if (window == 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        acc += v[i];
        if (i >= window) acc -= v[i - window];
        out[i] = (int32_t)(acc / (i + 1 < window ? i + 1 : window));
    }
    return 0;
}

uint32_t gcd32(uint32_t a, uint32_t b) {
    while (b) { uint32_t t = a % b; a = b; b = t; }
    return a;
}

uint32_t popcount32(uint32_t v) {
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    return (((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

/* Vector length and heading: the only maths this firmware plug-in actually exports. */
WM_EXPORT("vec_len") q16 vec_len(q16 x, q16 y) {
    int64_t s = ((int64_t)x * x + (int64_t)y * y) >> 16;
    return q16_sqrt((q16)(s > INT32_MAX ? INT32_MAX : s));
}

WM_EXPORT("vec_heading") q16 vec_heading(q16 x, q16 y) { return q16_atan2(y, x); }

WM_EXPORT("selftest") int32_t selftest(void) {
    return vec_len(3 << 16, 4 << 16) + vec_heading(1 << 16, 1 << 16) * 3
           + vec_heading(-(2 << 16), -(1 << 16));
}
