/* bare_console.h - text out of a bare-metal bench or test image over the port's UART (the
 * images of bench/bare_image.py have no console of their own). Header-only: each image is
 * one main file. */
#ifndef WM_BARE_CONSOLE_H
#define WM_BARE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "wasmote_port.h"

static inline void bare_write(const char *s, size_t n)
{
    while (n > 0) {
        size_t w = wm_port_uart_write((const uint8_t *)s, n);
        s += w;
        n -= w;
    }
}

static inline void bare_put(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') n++;
    bare_write(s, n);
}

static inline void bare_put_u32(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    bare_put(buf + i);
}

#endif
