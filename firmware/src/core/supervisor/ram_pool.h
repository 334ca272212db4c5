/* Module RAM: one pool the port hands in, split into extents, one per loaded module (its
 * arena) plus a temporary one for RUN and for validating a push. Extents are kept in address
 * order; a new module takes the largest gap and gives back what its install did not use, so
 * every module's RAM is contiguous and released whole when it stops. */
#ifndef WM_RAM_POOL_H
#define WM_RAM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WM_POOL_EXTENTS 12u

typedef struct {
    uint8_t *base;
    size_t size;
} wm_extent;

typedef struct {
    uint8_t *base;
    size_t size;
    wm_extent used[WM_POOL_EXTENTS];
    uint32_t n;
} wm_ram_pool;

void wm_pool_init(wm_ram_pool *p, void *mem, size_t size);
/* The largest free gap (8-byte aligned). False when the pool is full or the extent table is. */
bool wm_pool_largest(const wm_ram_pool *p, wm_extent *out);
/* Marks [base, base+size) used; it must lie inside one free gap. 0, or -1. */
int wm_pool_take(wm_ram_pool *p, uint8_t *base, size_t size);
/* Frees the extent starting at base (no-op if none does). */
void wm_pool_give(wm_ram_pool *p, const uint8_t *base);
/* Free bytes in total (gaps may be split). */
size_t wm_pool_free(const wm_ram_pool *p);

#endif
