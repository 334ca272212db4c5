/* Host API: peripherals (docs/api.md, "Peripherals"): I2C, SPI, UART, ADC and PWM behind
 * grants down to the bus address, used through per-module handles. The functions are
 * rows of the API table in hostapi.c. */
#ifndef WM_SB_PERIPH_API_H
#define WM_SB_PERIPH_API_H

#include "wasmote.h"

#define WM_PERIPH_API(name) \
    wm_err name(wm_instance *inst, void *user, const wm_val *args, wm_val *results)

WM_PERIPH_API(wm_sb_i2c_open);
WM_PERIPH_API(wm_sb_i2c_write);
WM_PERIPH_API(wm_sb_i2c_read);
WM_PERIPH_API(wm_sb_i2c_write_read);
WM_PERIPH_API(wm_sb_spi_open);
WM_PERIPH_API(wm_sb_spi_transfer);
WM_PERIPH_API(wm_sb_uart_open);
WM_PERIPH_API(wm_sb_uart_write);
WM_PERIPH_API(wm_sb_uart_read);
WM_PERIPH_API(wm_sb_adc_open);
WM_PERIPH_API(wm_sb_adc_read);
WM_PERIPH_API(wm_sb_pwm_open);
WM_PERIPH_API(wm_sb_pwm_set);
WM_PERIPH_API(wm_sb_periph_close);

/* Fuel a transaction costs: one unit per microsecond of bus time at the bus clock (at
 * least 1); the conversions and settings that do not clock a bus cost a fixed amount. */
#define WM_PERIPH_FUEL_ADC 50u
#define WM_PERIPH_FUEL_PWM 10u
uint64_t wm_periph_bus_fuel(uint64_t bits, uint32_t hz);

struct wm_sb_module;
/* Closes every handle of the module (PWM outputs to 0 %); at uninstall. */
void wm_sb_periph_release(struct wm_sb_module *mod);

#endif
