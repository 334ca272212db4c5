/* Firmware main of the spec-test images (env *-spectest): the harness's portable spec driver
 * (src/testing/spec_driver.h) speaking its line protocol over the board's UART, modules sent
 * inline as hex. The host judges the answers (tests/firmware/test_firmware_spectest.py). */
#include <stddef.h>
#include <stdint.h>

#include "aot.h"
#include "app/console.h"
#include "testing/spec_driver.h"
#include "wasmote_port.h"

/* One command line; a module travels inline as hex, and AOT packages are larger than the
 * bare modules (the biggest of the device subset, br_table's, is about 70 KB). */
#define WM_SPECTEST_LINE_MAX (256u * 1024u)

/* Blocks for one line; drops '\r'. Over-long lines are consumed and reported as -2. */
static long wm_uart_read_line(void *ctx, char *buf, size_t cap)
{
    size_t n = 0;
    int overflow = 0;
    (void)ctx;
    for (;;) {
        int c = wm_port_uart_read();
        if (c < 0) {
            wm_port_idle();
            continue;
        }
        if (c == '\n') {
            break;
        }
        if (c == '\r') {
            continue;
        }
        if (n + 1u < cap) {
            buf[n++] = (char)c;
        } else {
            overflow = 1;
        }
    }
    buf[n] = '\0';
    return overflow ? -2 : (long)n;
}

static void wm_uart_write(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    wm_con_write((const uint8_t *)data, len);
}

void wm_app_main(void)
{
    const wm_port_info *info = wm_port_board_info();
    wm_spec_driver driver;
    wm_sd_io io;
    char *line = (char *)info->ram_free;
    uint8_t *arena = info->ram_free + WM_SPECTEST_LINE_MAX;
    size_t arena_size = info->ram_free_size - WM_SPECTEST_LINE_MAX;

    io.ctx = 0;
    io.read_line = wm_uart_read_line;
    io.write = wm_uart_write;
    io.module_bytes = wm_sd_hex_module_bytes;
    wm_con_puts("\r\nwasmote-spectest board=");
    wm_con_puts(info->board);
    wm_con_puts(" arena=");
    wm_con_dec(arena_size);
    wm_con_puts("\r\n");
    if (wm_sd_init(&driver, &io, arena, arena_size) != WM_OK) {
        wm_con_puts("error driver init failed\r\n");
        for (;;) {
            wm_port_idle();
        }
    }
    /* packages: their AOT code for this CPU runs in place (RAM is executable here) */
    driver.load = wm_sd_load_package;
    wm_con_puts("aot=");
    wm_con_dec(WM_AOT_ARCH_SELF);
    wm_con_puts(" abi=");
    wm_con_dec(WM_AOT_ABI_VERSION);
    wm_con_puts(" mpu="); /* native code isolated by the MPU (PMSA version), 0 = not */
    wm_con_dec((uint32_t)wm_aot_isolation());
    wm_con_puts("\r\n");
    wm_con_puts("ready\r\n");
    wm_sd_run(&driver, line, WM_SPECTEST_LINE_MAX);
    wm_port_reset();
}
