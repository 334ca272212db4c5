/* ESP32 DevKit: what modules may be granted (core/periph/periph_ops.h), through ESP-IDF's
 * drivers (boards/esp32dev.json "peripherals" says the same; tests compare them):
 *
 * - I2C bus 0: I2C_NUM_0 on GPIO21 (SDA) / GPIO22 (SCL), 100 kHz, internal pull-ups. The
 *   driver's write, read and write-read calls are whole transactions (repeated START in
 *   the last); every call has a timeout, and the driver frees a stuck bus itself.
 * - SPI bus 0: SPI3_HOST (VSPI) on GPIO18 (SCK), GPIO19 (MISO), GPIO23 (MOSI); chip
 *   select 0 is GPIO5, mode 0, 1 MHz, polling transactions.
 * - UART 0 ("uart2"): UART_NUM_2 on GPIO17 (TX) / GPIO16 (RX), 115200 8N1, the IDF
 *   driver's interrupt-filled receive ring.
 * - ADC channels 0, 1 ("gpio34", "gpio35"): ADC1 channels 6 and 7 (input-only pins,
 *   usable with Wi-Fi on), 12 bits, 11/12 dB attenuation (about 0..3.1 V).
 * - PWM 0 ("gpio25"): LEDC low-speed channel 0 on timer 0, 10-bit duty, up to 40 kHz.
 *
 * Needs PlatformIO's registry (espressif32, ESP-IDF 5.x) to build: NOT compiled here;
 * written against the ESP-IDF 5.x API reference. */
#include <stdbool.h>
#include <stdint.h>

#include "driver/i2c.h"
#include "driver/ledc.h"
#include "driver/spi_master.h"
#include "driver/uart.h"
#include "esp_adc/adc_oneshot.h"
#include "esp_idf_version.h"
#include "freertos/FreeRTOS.h"
#include "periph_ops.h"
#include "sb_api.h"
#include "wasmote_port.h"

/* boards/esp32dev.json peripherals.names, as the QEMU builder would pass it */
#define WM_PERIPH_NAMES "uart2=uart:0,gpio34=adc:0,gpio35=adc:1,gpio25=pwm:0"
#define WM_I2C_PORT I2C_NUM_0
#define WM_I2C_SDA GPIO_NUM_21
#define WM_I2C_SCL GPIO_NUM_22
#define WM_I2C_HZ 100000u
#define WM_I2C_TIMEOUT_MS 30 /* a 64-byte transaction (6 ms) plus 25 ms of stretching */
#define WM_SPI_HOST SPI3_HOST
#define WM_SPI_SCK GPIO_NUM_18
#define WM_SPI_MISO GPIO_NUM_19
#define WM_SPI_MOSI GPIO_NUM_23
#define WM_SPI_CS0 GPIO_NUM_5
#define WM_SPI_HZ 1000000u
#define WM_AUX_UART UART_NUM_2
#define WM_AUX_TX GPIO_NUM_17
#define WM_AUX_RX GPIO_NUM_16
#define WM_AUX_BAUD 115200
#define WM_AUX_RX_BUF 512
#define WM_PWM_GPIO GPIO_NUM_25
#define WM_PWM_MAX_HZ 40000u /* 80 MHz APB / 2^10 steps / 2, with margin */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 2, 0)
#define WM_ADC_ATTEN ADC_ATTEN_DB_12
#else
#define WM_ADC_ATTEN ADC_ATTEN_DB_11
#endif

static const adc_channel_t wm_adc_channels[] = {ADC_CHANNEL_6, ADC_CHANNEL_7};
#define WM_ADC_COUNT (sizeof wm_adc_channels / sizeof wm_adc_channels[0])

static spi_device_handle_t wm_spi_dev;
static adc_oneshot_unit_handle_t wm_adc;
static bool wm_i2c_ok, wm_spi_ok, wm_aux_ok, wm_adc_ok, wm_pwm_ok;

static int from_esp(esp_err_t e)
{
    switch (e) {
    case ESP_OK: return 0;
    case ESP_ERR_TIMEOUT: return WM_E_TIMEOUT;
    case ESP_FAIL: return WM_E_NACK; /* the legacy driver's answer to an unacknowledged byte */
    case ESP_ERR_INVALID_ARG: return WM_E_INVAL;
    default: return WM_E_IO;
    }
}

static int i2c_xfer(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *w, uint32_t wn,
                    uint8_t *r, uint32_t rn)
{
    const TickType_t t = pdMS_TO_TICKS(WM_I2C_TIMEOUT_MS);
    (void)ctx;
    if (bus != 0 || !wm_i2c_ok) return bus != 0 ? WM_E_INVAL : WM_E_IO;
    const uint8_t a = (uint8_t)addr;
    if (wn > 0 && rn > 0)
        return from_esp(i2c_master_write_read_device(WM_I2C_PORT, a, w, wn, r, rn, t));
    if (rn > 0) return from_esp(i2c_master_read_from_device(WM_I2C_PORT, a, r, rn, t));
    return from_esp(i2c_master_write_to_device(WM_I2C_PORT, a, w, wn, t));
}

static int spi_xfer(void *ctx, uint32_t bus, uint32_t cs, const uint8_t *tx, uint8_t *rx,
                    uint32_t n)
{
    (void)ctx;
    if (bus != 0 || cs != 0) return WM_E_INVAL;
    if (!wm_spi_ok) return WM_E_IO;
    spi_transaction_t t = {.length = n * 8u, .tx_buffer = tx, .rx_buffer = rx};
    return from_esp(spi_device_polling_transmit(wm_spi_dev, &t));
}

static int aux_write(void *ctx, uint32_t uart, const uint8_t *buf, uint32_t n)
{
    (void)ctx;
    if (uart != 0) return WM_E_INVAL;
    if (!wm_aux_ok) return WM_E_IO;
    int k = uart_tx_chars(WM_AUX_UART, (const char *)buf, n); /* what fits the FIFO now */
    return k < 0 ? WM_E_IO : k;
}

static int aux_read(void *ctx, uint32_t uart, uint8_t *buf, uint32_t cap)
{
    (void)ctx;
    if (uart != 0) return WM_E_INVAL;
    if (!wm_aux_ok) return WM_E_IO;
    int k = uart_read_bytes(WM_AUX_UART, buf, cap, 0);
    return k < 0 ? WM_E_IO : k;
}

static int aux_ready(void *ctx, uint32_t uart)
{
    size_t n = 0;
    (void)ctx;
    return uart == 0 && wm_aux_ok && uart_get_buffered_data_len(WM_AUX_UART, &n) == ESP_OK && n > 0;
}

static int adc_read(void *ctx, uint32_t ch)
{
    int raw = 0;
    (void)ctx;
    if (ch >= WM_ADC_COUNT) return WM_E_INVAL;
    if (!wm_adc_ok) return WM_E_IO;
    esp_err_t e = adc_oneshot_read(wm_adc, wm_adc_channels[ch], &raw);
    return e == ESP_OK ? raw : from_esp(e);
}

static int pwm_set(void *ctx, uint32_t ch, uint32_t hz, uint32_t duty)
{
    (void)ctx;
    if (ch != 0) return WM_E_INVAL;
    if (hz == 0 || hz > WM_PWM_MAX_HZ) return WM_E_UNSUPPORTED;
    if (!wm_pwm_ok) return WM_E_IO;
    if (ledc_set_freq(LEDC_LOW_SPEED_MODE, LEDC_TIMER_0, hz) != ESP_OK) return WM_E_UNSUPPORTED;
    uint32_t d = (duty * 1024u) >> 16; /* 10-bit */
    if (ledc_set_duty(LEDC_LOW_SPEED_MODE, LEDC_CHANNEL_0, d) != ESP_OK ||
        ledc_update_duty(LEDC_LOW_SPEED_MODE, LEDC_CHANNEL_0) != ESP_OK)
        return WM_E_IO;
    return 0;
}

static const wm_periph_ops wm_periph = {
    .names = WM_PERIPH_NAMES,
    .i2c_buses = 1,
    .spi_buses = 1,
    .spi_cs = 1,
    .uarts = 1,
    .adcs = (uint8_t)WM_ADC_COUNT,
    .pwms = 1,
    .i2c_hz = WM_I2C_HZ,
    .i2c_wait_max_us = WM_I2C_TIMEOUT_MS * 1000u,
    .spi_hz = WM_SPI_HZ,
    .i2c_xfer = i2c_xfer,
    .spi_xfer = spi_xfer,
    .uart_write = aux_write,
    .uart_read = aux_read,
    .uart_ready = aux_ready,
    .adc_read = adc_read,
    .pwm_set = pwm_set,
};

/* Each block that fails to come up answers WM_E_IO; the firmware runs without it. */
void wm_esp32_periph_init(void)
{
    const i2c_config_t i2c = {.mode = I2C_MODE_MASTER,
                              .sda_io_num = WM_I2C_SDA,
                              .scl_io_num = WM_I2C_SCL,
                              .sda_pullup_en = GPIO_PULLUP_ENABLE,
                              .scl_pullup_en = GPIO_PULLUP_ENABLE,
                              .master.clk_speed = WM_I2C_HZ};
    wm_i2c_ok = i2c_param_config(WM_I2C_PORT, &i2c) == ESP_OK &&
                i2c_driver_install(WM_I2C_PORT, I2C_MODE_MASTER, 0, 0, 0) == ESP_OK;

    const spi_bus_config_t bus = {.mosi_io_num = WM_SPI_MOSI,
                                  .miso_io_num = WM_SPI_MISO,
                                  .sclk_io_num = WM_SPI_SCK,
                                  .quadwp_io_num = -1,
                                  .quadhd_io_num = -1,
                                  .max_transfer_sz = WM_SPI_MAX};
    const spi_device_interface_config_t dev = {
        .mode = 0, .clock_speed_hz = WM_SPI_HZ, .spics_io_num = WM_SPI_CS0, .queue_size = 1};
    wm_spi_ok = spi_bus_initialize(WM_SPI_HOST, &bus, SPI_DMA_DISABLED) == ESP_OK &&
                spi_bus_add_device(WM_SPI_HOST, &dev, &wm_spi_dev) == ESP_OK;

    const uart_config_t uart = {.baud_rate = WM_AUX_BAUD,
                                .data_bits = UART_DATA_8_BITS,
                                .parity = UART_PARITY_DISABLE,
                                .stop_bits = UART_STOP_BITS_1,
                                .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
                                .source_clk = UART_SCLK_DEFAULT};
    wm_aux_ok = uart_driver_install(WM_AUX_UART, WM_AUX_RX_BUF, 0, 0, NULL, 0) == ESP_OK &&
                uart_param_config(WM_AUX_UART, &uart) == ESP_OK &&
                uart_set_pin(WM_AUX_UART, WM_AUX_TX, WM_AUX_RX, UART_PIN_NO_CHANGE,
                             UART_PIN_NO_CHANGE) == ESP_OK;

    const adc_oneshot_unit_init_cfg_t unit = {.unit_id = ADC_UNIT_1};
    const adc_oneshot_chan_cfg_t chan = {.atten = WM_ADC_ATTEN, .bitwidth = ADC_BITWIDTH_12};
    wm_adc_ok = adc_oneshot_new_unit(&unit, &wm_adc) == ESP_OK;
    for (uint32_t i = 0; wm_adc_ok && i < WM_ADC_COUNT; i++)
        wm_adc_ok = adc_oneshot_config_channel(wm_adc, wm_adc_channels[i], &chan) == ESP_OK;

    const ledc_timer_config_t timer = {.speed_mode = LEDC_LOW_SPEED_MODE,
                                       .duty_resolution = LEDC_TIMER_10_BIT,
                                       .timer_num = LEDC_TIMER_0,
                                       .freq_hz = 1000,
                                       .clk_cfg = LEDC_AUTO_CLK};
    const ledc_channel_config_t pwm = {.gpio_num = WM_PWM_GPIO,
                                       .speed_mode = LEDC_LOW_SPEED_MODE,
                                       .channel = LEDC_CHANNEL_0,
                                       .timer_sel = LEDC_TIMER_0,
                                       .duty = 0,
                                       .hpoint = 0};
    wm_pwm_ok = ledc_timer_config(&timer) == ESP_OK && ledc_channel_config(&pwm) == ESP_OK;
}

const struct wm_periph_ops *wm_port_periph(void) { return &wm_periph; }
