/* Little-endian integers in byte buffers (wire frames, packages, flash records, guest
 * memory), for every layer. Byte-wise so that Cortex-M0 and big-endian hosts behave;
 * compilers fuse these into single loads where that is legal, so they are inline (the
 * interpreter's memory access is one of them). */
#ifndef WM_BYTES_H
#define WM_BYTES_H

#include <stdint.h>

static inline uint16_t wm_ld16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t wm_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t wm_ld64(const uint8_t *p)
{
    return (uint64_t)wm_ld32(p) | ((uint64_t)wm_ld32(p + 4) << 32);
}

static inline void wm_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void wm_st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void wm_st64(uint8_t *p, uint64_t v)
{
    wm_st32(p, (uint32_t)v);
    wm_st32(p + 4, (uint32_t)(v >> 32));
}

#endif
