/* Text output on the port's UART for the firmware main (banner, self-test, line replies).
 * No libc on the device, so the few number formats needed are here. */
#ifndef WM_APP_CONSOLE_H
#define WM_APP_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void wm_con_write(const uint8_t *buf, size_t len); /* blocks until all bytes are queued */
void wm_con_puts(const char *s);
void wm_con_dec(uint64_t v);
void wm_con_hex(uint64_t v, unsigned digits); /* "0x" + exactly `digits` hex digits */

#endif /* WM_APP_CONSOLE_H */
