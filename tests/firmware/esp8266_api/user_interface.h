/* See Arduino.h in this folder: declarations from the ESP8266 NONOS SDK's user_interface.h
 * (which the Arduino core ships). */
#ifndef WM_TEST_USER_INTERFACE_H
#define WM_TEST_USER_INTERFACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
enum rst_reason {
    REASON_DEFAULT_RST = 0,
    REASON_WDT_RST = 1,
    REASON_EXCEPTION_RST = 2,
    REASON_SOFT_WDT_RST = 3,
    REASON_SOFT_RESTART = 4,
    REASON_DEEP_SLEEP_AWAKE = 5,
    REASON_EXT_SYS_RST = 6
};
struct rst_info {
    uint32_t reason, exccause, epc1, epc2, epc3, excvaddr, depc;
};
#define NULL_MODE 0x00
struct rst_info *system_get_rst_info(void);
void system_restart(void);
void system_soft_wdt_feed(void);
uint32_t system_get_free_heap_size(void);
bool wifi_set_opmode_current(uint8_t opmode);
int os_get_random(unsigned char *buf, size_t len);
#endif
