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
    /* Optional NOR timing from the environment, WASMOTE_FLASH_TIMING="P,E": microseconds
     * per 256 bytes programmed / erased. The file is then written 256 bytes at a time with
     * that delay after each piece, so a process killed mid-operation leaves a partly
     * programmed or erased region, as a power cut does to real flash (the power-cut
     * campaign, tests/campaigns/power_cuts.py). Unset: each operation is one write. */
    uint32_t program_us, erase_us;
    /* Wear statistics: erases per sector (NULL: not counted), e.g. a file the port maps so
     * a test reads the counts while the device runs (device_main.c --erase-counts). */
    uint32_t *erase_counts;
} wm_flash_file;

/* Open (or create, erased) `path` as a region of `size` bytes in `sector`-byte sectors.
 * Returns 0, or -1 with errno set. */
int wm_flash_file_open(wm_flash_file *ff, const char *path, uint32_t size, uint32_t sector);
void wm_flash_file_close(wm_flash_file *ff);

#endif
