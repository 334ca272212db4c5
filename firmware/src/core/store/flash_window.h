/* A window onto part of another flash region: one physical region (a file, a partition)
 * split into the module store and the key-value/config area. Offsets are checked against
 * the window; the parent checks its own bounds again. */
#ifndef WM_FLASH_WINDOW_H
#define WM_FLASH_WINDOW_H

#include <stdint.h>

#include "flash.h"

typedef struct {
    const wm_flash_ops *parent;
    uint32_t offset;
    wm_flash_ops ops;
} wm_flash_window;

/* 0, or -1 unless [offset, offset+size) lies inside the parent on sector boundaries. */
int wm_flash_window_init(wm_flash_window *w, const wm_flash_ops *parent, uint32_t offset,
                         uint32_t size);

#endif
