/* The integer helpers GCC calls on the LX106 (no divide instruction, no 32 x 32 -> 64
 * multiply) that the Debian xtensa-lx106-elf libgcc leaves out because the ESP8266 has them
 * in its mask ROM: 32- and 64-bit division and remainder, 64-bit multiply. Shift-and-
 * subtract, no tables (the file also links into position-independent AOT code); division
 * by zero is never reached (the runtime and the AOT code trap first) and returns 0 here.
 * Checked against the host by tests/firmware/test_lx106_helpers.py. */
#include <stdint.h>

#include "lx106_helpers.h"

static uint32_t wm_udivmod32(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0u;
    if (d == 0u) {
        *rem = 0u;
        return 0u;
    }
    int shift = 0;
    while (d <= n && !(d & 0x80000000u) && (d << 1) <= n) {
        d <<= 1;
        shift++;
    }
    for (; shift >= 0; shift--) {
        q <<= 1;
        if (n >= d) {
            n -= d;
            q |= 1u;
        }
        d >>= 1;
    }
    *rem = n;
    return q;
}

static uint64_t wm_udivmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
    if ((n >> 32) == 0u && (d >> 32) == 0u) {
        uint32_t r32;
        uint32_t q32 = wm_udivmod32((uint32_t)n, (uint32_t)d, &r32);
        *rem = r32;
        return q32;
    }
    uint64_t q = 0u;
    if (d == 0u) {
        *rem = 0u;
        return 0u;
    }
    int shift = 0;
    while (d <= n && !(d >> 63) && (d << 1) <= n) {
        d <<= 1;
        shift++;
    }
    for (; shift >= 0; shift--) {
        q <<= 1;
        if (n >= d) {
            n -= d;
            q |= 1u;
        }
        d >>= 1;
    }
    *rem = n;
    return q;
}

uint32_t WM_LX106_HELPER(udivsi3)(uint32_t n, uint32_t d)
{
    uint32_t r;
    return wm_udivmod32(n, d, &r);
}

uint32_t WM_LX106_HELPER(umodsi3)(uint32_t n, uint32_t d)
{
    uint32_t r;
    (void)wm_udivmod32(n, d, &r);
    return r;
}

int32_t WM_LX106_HELPER(divsi3)(int32_t n, int32_t d)
{
    uint32_t r, un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    uint32_t q = wm_udivmod32(un, ud, &r);
    return (int32_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}

uint64_t WM_LX106_HELPER(udivdi3)(uint64_t n, uint64_t d)
{
    uint64_t r;
    return wm_udivmod64(n, d, &r);
}

uint64_t WM_LX106_HELPER(umoddi3)(uint64_t n, uint64_t d)
{
    uint64_t r;
    (void)wm_udivmod64(n, d, &r);
    return r;
}

int64_t WM_LX106_HELPER(divdi3)(int64_t n, int64_t d)
{
    uint64_t r, un = n < 0 ? 0u - (uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? 0u - (uint64_t)d : (uint64_t)d;
    uint64_t q = wm_udivmod64(un, ud, &r);
    return (int64_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}

int64_t WM_LX106_HELPER(muldi3)(int64_t a, int64_t b)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    uint32_t a0 = (uint32_t)ua, a1 = (uint32_t)(ua >> 32);
    uint32_t b0 = (uint32_t)ub, b1 = (uint32_t)(ub >> 32);
    uint64_t p = WM_LX106_HELPER(umulsidi3)(a0, b0);
    uint32_t hi = (uint32_t)(p >> 32) + a0 * b1 + a1 * b0;
    return (int64_t)(((uint64_t)hi << 32) | (uint32_t)p);
}
