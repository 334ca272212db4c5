/* The QEMU riscv virt port: NS16550 UART, CLINT mtime clock with a 1 kHz machine-timer
 * interrupt that also checks the software watchdog, board facts, reset through the SiFive
 * test device. The UART interrupt is masked at the PLIC (threshold 1) except while idle, so
 * it only ends a WFI. */
#include <stddef.h>
#include <stdint.h>

#include "port/shared/reset_keep.h"
#include "port/shared/soft_watchdog.h"
#include "random/random.h"
#include "wasmote_port.h"

#define WM_REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))
#define WM_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#ifndef WM_UART_BASE
#error "WM_UART_BASE must come from the board manifest"
#endif
#ifndef WM_CPU_NAME
#define WM_CPU_NAME "rv32"
#endif

#define WM_UART_RBR WM_REG8(WM_UART_BASE + 0u)
#define WM_UART_THR WM_REG8(WM_UART_BASE + 0u)
#define WM_UART_IER WM_REG8(WM_UART_BASE + 1u)
#define WM_UART_FCR WM_REG8(WM_UART_BASE + 2u)
#define WM_UART_LCR WM_REG8(WM_UART_BASE + 3u)
#define WM_UART_LSR WM_REG8(WM_UART_BASE + 5u)
#define WM_LSR_DR 0x01u
#define WM_LSR_THRE 0x20u

#define WM_CLINT_MTIMECMP_LO WM_REG32(0x02004000u)
#define WM_CLINT_MTIMECMP_HI WM_REG32(0x02004004u)
#define WM_CLINT_MTIME_LO WM_REG32(0x0200BFF8u)
#define WM_CLINT_MTIME_HI WM_REG32(0x0200BFFCu)
#define WM_MTIME_HZ 10000000u /* QEMU virt ACLINT timebase */

#define WM_PLIC_PRIORITY(irq) WM_REG32(0x0C000000u + 4u * (irq))
#define WM_PLIC_ENABLE_M0 WM_REG32(0x0C002000u)
#define WM_PLIC_THRESHOLD_M0 WM_REG32(0x0C200000u)
#define WM_PLIC_CLAIM_M0 WM_REG32(0x0C200004u)
#define WM_UART_IRQ 10u

#define WM_SIFIVE_TEST WM_REG32(0x00100000u)

extern uint8_t __heap_start, __heap_end, __store_start, __store_end;

void wm_rv_main(void);
void wm_rv_fault(void);
static void wm_fault_puts(const char *s);

/* What survives a reset (in .noinit, which start-up neither loads nor zeroes). */
static wm_keep wm_kept __attribute__((section(".noinit")));
static uint32_t wm_boot_cause;

static void wm_reset_with(uint32_t cause)
{
    wm_kept.cause = cause;
    WM_SIFIVE_TEST = 0x7777u; /* QEMU: system reset */
    for (;;) {
    }
}

uint32_t wm_port_reset_cause(void) { return wm_boot_cause; }

void *wm_port_retained(size_t *size) { return wm_keep_app(&wm_kept, size); }

/* QEMU virt has no watchdog device: the timer interrupt is the watchdog. */
static volatile uint32_t wm_ticks;
static wm_soft_watchdog wm_wdog;

void wm_port_watchdog_start(uint32_t timeout_ms)
{
    wm_soft_watchdog_start(&wm_wdog, wm_ticks, timeout_ms);
}

void wm_port_watchdog_kick(void) { wm_soft_watchdog_kick(&wm_wdog, wm_ticks); }

/* QEMU virt has no user pins. */
const struct wm_gpio_ops *wm_port_gpio(void) { return 0; }

const struct wm_periph_ops *wm_port_periph(void) { return 0; }

static uint64_t wm_mtime(void)
{
    uint32_t hi, lo;
    do { /* re-read when the low word carried into the high word meanwhile */
        hi = WM_CLINT_MTIME_HI;
        lo = WM_CLINT_MTIME_LO;
    } while (hi != WM_CLINT_MTIME_HI);
    return ((uint64_t)hi << 32) | lo;
}

static void wm_uart_init(void)
{
    WM_UART_LCR = 0x03u; /* 8N1 */
    /* FIFOs on, receive interrupt at 8 bytes (or the character timeout): with a trigger of
     * 1 byte QEMU hands the UART one byte per main-loop turn and each wakes the idle WFI,
     * about 2.5 KB/s, slower than the host's retransmit timer allows for a window - pushes
     * stalled and the device drowned in resent chunks (power-cut campaign). Shorter frames
     * still arrive at once: DR skips the WFI and the 1 kHz tick ends it. */
    WM_UART_FCR = 0x81u;
    WM_UART_IER = 0x01u; /* received-data interrupt: ends WFI through the PLIC */
    WM_PLIC_PRIORITY(WM_UART_IRQ) = 1u;
    WM_PLIC_ENABLE_M0 = 1u << WM_UART_IRQ;
    WM_PLIC_THRESHOLD_M0 = 1u; /* masked until wm_port_idle */
}

static void wm_timer_next(void)
{
    uint64_t at = wm_mtime() + WM_MTIME_HZ / 1000u;
    /* High word first with an impossible value, so no spurious match in between. */
    WM_CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
    WM_CLINT_MTIMECMP_LO = (uint32_t)at;
    WM_CLINT_MTIMECMP_HI = (uint32_t)(at >> 32);
}

void wm_rv_trap_c(uint32_t mcause);

/* Interrupts return; exceptions are firmware faults. */
void wm_rv_trap_c(uint32_t mcause)
{
    if ((mcause & 0x80000000u) == 0u) {
        wm_rv_fault();
    }
    uint32_t code = mcause & 0x7FFFFFFFu;
    if (code == 7u) { /* machine timer: tick, watchdog */
        uint32_t now = wm_ticks + 1u;
        wm_ticks = now;
        if (wm_soft_watchdog_expired(&wm_wdog, now)) {
            wm_fault_puts("\r\npanic: watchdog, resetting\r\n");
            wm_reset_with(2u);
        }
        wm_timer_next();
    } else if (code == 11u) { /* external (the UART): it ended a WFI; mask it again */
        uint32_t claim = WM_PLIC_CLAIM_M0;
        WM_PLIC_THRESHOLD_M0 = 1u;
        if (claim != 0u) {
            WM_PLIC_CLAIM_M0 = claim;
        }
    }
}

void wm_rv_main(void)
{
    wm_boot_cause = wm_keep_boot(&wm_kept);
    wm_uart_init();
    wm_timer_next();
    /* machine timer + external interrupts on, then globally */
    __asm__ volatile("csrw mie, %0" ::"r"((1u << 11) | (1u << 7)));
    __asm__ volatile("csrsi mstatus, 8");
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

void wm_rv_fault(void)
{
    wm_fault_puts("\r\npanic: cpu fault, resetting\r\n");
    wm_reset_with(3u);
}

int wm_port_uart_read(void)
{
    if (WM_UART_LSR & WM_LSR_DR) {
        return (int)WM_UART_RBR;
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

uint32_t wm_port_millis(void) { return (uint32_t)(wm_mtime() / (WM_MTIME_HZ / 1000u)); }

/* QEMU virt has an RNG only as a virtio device we do not drive: jitter of the CLINT's
 * mtime (10 MHz, from the host's clock without -icount) read around a UART status read.
 * Deterministic under -icount: then only the seed the core keeps across boots helps. */
int wm_port_entropy(uint8_t *buf, size_t len)
{
    uint32_t acc = (uint32_t)wm_mtime();
    for (size_t i = 0; i < len; i++) {
        for (uint32_t k = 0; k < 8u; k++) {
            for (uint32_t spin = acc & 7u; spin > 0; spin--) {
                (void)WM_UART_LSR;
            }
            acc = (acc << 5) ^ (acc >> 27) ^ (uint32_t)wm_mtime();
        }
        buf[i] = (uint8_t)(acc ^ (acc >> 8) ^ (acc >> 16));
    }
    return WM_RANDOM_SEEDED;
}

void wm_port_idle(void)
{
    /* Sleep until the next tick or a received byte (its interrupt is unmasked only here). */
    WM_PLIC_THRESHOLD_M0 = 0u;
    if (!(WM_UART_LSR & WM_LSR_DR)) {
        __asm__ volatile("wfi");
    }
    WM_PLIC_THRESHOLD_M0 = 1u;
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
