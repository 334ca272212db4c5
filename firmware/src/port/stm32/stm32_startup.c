/* NUCLEO-L476RG start-up: vector table, .data/.bss set-up, FPU enable, fault and NMI
 * handling, and the MPU isolation of native (AOT) code: as on mps2, SVCall and the
 * configurable faults go to core/aot's handlers (aot/arch/iso_thumb.S), which turn a fault
 * of unprivileged native code into a trap of its module and hand every other fault back
 * here. The board set-up itself (clock, UART, SysTick, pins) is in stm32_port.c. */
#include <stdint.h>

#include "stm32_port.h"
#include "port/shared/aot_weak_vectors.h"
#include "stm32l4_regs.h"
#include "wasmote_port.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;

void wm_stm32_reset_handler(void);
void wm_stm32_nmi_handler(void);
void wm_stm32_fault_handler(void);
void wm_stm32_default_handler(void);
/* core/aot (aot/arch/iso_thumb.S, iso_cortexm.c), or weak stand-ins without it */
WM_AOT_WEAK_VECTORS(wm_stm32_default_handler, wm_stm32_fault_handler, wm_stm32_systick_handler);

typedef void (*wm_vector)(void);

/* Exceptions 1..15, then external interrupts up to USART2 (38), the last one used. The
 * others are never enabled; a stray one would vector to 0 and end in the fault handler. */
__attribute__((section(".vectors"),
               used)) static const wm_vector wm_vectors[16 + WM_USART2_IRQ + 1] = {
    [0] = (wm_vector)(uintptr_t)&__stack_top,
    [1] = wm_stm32_reset_handler,
    [2] = wm_stm32_nmi_handler,
    [3] = wm_stm32_fault_handler,    /* HardFault */
    [4] = wm_aot_fault_vector,       /* MemManage */
    [5] = wm_aot_fault_vector,       /* BusFault */
    [6] = wm_aot_fault_vector,       /* UsageFault */
    [11] = wm_aot_svc_vector,        /* SVCall: native code's gate */
    [12] = wm_stm32_default_handler, /* DebugMon */
    [14] = wm_stm32_default_handler, /* PendSV */
    [15] = wm_aot_tick_vector,
    [16 + WM_USART1_IRQ] = wm_stm32_usart1_handler, /* modules' UART */
    [16 + WM_USART2_IRQ] = wm_stm32_usart2_handler,
};

void wm_stm32_reset_handler(void)
{
    uint32_t *src = &__data_load;
    uint32_t *dst = &__data_start;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end; dst++) {
        *dst = 0;
    }
    /* Full access to CP10/CP11 before any compiler-generated FPU instruction runs. */
    WM_SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    WM_SCB_VTOR = (uint32_t)(uintptr_t)wm_vectors;
    wm_stm32_board_init();
    (void)wm_aot_isolation_init(); /* the L476's MPU (PMSAv7, 8 regions) for native code */
    wm_app_main();
    for (;;) {
        wm_port_reset();
    }
}

/* A fault in the firmware itself (wasm modules trap in the runtime, they never fault the
 * CPU): say so on the UART, then reset so a host sees a fresh banner. */
void wm_stm32_fault_handler(void)
{
    wm_stm32_panic("\r\npanic: cpu fault, resetting\r\n", WM_STM32_RESET_FAULT);
}

void wm_aot_iso_firmware_fault(void) { wm_stm32_fault_handler(); }

/* The flash raises NMI on a double ECC error. In the store region that is a double word a
 * power cut interrupted while it was being programmed: the read returned garbage, which
 * the store's and config area's CRCs reject, so clear the flag and go on. Anywhere else
 * (the image) it is fatal. */
void wm_stm32_nmi_handler(void)
{
    uint32_t eccr = WM_FLASH_ECCR;
    if (eccr & WM_FLASH_ECCR_ECCD) {
        uint32_t addr = WM_FLASH_BASE + (eccr & WM_FLASH_ECCR_ADDR_MASK) +
                        ((eccr & WM_FLASH_ECCR_BK) ? WM_FLASH_BANK_SIZE : 0u);
        if (wm_stm32_in_store(addr)) {
            WM_FLASH_ECCR = eccr; /* ECCD is cleared by writing 1 */
            return;
        }
    }
    wm_stm32_panic("\r\npanic: nmi (flash ecc), resetting\r\n", WM_STM32_RESET_FAULT);
}

void wm_stm32_default_handler(void) {}
