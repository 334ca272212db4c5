#define _POSIX_C_SOURCE 200809L

#include "flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int ff_write_back(wm_flash_file *ff, uint32_t addr, uint32_t len, uint32_t us)
{
    uint32_t done = 0;
    while (done < len) {
        /* with NOR timing: one 256-byte piece, then its delay */
        uint32_t piece = us != 0 && len - done > 256u ? 256u : len - done;
        ssize_t n = pwrite(ff->fd, ff->mem + addr + done, piece, (off_t)(addr + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        done += (uint32_t)n;
        if (us != 0) {
            struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
    }
    return 0;
}

static int ff_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    wm_flash_file *ff = ctx;
    if (addr > ff->ops.size || len > ff->ops.size - addr) {
        return -1;
    }
    memcpy(buf, ff->mem + addr, len);
    return 0;
}

static int ff_erase(void *ctx, uint32_t addr)
{
    wm_flash_file *ff = ctx;
    if (addr % ff->ops.sector_size != 0 || addr >= ff->ops.size) {
        return -1;
    }
    memset(ff->mem + addr, 0xFF, ff->ops.sector_size);
    if (ff->erase_counts != NULL) {
        ff->erase_counts[addr / ff->ops.sector_size]++;
    }
    return ff_write_back(ff, addr, ff->ops.sector_size, ff->erase_us);
}

static int ff_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    wm_flash_file *ff = ctx;
    if (addr > ff->ops.size || len > ff->ops.size - addr) {
        return -1;
    }
    for (uint32_t i = 0; i < len; i++) {
        ff->mem[addr + i] &= buf[i]; /* NOR: programming only clears bits */
    }
    return ff_write_back(ff, addr, len, ff->program_us);
}

int wm_flash_file_open(wm_flash_file *ff, const char *path, uint32_t size, uint32_t sector)
{
    ff->fd = open(path, O_RDWR | O_CREAT, 0644);
    if (ff->fd < 0) {
        return -1;
    }
    ff->mem = malloc(size);
    if (ff->mem == NULL) {
        close(ff->fd);
        return -1;
    }
    memset(ff->mem, 0xFF, size);
    struct stat sb;
    if (fstat(ff->fd, &sb) == 0 && sb.st_size > 0) {
        /* An existing image of another size is read as far as it goes: the rest is erased. */
        ssize_t n = pread(ff->fd, ff->mem, size, 0);
        (void)n;
    }
    ff->program_us = ff->erase_us = 0;
    ff->erase_counts = NULL;
    const char *timing = getenv("WASMOTE_FLASH_TIMING");
    if (timing != NULL) {
        char *end;
        ff->program_us = (uint32_t)strtoul(timing, &end, 10);
        ff->erase_us = *end == ',' ? (uint32_t)strtoul(end + 1, NULL, 10) : 0u;
    }
    if (ftruncate(ff->fd, (off_t)size) != 0 || ff_write_back(ff, 0, size, 0) != 0) {
        free(ff->mem);
        close(ff->fd);
        return -1;
    }
    ff->ops.ctx = ff;
    ff->ops.sector_size = sector;
    ff->ops.size = size;
    ff->ops.mapped = ff->mem;
    ff->ops.read = ff_read;
    ff->ops.erase = ff_erase;
    ff->ops.program = ff_program;
    return 0;
}

void wm_flash_file_close(wm_flash_file *ff)
{
    free(ff->mem);
    close(ff->fd);
}
