/* mpu_cover.c - see mpu_cover.h. */
#include "mpu_cover.h"

int wm_mpu_v7_cover(uint32_t base, uint32_t size, uint32_t lo, uint32_t hi, uint32_t attr,
                    unsigned max, uint32_t (*out)[2], unsigned *n)
{
    *n = 0;
    if (size == 0) return 0;
    uint64_t a = base, e = (uint64_t)base + size, wlo = lo, whi = hi == 0 ? (1ull << 32) : hi;
    if (a < wlo || e > whi) return -1;
    /* The granule is the region size below 256 bytes (no subregions), an eighth above: try
     * them all, finest cover first (the number of regions decides). */
    for (unsigned k = 5; k <= 32; k++) {
        uint64_t s = 1ull << k;
        uint64_t sub = k >= 8 ? s >> 3 : s;
        uint64_t clo = a & ~(sub - 1u), chi = (e + sub - 1u) & ~(sub - 1u);
        if (clo < wlo || chi > whi) continue;
        uint64_t b0 = clo & ~(s - 1u), b1 = (chi + s - 1u) & ~(s - 1u);
        if (((b1 - b0) >> k) > max) continue;
        for (uint64_t bb = b0; bb < b1; bb += s) {
            uint32_t srd = 0;
            if (k >= 8) {
                for (unsigned j = 0; j < 8u; j++) {
                    uint64_t sl = bb + j * sub;
                    if (sl < clo || sl >= chi) srd |= 1u << j;
                }
            }
            out[*n][0] = (uint32_t)bb;
            out[*n][1] = attr | (srd << 8) | ((k - 1u) << 1) | 1u;
            (*n)++;
        }
        return 0;
    }
    return -1;
}

int wm_mpu_v8_cover(uint32_t base, uint32_t size, uint32_t lo, uint32_t hi, uint32_t rbar_attr,
                    uint32_t rlar_attr, unsigned max, uint32_t (*out)[2], unsigned *n)
{
    *n = 0;
    if (size == 0) return 0;
    uint64_t a = base & ~31u, e = ((uint64_t)base + size + 31u) & ~(uint64_t)31u;
    uint64_t whi = hi == 0 ? (1ull << 32) : hi;
    if (a < lo || e > whi || max < 1u) return -1;
    out[0][0] = (uint32_t)a | rbar_attr;
    out[0][1] = (uint32_t)((e - 32u) & ~(uint64_t)31u) | rlar_attr | 1u;
    *n = 1;
    return 0;
}

void wm_mpu_v7_layout(uint64_t bytes, unsigned regions, uint32_t *align, uint32_t *round)
{
    uint64_t s = 256;
    while (s < bytes) s <<= 1;
    if (regions >= 2u) { /* aligned to an eighth: it then spans at most two s-blocks */
        *align = (uint32_t)(s >> 3);
        *round = (uint32_t)(s >> 3);
    } else {
        *align = (uint32_t)(s > 0x80000000u ? 0x80000000u : s);
        *round = (uint32_t)(s >> 3);
    }
}
