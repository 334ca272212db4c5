/* ESP32 port (env esp32dev, PlatformIO platform espressif32 + ESP-IDF): UART0 through the
 * IDF driver, esp_timer milliseconds, the module store in the `wasmote` data partition
 * (memory-mapped), one RAM block for the runtime's arenas taken at boot. Needs PlatformIO's
 * registry to build; it cannot be built or run here. */
#include <stddef.h>
#include <stdint.h>

#include "driver/uart.h"
#include "esp_heap_caps.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "wasmote_port.h"

#define WM_UART UART_NUM_0
#define WM_ARENA_RESERVE (32u * 1024u) /* left to IDF (Wi-Fi off, but tasks need heap) */

static wm_port_info wm_info;

int wm_port_uart_read(void)
{
    uint8_t b;
    return uart_read_bytes(WM_UART, &b, 1, 0) == 1 ? (int)b : -1;
}

size_t wm_port_uart_write(const uint8_t *buf, size_t len)
{
    int n = uart_write_bytes(WM_UART, (const char *)buf, len);
    return n > 0 ? (size_t)n : 0u;
}

uint32_t wm_port_millis(void) { return (uint32_t)(esp_timer_get_time() / 1000); }

void wm_port_idle(void) { vTaskDelay(1); }

void wm_port_reset(void) { esp_restart(); }

const wm_port_info *wm_port_board_info(void) { return &wm_info; }

void app_main(void)
{
    const esp_partition_t *part;
    size_t block;

    uart_driver_install(WM_UART, 4096, 4096, 0, NULL, 0);

    wm_info.board = "esp32dev";
    wm_info.cpu = "xtensa-lx6";
    wm_info.clock_hz = 240000000u;
    block = heap_caps_get_largest_free_block(MALLOC_CAP_8BIT);
    block = block > WM_ARENA_RESERVE ? block - WM_ARENA_RESERVE : 0u;
    wm_info.ram_free = heap_caps_malloc(block, MALLOC_CAP_8BIT);
    wm_info.ram_free_size = wm_info.ram_free != NULL ? block : 0u;

    part = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY,
                                    "wasmote");
    if (part != NULL) {
        const void *map = NULL;
        esp_partition_mmap_handle_t handle;
        if (esp_partition_mmap(part, 0, part->size, ESP_PARTITION_MMAP_DATA, &map, &handle) ==
            ESP_OK) {
            wm_info.store = (uint8_t *)(uintptr_t)map;
            wm_info.store_size = part->size;
        }
    }
    wm_info.store_sector = 4096u;
    wm_app_main();
}
