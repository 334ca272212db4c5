#include "device.h"

static int dev_read(void *ctx, uint8_t *buf, size_t cap)
{
    wm_device *d = ctx;
    size_t n = 0;
    while (n < cap) {
        int c = d->cfg.read_byte();
        if (c < 0) {
            break;
        }
        buf[n++] = (uint8_t)c;
    }
    d->rx_bytes += (uint32_t)n;
    return (int)n;
}

static int dev_write(void *ctx, const uint8_t *buf, size_t len)
{
    wm_device *d = ctx;
    size_t done = 0;
    /* Spin while the transmitter is full: idling could sleep with nothing to wake us. */
    while (done < len) {
        done += d->cfg.write(buf + done, len - done);
    }
    return 0;
}

static void dev_reset(void *ctx)
{
    wm_device *d = ctx;
    d->cfg.reset();
}

int wm_device_boot(wm_device *d, const wm_device_config *cfg)
{
    d->cfg = *cfg;
    d->rx_bytes = 0;
    const wm_flash_ops *flash = cfg->flash;
    if (flash == NULL) {
        if (wm_flash_ram_init(&d->flash_ram, cfg->store_mem, cfg->store_size,
                              cfg->store_sector) != 0) {
            return WM_STORE_EGEOMETRY;
        }
        flash = &d->flash_ram.ops;
    }
    int rc = wm_store_mount(&d->store, flash);
    if (rc != WM_STORE_OK) {
        return rc;
    }
    wm_runner_init(&d->runner, cfg->ram, cfg->ram_size, cfg->fuel);
    wm_runner_ops(&d->runner, &d->runner_ops, &d->store);
    wm_protocol_config pc;
    pc.io.ctx = d;
    pc.io.read = dev_read;
    pc.io.write = dev_write;
    pc.io.reset = cfg->reset != NULL ? dev_reset : NULL;
    pc.store = &d->store;
    pc.firmware_version = cfg->firmware_version;
    pc.board = cfg->board;
    pc.free_ram = (uint32_t)cfg->ram_size;
    pc.runner = &d->runner_ops;
    pc.validate = wm_runner_validate;
    pc.validate_ctx = &d->runner;
    pc.validate_error = wm_runner_validate_error;
    wm_protocol_init(&d->proto, &pc);
    (void)wm_runner_autostart(&d->runner, &d->proto, &d->store);
    return WM_STORE_OK;
}

bool wm_device_poll(wm_device *d)
{
    uint32_t before = d->rx_bytes;
    (void)wm_protocol_poll(&d->proto);
    bool running = wm_runner_step(&d->runner, &d->proto);
    return d->rx_bytes != before || running;
}
