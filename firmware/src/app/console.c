#include "console.h"

#include "wasmote_port.h"

void wm_con_write(const uint8_t *buf, size_t len)
{
    while (len > 0) {
        size_t n = wm_port_uart_write(buf, len);
        buf += n;
        len -= n;
    }
}

void wm_con_puts(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    wm_con_write((const uint8_t *)s, n);
}

void wm_con_dec(uint64_t v)
{
    uint8_t buf[20];
    size_t i = sizeof buf;
    do {
        /* 64-bit division is a libgcc call on 32-bit cores; fine outside hot paths */
        buf[--i] = (uint8_t)('0' + (unsigned)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    wm_con_write(buf + i, sizeof buf - i);
}

void wm_con_hex(uint64_t v, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t buf[18];
    unsigned i;
    if (digits > 16u) {
        digits = 16u;
    }
    buf[0] = '0';
    buf[1] = 'x';
    for (i = 0; i < digits; i++) {
        buf[2u + i] = (uint8_t)hex[(v >> (4u * (digits - 1u - i))) & 0xFu];
    }
    wm_con_write(buf, 2u + digits);
}
