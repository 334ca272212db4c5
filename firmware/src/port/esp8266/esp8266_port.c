/* ESP8266 port (env esp8266: PlatformIO platform espressif8266, Arduino core 3.x; a
 * NodeMCU / ESP-12E module, 4 MB flash). Thin over the core's C APIs: UART0 through its
 * driver (uart.h; receive ring filled by its interrupt), millis(), the SDK's reset reason,
 * system_restart, the SDK's watchdogs (fed by wm_port_watchdog_kick),
 * GPIO2 (the module's blue LED, active low) and GPIO0 (FLASH button) as led0/button0.
 *
 * The store is RAM (wm_port_flash() is NULL: the firmware emulates NOR flash over it): the
 * ESP8266 cannot map flash for data reads of any width (its cache reads 32-bit words only
 * and the SDKs offer no partition mmap), while the runtime runs modules in place from a
 * mapped store. So modules are pushed after each boot and do not survive a reset. AOT is off
 * (WM_AOT_DISABLE in platformio.ini): the LX106 executes only from IRAM or the flash cache,
 * never from data RAM where this store is.
 *
 * Needs PlatformIO's registry to build: not compiled here (see README, "Boards"). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <Arduino.h>
#include <uart.h>
#include <user_interface.h>

#include "port/shared/reset_keep.h"
#include "random/random.h"
#include "sandbox/gpio.h"
#include "wasmote_port.h"

#define WM_BAUD 115200
#define WM_RX_BUF 1024                 /* the driver's receive ring, bytes */
#define WM_STORE_BYTES 24576u          /* boards/esp8266.json memory.store.size */
#define WM_STORE_SECTOR_BYTES 4096u    /* boards/esp8266.json memory.store.sector */
#define WM_ARENA_RESERVE (12u * 1024u) /* heap left to the core (Wi-Fi off) */
#define WM_LED_GPIO 2
#define WM_BUTTON_GPIO 0

static wm_port_info wm_info;
static uart_t *wm_uart;

/* Survives a reset but power-on: .noinit is neither loaded nor zeroed by the core's start-up
 * (the Arduino core's linker script keeps such a section in DRAM). */
static wm_keep wm_kept __attribute__((section(".noinit")));
static uint32_t wm_boot_cause;

int wm_port_uart_read(void)
{
    return uart_rx_available(wm_uart) > 0 ? uart_read_char(wm_uart) : -1;
}

size_t wm_port_uart_write(const uint8_t *buf, size_t len)
{
    size_t room = uart_tx_free(wm_uart); /* the hardware FIFO: no waiting */
    size_t n = len < room ? len : room;
    for (size_t i = 0; i < n; i++) {
        uart_write_char(wm_uart, (char)buf[i]);
    }
    return n;
}

uint32_t wm_port_millis(void) { return (uint32_t)millis(); }

/* The SDK's os_get_random reads the ESP8266's random number register, whose noise source
 * is the radio: with Wi-Fi off (this firmware never starts it) its quality is unknown, so
 * it counts as seeding material only, like timing jitter (INFO: "seeded DRBG"). */
int wm_port_entropy(uint8_t *buf, size_t len)
{
    return os_get_random(buf, len) == 0 ? WM_RANDOM_SEEDED : -1;
}

/* The SDK's own tasks (and its watchdog feeding) run when the loop yields. */
void wm_port_idle(void) { delay(1); }

void wm_port_reset(void)
{
    wm_kept.cause = 1u;
    system_restart();
    for (;;) {
        delay(1);
    }
}

uint32_t wm_port_reset_cause(void) { return wm_boot_cause; }

void *wm_port_retained(size_t *size) { return wm_keep_app(&wm_kept, size); }

/* The SDK's software watchdog (about 3.2 s) and the chip's hardware one (about 8 s) are
 * always on and not adjustable: a firmware that neither kicks nor idles that long resets
 * with REASON_SOFT_WDT_RST / REASON_WDT_RST (cause 2). timeout_ms is not honoured. */
void wm_port_watchdog_start(uint32_t timeout_ms) { (void)timeout_ms; }

void wm_port_watchdog_kick(void) { system_soft_wdt_feed(); }

/* ---- GPIO: led0 = GPIO2 (active low), button0 = GPIO0 (active low; 1 while pressed) ---- */

static const char *pin_name(void *ctx, uint32_t pin)
{
    (void)ctx;
    return pin == 0u ? "led0" : (pin == 1u ? "button0" : "");
}

static uint32_t pin_flags(void *ctx, uint32_t pin)
{
    (void)ctx;
    return pin == 0u ? WM_GPIO_OUT : WM_GPIO_IN;
}

static int pin_write(void *ctx, uint32_t pin, int level)
{
    (void)ctx;
    if (pin != 0u) {
        return -1;
    }
    digitalWrite(WM_LED_GPIO, level ? LOW : HIGH);
    return 0;
}

static int pin_read(void *ctx, uint32_t pin)
{
    (void)ctx;
    if (pin == 0u) {
        return digitalRead(WM_LED_GPIO) == LOW;
    }
    return pin == 1u ? digitalRead(WM_BUTTON_GPIO) == LOW : -1;
}

static const wm_gpio_ops wm_gpio = {0, 2u, pin_name, pin_flags, pin_write, pin_read};

const struct wm_gpio_ops *wm_port_gpio(void) { return &wm_gpio; }

/* No buses or channels for modules on this board. */
const struct wm_periph_ops *wm_port_periph(void) { return 0; }

/* The store region is RAM: the firmware emulates NOR flash over it (see the top). */
const struct wm_flash_ops *wm_port_flash(void) { return NULL; }

const wm_port_info *wm_port_board_info(void) { return &wm_info; }

static uint32_t cause_from_sdk(void)
{
    const struct rst_info *r = system_get_rst_info();
    switch (r != NULL ? r->reason : REASON_DEFAULT_RST) {
    case REASON_SOFT_RESTART: return 1u;
    case REASON_WDT_RST:
    case REASON_SOFT_WDT_RST: return 2u;
    case REASON_EXCEPTION_RST: return 3u;
    default: return 0u; /* power-on, deep-sleep wake, external reset */
    }
}

/* Called once from setup() (esp8266_main.cpp). */
void wm_esp8266_start(void);
void wm_esp8266_start(void)
{
    wm_boot_cause = cause_from_sdk();
    wm_keep_start(&wm_kept, wm_boot_cause == 0u || !wm_keep_valid(&wm_kept));
    wifi_set_opmode_current(NULL_MODE); /* no radio: its RAM and time go to the modules */
    wm_uart = uart_init(UART0, WM_BAUD, UART_8N1, UART_FULL, 1, WM_RX_BUF, false);
    pinMode(WM_LED_GPIO, OUTPUT);
    digitalWrite(WM_LED_GPIO, HIGH); /* off */
    pinMode(WM_BUTTON_GPIO, INPUT_PULLUP);

    wm_info.board = "esp8266";
    wm_info.cpu = "lx106";
    wm_info.clock_hz = 80000000u;
    wm_info.store = (uint8_t *)malloc(WM_STORE_BYTES);
    wm_info.store_size = wm_info.store != NULL ? WM_STORE_BYTES : 0u;
    wm_info.store_sector = WM_STORE_SECTOR_BYTES;
    size_t heap = system_get_free_heap_size();
    size_t block = heap > WM_ARENA_RESERVE ? heap - WM_ARENA_RESERVE : 0u;
    wm_info.ram_free = block > 0u ? (uint8_t *)malloc(block) : NULL;
    wm_info.ram_free_size = wm_info.ram_free != NULL ? block : 0u;
    wm_app_main();
}
