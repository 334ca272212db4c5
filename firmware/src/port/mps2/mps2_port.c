/* The mps2 port: CMSDK UART, SysTick millisecond clock, board facts, reset. */
#include <stddef.h>
#include <stdint.h>

#include "mps2_regs.h"
#include "wasmote_port.h"

#ifndef WM_CPU_NAME
#define WM_CPU_NAME "cortex-m"
#endif

extern uint8_t __heap_start, __heap_end, __store_start, __store_end;

/* The port's only mutable state: the tick count, advanced by the SysTick interrupt. */
static volatile uint32_t wm_ticks_ms;

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

void wm_mps2_systick_handler(void) { wm_ticks_ms = wm_ticks_ms + 1u; }

void wm_mps2_uart_init(void)
{
    WM_UART_BAUDDIV = 16u; /* QEMU ignores the rate; real hardware needs a valid divider */
    WM_UART_CTRL = WM_UART_CTRL_TXEN | WM_UART_CTRL_RXEN | WM_UART_CTRL_RXIRQEN;
    WM_NVIC_ISER(WM_UART_RX_IRQ / 32u) = 1u << (WM_UART_RX_IRQ % 32u);
}

/* Only there to end WFI when a byte arrives; the byte is read by wm_port_uart_read. */
void wm_mps2_uart_rx_handler(void) { WM_UART_INTCLEAR = WM_UART_INT_RX; }

int wm_port_uart_read(void)
{
    if (WM_UART_STATE & WM_UART_STATE_RXFULL) {
        return (int)(WM_UART_DATA & 0xFFu);
    }
    return -1;
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

void wm_port_idle(void)
{
    /* Sleep unless a byte is already waiting; SysTick or the UART wakes us. */
    if (!(WM_UART_STATE & WM_UART_STATE_RXFULL)) {
        __asm__ volatile("wfi");
    }
}

void wm_port_reset(void)
{
    __asm__ volatile("dsb" ::: "memory");
    WM_SCB_AIRCR = (0x5FAu << 16) | (1u << 2); /* VECTKEY | SYSRESETREQ */
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}

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
