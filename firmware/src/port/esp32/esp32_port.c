/* ESP32 DevKit port (env esp32dev: PlatformIO platform espressif32, ESP-IDF 5.x). Thin over
 * IDF: UART0 through the IDF UART driver (receive ring filled by its interrupt), esp_timer
 * milliseconds, the task watchdog on the firmware's task, esp_reset_reason, retained RAM in
 * RTC slow memory, GPIO2 (on-board LED) and GPIO0 (BOOT button) as led0/button0, and the
 * store region = the `wasmote` data partition: erased and written with esp_partition_*,
 * read in place through its memory map. One RAM block for the runtime's arenas is taken
 * from the heap at boot. Modules' buses and channels are esp32_periph.c. Needs
 * PlatformIO's registry to build: not compiled here. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bootloader_random.h"
#include "driver/gpio.h"
#include "driver/uart.h"
#include "esp_attr.h"
#include "esp_heap_caps.h"
#include "esp_partition.h"
#include "esp_random.h"
#include "esp_system.h"
#include "esp_task_wdt.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "random/random.h"
#include "sandbox/gpio.h"
#include "store/flash.h"
#include "wasmote_port.h"

#define WM_UART UART_NUM_0
#define WM_BAUD 115200
#define WM_RX_BUF 4096                 /* the driver's receive ring, bytes */
#define WM_ARENA_RESERVE (32u * 1024u) /* heap left to IDF (Wi-Fi off, but tasks need heap) */
#define WM_STORE_PARTITION "wasmote"   /* boards/esp32dev.json memory.store.partition */
#define WM_LED_GPIO GPIO_NUM_2
#define WM_BUTTON_GPIO GPIO_NUM_0

static wm_port_info wm_info;

void wm_esp32_periph_init(void);
static bool wm_wdt_on;
static const esp_partition_t *wm_part;
static wm_flash_ops wm_flash;

/* Survives every reset but power-on (RTC slow memory, not initialised by the loader). */
#define WM_KEEP_MAGIC 0x4B505057u /* "WPPK" */
typedef struct {
    uint32_t magic;
    uint32_t app[16];
} wm_keep_t;
static wm_keep_t wm_keep RTC_NOINIT_ATTR;

int wm_port_uart_read(void)
{
    uint8_t b;
    return uart_read_bytes(WM_UART, &b, 1, 0) == 1 ? (int)b : -1;
}

/* No transmit ring: uart_tx_chars fills the hardware FIFO and returns at once, the
 * non-blocking write the port interface asks for. */
size_t wm_port_uart_write(const uint8_t *buf, size_t len)
{
    int n = uart_tx_chars(WM_UART, (const char *)buf, (uint32_t)len);
    return n > 0 ? (size_t)n : 0u;
}

uint32_t wm_port_millis(void) { return (uint32_t)(esp_timer_get_time() / 1000); }

/* The ESP32's hardware RNG. Its bytes are truly random only while the RF subsystem or the
 * SAR ADC entropy source runs: this firmware uses neither radio nor ADC, so it turns the
 * latter on (bootloader_random_enable) before the first use and leaves it on. */
static bool wm_rng_on;

int wm_port_entropy(uint8_t *buf, size_t len)
{
    if (!wm_rng_on) {
        bootloader_random_enable();
        wm_rng_on = true;
    }
    esp_fill_random(buf, len);
    return WM_RANDOM_HARDWARE;
}

void wm_port_idle(void) { vTaskDelay(1); }

void wm_port_reset(void) { esp_restart(); }

uint32_t wm_port_reset_cause(void)
{
    switch (esp_reset_reason()) {
    case ESP_RST_SW: return 1u; /* esp_restart: RESET */
    case ESP_RST_TASK_WDT:
    case ESP_RST_INT_WDT:
    case ESP_RST_WDT: return 2u;
    case ESP_RST_PANIC: return 3u;
    default: return 0u; /* power-on, brown-out, EN pin, deep sleep, unknown */
    }
}

void *wm_port_retained(size_t *size)
{
    *size = sizeof wm_keep.app;
    return wm_keep.app;
}

/* The task watchdog on this task only (not the idle tasks: a busy module may keep the
 * firmware from idling for long, which is fine as long as it kicks). A timeout panics,
 * which resets with ESP_RST_TASK_WDT. IDF usually initialised it at start-up already. */
void wm_port_watchdog_start(uint32_t timeout_ms)
{
    esp_task_wdt_config_t cfg = {
        .timeout_ms = timeout_ms, .idle_core_mask = 0u, .trigger_panic = true};
    if (esp_task_wdt_init(&cfg) == ESP_ERR_INVALID_STATE) {
        (void)esp_task_wdt_reconfigure(&cfg);
    }
    wm_wdt_on = esp_task_wdt_add(NULL) == ESP_OK;
}

void wm_port_watchdog_kick(void)
{
    if (wm_wdt_on) {
        (void)esp_task_wdt_reset();
    }
}

/* ---- GPIO: the DevKit's blue LED (GPIO2, active high) and BOOT button (GPIO0, active
 * low; read as 1 while pressed) ---- */

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
    return gpio_set_level(WM_LED_GPIO, level ? 1u : 0u) == ESP_OK ? 0 : -1;
}

static int pin_read(void *ctx, uint32_t pin)
{
    (void)ctx;
    if (pin == 0u) {
        return gpio_get_level(WM_LED_GPIO); /* input enabled too: reads back the output */
    }
    return pin == 1u ? !gpio_get_level(WM_BUTTON_GPIO) : -1;
}

static const wm_gpio_ops wm_gpio = {0, 2u, pin_name, pin_flags, pin_write, pin_read};

const struct wm_gpio_ops *wm_port_gpio(void) { return &wm_gpio; }

/* ---- the store region: the `wasmote` partition. SPI NOR flash: erase sets a 4 KiB sector
 * to 0xFF, a write only clears bits; IDF flushes the cache of mapped pages it writes. ---- */

static int part_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (addr > wm_flash.size || len > wm_flash.size - addr) {
        return -1;
    }
    if (wm_flash.mapped != NULL) {
        memcpy(buf, wm_flash.mapped + addr, len);
        return 0;
    }
    return esp_partition_read(wm_part, addr, buf, len) == ESP_OK ? 0 : -1;
}

static int part_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    if (addr >= wm_flash.size || addr % wm_flash.sector_size != 0u) {
        return -1;
    }
    esp_err_t err = esp_partition_erase_range(wm_part, addr, wm_flash.sector_size);
    /* tens of ms a sector: a long run of erases (an install, a compaction) would outlast
     * the watchdog, though the firmware is making progress */
    wm_port_watchdog_kick();
    return err == ESP_OK ? 0 : -1;
}

static int part_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (addr > wm_flash.size || len > wm_flash.size - addr) {
        return -1;
    }
    return esp_partition_write(wm_part, addr, buf, len) == ESP_OK ? 0 : -1;
}

const struct wm_flash_ops *wm_port_flash(void) { return wm_part != NULL ? &wm_flash : NULL; }

const wm_port_info *wm_port_board_info(void) { return &wm_info; }

static void wm_board_init(void)
{
    if (esp_reset_reason() == ESP_RST_POWERON || wm_keep.magic != WM_KEEP_MAGIC) {
        memset(wm_keep.app, 0, sizeof wm_keep.app);
        wm_keep.magic = WM_KEEP_MAGIC;
    }

    const uart_config_t uc = {.baud_rate = WM_BAUD,
                              .data_bits = UART_DATA_8_BITS,
                              .parity = UART_PARITY_DISABLE,
                              .stop_bits = UART_STOP_BITS_1,
                              .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
                              .source_clk = UART_SCLK_DEFAULT};
    ESP_ERROR_CHECK(uart_param_config(WM_UART, &uc));
    ESP_ERROR_CHECK(uart_driver_install(WM_UART, WM_RX_BUF, 0, 0, NULL, 0));

    const gpio_config_t led = {.pin_bit_mask = 1ull << WM_LED_GPIO,
                               .mode = GPIO_MODE_INPUT_OUTPUT,
                               .pull_up_en = GPIO_PULLUP_DISABLE,
                               .pull_down_en = GPIO_PULLDOWN_DISABLE,
                               .intr_type = GPIO_INTR_DISABLE};
    const gpio_config_t button = {.pin_bit_mask = 1ull << WM_BUTTON_GPIO,
                                  .mode = GPIO_MODE_INPUT,
                                  .pull_up_en = GPIO_PULLUP_ENABLE,
                                  .pull_down_en = GPIO_PULLDOWN_DISABLE,
                                  .intr_type = GPIO_INTR_DISABLE};
    ESP_ERROR_CHECK(gpio_config(&led));
    ESP_ERROR_CHECK(gpio_config(&button));
    wm_esp32_periph_init(); /* modules' buses (esp32_periph.c): their heap before the arena */

    wm_info.board = "esp32dev";
    wm_info.cpu = "xtensa-lx6";
    wm_info.clock_hz = 240000000u;
    size_t block = heap_caps_get_largest_free_block(MALLOC_CAP_8BIT);
    block = block > WM_ARENA_RESERVE ? block - WM_ARENA_RESERVE : 0u;
    wm_info.ram_free = block > 0u ? heap_caps_malloc(block, MALLOC_CAP_8BIT) : NULL;
    wm_info.ram_free_size = wm_info.ram_free != NULL ? block : 0u;

    /* Without the partition the firmware still boots (no store: the app says so). */
    wm_part = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY,
                                       WM_STORE_PARTITION);
    if (wm_part != NULL) {
        const void *map = NULL;
        esp_partition_mmap_handle_t handle;
        if (esp_partition_mmap(wm_part, 0, wm_part->size, ESP_PARTITION_MMAP_DATA, &map, &handle) !=
            ESP_OK) {
            map = NULL; /* reads go through esp_partition_read instead */
        }
        wm_flash.ctx = NULL;
        wm_flash.sector_size = (uint32_t)wm_part->erase_size;
        wm_flash.size = (uint32_t)wm_part->size;
        wm_flash.mapped = (const uint8_t *)map;
        wm_flash.read = part_read;
        wm_flash.erase = part_erase;
        wm_flash.program = part_program;
        wm_info.store = (uint8_t *)(uintptr_t)map;
        wm_info.store_size = wm_part->size;
        wm_info.store_sector = (uint32_t)wm_part->erase_size;
    }
}

/* IDF's entry point, on the main task (its stack: CONFIG_ESP_MAIN_TASK_STACK_SIZE in
 * sdkconfig.defaults = boards/esp32dev.json memory.stack). */
void app_main(void)
{
    wm_board_init();
    wm_app_main();
}
