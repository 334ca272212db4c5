/* mpu_cover.h - MPU region images that cover a block of memory exactly (pure arithmetic,
 * no register access: the isolation code of aot/arch programs them, tests check them on the
 * host). Addresses are 32-bit: these are the Cortex-M MPUs. */
#ifndef WM_MPU_COVER_H
#define WM_MPU_COVER_H

#include <stdint.h>

/* PMSAv7 (ARMv7-M): regions of 2^k bytes (k >= 5) aligned to their size; from 256 bytes on
 * each has 8 subregions that can be switched off. Covers [base, base + size) with at most
 * `max` regions, using the finest granule that fits, never reaching outside [lo, hi).
 * out[i][0] is the RBAR base (the caller adds VALID and the region number), out[i][1] the
 * RASR value: `attr` (XN, AP, TEX/S/C/B) | SRD | SIZE | ENABLE. 0 and *n set, or -1. */
int wm_mpu_v7_cover(uint32_t base, uint32_t size, uint32_t lo, uint32_t hi, uint32_t attr,
                    unsigned max, uint32_t (*out)[2], unsigned *n);

/* PMSAv8 (ARMv8-M): base and limit with 32-byte granules. out[0][0] = RBAR (base |
 * rbar_attr: SH, AP, XN), out[0][1] = RLAR (limit | rlar_attr: AttrIndx | EN). */
int wm_mpu_v8_cover(uint32_t base, uint32_t size, uint32_t lo, uint32_t hi, uint32_t rbar_attr,
                    uint32_t rlar_attr, unsigned max, uint32_t (*out)[2], unsigned *n);

/* Alignment and size granule of a block of `bytes` that `regions` (1 or 2) PMSAv7 regions
 * cover exactly once it is aligned to *align and its size rounded up to *round. */
void wm_mpu_v7_layout(uint64_t bytes, unsigned regions, uint32_t *align, uint32_t *round);

#endif
