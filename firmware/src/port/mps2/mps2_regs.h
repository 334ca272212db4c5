/* Register addresses of the Cortex-M system block and the CMSDK APB UART (mps2 boards).
 * The UART base and its RX interrupt number come from the board manifest's build flags. */
#ifndef WM_MPS2_REGS_H
#define WM_MPS2_REGS_H

#include <stdint.h>

#define WM_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System control space (same addresses on v7-M and v8-M). */
#define WM_SYST_CSR WM_REG32(0xE000E010u)
#define WM_SYST_RVR WM_REG32(0xE000E014u)
#define WM_SYST_CVR WM_REG32(0xE000E018u)
#define WM_NVIC_ISER(n) WM_REG32(0xE000E100u + 4u * (n))
#define WM_SCB_VTOR WM_REG32(0xE000ED08u)
#define WM_SCB_AIRCR WM_REG32(0xE000ED0Cu)
#define WM_SCB_CPACR WM_REG32(0xE000ED88u)

/* CMSDK APB UART. */
#ifndef WM_UART_BASE
#error "WM_UART_BASE must come from the board manifest (build.extra_flags)"
#endif
#define WM_UART_DATA WM_REG32(WM_UART_BASE + 0x00u)
#define WM_UART_STATE WM_REG32(WM_UART_BASE + 0x04u)
#define WM_UART_CTRL WM_REG32(WM_UART_BASE + 0x08u)
#define WM_UART_INTCLEAR WM_REG32(WM_UART_BASE + 0x0Cu)
#define WM_UART_BAUDDIV WM_REG32(WM_UART_BASE + 0x10u)

#define WM_UART_STATE_TXFULL 0x1u
#define WM_UART_STATE_RXFULL 0x2u
#define WM_UART_CTRL_TXEN 0x1u
#define WM_UART_CTRL_RXEN 0x2u
#define WM_UART_CTRL_RXIRQEN 0x8u
#define WM_UART_INT_RX 0x2u

#endif /* WM_MPS2_REGS_H */
