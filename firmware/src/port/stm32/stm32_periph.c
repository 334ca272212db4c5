/* NUCLEO-L476RG: what modules may be granted (core/periph/periph_ops.h), on the board's
 * headers (boards/nucleo_l476rg.json "peripherals" says the same; tests compare them):
 *
 * - I2C bus 0: I2C1 on PB8 (SCL, D15) and PB9 (SDA, D14), 100 kHz standard mode, open
 *   drain with the internal pull-ups (add 4.7 kOhm for real buses). The hardware block
 *   sends START, address, bytes, repeated START and STOP itself; a device that holds SDA
 *   low is freed by nine clocks with the pins briefly as GPIO (core/periph/i2c_bitbang.c).
 * - SPI bus 0: SPI2 on PB13 (SCK), PB14 (MISO), PB15 (MOSI) of the morpho header, mode 0,
 *   80 MHz / 32 = 2.5 MHz; chip select 0 is PB12, driven low for the whole transfer.
 * - UART 0 ("uart1"): USART1 on PA9 (TX, D8) and PA10 (RX, D2), 115200 8N1, received by
 *   interrupt into a ring.
 * - ADC channels 0, 1 ("a0", "a1"): ADC1 inputs 5 and 6 on PA0 (A0) and PA1 (A1), 12 bits.
 * - PWM 0 ("d5"): TIM3 channel 1 on PB4 (D5), 1 Hz .. 1 MHz.
 *
 * Every wait is a bounded poll (WM_*_POLLS). Wired and compiled here; not run (no board on
 * this machine). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i2c_bitbang.h"
#include "periph_ops.h"
#include "sb_api.h"
#include "stm32_port.h"
#include "stm32l4_regs.h"
#include "wasmote_port.h"

/* boards/nucleo_l476rg.json peripherals.names, as the QEMU builder would pass it */
#define WM_PERIPH_NAMES "uart1=uart:0,a0=adc:0,a1=adc:1,d5=pwm:0"
#define WM_CLOCK_HZ 80000000u /* SYSCLK = HCLK = PCLK1 = PCLK2 (stm32_port.c) */
#define WM_I2C_HZ 100000u
#define WM_SPI_HZ 2500000u /* PCLK1 / 32: CR1.BR = 4 */
#define WM_AUX_BAUD 115200u
#define WM_AUX_RING 256u /* power of two */
#define WM_PWM_MAX_HZ 1000000u
/* 200000 polls of ~12 cycles: 30 ms, beyond a 64-byte transaction at 100 kHz (6 ms) plus
 * the 25 ms SMBus lets a device stretch the clock. For the whole transaction: a budget per
 * byte let a device that stretches every byte hold one transaction for seconds. */
#define WM_I2C_POLLS 200000u
#define WM_I2C_WAIT_MAX_US 30000u
#define WM_SPI_POLLS 10000u
#define WM_ADC_POLLS 100000u

static const uint8_t wm_adc_channels[] = {5u, 6u}; /* PA0, PA1 */
#define WM_ADC_COUNT (sizeof wm_adc_channels / sizeof wm_adc_channels[0])

/* The pins in alternate-function mode (the I2C pair first: bus recovery switches them). */
typedef struct {
    uint32_t port;
    uint8_t pin, af;
    bool open_drain;
} wm_af_pin;
static const wm_af_pin wm_af_pins[] = {
    {WM_GPIOB_BASE, 8, 4, true},   /* I2C1 SCL (D15) */
    {WM_GPIOB_BASE, 9, 4, true},   /* I2C1 SDA (D14) */
    {WM_GPIOB_BASE, 13, 5, false}, /* SPI2 SCK */
    {WM_GPIOB_BASE, 14, 5, false}, /* SPI2 MISO */
    {WM_GPIOB_BASE, 15, 5, false}, /* SPI2 MOSI */
    {WM_GPIOA_BASE, 9, 7, false},  /* USART1 TX (D8) */
    {WM_GPIOA_BASE, 10, 7, false}, /* USART1 RX (D2) */
    {WM_GPIOB_BASE, 4, 2, false},  /* TIM3 CH1 (D5) */
};
#define WM_SPI_CS0_PIN 12u /* PB12, a plain output */

/* The port's receive ring of USART1: the interrupt writes head, thread mode reads tail. */
static volatile uint8_t wm_aux_ring[WM_AUX_RING];
static volatile uint32_t wm_aux_head, wm_aux_tail;

static void pin_mode(uint32_t port, uint32_t pin, uint32_t mode, uint32_t af, bool od)
{
    WM_GPIO_MODER(port) = (WM_GPIO_MODER(port) & ~(3u << (2 * pin))) | (mode << (2 * pin));
    WM_GPIO_OTYPER(port) =
        od ? WM_GPIO_OTYPER(port) | (1u << pin) : WM_GPIO_OTYPER(port) & ~(1u << pin);
    WM_GPIO_OSPEEDR(port) |= 2u << (2 * pin);
    if (pin < 8u)
        WM_GPIO_AFRL(port) = (WM_GPIO_AFRL(port) & ~(0xFu << (4 * pin))) | (af << (4 * pin));
    else
        WM_GPIO_AFRH(port) =
            (WM_GPIO_AFRH(port) & ~(0xFu << (4 * (pin - 8u)))) | (af << (4 * (pin - 8u)));
}

/* ---- I2C1 ---- */

/* Nine clocks and a STOP with PB8/PB9 as open-drain GPIO, for a device stuck mid-byte. */
static void line_scl(void *ctx, int v)
{
    (void)ctx;
    WM_GPIO_BSRR(WM_GPIOB_BASE) = v ? (1u << 8) : (1u << (8 + 16));
}

static void line_sda(void *ctx, int v)
{
    (void)ctx;
    WM_GPIO_BSRR(WM_GPIOB_BASE) = v ? (1u << 9) : (1u << (9 + 16));
}

static int line_get_scl(void *ctx)
{
    (void)ctx;
    return (int)((WM_GPIO_IDR(WM_GPIOB_BASE) >> 8) & 1u);
}

static int line_get_sda(void *ctx)
{
    (void)ctx;
    return (int)((WM_GPIO_IDR(WM_GPIOB_BASE) >> 9) & 1u);
}

static void quarter_bit(void *ctx)
{
    (void)ctx;
    for (volatile uint32_t i = WM_CLOCK_HZ / (16u * WM_I2C_HZ); i > 0; i--) {
    }
}

static void pins_af(uint32_t first, uint32_t n)
{
    for (uint32_t i = first; i < first + n; i++)
        pin_mode(wm_af_pins[i].port, wm_af_pins[i].pin, 2u, wm_af_pins[i].af,
                 wm_af_pins[i].open_drain);
}

static int i2c_recover(void)
{
    static const wm_i2c_lines lines = {NULL,         line_scl,    line_sda, line_get_scl,
                                       line_get_sda, quarter_bit, 4000u,    0u /* recovery only */};
    WM_I2C_CR1(WM_I2C1_BASE) = 0; /* PE = 0: the block lets go and resets its state */
    line_scl(NULL, 1);
    line_sda(NULL, 1);
    pin_mode(WM_GPIOB_BASE, 8, 1u, 0u, true);
    pin_mode(WM_GPIOB_BASE, 9, 1u, 0u, true);
    int rc = wm_i2c_bb_recover(&lines);
    pins_af(0, 2);
    WM_I2C_CR1(WM_I2C1_BASE) = WM_I2C_CR1_PE;
    return rc;
}

/* Waits for `flag` within the transaction's poll budget; a NACK, a bus error or lost
 * arbitration ends the wait early. */
static int i2c_wait(uint32_t flag, uint32_t *polls)
{
    for (; *polls > 0; (*polls)--) {
        uint32_t isr = WM_I2C_ISR(WM_I2C1_BASE);
        if (isr & flag) return 0;
        if (isr & WM_I2C_ISR_NACKF) return WM_E_NACK;
        if (isr & (WM_I2C_ISR_BERR | WM_I2C_ISR_ARLO)) return WM_E_IO;
    }
    return WM_E_TIMEOUT;
}

static int i2c_xfer(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *w, uint32_t wn,
                    uint8_t *r, uint32_t rn)
{
    const uint32_t b = WM_I2C1_BASE;
    (void)ctx;
    if (bus != 0 || wn > 255u || rn > 255u) return WM_E_INVAL;
    if ((WM_I2C_ISR(b) & WM_I2C_ISR_BUSY) && i2c_recover() != 0) return WM_E_IO;
    WM_I2C_ICR(b) = WM_I2C_ISR_NACKF | WM_I2C_ISR_STOPF | WM_I2C_ISR_BERR | WM_I2C_ISR_ARLO;
    int rc = 0;
    uint32_t polls = WM_I2C_POLLS;
    if (wn > 0 || rn == 0) { /* software end when a read follows: TC, then repeated START */
        WM_I2C_CR2(b) =
            (addr << 1) | (wn << 16) | WM_I2C_CR2_START | (rn == 0 ? WM_I2C_CR2_AUTOEND : 0u);
        for (uint32_t i = 0; i < wn && rc == 0; i++) {
            rc = i2c_wait(WM_I2C_ISR_TXIS, &polls);
            if (rc == 0) WM_I2C_TXDR(b) = w[i];
        }
        if (rc == 0) rc = i2c_wait(rn > 0 ? WM_I2C_ISR_TC : WM_I2C_ISR_STOPF, &polls);
    }
    if (rc == 0 && rn > 0) {
        WM_I2C_CR2(b) =
            (addr << 1) | WM_I2C_CR2_RD_WRN | (rn << 16) | WM_I2C_CR2_START | WM_I2C_CR2_AUTOEND;
        for (uint32_t i = 0; i < rn && rc == 0; i++) {
            rc = i2c_wait(WM_I2C_ISR_RXNE, &polls);
            if (rc == 0) r[i] = (uint8_t)WM_I2C_RXDR(b);
        }
        if (rc == 0) rc = i2c_wait(WM_I2C_ISR_STOPF, &polls);
    }
    if (rc == WM_E_NACK) {
        uint32_t stop_polls = WM_I2C_POLLS; /* the block sends STOP after a NACK itself */
        (void)i2c_wait(WM_I2C_ISR_STOPF, &stop_polls);
    } else if (rc != 0) {
        (void)i2c_recover(); /* stretched too long or a bus error: reset, free the bus */
    }
    WM_I2C_ICR(b) = WM_I2C_ISR_NACKF | WM_I2C_ISR_STOPF | WM_I2C_ISR_BERR | WM_I2C_ISR_ARLO;
    return rc;
}

/* ---- SPI2 ---- */

static int spi_xfer(void *ctx, uint32_t bus, uint32_t cs, const uint8_t *tx, uint8_t *rx,
                    uint32_t n)
{
    const uint32_t b = WM_SPI2_BASE;
    (void)ctx;
    if (bus != 0 || cs != 0) return WM_E_INVAL;
    int rc = 0;
    WM_GPIO_BSRR(WM_GPIOB_BASE) = 1u << (WM_SPI_CS0_PIN + 16); /* chip select low */
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        uint32_t polls = 0;
        while (!(WM_SPI_SR(b) & WM_SPI_SR_TXE) && ++polls < WM_SPI_POLLS) {
        }
        WM_SPI_DR8(b) = tx[i];
        polls = 0;
        while (!(WM_SPI_SR(b) & WM_SPI_SR_RXNE) && ++polls < WM_SPI_POLLS) {
        }
        if (polls == WM_SPI_POLLS)
            rc = WM_E_IO;
        else
            rx[i] = WM_SPI_DR8(b);
    }
    WM_GPIO_BSRR(WM_GPIOB_BASE) = 1u << WM_SPI_CS0_PIN;
    return rc;
}

/* ---- USART1 ---- */

void wm_stm32_usart1_handler(void)
{
    const uint32_t b = WM_USART1_BASE;
    uint32_t isr = WM_USART_ISR(b);
    if (isr & WM_USART_ISR_ERRORS) WM_USART_ICR(b) = isr & WM_USART_ISR_ERRORS;
    if (isr & WM_USART_ISR_RXNE) {
        uint8_t c = (uint8_t)WM_USART_RDR(b);
        if (wm_aux_head - wm_aux_tail < WM_AUX_RING) { /* full: the newest is dropped */
            wm_aux_ring[wm_aux_head % WM_AUX_RING] = c;
            wm_aux_head++;
        }
    }
}

static int aux_write(void *ctx, uint32_t uart, const uint8_t *buf, uint32_t n)
{
    uint32_t done = 0;
    (void)ctx;
    if (uart != 0) return WM_E_INVAL;
    while (done < n && (WM_USART_ISR(WM_USART1_BASE) & WM_USART_ISR_TXE))
        WM_USART_TDR(WM_USART1_BASE) = buf[done++];
    return (int)done;
}

static int aux_read(void *ctx, uint32_t uart, uint8_t *buf, uint32_t cap)
{
    uint32_t n = 0;
    (void)ctx;
    if (uart != 0) return WM_E_INVAL;
    while (n < cap && wm_aux_tail != wm_aux_head) {
        buf[n++] = wm_aux_ring[wm_aux_tail % WM_AUX_RING];
        wm_aux_tail++;
    }
    return (int)n;
}

static int aux_ready(void *ctx, uint32_t uart)
{
    (void)ctx;
    return uart == 0 && wm_aux_tail != wm_aux_head;
}

/* ---- ADC1 ---- */

static bool wm_adc_ok;

static bool adc_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t n = 0; n < WM_ADC_POLLS; n++)
        if ((*reg & mask) == want) return true;
    return false;
}

static void adc_init(void)
{
    WM_GPIO_ASCR(WM_GPIOA_BASE) |= 0x3u; /* PA0, PA1 to the ADC (they reset to analog) */
    WM_ADC_CR &= ~WM_ADC_CR_DEEPPWD;
    WM_ADC_CR |= WM_ADC_CR_ADVREGEN;
    for (volatile uint32_t i = WM_CLOCK_HZ / 50000u; i > 0; i--) { /* t_ADCVREG_STUP 20 us */
    }
    WM_ADC_CR |= WM_ADC_CR_ADCAL; /* single-ended calibration */
    if (!adc_wait(&WM_ADC_CR, WM_ADC_CR_ADCAL, 0)) return;
    WM_ADC_SMPR1 = (7u << 15) | (7u << 18); /* channels 5, 6: 640.5 cycles */
    WM_ADC_ISR = WM_ADC_ISR_ADRDY;
    WM_ADC_CR |= WM_ADC_CR_ADEN;
    wm_adc_ok = adc_wait(&WM_ADC_ISR, WM_ADC_ISR_ADRDY, WM_ADC_ISR_ADRDY);
}

static int adc_read(void *ctx, uint32_t ch)
{
    (void)ctx;
    if (ch >= WM_ADC_COUNT) return WM_E_INVAL;
    if (!wm_adc_ok) return WM_E_IO;
    WM_ADC_SQR1 = (uint32_t)wm_adc_channels[ch] << 6; /* one conversion: SQ1 */
    WM_ADC_CR |= WM_ADC_CR_ADSTART;
    if (!adc_wait(&WM_ADC_ISR, WM_ADC_ISR_EOC, WM_ADC_ISR_EOC)) return WM_E_TIMEOUT;
    return (int)(WM_ADC_DR & 0xFFFu);
}

/* ---- TIM3 channel 1 ---- */

static int pwm_set(void *ctx, uint32_t ch, uint32_t hz, uint32_t duty)
{
    (void)ctx;
    if (ch != 0) return WM_E_INVAL;
    if (hz == 0 || hz > WM_PWM_MAX_HZ) return WM_E_UNSUPPORTED;
    uint32_t ticks = WM_CLOCK_HZ / hz, psc = (ticks - 1u) / 65536u;
    uint32_t arr = ticks / (psc + 1u) - 1u;
    WM_TIM_PSC = psc;
    WM_TIM_ARR = arr;
    WM_TIM_CCR1 = (uint32_t)(((uint64_t)(arr + 1u) * duty) >> 16);
    WM_TIM_EGR = 1u;             /* UG: load them now */
    WM_TIM_CR1 = (1u << 7) | 1u; /* ARPE, CEN */
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
    .i2c_wait_max_us = WM_I2C_WAIT_MAX_US,
    .spi_hz = WM_SPI_HZ,
    .i2c_xfer = i2c_xfer,
    .spi_xfer = spi_xfer,
    .uart_write = aux_write,
    .uart_read = aux_read,
    .uart_ready = aux_ready,
    .adc_read = adc_read,
    .pwm_set = pwm_set,
};

void wm_stm32_periph_init(void)
{
    WM_RCC_AHB2ENR |= (1u << 1) | (1u << 13);               /* GPIOB, ADC */
    WM_RCC_APB1ENR1 |= (1u << 1) | (1u << 14) | (1u << 21); /* TIM3, SPI2, I2C1 */
    WM_RCC_APB2ENR |= 1u << 14;                             /* USART1 */
    WM_RCC_CCIPR = (WM_RCC_CCIPR & ~((3u << 0) | (3u << 12) | (3u << 28))) |
                   (3u << 28); /* USART1 and I2C1 on PCLK, the ADC on SYSCLK */
    (void)WM_RCC_APB2ENR;
    /* I2C1's pins pulled up (PB8, PB9), every alternate-function pin set */
    WM_GPIO_PUPDR(WM_GPIOB_BASE) = (WM_GPIO_PUPDR(WM_GPIOB_BASE) & ~(0xFu << 16)) | (0x5u << 16);
    pins_af(0, sizeof wm_af_pins / sizeof wm_af_pins[0]);
    WM_I2C_TIMINGR(WM_I2C1_BASE) = WM_I2C_TIMING_100K_80MHZ;
    WM_I2C_CR1(WM_I2C1_BASE) = WM_I2C_CR1_PE;
    /* SPI2, its chip select high */
    WM_GPIO_BSRR(WM_GPIOB_BASE) = 1u << WM_SPI_CS0_PIN;
    pin_mode(WM_GPIOB_BASE, WM_SPI_CS0_PIN, 1u, 0u, false);
    WM_SPI_CR2(WM_SPI2_BASE) = (7u << 8) | WM_SPI_CR2_FRXTH; /* 8-bit frames */
    WM_SPI_CR1(WM_SPI2_BASE) =
        WM_SPI_CR1_MSTR | (4u << 3) | WM_SPI_CR1_SSM | WM_SPI_CR1_SSI | WM_SPI_CR1_SPE;
    WM_USART_BRR(WM_USART1_BASE) = (WM_CLOCK_HZ + WM_AUX_BAUD / 2u) / WM_AUX_BAUD;
    WM_USART_CR1(WM_USART1_BASE) =
        WM_USART_CR1_UE | WM_USART_CR1_RE | WM_USART_CR1_TE | WM_USART_CR1_RXNEIE;
    WM_NVIC_ISER(WM_USART1_IRQ / 32u) = 1u << (WM_USART1_IRQ % 32u);
    /* TIM3 CH1: PWM mode 1, preloaded compare */
    WM_TIM_CCMR1 = (6u << 4) | (1u << 3);
    WM_TIM_CCER = 1u;
    adc_init();
}

const struct wm_periph_ops *wm_port_periph(void) { return &wm_periph; }
