#include "flash_ram.h"

#include "wm_mem.h"

static int fr_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    wm_flash_ram *f = ctx;
    if (addr > f->ops.size || len > f->ops.size - addr) {
        return -1;
    }
    wm_memcpy(buf, f->base + addr, len);
    return 0;
}

static int fr_erase(void *ctx, uint32_t addr)
{
    wm_flash_ram *f = ctx;
    if (addr >= f->ops.size || addr % f->ops.sector_size != 0) {
        return -1;
    }
    wm_memset(f->base + addr, 0xFF, f->ops.sector_size);
    return 0;
}

static int fr_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    wm_flash_ram *f = ctx;
    if (addr > f->ops.size || len > f->ops.size - addr) {
        return -1;
    }
    for (uint32_t i = 0; i < len; i++) {
        f->base[addr + i] &= buf[i];
    }
    return 0;
}

int wm_flash_ram_init(wm_flash_ram *f, uint8_t *base, uint32_t size, uint32_t sector)
{
    if (sector < 256u || (sector & (sector - 1u)) != 0 || size < sector || size % sector != 0) {
        return -1;
    }
    f->base = base;
    f->ops.ctx = f;
    f->ops.sector_size = sector;
    f->ops.size = size;
    f->ops.mapped = base;
    f->ops.read = fr_read;
    f->ops.erase = fr_erase;
    f->ops.program = fr_program;
    return 0;
}
