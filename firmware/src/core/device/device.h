/* The whole device side in one struct, for a firmware main: the flash region split into
 * the module store and the config area (key-value store: keys, pins, crash counts, module
 * data), the wire protocol, and the supervisor that runs the modules. A firmware main does:
 *
 *     static wm_device dev;                  // the one place device state lives
 *     wm_device_config c = {...};            // port functions, flash region, RAM pool
 *     if (wm_device_boot(&dev, &c) != 0) ... // mount, autostart modules
 *     for (;;) { if (!wm_device_poll(&dev)) idle(); }
 *
 * The callbacks take no context because a port's UART functions are plain functions. */
#ifndef WM_DEVICE_H
#define WM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../protocol/protocol.h"
#include "../sandbox/kv.h"
#include "../store/flash_ram.h"
#include "../store/flash_window.h"
#include "../supervisor/supervisor.h"

typedef struct {
    int (*read_byte)(void);                          /* next byte, or -1 if none waiting */
    size_t (*write)(const uint8_t *buf, size_t len); /* accepts what it can now */
    void (*idle)(void);                              /* wait a little (NULL: spin) */
    void (*reset)(void);                             /* does not return (NULL: no RESET) */
    uint32_t (*millis)(void);                        /* monotonic milliseconds */
    void (*kick)(void);                              /* feed the watchdog (NULL: none) */
    const char *board;
    const char *firmware_version;
    const wm_flash_ops *flash; /* a real flash driver for the region, or NULL to emulate
                                   NOR flash over store_mem (QEMU) */
    uint8_t *store_mem;
    uint32_t store_size; /* the whole region: store, then the config area */
    uint32_t store_sector;
    uint32_t kv_size; /* config area at the end of the region: whole sectors, at
                                   least 2 (0: none; then no keys, pins, kv or crash counts) */
    uint8_t *ram;     /* module RAM pool */
    size_t ram_size;
    uint64_t run_fuel;           /* budget of one RUN call */
    const wm_gpio_ops *gpio;     /* board pins (NULL: none) */
    const wm_periph_ops *periph; /* board buses and channels for modules (NULL: none) */
    wm_sup_retained *retained;   /* RAM kept across resets (NULL: resets not attributed) */
    uint32_t kv_endurance;       /* erase cycles the config area's flash takes (0: 10000) */
    uint32_t kv_lifetime_h;      /* hours it must last (0: ten years) */
    uint32_t reset_cause;        /* WM_RESET_* of this boot */
    uint8_t aot_arch;            /* native code this firmware runs (WM_AOT_*), 0 = none */
    uint16_t aot_abi;
    wm_err (*aot_attach)(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                         uint16_t abi, wm_error *err); /* core/aot's wm_aot_attach, or NULL */
    const wm_sup_pd_ops *pd; /* the pre-decoder (wm_sup_config.pd), or NULL: in place */
    /* aot_attach without the module's SHA-256, for loading committed images (core/aot's
     * wm_aot_attach_committed / _isolated_committed); NULL: aot_attach */
    wm_err (*aot_attach_committed)(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                                   uint16_t abi, wm_error *err);
    uint8_t aot_isolated; /* 1: aot_attach isolates native code with the MPU (core/aot's
                                   wm_aot_attach_isolated; INFO reports "aot-mpu") */
    /* The board's entropy (wasmote_port.h wm_port_entropy): fills buf, returns
     * WM_RANDOM_HARDWARE, WM_RANDOM_SEEDED (jitter only) or <0. NULL: none (then only a
     * seed kept in the config area seeds the device's random numbers). */
    int (*entropy)(uint8_t *buf, size_t len);
    uint8_t aot_unsigned;              /* host only (wasmote exec): run unsigned native code too */
    bool (*realtime_ns)(uint64_t *ns); /* wall clock; NULL = none (realtime counts from boot) */
    /* A separate flash for the config area (kv_size bytes at its start), e.g. a file the
     * host keeps between runs; NULL = the end of the store region. */
    const wm_flash_ops *kv_flash;
    uint32_t log_byte_fuel; /* fuel per byte of a module's log line (0: the default; a
                                   port with a slow line charges what a byte takes to send) */
} wm_device_config;

typedef struct {
    wm_device_config cfg;
    wm_flash_ram flash_ram;
    wm_flash_window store_win, kv_win;
    wm_store store;
    wm_kv kv;
    bool have_kv;
    wm_supervisor sup;
    wm_protocol_runner ops;
    wm_protocol proto;
    uint32_t rx_bytes; /* bytes received so far (diagnostics, and poll's return value) */
} wm_device;

/* Mount the store and config area, start the protocol and the supervisor (autostart).
 * 0, a WM_STORE_* error, or WM_E_IO/WM_E_INVAL from the config area. */
int wm_device_boot(wm_device *d, const wm_device_config *cfg);
/* Handle the bytes waiting on the UART and give one module a slice. Returns true if there
 * was anything to do (do not idle then). */
bool wm_device_poll(wm_device *d);

#endif
