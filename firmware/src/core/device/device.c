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
    if (n > 0) { /* when bytes arrive is timing the line adds to the random pool */
        uint32_t t = d->cfg.millis != NULL ? d->cfg.millis() : 0u;
        wm_random_stir(&d->sup.rng, t ^ (d->rx_bytes << 16) ^ buf[0]);
    }
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

static int dev_entropy(void *ctx, uint8_t *buf, size_t len)
{
    const wm_device *d = ctx;
    return d->cfg.entropy(buf, len);
}

static void dev_event(void *ctx, uint8_t ev, const char *module, const char *text, size_t len)
{
    (void)wm_protocol_event(ctx, ev, module, text, len);
}

int wm_device_boot(wm_device *d, const wm_device_config *cfg)
{
    d->cfg = *cfg;
    d->rx_bytes = 0;
    d->have_kv = false;
    const wm_flash_ops *flash = cfg->flash;
    if (flash == NULL) {
        if (wm_flash_ram_init(&d->flash_ram, cfg->store_mem, cfg->store_size, cfg->store_sector) !=
            0) {
            return WM_STORE_EGEOMETRY;
        }
        flash = &d->flash_ram.ops;
    }
    const wm_flash_ops *kv_flash = cfg->kv_flash != NULL ? cfg->kv_flash : flash;
    uint32_t kv = cfg->kv_size;
    uint32_t store_size = cfg->kv_flash != NULL ? flash->size : flash->size - kv;
    if (kv > kv_flash->size || (cfg->kv_flash == NULL && kv >= flash->size) ||
        wm_flash_window_init(&d->store_win, flash, 0, store_size) != 0) {
        return WM_STORE_EGEOMETRY;
    }
    int rc = wm_store_mount(&d->store, &d->store_win.ops);
    if (rc != WM_STORE_OK) {
        return rc;
    }
    if (kv > 0) {
        if (wm_flash_window_init(&d->kv_win, kv_flash, kv_flash->size - kv, kv) != 0) {
            return WM_STORE_EGEOMETRY;
        }
        rc = wm_kv_mount(&d->kv, &d->kv_win.ops);
        if (rc != 0) {
            return rc;
        }
        d->have_kv = true;
    }
    /* The protocol first: booting the supervisor sends events (autostart, traps). */
    wm_protocol_config pc;
    pc.io.ctx = d;
    pc.io.read = dev_read;
    pc.io.write = dev_write;
    pc.io.reset = cfg->reset != NULL ? dev_reset : NULL;
    pc.store = &d->store;
    pc.firmware_version = cfg->firmware_version;
    pc.board = cfg->board;
    pc.free_ram = (uint32_t)cfg->ram_size;
    pc.runner = &d->ops;
    pc.validate = wm_sup_validate;
    pc.validate_ctx = &d->sup;
    pc.millis = cfg->millis;
    pc.kick = cfg->kick;
    wm_protocol_init(&d->proto, &pc);
    wm_sup_protocol_ops(&d->sup, &d->ops);
    wm_sup_config sc;
    sc.ram = cfg->ram;
    sc.ram_size = cfg->ram_size;
    sc.millis = cfg->millis;
    sc.idle = cfg->idle;
    sc.kick = cfg->kick;
    sc.gpio = cfg->gpio;
    sc.periph = cfg->periph;
    sc.kv = d->have_kv ? &d->kv : NULL;
    sc.store = &d->store;
    sc.run_fuel = cfg->run_fuel;
    sc.run_block_ms = 10000u;
    sc.slice_max = 0; /* the supervisor's default */
    sc.log_byte_fuel = cfg->log_byte_fuel;
    sc.aot_arch = cfg->aot_arch;
    sc.aot_abi = cfg->aot_abi;
    sc.aot_attach = cfg->aot_attach;
    sc.aot_attach_committed = cfg->aot_attach_committed;
    sc.pd = cfg->pd;
    sc.aot_isolated = cfg->aot_isolated;
    sc.aot_unsigned = cfg->aot_unsigned;
    sc.retained = cfg->retained;
    sc.kv_endurance = cfg->kv_endurance;
    sc.kv_lifetime_h = cfg->kv_lifetime_h;
    sc.reset_cause = cfg->reset_cause;
    sc.event = dev_event;
    sc.event_ctx = &d->proto;
    sc.entropy = cfg->entropy != NULL ? dev_entropy : NULL;
    sc.entropy_ctx = d;
    sc.realtime_ns = cfg->realtime_ns;
    wm_sup_init(&d->sup, &sc);
    wm_store_on_move(&d->store, wm_sup_store_moving, &d->sup);
    return WM_STORE_OK;
}

bool wm_device_poll(wm_device *d)
{
    uint32_t before = d->rx_bytes;
    (void)wm_protocol_poll(&d->proto);
    bool ran = wm_sup_step(&d->sup);
    return d->rx_bytes != before || ran;
}
