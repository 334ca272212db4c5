/* Nucleo-F446RE port (env nucleo_f446re, PlatformIO platform ststm32, no framework): bare
 * registers, runs on the 16 MHz HSI (no PLL set-up: simplest thing that works), USART2 on
 * PA2/PA3 = the ST-LINK virtual COM port, SysTick milliseconds, module store in flash
 * sector 7. Needs PlatformIO's registry to build; it cannot be built or run here. */
#include <stddef.h>
#include <stdint.h>

#include "wasmote_port.h"

#define WM_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define WM_RCC_AHB1ENR WM_REG32(0x40023830u)
#define WM_RCC_APB1ENR WM_REG32(0x40023840u)
#define WM_GPIOA_MODER WM_REG32(0x40020000u)
#define WM_GPIOA_AFRL WM_REG32(0x40020020u)
#define WM_USART2_SR WM_REG32(0x40004400u)
#define WM_USART2_DR WM_REG32(0x40004404u)
#define WM_USART2_BRR WM_REG32(0x40004408u)
#define WM_USART2_CR1 WM_REG32(0x4000440Cu)
#define WM_SR_RXNE (1u << 5)
#define WM_SR_TXE (1u << 7)

#define WM_SYST_CSR WM_REG32(0xE000E010u)
#define WM_SYST_RVR WM_REG32(0xE000E014u)
#define WM_SYST_CVR WM_REG32(0xE000E018u)
#define WM_SCB_VTOR WM_REG32(0xE000ED08u)
#define WM_SCB_AIRCR WM_REG32(0xE000ED0Cu)
#define WM_SCB_CPACR WM_REG32(0xE000ED88u)

#define WM_HSI_HZ 16000000u
#define WM_STORE_BASE 0x08060000u /* sector 7, 128 KiB (boards/nucleo_f446re.json) */
#define WM_STORE_SIZE 0x20000u

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
extern uint8_t __heap_start, __heap_end;

void wm_stm32_reset_handler(void);
void wm_stm32_fault_handler(void);
void wm_stm32_systick_handler(void);

static volatile uint32_t wm_ticks_ms;

typedef void (*wm_vector)(void);

__attribute__((section(".vectors"), used)) static const wm_vector wm_vectors[16] = {
    [0] = (wm_vector)(uintptr_t)&__stack_top,
    [1] = wm_stm32_reset_handler,
    [2] = wm_stm32_fault_handler,
    [3] = wm_stm32_fault_handler,
    [4] = wm_stm32_fault_handler,
    [5] = wm_stm32_fault_handler,
    [6] = wm_stm32_fault_handler,
    [15] = wm_stm32_systick_handler,
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
    WM_SCB_CPACR |= (0xFu << 20); /* FPU on before any float instruction */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    WM_SCB_VTOR = (uint32_t)(uintptr_t)wm_vectors;

    WM_RCC_AHB1ENR |= 1u << 0;  /* GPIOA */
    WM_RCC_APB1ENR |= 1u << 17; /* USART2 */
    WM_GPIOA_MODER = (WM_GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4); /* PA2, PA3 alternate */
    WM_GPIOA_AFRL = (WM_GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8); /* AF7 = USART2 */
    WM_USART2_BRR = 0x8Bu; /* 16 MHz / (16 * 8.6875) = 115200 baud */
    WM_USART2_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE, TE, RE */

    WM_SYST_RVR = WM_HSI_HZ / 1000u - 1u;
    WM_SYST_CVR = 0;
    WM_SYST_CSR = 0x7u;

    wm_app_main();
    wm_port_reset();
}

void wm_stm32_fault_handler(void) { wm_port_reset(); }

void wm_stm32_systick_handler(void) { wm_ticks_ms = wm_ticks_ms + 1u; }

int wm_port_uart_read(void)
{
    /* no RX interrupt: the line is polled (wm_port_idle sleeps at most 1 ms) */
    return (WM_USART2_SR & WM_SR_RXNE) ? (int)(WM_USART2_DR & 0xFFu) : -1;
}

size_t wm_port_uart_write(const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && (WM_USART2_SR & WM_SR_TXE)) {
        WM_USART2_DR = buf[n++];
    }
    return n;
}

uint32_t wm_port_millis(void) { return wm_ticks_ms; }

void wm_port_idle(void)
{
    /* at 115200 baud a byte takes 87 us; sleeping a whole tick would overrun the 1-byte
     * receive register, so only yield briefly */
    __asm__ volatile("nop");
}

void wm_port_reset(void)
{
    __asm__ volatile("dsb" ::: "memory");
    WM_SCB_AIRCR = (0x5FAu << 16) | (1u << 2);
    for (;;) {
    }
}

const wm_port_info *wm_port_board_info(void)
{
    static wm_port_info info;
    info.board = "nucleo_f446re";
    info.cpu = "cortex-m4f";
    info.clock_hz = WM_HSI_HZ;
    info.ram_free = &__heap_start;
    info.ram_free_size = (size_t)(&__heap_end - &__heap_start);
    info.store = (uint8_t *)(uintptr_t)WM_STORE_BASE;
    info.store_size = WM_STORE_SIZE;
    info.store_sector = WM_STORE_SIZE;
    return &info;
}
