/* The whole device side in one struct, for a firmware main: store (on a RAM-emulated or
 * real flash), protocol, runner. A port-facing app main does:
 *
 *     static wm_device dev;                  // ~10 KiB, the one place device state lives
 *     wm_device_config c = {...};            // port functions, store region, RAM arena
 *     if (wm_device_boot(&dev, &c) != 0) ... // mount, autostart modules
 *     for (;;) { if (!wm_device_poll(&dev)) idle(); }
 *
 * The callbacks take no context because a port's UART functions are plain functions. */
#ifndef WM_DEVICE_H
#define WM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../store/flash_ram.h"
#include "protocol.h"
#include "runner.h"

typedef struct {
    int (*read_byte)(void);                          /* next byte, or -1 if none waiting */
    size_t (*write)(const uint8_t *buf, size_t len); /* accepts what it can now */
    void (*idle)(void);                              /* wait a little (NULL: spin) */
    void (*reset)(void);                             /* does not return (NULL: no RESET) */
    const char *board;
    const char *firmware_version;
    const wm_flash_ops *flash;  /* a real flash driver, or NULL to emulate over store_mem */
    uint8_t *store_mem;
    uint32_t store_size;
    uint32_t store_sector;
    uint8_t *ram;               /* arena for running modules */
    size_t ram_size;
    uint64_t fuel;              /* per call */
} wm_device_config;

typedef struct {
    wm_device_config cfg;
    wm_flash_ram flash_ram;
    wm_store store;
    wm_runner runner;
    wm_protocol_runner runner_ops;
    wm_protocol proto;
    uint32_t rx_bytes; /* bytes received so far (diagnostics, and poll's return value) */
} wm_device;

/* Mount the store, start the protocol, run autostart modules. 0 or a WM_STORE_* error. */
int wm_device_boot(wm_device *d, const wm_device_config *cfg);
/* Handle the bytes waiting on the UART and give a background module (START) one slice.
 * Returns true if there was anything to do (do not idle then). */
bool wm_device_poll(wm_device *d);

#endif
