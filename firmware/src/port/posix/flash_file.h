/* Posix flash backend: NOR semantics over a RAM mirror, written through to a file so the
 * store survives the device process being killed or restarted. */
#ifndef WM_FLASH_FILE_H
#define WM_FLASH_FILE_H

#include <stdint.h>

#include "store/flash.h"

typedef struct {
    int fd;
    uint8_t *mem;
    wm_flash_ops ops;
} wm_flash_file;

/* Open (or create, erased) `path` as a region of `size` bytes in `sector`-byte sectors.
 * Returns 0, or -1 with errno set. */
int wm_flash_file_open(wm_flash_file *ff, const char *path, uint32_t size, uint32_t sector);
void wm_flash_file_close(wm_flash_file *ff);

#endif
