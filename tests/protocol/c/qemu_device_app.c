/* A firmware main for the QEMU protocol tests: the board port's UART, store region and RAM
 * handed to wm_device (core/protocol/device.h). It shows the app-side integration is a few
 * lines; the product's app main (src/app) can adopt the same calls. */
#include "protocol/device.h"
#include "wasmote_port.h"

static wm_device g_dev; /* the one place device state lives */

void wm_app_main(void)
{
    const wm_port_info *info = wm_port_board_info();
    wm_device_config c = {
        wm_port_uart_read,
        wm_port_uart_write,
        wm_port_idle,
        wm_port_reset,
        info->board,
        "wasmote-qemu-protocol-test 0.1",
        NULL, /* emulate NOR flash over the store region (RAM under QEMU) */
        info->store,
        (uint32_t)info->store_size,
        info->store_sector,
        info->ram_free,
        info->ram_free_size,
        2000000u,
    };
    if (wm_device_boot(&g_dev, &c) != 0) {
        for (;;) {
            wm_port_idle();
        }
    }
    for (;;) {
        if (!wm_device_poll(&g_dev)) {
            wm_port_idle();
        }
    }
}
