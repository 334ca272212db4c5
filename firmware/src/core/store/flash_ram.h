/* A NOR-flash emulation over a memory region, for ports whose store is RAM (QEMU boards):
 * erase sets a sector to 0xFF, program only clears bits, exactly like the real thing, so the
 * store's power-cut reasoning holds. The region keeps its contents across a firmware reset
 * as long as the port does not clear it at start-up. */
#ifndef WM_FLASH_RAM_H
#define WM_FLASH_RAM_H

#include <stdint.h>

#include "flash.h"

typedef struct {
    uint8_t *base;
    wm_flash_ops ops;
} wm_flash_ram;

/* 0, or -1 when size/sector are unusable (sector a power of two >= 256, size a multiple). */
int wm_flash_ram_init(wm_flash_ram *f, uint8_t *base, uint32_t size, uint32_t sector);

#endif
