#include "flash_window.h"

static int in_window(const wm_flash_window *w, uint32_t addr, uint32_t len)
{
    return addr <= w->ops.size && len <= w->ops.size - addr;
}

static int fw_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    wm_flash_window *w = ctx;
    if (!in_window(w, addr, len)) {
        return -1;
    }
    return w->parent->read(w->parent->ctx, w->offset + addr, buf, len);
}

static int fw_erase(void *ctx, uint32_t addr)
{
    wm_flash_window *w = ctx;
    if (addr >= w->ops.size) {
        return -1;
    }
    return w->parent->erase(w->parent->ctx, w->offset + addr);
}

static int fw_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    wm_flash_window *w = ctx;
    if (!in_window(w, addr, len)) {
        return -1;
    }
    return w->parent->program(w->parent->ctx, w->offset + addr, buf, len);
}

int wm_flash_window_init(wm_flash_window *w, const wm_flash_ops *parent, uint32_t offset,
                         uint32_t size)
{
    uint32_t s = parent->sector_size;
    if (size == 0 || offset % s != 0 || size % s != 0 || offset > parent->size ||
        size > parent->size - offset) {
        return -1;
    }
    w->parent = parent;
    w->offset = offset;
    w->ops.ctx = w;
    w->ops.sector_size = s;
    w->ops.size = size;
    w->ops.mapped = parent->mapped != 0 ? parent->mapped + offset : 0;
    w->ops.read = fw_read;
    w->ops.erase = fw_erase;
    w->ops.program = fw_program;
    return 0;
}
