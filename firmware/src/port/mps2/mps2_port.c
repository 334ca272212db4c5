/* The mps2 port: CMSDK UART, SysTick millisecond clock and software watchdog, FPGAIO LEDs
 * and buttons, reset cause and retained RAM, board facts, reset. */
#include <stddef.h>
#include <stdint.h>

#include "mps2_regs.h"
#include "port/shared/reset_keep.h"
#include "port/shared/soft_watchdog.h"
#include "random/random.h"
#include "sandbox/gpio.h"
#include "wasmote_port.h"

#ifndef WM_CPU_NAME
#define WM_CPU_NAME "cortex-m"
#endif

extern uint8_t __heap_start, __heap_end, __store_start, __store_end;

/* The port's mutable state: the tick count (SysTick), the watchdog, the console's receive
 * ring, and what survives a reset (in .noinit, which start-up neither loads nor zeroes). */
static volatile uint32_t wm_ticks_ms;
static wm_soft_watchdog wm_wdog;
#define WM_RX_RING 1024u                        /* power of two, about a frame of the protocol */
static volatile uint8_t wm_rx_ring[WM_RX_RING]; /* the interrupt writes head, we read tail */
static volatile uint32_t wm_rx_head, wm_rx_tail;

static wm_keep wm_kept __attribute__((section(".noinit")));
static uint32_t wm_boot_cause;

void wm_mps2_boot_cause_init(void);
void wm_mps2_fault_reset(void);

/* Called once at start-up, before anything can reset the board again. */
void wm_mps2_boot_cause_init(void) { wm_boot_cause = wm_keep_boot(&wm_kept); }

static void wm_reset_with(uint32_t cause)
{
    wm_kept.cause = cause;
    __asm__ volatile("dsb" ::: "memory");
    WM_SCB_AIRCR = (0x5FAu << 16) | (1u << 2); /* VECTKEY | SYSRESETREQ */
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}

void wm_mps2_fault_reset(void) { wm_reset_with(3u); }

uint32_t wm_port_reset_cause(void) { return wm_boot_cause; }

void *wm_port_retained(size_t *size) { return wm_keep_app(&wm_kept, size); }

void wm_port_watchdog_start(uint32_t timeout_ms)
{
    wm_soft_watchdog_start(&wm_wdog, wm_ticks_ms, timeout_ms);
}

void wm_port_watchdog_kick(void) { wm_soft_watchdog_kick(&wm_wdog, wm_ticks_ms); }

void wm_mps2_clock_init(void);
void wm_mps2_uart_init(void);
void wm_mps2_systick_handler(void);
void wm_mps2_uart_rx_handler(void);

void wm_mps2_clock_init(void)
{
    WM_SYST_RVR = (uint32_t)(F_CPU / 1000u) - 1u;
    WM_SYST_CVR = 0;
    WM_SYST_CSR = 0x7u; /* processor clock, interrupt, enable */
}

static void wm_uart_put_blocking(const char *s)
{
    while (*s) {
        while (WM_UART_STATE & WM_UART_STATE_TXFULL) {
        }
        WM_UART_DATA = (uint8_t)*s++;
    }
}

/* The tick is also the watchdog: thread code that stops kicking (a hang anywhere in the
 * firmware) is interrupted here and the board resets. */
void wm_mps2_systick_handler(void)
{
    uint32_t now = wm_ticks_ms + 1u;
    wm_ticks_ms = now;
    if (wm_soft_watchdog_expired(&wm_wdog, now)) {
        wm_uart_put_blocking("\r\npanic: watchdog, resetting\r\n");
        wm_reset_with(2u);
    }
}

void wm_mps2_uart_init(void)
{
    WM_UART_BAUDDIV = 16u; /* QEMU ignores the rate; real hardware needs a valid divider */
    WM_UART_CTRL = WM_UART_CTRL_TXEN | WM_UART_CTRL_RXEN | WM_UART_CTRL_RXIRQEN;
    WM_NVIC_ISER(WM_UART_RX_IRQ / 32u) = 1u << (WM_UART_RX_IRQ % 32u);
}

/* The UART holds one received byte: the interrupt moves each into the ring at once, so the
 * host's bytes keep coming while a module's slice runs (without it the console got one
 * byte per slice, and a module busy on its bus stalled a push). With the ring full the
 * byte stays in the UART: QEMU then holds the rest back, a real line would lose it and
 * the protocol resend it. */
void wm_mps2_uart_rx_handler(void)
{
    while ((WM_UART_STATE & WM_UART_STATE_RXFULL) && wm_rx_head - wm_rx_tail < WM_RX_RING) {
        wm_rx_ring[wm_rx_head % WM_RX_RING] = (uint8_t)WM_UART_DATA;
        wm_rx_head = wm_rx_head + 1u;
    }
    WM_UART_INTCLEAR = WM_UART_INT_RX;
}

int wm_port_uart_read(void)
{
    int c = -1;
    __asm__ volatile("cpsid i" ::: "memory");
    if (wm_rx_tail != wm_rx_head) {
        c = wm_rx_ring[wm_rx_tail % WM_RX_RING];
        wm_rx_tail = wm_rx_tail + 1u;
    } else if (WM_UART_STATE & WM_UART_STATE_RXFULL) {
        c = (int)(WM_UART_DATA & 0xFFu); /* it came while the ring was full */
    }
    __asm__ volatile("cpsie i" ::: "memory");
    return c;
}

size_t wm_port_uart_write(const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && !(WM_UART_STATE & WM_UART_STATE_TXFULL)) {
        WM_UART_DATA = buf[n++];
    }
    return n;
}

uint32_t wm_port_millis(void) { return wm_ticks_ms; }

/* No RNG on these boards (nor in QEMU's models): jitter only. Each byte folds eight reads
 * of SysTick's current value (the CPU clock, 24 bits) taken around a UART status read; in
 * QEMU without -icount the counter follows the host's clock, so the reads differ by the
 * host's scheduling noise. Under -icount it is deterministic: then only the seed the core
 * keeps across boots separates one boot from the next (docs/security.md). */
int wm_port_entropy(uint8_t *buf, size_t len)
{
    uint32_t acc = WM_SYST_CVR;
    for (size_t i = 0; i < len; i++) {
        for (uint32_t k = 0; k < 8u; k++) {
            for (uint32_t spin = acc & 7u; spin > 0; spin--) {
                (void)WM_UART_STATE;
            }
            acc = (acc << 5) ^ (acc >> 27) ^ WM_SYST_CVR;
        }
        buf[i] = (uint8_t)(acc ^ (acc >> 8) ^ (acc >> 16));
    }
    return WM_RANDOM_SEEDED;
}

void wm_port_idle(void)
{
    /* Sleep unless a byte is already waiting; SysTick or the UART wakes us. With interrupts
     * masked a pending one still ends WFI, so a byte arriving after the check is not slept
     * through. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (wm_rx_tail == wm_rx_head && !(WM_UART_STATE & WM_UART_STATE_RXFULL)) {
        __asm__ volatile("dsb\n\twfi" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

void wm_port_reset(void) { wm_reset_with(1u); }

/* ---- GPIO: the FPGAIO block's user LEDs (outputs) and push buttons (inputs) ---- */

#ifdef WM_FPGAIO_BASE
#define WM_FPGAIO_LED WM_REG32(WM_FPGAIO_BASE + 0x00u)
#define WM_FPGAIO_BUTTON WM_REG32(WM_FPGAIO_BASE + 0x08u)

static const char *const wm_pin_names[4] = {"led0", "led1", "button0", "button1"};

static const char *pin_name(void *ctx, uint32_t pin)
{
    (void)ctx;
    return pin < 4u ? wm_pin_names[pin] : "";
}

static uint32_t pin_flags(void *ctx, uint32_t pin)
{
    (void)ctx;
    return pin < 2u ? WM_GPIO_OUT : WM_GPIO_IN;
}

static int pin_write(void *ctx, uint32_t pin, int level)
{
    (void)ctx;
    if (pin >= 2u) {
        return -1;
    }
    uint32_t bit = 1u << pin;
    /* the PWM's timer interrupt writes the same register (mps2_periph.c) */
    __asm__ volatile("cpsid i" ::: "memory");
    WM_FPGAIO_LED = level ? (WM_FPGAIO_LED | bit) : (WM_FPGAIO_LED & ~bit);
    __asm__ volatile("cpsie i" ::: "memory");
    return 0;
}

static int pin_read(void *ctx, uint32_t pin)
{
    (void)ctx;
    if (pin < 2u) {
        return (int)((WM_FPGAIO_LED >> pin) & 1u);
    }
    return pin < 4u ? (int)((WM_FPGAIO_BUTTON >> (pin - 2u)) & 1u) : -1;
}

static const wm_gpio_ops wm_gpio = {0, 4u, pin_name, pin_flags, pin_write, pin_read};

const struct wm_gpio_ops *wm_port_gpio(void) { return &wm_gpio; }
#else
const struct wm_gpio_ops *wm_port_gpio(void) { return 0; }
#endif

const wm_port_info *wm_port_board_info(void)
{
    static wm_port_info info;
    info.board = WM_BOARD_NAME;
    info.cpu = WM_CPU_NAME;
    info.clock_hz = (uint32_t)F_CPU;
    info.ram_free = &__heap_start;
    info.ram_free_size = (size_t)(&__heap_end - &__heap_start);
    info.store = &__store_start;
    info.store_size = (size_t)(&__store_end - &__store_start);
    info.store_sector = WM_STORE_SECTOR;
    return &info;
}

/* The store region is RAM under QEMU: the firmware emulates NOR flash over it. */
const struct wm_flash_ops *wm_port_flash(void) { return 0; }
