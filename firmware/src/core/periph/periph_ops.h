/* The peripheral port interface: what a board port provides so that modules can reach its
 * buses (I2C, SPI), auxiliary UARTs, ADC channels and PWM outputs through the sandbox
 * (core/sandbox/periph_api.c owns grants, handles, argument checks, the bus lock and the
 * fuel charge; the port only moves bytes). A port fills one wm_periph_ops; any function
 * may be NULL (the sandbox then answers WM_E_UNSUPPORTED), counts may be 0.
 *
 * Every function returns within a bounded time, whatever the device on the other side
 * does: an I2C device that stretches the clock forever or holds SDA low costs at most the
 * port's stated bound (docs/api.md, "Peripherals"), then an error code comes back.
 * Results are >= 0 for success and the host API codes (sandbox/sb_api.h) for failures:
 * WM_E_NACK, WM_E_TIMEOUT, WM_E_IO, WM_E_UNSUPPORTED, WM_E_INVAL. */
#ifndef WM_PERIPH_OPS_H
#define WM_PERIPH_OPS_H

#include <stdint.h>

/* Units a board can have of each kind (bus numbers, chip selects, channel indexes are
 * below this). The grant grammar allows the same range. */
#define WM_PERIPH_UNITS_MAX 16u

typedef struct wm_periph_ops {
    void *ctx;
    /* The board's names of devices and channels (boards/<board>.json "peripherals.names",
     * passed by the build as WM_PERIPH_NAMES): "temp0=i2c:0/0x48,aux=uart:0,...".
     * NULL or "" = none. Trusted board data, still parsed strictly (periph_target.c). */
    const char *names;
    uint8_t i2c_buses;
    uint8_t spi_buses;
    uint8_t spi_cs;  /* chip selects on every SPI bus (0..spi_cs-1) */
    uint8_t uarts;   /* auxiliary UARTs (never the console) */
    uint8_t adcs;    /* ADC channels */
    uint8_t pwms;    /* PWM outputs */
    uint32_t i2c_hz; /* bus clocks: the sandbox charges bus time to the caller */
    uint32_t spi_hz;
    /* The most one I2C transaction may wait on clock stretching before it answers
     * WM_E_TIMEOUT, in microseconds (the port's bound): what a timed-out transaction
     * is charged on top of its bus time. */
    uint32_t i2c_wait_max_us;

    /* One whole I2C transaction on `bus` with the 7-bit address `addr`: START, addr+W,
     * w[0..wn) then, if rn > 0, a repeated START, addr+R, r[0..rn) (the last byte NACKed),
     * then STOP. wn == 0: a plain read; rn == 0: a plain write. On success the
     * microseconds it waited on clock stretching (0 if the controller cannot tell), charged
     * to the caller like bus time (a slice stays bounded by its fuel); WM_E_NACK
     * (the address or a written byte was not acknowledged; STOP sent), WM_E_TIMEOUT (a
     * device stretched the clock past the port's bound), WM_E_IO (SDA stuck low). */
    int (*i2c_xfer)(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *w, uint32_t wn,
                    uint8_t *r, uint32_t rn);
    /* Full duplex with chip select `cs` asserted for the whole transfer: sends tx[0..n),
     * stores what comes back in rx[0..n). 0 or a negative code. */
    int (*spi_xfer)(void *ctx, uint32_t bus, uint32_t cs, const uint8_t *tx, uint8_t *rx,
                    uint32_t n);
    /* Non-blocking: queue what the transmitter takes now (count), take what was received
     * (count, 0 = nothing waiting). */
    int (*uart_write)(void *ctx, uint32_t uart, const uint8_t *buf, uint32_t n);
    int (*uart_read)(void *ctx, uint32_t uart, uint8_t *buf, uint32_t cap);
    /* 1 if uart_read would return bytes now (wakes a module blocked in uart_read). */
    int (*uart_ready)(void *ctx, uint32_t uart);
    /* One conversion: the raw code (0 .. 2^bits-1). */
    int (*adc_read)(void *ctx, uint32_t channel);
    /* Frequency in Hz and duty cycle in 1/65536 (0 = always low, 65535 = always high, as
     * close as the hardware goes). WM_E_UNSUPPORTED for a frequency it cannot make. */
    int (*pwm_set)(void *ctx, uint32_t channel, uint32_t hz, uint32_t duty);
} wm_periph_ops;

#endif
