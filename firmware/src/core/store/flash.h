/* The flash-ops interface a port hands to the module store.
 *
 * NOR semantics, which every backend must reproduce (a file on posix, a RAM region on QEMU,
 * real flash on hardware):
 *   - erase sets a whole sector to 0xFF;
 *   - program can only clear bits (new = old & data); programming a byte twice is allowed
 *     by the interface but the store never relies on it: every field it writes is
 *     programmed exactly once, in its own 8-byte-aligned slot, after an erase;
 *   - addresses are offsets inside the store's region, [0, size).
 * The sector size and region come from the board file. Each call returns 0 on success and a
 * negative value on failure.
 */
#ifndef WM_FLASH_H
#define WM_FLASH_H

#include <stdint.h>

typedef struct wm_flash_ops {
    void *ctx;
    uint32_t sector_size;  /* power of two, >= 256 */
    uint32_t size;         /* region size, a multiple of sector_size */
    const uint8_t *mapped; /* region readable in place (XIP / RAM), or NULL */
    int (*read)(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len);
    int (*erase)(void *ctx, uint32_t addr);
    int (*program)(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len);
} wm_flash_ops;

#endif
