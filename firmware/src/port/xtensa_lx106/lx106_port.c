/* The QEMU lx60 port for the Xtensa LX106 (the ESP8266's core): 16550 UART (registers 4 bytes
 * apart), CCOUNT clock with a 1 kHz CCOMPARE0 interrupt that also checks the software
 * watchdog, board facts, reset through the lx60 FPGA's reset register. The UART's interrupt
 * (external interrupt 0, level) is enabled only while idle, so it only ends a WAITI. */
#include <stddef.h>
#include <stdint.h>

#include "port/shared/reset_keep.h"
#include "port/shared/soft_watchdog.h"
#include "random/random.h"
#include "wasmote_port.h"

#define WM_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#ifndef WM_UART_BASE
#error "WM_UART_BASE must come from the board manifest"
#endif
#ifndef WM_CPU_NAME
#define WM_CPU_NAME "lx106"
#endif

/* 16550 with regshift 2: register n at base + 4 n (byte-wide, read as words) */
#define WM_UART_REG(n) WM_REG32(WM_UART_BASE + 4u * (n))
#define WM_UART_RBR WM_UART_REG(0)
#define WM_UART_THR WM_UART_REG(0)
#define WM_UART_IER WM_UART_REG(1)
#define WM_UART_FCR WM_UART_REG(2)
#define WM_UART_LCR WM_UART_REG(3)
#define WM_UART_LSR WM_UART_REG(5)
#define WM_LSR_DR 0x01u
#define WM_LSR_THRE 0x20u

#define WM_FPGA_RESET WM_REG32(0xFD020010u) /* lx60 FPGA: 0xdead resets the board */

#define WM_INT_UART 0u  /* external interrupt 0 */
#define WM_INT_TIMER 6u /* CCOMPARE0 */
#define WM_TICK_CYCLES ((uint32_t)(F_CPU / 1000))

extern uint8_t __heap_start, __heap_end, __store_start, __store_end;

void wm_xt_main(void);
void wm_xt_irq_c(void);
void wm_xt_fault_c(uint32_t cause, uint32_t pc, uint32_t addr);
static void wm_fault_puts(const char *s);

/* What survives a reset (in .noinit, which start-up neither loads nor zeroes). */
static wm_keep wm_kept __attribute__((section(".noinit")));
static uint32_t wm_boot_cause;

static inline uint32_t wm_ccount(void)
{
    uint32_t v;
    __asm__ volatile("rsr %0, ccount" : "=a"(v));
    return v;
}

static inline uint32_t wm_irq_off(void)
{
    uint32_t ps;
    __asm__ volatile("rsil %0, 1" : "=a"(ps)::"memory");
    return ps;
}

static inline void wm_irq_restore(uint32_t ps)
{
    __asm__ volatile("wsr %0, ps\n\trsync" ::"a"(ps) : "memory");
}

static inline uint32_t wm_intenable(void)
{
    uint32_t v;
    __asm__ volatile("rsr %0, intenable" : "=a"(v));
    return v;
}

static inline void wm_set_intenable(uint32_t v)
{
    __asm__ volatile("wsr %0, intenable\n\trsync" ::"a"(v) : "memory");
}

static void wm_reset_with(uint32_t cause)
{
    (void)wm_irq_off();
    wm_kept.cause = cause;
    WM_FPGA_RESET = 0xDEADu;
    for (;;) {
    }
}

uint32_t wm_port_reset_cause(void) { return wm_boot_cause; }

void *wm_port_retained(size_t *size) { return wm_keep_app(&wm_kept, size); }

/* The lx60 has no watchdog device: the tick interrupt is the watchdog. */
static volatile uint32_t wm_ticks;
static wm_soft_watchdog wm_wdog;
/* CCOUNT (32 bits, wraps every 107 s at 40 MHz) extended to milliseconds by the tick. */
static volatile uint32_t wm_next_compare;

void wm_port_watchdog_start(uint32_t timeout_ms)
{
    wm_soft_watchdog_start(&wm_wdog, wm_ticks, timeout_ms);
}

void wm_port_watchdog_kick(void) { wm_soft_watchdog_kick(&wm_wdog, wm_ticks); }

/* The lx60's LEDs are not traced by QEMU: no user pins. */
const struct wm_gpio_ops *wm_port_gpio(void) { return 0; }

/* No buses or channels for modules on this board. */
const struct wm_periph_ops *wm_port_periph(void) { return 0; }

static void wm_uart_init(void)
{
    WM_UART_LCR = 0x03u; /* 8N1 */
    /* FIFOs on, receive interrupt at 8 bytes (or the character timeout), as on riscv32-virt:
     * a trigger of 1 byte would wake the idle WAITI once per byte. */
    WM_UART_FCR = 0x81u;
    WM_UART_IER = 0x01u; /* received-data interrupt: ends WAITI while enabled */
}

static void wm_timer_arm(uint32_t at)
{
    wm_next_compare = at;
    __asm__ volatile("wsr %0, ccompare0\n\tesync" ::"a"(at) : "memory");
}

/* Level-1 interrupts (start.S saved every register). */
void wm_xt_irq_c(void)
{
    uint32_t pending;
    __asm__ volatile("rsr %0, interrupt" : "=a"(pending));
    pending &= wm_intenable();
    if (pending & (1u << WM_INT_TIMER)) {
        uint32_t now = wm_ticks + 1u;
        wm_ticks = now;
        if (wm_soft_watchdog_expired(&wm_wdog, now)) {
            wm_fault_puts("\r\npanic: watchdog, resetting\r\n");
            wm_reset_with(2u);
        }
        uint32_t next = wm_next_compare + WM_TICK_CYCLES;
        /* Behind by more than a tick (a long stall): skip ahead rather than storm. */
        if ((int32_t)(next - wm_ccount()) <= 0) {
            next = wm_ccount() + WM_TICK_CYCLES;
        }
        wm_timer_arm(next); /* writing CCOMPARE0 clears the interrupt */
    }
    if (pending & (1u << WM_INT_UART)) { /* it ended a WAITI; masked again until idle */
        wm_set_intenable(wm_intenable() & ~(1u << WM_INT_UART));
    }
}

void wm_xt_main(void)
{
    wm_boot_cause = wm_keep_boot(&wm_kept);
    wm_uart_init();
    wm_timer_arm(wm_ccount() + WM_TICK_CYCLES);
    wm_set_intenable(1u << WM_INT_TIMER);
    wm_irq_restore(0x20u); /* PS: user vector mode, INTLEVEL 0 */
    wm_app_main();
    wm_port_reset();
}

static void wm_fault_puts(const char *s)
{
    while (*s) {
        while (!(WM_UART_LSR & WM_LSR_THRE)) {
        }
        WM_UART_THR = (uint8_t)*s++;
    }
}

static void wm_fault_hex(uint32_t v)
{
    char buf[9];
    for (int i = 0; i < 8; i++) {
        buf[i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
    }
    buf[8] = 0;
    wm_fault_puts(buf);
}

/* Exceptions (EXCCAUSE, PC, EXCVADDR), or cause 99 from a vector that must never be taken.
 * Printed before the reset: an alignment fault (cause 9) is the first thing to look for on
 * this core, which faults on unaligned loads and stores. */
void wm_xt_fault_c(uint32_t cause, uint32_t pc, uint32_t addr)
{
    wm_fault_puts("\r\npanic: cpu fault, resetting (cause ");
    wm_fault_hex(cause);
    wm_fault_puts(" pc ");
    wm_fault_hex(pc);
    wm_fault_puts(" addr ");
    wm_fault_hex(addr);
    wm_fault_puts(")\r\n");
    wm_reset_with(3u);
}

int wm_port_uart_read(void)
{
    if (WM_UART_LSR & WM_LSR_DR) {
        return (int)(WM_UART_RBR & 0xFFu);
    }
    return -1;
}

size_t wm_port_uart_write(const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && (WM_UART_LSR & WM_LSR_THRE)) {
        WM_UART_THR = buf[n++];
    }
    return n;
}

uint32_t wm_port_millis(void) { return wm_ticks; }

/* No RNG on the lx60: jitter of CCOUNT (from the host's clock under QEMU without -icount)
 * read around a UART status read, as on the other QEMU boards; deterministic under
 * -icount, where only the seed the core keeps across boots separates one boot's numbers. */
int wm_port_entropy(uint8_t *buf, size_t len)
{
    uint32_t acc = wm_ccount();
    for (size_t i = 0; i < len; i++) {
        for (uint32_t k = 0; k < 8u; k++) {
            for (uint32_t spin = acc & 7u; spin > 0; spin--) {
                (void)WM_UART_LSR;
            }
            acc = (acc << 5) ^ (acc >> 27) ^ wm_ccount();
        }
        buf[i] = (uint8_t)(acc ^ (acc >> 8) ^ (acc >> 16));
    }
    return WM_RANDOM_SEEDED;
}

void wm_port_idle(void)
{
    /* Sleep until the next tick or a received byte (its interrupt is enabled only here). */
    uint32_t ps = wm_irq_off();
    wm_set_intenable(wm_intenable() | (1u << WM_INT_UART));
    if (!(WM_UART_LSR & WM_LSR_DR)) {
        __asm__ volatile("waiti 0" ::: "memory"); /* INTLEVEL 0 and wait, atomically */
        (void)wm_irq_off();
    }
    wm_set_intenable(wm_intenable() & ~(1u << WM_INT_UART));
    wm_irq_restore(ps);
}

void wm_port_reset(void) { wm_reset_with(1u); }

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
