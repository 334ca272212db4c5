/* The portable firmware main every port calls: banner, boot self-test, then the serial
 * loop. Until the device protocol lands, the loop answers line commands: `ping` -> `pong`,
 * `info` -> the banner again, `reset`. */
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "selftest.h"
#include "version.h"
#include "wasmote_port.h"

#define WM_LINE_MAX 80u

typedef struct wm_line {
    uint8_t buf[WM_LINE_MAX];
    size_t len;
    int overflow; /* the current line is too long and is being discarded */
} wm_line;

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
#ifdef WM_HAVE_RUNTIME
    wm_con_puts(" runtime=yes\r\n");
#else
    wm_con_puts(" runtime=no\r\n");
#endif
}

static int wm_line_is(const wm_line *l, const char *word)
{
    size_t i = 0;
    while (word[i] != '\0') {
        if (i >= l->len || l->buf[i] != (uint8_t)word[i]) {
            return 0;
        }
        i++;
    }
    return i == l->len;
}

static void wm_line_command(const wm_line *l, const wm_port_info *info)
{
    if (l->len == 0) {
        return;
    }
    if (wm_line_is(l, "ping")) {
        wm_con_puts("pong\r\n");
    } else if (wm_line_is(l, "info")) {
        wm_banner(info);
    } else if (wm_line_is(l, "reset")) {
        wm_con_puts("resetting\r\n");
        wm_port_reset();
    } else {
        wm_con_puts("error unknown command\r\n");
    }
}

void wm_app_main(void)
{
    const wm_port_info *info = wm_port_board_info();
    wm_line line;

    wm_con_puts("\r\n");
    wm_banner(info);
    (void)wm_selftest_run(info->ram_free, info->ram_free_size);
    wm_con_puts("ready\r\n");

    line.len = 0;
    line.overflow = 0;
    for (;;) {
        int c = wm_port_uart_read();
        if (c < 0) {
            wm_port_idle();
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (line.overflow) {
                wm_con_puts("error line too long\r\n");
            } else {
                wm_line_command(&line, info);
            }
            line.len = 0;
            line.overflow = 0;
        } else if (line.len < WM_LINE_MAX) {
            line.buf[line.len++] = (uint8_t)c;
        } else {
            line.overflow = 1;
        }
    }
}
