/* The portable firmware main every port calls: banner, boot self-test of the interpreter,
 * then the device (core/device/device.h) on the UART: module store and config area in the
 * board's store region, the supervisor running modules in the free RAM, the watchdog. */
#include <stddef.h>
#include <stdint.h>

#include "aot/aot.h"
#include "console.h"
#include "device/device.h"
#if WM_PREDECODE
#include "runtime/wm_pd.h"
/* modules run pre-decoded from a form stored beside them (docs/predecoded.md) */
static const wm_sup_pd_ops g_pd_ops = {wm_pd_translate_kept, wm_pd_attach};
#endif
#include "selftest.h"
#include "version.h"
#include "wasmote_port.h"

/* Config area at the end of the store region (keys, pins, crash counts, module kv data). */
#ifndef WM_KV_SIZE
#define WM_KV_SIZE (64u * 1024u)
#endif
/* A firmware hang longer than this resets the board. */
#define WM_WATCHDOG_MS 2000u
/* Budget of one RUN call (fuel units: function entries and loop iterations). */
#define WM_RUN_FUEL 2000000u

static wm_device g_dev; /* the one place device state lives */

static void wm_banner(const wm_port_info *info)
{
    wm_con_puts("wasmote " WM_FIRMWARE_VERSION " board=");
    wm_con_puts(info->board);
    wm_con_puts(" cpu=");
    wm_con_puts(info->cpu);
    wm_con_puts(" clock=");
    wm_con_dec(info->clock_hz);
    wm_con_puts(" ram_free=");
    wm_con_dec(info->ram_free_size);
    wm_con_puts(" store=");
    wm_con_dec(info->store_size);
    wm_con_puts(" runtime=yes\r\n");
}

/* Hosts wait for this line before their first request (bytes that reach the UART while
 * the board boots are lost): device/protocol.py BOOT_READY_LINE. */
static const char k_ready_line[] = "ready\r\n";

void wm_app_main(void)
{
    const wm_port_info *info = wm_port_board_info();
    size_t retained_size = 0;
    void *retained = wm_port_retained(&retained_size);

    wm_con_puts("\r\n");
    wm_banner(info);
    (void)wm_selftest_run(info->ram_free, info->ram_free_size);
    wm_device_config c = {
        .read_byte = wm_port_uart_read,
        .write = wm_port_uart_write,
        .idle = wm_port_idle,
        .reset = wm_port_reset,
        .millis = wm_port_millis,
        .kick = wm_port_watchdog_kick,
        .board = info->board,
        .firmware_version = "wasmote " WM_FIRMWARE_VERSION,
        .flash = wm_port_flash(), /* NULL: NOR flash emulated over RAM (QEMU) */
        .store_mem = info->store,
        .store_size = (uint32_t)info->store_size,
        .store_sector = info->store_sector,
        .kv_size = WM_KV_SIZE,
        .ram = info->ram_free,
        .ram_size = info->ram_free_size,
        .run_fuel = WM_RUN_FUEL,
        .gpio = wm_port_gpio(),
        .periph = wm_port_periph(),
        .retained = retained_size >= sizeof(wm_sup_retained) ? retained : NULL,
        .reset_cause = wm_port_reset_cause(),
        .aot_arch = WM_AOT_ARCH_SELF, /* native code of this CPU, from signed packages */
        .aot_abi = WM_AOT_ABI_VERSION,
        /* unprivileged under the MPU where the port set that up (docs/aot.md) */
        .aot_attach = WM_AOT_ARCH_SELF == 0     ? NULL
                      : wm_aot_isolation() != 0 ? wm_aot_attach_isolated
                                                : wm_aot_attach,
        .aot_attach_committed = WM_AOT_ARCH_SELF == 0     ? NULL
                                : wm_aot_isolation() != 0 ? wm_aot_attach_isolated_committed
                                                          : wm_aot_attach_committed,
        .aot_isolated = WM_AOT_ARCH_SELF != 0 && wm_aot_isolation() != 0,
        .entropy = wm_port_entropy,
#if WM_PREDECODE
        .pd = &g_pd_ops,
#endif
    };
    wm_port_watchdog_start(WM_WATCHDOG_MS);
    wm_con_puts(k_ready_line);
    if (wm_device_boot(&g_dev, &c) != 0) {
        wm_con_puts("panic: module store unusable (flash geometry)\r\n");
        for (;;) {
            wm_port_watchdog_kick(); /* permanent: do not boot-loop, stay silent */
            wm_port_idle();
        }
    }
    for (;;) {
        wm_port_watchdog_kick();
        if (!wm_device_poll(&g_dev)) {
            wm_port_idle();
        }
    }
}
