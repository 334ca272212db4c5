/* Cortex-M start-up for the mps2 boards: vector table, .data/.bss set-up, FPU enable,
 * fault reporting, and the MPU isolation of native (AOT) code: SVCall and the configurable
 * faults go to core/aot's handlers (aot/arch/iso_thumb.S), which turn a fault of unprivileged
 * native code into a trap of its module and hand every other fault back here. CPU
 * differences (M3/M4F/M33) are only the FPU enable below. */
#include <stdint.h>

#include "mps2_regs.h"
#include "port/shared/aot_weak_vectors.h"
#include "wasmote_port.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;

void wm_mps2_reset_handler(void);
void wm_mps2_fault_handler(void);
void wm_mps2_default_handler(void);
void wm_mps2_systick_handler(void);
void wm_mps2_uart_rx_handler(void);
void wm_mps2_clock_init(void);
void wm_mps2_uart_init(void);
void wm_mps2_boot_cause_init(void);
void wm_mps2_periph_init(void);
void wm_mps2_aux_uart_handler(void);
void wm_mps2_pwm_timer_handler(void);
void wm_mps2_fault_reset(void);

/* core/aot (aot.h, aot/arch/iso_thumb.S), or weak stand-ins without it */
WM_AOT_WEAK_VECTORS(wm_mps2_default_handler, wm_mps2_fault_handler, wm_mps2_systick_handler);

typedef void (*wm_vector)(void);

#define WM_EXTERNAL_IRQS 48

/* Exceptions 1..15 then external interrupts; the UART RX interrupt only wakes WFI. */
__attribute__((section(".vectors"),
               used)) static const wm_vector wm_vectors[16 + WM_EXTERNAL_IRQS] = {
    [0] = (wm_vector)(uintptr_t)&__stack_top,
    [1] = wm_mps2_reset_handler,
    [2] = wm_mps2_fault_handler,    /* NMI */
    [3] = wm_mps2_fault_handler,    /* HardFault */
    [4] = wm_aot_fault_vector,      /* MemManage */
    [5] = wm_aot_fault_vector,      /* BusFault */
    [6] = wm_aot_fault_vector,      /* UsageFault */
    [7] = wm_mps2_fault_handler,    /* SecureFault (v8-M) */
    [11] = wm_aot_svc_vector,       /* SVCall: native code's gate */
    [12] = wm_mps2_default_handler, /* DebugMon */
    [14] = wm_mps2_default_handler, /* PendSV */
    [15] = wm_aot_tick_vector,
    [16 + WM_UART_RX_IRQ] = wm_mps2_uart_rx_handler,
#ifdef WM_AUX_UART_IRQ0 /* modules' UARTs (mps2_periph.c) */
    [16 + WM_AUX_UART_IRQ0] = wm_mps2_aux_uart_handler,
#endif
#ifdef WM_AUX_UART_IRQ1
    [16 + WM_AUX_UART_IRQ1] = wm_mps2_aux_uart_handler,
#endif
#ifdef WM_PWM_TIMER_IRQ
    [16 + WM_PWM_TIMER_IRQ] = wm_mps2_pwm_timer_handler,
#endif
};

void wm_mps2_reset_handler(void)
{
    uint32_t *src = &__data_load;
    uint32_t *dst = &__data_start;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end; dst++) {
        *dst = 0;
    }
#if defined(__ARM_FP)
    /* Full access to CP10/CP11 before any compiler-generated FPU instruction runs. */
    WM_SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    WM_SCB_VTOR = (uint32_t)(uintptr_t)wm_vectors;
    (void)wm_aot_isolation_init(); /* the MPU for native code, when the CPU has one */
    wm_mps2_boot_cause_init();
    wm_mps2_uart_init();
    wm_mps2_periph_init();
    wm_mps2_clock_init();
    wm_app_main();
    for (;;) {
        wm_port_reset();
    }
}

static void wm_fault_puts(const char *s)
{
    while (*s) {
        while (WM_UART_STATE & WM_UART_STATE_TXFULL) {
        }
        WM_UART_DATA = (uint8_t)*s++;
    }
}

/* A fault in the firmware itself (never in a wasm module: those trap in the interpreter, and
 * a fault of isolated native code is a trap of its module): say so on the UART, then reset
 * so a host sees a fresh banner. */
void wm_mps2_fault_handler(void)
{
    wm_fault_puts("\r\npanic: cpu fault, resetting\r\n");
    wm_mps2_fault_reset();
}

void wm_aot_iso_firmware_fault(void) { wm_mps2_fault_handler(); }

void wm_mps2_default_handler(void) {}
