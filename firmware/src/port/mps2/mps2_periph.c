/* The mps2 port's buses and channels for modules (core/periph/periph_ops.h), from the
 * board file's `peripherals` (the builder passes them as WM_* defines):
 *
 * - I2C: ARM's SBCon two-wire interface (QEMU: versatile_i2c), two pins driven through
 *   its control register (read 0x0: bit 0 SCL, bit 1 SDA; write 0x0 sets, 0x4 clears
 *   bits), bit-banged by core/periph/i2c_bitbang.c.
 * - SPI: PL022 SSP controllers, 8-bit Motorola mode 0, polled (transfers are at most
 *   WM_SPI_MAX bytes). No chip-select line is wired on these boards (nor in QEMU): one
 *   device per bus, chip select 0.
 * - Auxiliary UARTs: further CMSDK APB UARTs (never the console), received through their
 *   RX interrupt into a ring, so nothing is lost while no module reads.
 * - ADC: the mps2 boards have none; channels are a MAX1111 8-bit ADC on an SPI bus (QEMU
 *   models it), read with a control byte and two result bytes.
 * - PWM: the boards have no PWM block either; a CMSDK APB timer toggles an FPGAIO LED in
 *   its interrupt: a software PWM on real emulated hardware (the same LED as gpio:ledN),
 *   up to WM_PWM_MAX_HZ. The port's gpio writes of that LED mask interrupts around their
 *   read-modify-write of the LED register. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i2c_bitbang.h"
#include "mps2_regs.h"
#include "periph_ops.h"
#include "sb_api.h"
#include "wasmote_port.h"

#ifdef WM_PERIPH_NAMES

void wm_mps2_periph_init(void);
void wm_mps2_aux_uart_handler(void);
void wm_mps2_pwm_timer_handler(void);

/* Bounds of the polled waits: every loop below ends, whatever the hardware does. */
#define WM_SPI_POLLS 100000u
/* I2C clock stretching: polls of SCL a transaction may wait, each a quarter bit long:
 * 4000 x 2.5 us = 10 ms at 100 kHz (SMBus allows a device 25 ms per transaction). */
#define WM_I2C_STRETCH_POLLS 4000u
#define WM_I2C_POLL_NS (250000000u / WM_I2C_HZ) /* a quarter bit */

/* ---- I2C on SBCon ---- */
#ifdef WM_I2C_BASES
static const uint32_t wm_i2c_base[] = {WM_I2C_BASES};
#define WM_I2C_COUNT (sizeof wm_i2c_base / sizeof wm_i2c_base[0])
#define SB_CTRL(b) WM_REG32((b) + 0x0u)
#define SB_SET(b) WM_REG32((b) + 0x0u)
#define SB_CLR(b) WM_REG32((b) + 0x4u)
#define SB_SCL 1u
#define SB_SDA 2u

static void sb_scl(void *ctx, int v)
{
    uint32_t b = (uint32_t)(uintptr_t)ctx;
    if (v)
        SB_SET(b) = SB_SCL;
    else
        SB_CLR(b) = SB_SCL;
}

static void sb_sda(void *ctx, int v)
{
    uint32_t b = (uint32_t)(uintptr_t)ctx;
    if (v)
        SB_SET(b) = SB_SDA;
    else
        SB_CLR(b) = SB_SDA;
}

static int sb_get_scl(void *ctx) { return (SB_CTRL((uint32_t)(uintptr_t)ctx) & SB_SCL) != 0; }
static int sb_get_sda(void *ctx) { return (SB_CTRL((uint32_t)(uintptr_t)ctx) & SB_SDA) != 0; }

/* A quarter of a bit at WM_I2C_HZ (~4 cycles per iteration). */
static void sb_delay(void *ctx)
{
    (void)ctx;
    for (volatile uint32_t i = (uint32_t)(F_CPU / (16u * WM_I2C_HZ)); i > 0; i--) {
    }
}

static int wm_i2c_xfer(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *w, uint32_t wn,
                       uint8_t *r, uint32_t rn)
{
    (void)ctx;
    if (bus >= WM_I2C_COUNT) return WM_E_INVAL;
    wm_i2c_lines l = {(void *)(uintptr_t)wm_i2c_base[bus],
                      sb_scl,
                      sb_sda,
                      sb_get_scl,
                      sb_get_sda,
                      sb_delay,
                      WM_I2C_STRETCH_POLLS,
                      WM_I2C_POLL_NS};
    return wm_i2c_bb_xfer(&l, addr, w, wn, r, rn);
}
#else
#define WM_I2C_COUNT 0u
#define wm_i2c_xfer NULL
#endif

/* ---- SPI on PL022 ---- */
#ifdef WM_SPI_BASES
static const uint32_t wm_spi_base[] = {WM_SPI_BASES};
#define WM_SPI_COUNT (sizeof wm_spi_base / sizeof wm_spi_base[0])
#define SSP_CR0(b) WM_REG32((b) + 0x00u)
#define SSP_CR1(b) WM_REG32((b) + 0x04u)
#define SSP_DR(b) WM_REG32((b) + 0x08u)
#define SSP_SR(b) WM_REG32((b) + 0x0Cu)
#define SSP_CPSR(b) WM_REG32((b) + 0x10u)
#define SSP_SR_TNF 0x2u
#define SSP_SR_RNE 0x4u
#define SSP_CR1_SSE 0x2u

static void spi_init(uint32_t b)
{
    /* SSPCLK / (CPSDVSR x (1 + SCR)) <= WM_SPI_HZ, CPSDVSR = 2 */
    uint32_t scr = (uint32_t)(F_CPU / (2u * WM_SPI_HZ));
    scr = scr > 0u ? scr - 1u : 0u;
    if (scr > 255u) scr = 255u;
    SSP_CR1(b) = 0;
    SSP_CR0(b) = (scr << 8) | 0x7u; /* 8-bit frames, Motorola SPI, CPOL 0, CPHA 0 */
    SSP_CPSR(b) = 2u;
    SSP_CR1(b) = SSP_CR1_SSE;
}

static int spi_byte(uint32_t b, uint8_t out, uint8_t *in)
{
    uint32_t n = 0;
    while (!(SSP_SR(b) & SSP_SR_TNF))
        if (++n == WM_SPI_POLLS) return WM_E_IO;
    SSP_DR(b) = out;
    n = 0;
    while (!(SSP_SR(b) & SSP_SR_RNE))
        if (++n == WM_SPI_POLLS) return WM_E_IO;
    *in = (uint8_t)SSP_DR(b);
    return 0;
}

static int wm_spi_xfer(void *ctx, uint32_t bus, uint32_t cs, const uint8_t *tx, uint8_t *rx,
                       uint32_t n)
{
    (void)ctx;
    if (bus >= WM_SPI_COUNT || cs >= WM_SPI_CS) return WM_E_INVAL;
    uint32_t b = wm_spi_base[bus];
    uint8_t junk;
    for (uint32_t i = 0; i < 8u && (SSP_SR(b) & SSP_SR_RNE); i++) (void)SSP_DR(b); /* stale */
    for (uint32_t i = 0; i < n; i++) {
        int rc = spi_byte(b, tx[i], rx ? &rx[i] : &junk);
        if (rc) return rc;
    }
    return 0;
}
#else
#define WM_SPI_COUNT 0u
#define WM_SPI_CS 0u
#define wm_spi_xfer NULL
#endif

/* ---- auxiliary UARTs ---- */
#ifdef WM_AUX_UART_BASES
static const uint32_t wm_aux_base[] = {WM_AUX_UART_BASES};
static const uint32_t wm_aux_irq[] = {WM_AUX_UART_IRQS};
#define WM_AUX_COUNT (sizeof wm_aux_base / sizeof wm_aux_base[0])
#define WM_AUX_RING 256u /* power of two */
#define AUX_DATA(b) WM_REG32((b) + 0x00u)
#define AUX_STATE(b) WM_REG32((b) + 0x04u)
#define AUX_CTRL(b) WM_REG32((b) + 0x08u)
#define AUX_INTCLR(b) WM_REG32((b) + 0x0Cu)
#define AUX_BAUDDIV(b) WM_REG32((b) + 0x10u)

/* The port's receive rings: the interrupt writes head, thread mode reads tail. */
static volatile uint8_t wm_aux_ring[WM_AUX_COUNT][WM_AUX_RING];
static volatile uint32_t wm_aux_head[WM_AUX_COUNT], wm_aux_tail[WM_AUX_COUNT];

/* One handler for every auxiliary UART (their RX vectors all point here). With a ring
 * full the byte stays in its UART (QEMU holds the rest back) until a module reads. */
void wm_mps2_aux_uart_handler(void)
{
    for (uint32_t u = 0; u < WM_AUX_COUNT; u++) {
        uint32_t b = wm_aux_base[u];
        while ((AUX_STATE(b) & WM_UART_STATE_RXFULL) &&
               wm_aux_head[u] - wm_aux_tail[u] < WM_AUX_RING) {
            wm_aux_ring[u][wm_aux_head[u] % WM_AUX_RING] = (uint8_t)AUX_DATA(b);
            wm_aux_head[u]++;
        }
        AUX_INTCLR(b) = WM_UART_INT_RX;
    }
}

static int wm_aux_write(void *ctx, uint32_t uart, const uint8_t *buf, uint32_t n)
{
    (void)ctx;
    if (uart >= WM_AUX_COUNT) return WM_E_INVAL;
    uint32_t b = wm_aux_base[uart], done = 0;
    while (done < n && !(AUX_STATE(b) & WM_UART_STATE_TXFULL)) AUX_DATA(b) = buf[done++];
    return (int)done;
}

static int wm_aux_read(void *ctx, uint32_t uart, uint8_t *buf, uint32_t cap)
{
    (void)ctx;
    if (uart >= WM_AUX_COUNT) return WM_E_INVAL;
    uint32_t n = 0, b = wm_aux_base[uart];
    __asm__ volatile("cpsid i" ::: "memory");
    while (n < cap && wm_aux_tail[uart] != wm_aux_head[uart]) {
        buf[n++] = wm_aux_ring[uart][wm_aux_tail[uart] % WM_AUX_RING];
        wm_aux_tail[uart]++;
    }
    if (n < cap && (AUX_STATE(b) & WM_UART_STATE_RXFULL)) buf[n++] = (uint8_t)AUX_DATA(b);
    __asm__ volatile("cpsie i" ::: "memory");
    return (int)n;
}

static int wm_aux_ready(void *ctx, uint32_t uart)
{
    (void)ctx;
    return uart < WM_AUX_COUNT && (wm_aux_tail[uart] != wm_aux_head[uart] ||
                                   (AUX_STATE(wm_aux_base[uart]) & WM_UART_STATE_RXFULL));
}

static void aux_init(void)
{
    for (uint32_t u = 0; u < WM_AUX_COUNT; u++) {
        AUX_BAUDDIV(wm_aux_base[u]) = 16u;
        AUX_CTRL(wm_aux_base[u]) = WM_UART_CTRL_TXEN | WM_UART_CTRL_RXEN | WM_UART_CTRL_RXIRQEN;
        WM_NVIC_ISER(wm_aux_irq[u] / 32u) = 1u << (wm_aux_irq[u] % 32u);
    }
}
#else
#define WM_AUX_COUNT 0u
#define wm_aux_write NULL
#define wm_aux_read NULL
#define wm_aux_ready NULL
static void aux_init(void) {}
#endif

/* ---- ADC: a MAX1111 on SPI ---- */
#if defined(WM_ADC_CHANNELS) && defined(WM_SPI_BASES)
static const uint8_t wm_adc_channel[] = {WM_ADC_CHANNELS};
#define WM_ADC_COUNT (sizeof wm_adc_channel / sizeof wm_adc_channel[0])

/* Control byte: START, the channel (SEL2 = bit 0, SEL1 = bit 1 of the channel number, as
 * QEMU's max111x decodes it), unipolar, single-ended, powered (PD1 PD0). The 8-bit result
 * comes MSB first in the next two bytes: 6 bits, then 2 at the top. */
static int wm_adc_read(void *ctx, uint32_t ch)
{
    if (ch >= WM_ADC_COUNT) return WM_E_INVAL;
    uint32_t c = wm_adc_channel[ch];
    uint8_t tx[3] = {(uint8_t)(0x80u | ((c & 1u) << 6) | ((c & 2u) << 4) | 0x0Fu), 0, 0};
    uint8_t rx[3];
    int rc = wm_spi_xfer(ctx, WM_ADC_SPI_BUS, WM_ADC_SPI_CS, tx, rx, 3);
    if (rc) return rc;
    return (int)(((uint32_t)rx[1] << 2) | ((uint32_t)rx[2] >> 6));
}
#else
#define WM_ADC_COUNT 0u
#define wm_adc_read NULL
#endif

/* ---- PWM: a CMSDK timer toggling an FPGAIO LED ---- */
#if defined(WM_PWM_TIMER_BASE) && defined(WM_FPGAIO_BASE)
#define TIM_CTRL WM_REG32(WM_PWM_TIMER_BASE + 0x00u)
#define TIM_VALUE WM_REG32(WM_PWM_TIMER_BASE + 0x04u)
#define TIM_RELOAD WM_REG32(WM_PWM_TIMER_BASE + 0x08u)
#define TIM_INTCLR WM_REG32(WM_PWM_TIMER_BASE + 0x0Cu)
#define TIM_ENABLE 0x1u
#define TIM_IRQEN 0x8u
#define FPGAIO_LED WM_REG32(WM_FPGAIO_BASE + 0x00u)

/* High and low phase lengths in timer ticks; the interrupt alternates between them. */
static volatile uint32_t wm_pwm_high, wm_pwm_low;
static volatile bool wm_pwm_on;

static void led(bool on)
{
    uint32_t bit = 1u << WM_PWM_LED;
    FPGAIO_LED = on ? (FPGAIO_LED | bit) : (FPGAIO_LED & ~bit);
}

void wm_mps2_pwm_timer_handler(void)
{
    TIM_INTCLR = 1u;
    wm_pwm_on = !wm_pwm_on;
    led(wm_pwm_on);
    TIM_VALUE = wm_pwm_on ? wm_pwm_high : wm_pwm_low;
}

static int wm_pwm_set(void *ctx, uint32_t ch, uint32_t hz, uint32_t duty)
{
    (void)ctx;
    if (ch != 0) return WM_E_INVAL;
    if (hz > WM_PWM_MAX_HZ) return WM_E_UNSUPPORTED;
    uint32_t period = (uint32_t)(F_CPU / hz);
    uint32_t high = (uint32_t)(((uint64_t)period * duty) >> 16);
    __asm__ volatile("cpsid i" ::: "memory");
    TIM_CTRL = 0;
    TIM_INTCLR = 1u;
    if (high == 0 || high >= period) { /* 0 % or ~100 %: a steady level, no interrupts */
        wm_pwm_on = high != 0;
        led(wm_pwm_on);
    } else {
        wm_pwm_high = high;
        wm_pwm_low = period - high;
        wm_pwm_on = true;
        led(true);
        TIM_RELOAD = period;
        TIM_VALUE = high;
        TIM_CTRL = TIM_ENABLE | TIM_IRQEN;
    }
    __asm__ volatile("cpsie i" ::: "memory");
    return 0;
}

static void pwm_init(void)
{
    WM_NVIC_ISER(WM_PWM_TIMER_IRQ / 32u) = 1u << (WM_PWM_TIMER_IRQ % 32u);
}
#define WM_PWM_COUNT 1u
#else
#define WM_PWM_COUNT 0u
#define wm_pwm_set NULL
static void pwm_init(void) {}
#endif

static const wm_periph_ops wm_periph = {
    .names = WM_PERIPH_NAMES,
    .i2c_buses = (uint8_t)WM_I2C_COUNT,
    .spi_buses = (uint8_t)WM_SPI_COUNT,
    .spi_cs = (uint8_t)WM_SPI_CS,
    .uarts = (uint8_t)WM_AUX_COUNT,
    .adcs = (uint8_t)WM_ADC_COUNT,
    .pwms = (uint8_t)WM_PWM_COUNT,
#ifdef WM_I2C_HZ
    .i2c_hz = WM_I2C_HZ,
    .i2c_wait_max_us = WM_I2C_STRETCH_POLLS * (250000000u / WM_I2C_HZ) / 1000u,
#endif
#ifdef WM_SPI_HZ
    .spi_hz = WM_SPI_HZ,
#endif
    .i2c_xfer = wm_i2c_xfer,
    .spi_xfer = wm_spi_xfer,
    .uart_write = wm_aux_write,
    .uart_read = wm_aux_read,
    .uart_ready = wm_aux_ready,
    .adc_read = wm_adc_read,
    .pwm_set = wm_pwm_set,
};

void wm_mps2_periph_init(void)
{
#ifdef WM_SPI_BASES
    for (uint32_t i = 0; i < WM_SPI_COUNT; i++) spi_init(wm_spi_base[i]);
#endif
#ifdef WM_I2C_BASES
    for (uint32_t i = 0; i < WM_I2C_COUNT; i++) {
        /* both lines released: an idle bus, and a device left mid-byte let go */
        SB_SET(wm_i2c_base[i]) = SB_SCL | SB_SDA;
    }
#endif
    aux_init();
    pwm_init();
}

const struct wm_periph_ops *wm_port_periph(void) { return &wm_periph; }

#else /* a board without peripherals for modules */
void wm_mps2_periph_init(void);
void wm_mps2_periph_init(void) {}
const struct wm_periph_ops *wm_port_periph(void) { return 0; }
#endif
