/* NUCLEO-L476RG port (env nucleo_l476rg; PlatformIO platform ststm32, no framework): bare
 * registers. 80 MHz from the PLL on HSI16 (no crystal needed), USART2 on PA2/PA3 = the
 * ST-LINK virtual COM port at 115200 8N1 with an interrupt-fed receive ring, SysTick
 * milliseconds, the IWDG, reset cause from RCC_CSR, LD2 (PA5) and B1 (PC13) as
 * led0/button0. The store region's flash driver is stm32_flash.c; modules' buses and
 * channels are stm32_periph.c. */
#include <stddef.h>
#include <stdint.h>

#include "port/shared/reset_keep.h"
#include "random/random.h"
#include "sandbox/gpio.h"
#include "stm32_port.h"
#include "stm32l4_regs.h"
#include "wasmote_port.h"

#define WM_CLOCK_HZ 80000000u
#define WM_HSI_HZ 16000000u /* also the UART's kernel clock, whatever SYSCLK is */
#define WM_BAUD 115200u
#define WM_RX_RING 1024u /* power of two; covers a 25 ms page erase at full line rate */

extern uint8_t __heap_start, __heap_end, __store_start, __store_end, __store_sector;

/* The port's mutable state: tick count, receive ring (ISR writes head, thread reads tail),
 * and what survives a reset (in .noinit, which start-up neither loads nor zeroes). */
static volatile uint32_t wm_ticks_ms;
static volatile uint32_t wm_rx_head, wm_rx_tail;
static volatile uint8_t wm_rx_buf[WM_RX_RING];
static uint32_t wm_boot_cause;

static wm_keep wm_kept __attribute__((section(".noinit")));

/* RCC_CSR says which reset it was; a software reset (SYSRESETREQ) is either RESET or a
 * fault, which only the word left in .noinit tells apart. Power-on, brown-out and the
 * NRST pin count as power-on (0). */
static void wm_boot_cause_init(void)
{
    uint32_t csr = WM_RCC_CSR;
    uint32_t announced = wm_keep_announced(&wm_kept);
    if (csr & (WM_RCC_CSR_IWDGRSTF | WM_RCC_CSR_WWDGRSTF)) {
        wm_boot_cause = WM_STM32_RESET_WATCHDOG;
    } else if (csr & WM_RCC_CSR_SFTRSTF) {
        wm_boot_cause = announced != 0u ? announced : WM_STM32_RESET_SOFTWARE;
    } else {
        wm_boot_cause = 0u;
    }
    WM_RCC_CSR |= WM_RCC_CSR_RMVF;
    wm_keep_start(&wm_kept, !wm_keep_valid(&wm_kept));
}

static void wm_reset_with(uint32_t cause)
{
    wm_kept.cause = cause;
    __asm__ volatile("dsb" ::: "memory");
    WM_SCB_AIRCR = (0x5FAu << 16) | (1u << 2); /* VECTKEY | SYSRESETREQ */
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}

void wm_stm32_panic(const char *msg, uint32_t cause)
{
    /* Only once the UART runs (a fault during start-up just resets), and never waiting
     * long for it: the reset matters, the message is a courtesy. */
    bool up = (WM_RCC_APB1ENR1 & (1u << 17)) && (WM_USART2_CR1 & WM_USART_CR1_UE);
    while (up && *msg) {
        for (uint32_t spin = 0; !(WM_USART2_ISR & WM_USART_ISR_TXE) && spin < 100000u; spin++) {
        }
        WM_USART2_TDR = (uint8_t)*msg++;
    }
    wm_reset_with(cause);
}

void wm_stm32_board_init(void)
{
    wm_boot_cause_init();
    /* SYSCLK = PLL: HSI16 / M 2 * N 20 / R 2 = 80 MHz (VCO in 8 MHz, VCO out 160 MHz), the
     * part's maximum in voltage range 1 (the reset value), which needs 4 flash wait states
     * before the switch. AHB and APB prescalers stay 1. */
    WM_RCC_CR |= WM_RCC_CR_HSION;
    while (!(WM_RCC_CR & WM_RCC_CR_HSIRDY)) {
    }
    WM_FLASH_ACR = (WM_FLASH_ACR & ~WM_FLASH_ACR_LATENCY_MASK) | 4u;
    while ((WM_FLASH_ACR & WM_FLASH_ACR_LATENCY_MASK) != 4u) {
    }
    WM_RCC_PLLCFGR = (2u << 0) /* PLLSRC HSI16 */ | ((2u - 1u) << 4) /* M */ | (20u << 8) /* N */ |
                     (1u << 24) /* PLLREN */ | (0u << 25) /* R = 2 */;
    WM_RCC_CR |= WM_RCC_CR_PLLON;
    while (!(WM_RCC_CR & WM_RCC_CR_PLLRDY)) {
    }
    WM_RCC_CFGR = (WM_RCC_CFGR & ~0x3u) | 0x3u;
    while ((WM_RCC_CFGR & 0xCu) != 0xCu) {
    }

    WM_RCC_AHB2ENR |= (1u << 0) | (1u << 2);                    /* GPIOA, GPIOC */
    WM_RCC_CCIPR = (WM_RCC_CCIPR & ~(0x3u << 2)) | (0x2u << 2); /* USART2 kernel: HSI16 */
    WM_RCC_APB1ENR1 |= 1u << 17;                                /* USART2 */
    (void)WM_RCC_APB1ENR1; /* the clock is on once this read returns */
    /* PA2/PA3 alternate function 7 (USART2), PA5 output (LD2), PC13 input (B1). Pins reset
     * to analog mode (11). */
    WM_GPIO_AFRL(WM_GPIOA_BASE) = (WM_GPIO_AFRL(WM_GPIOA_BASE) & ~(0xFFu << 8)) | (0x77u << 8);
    WM_GPIO_MODER(WM_GPIOA_BASE) =
        (WM_GPIO_MODER(WM_GPIOA_BASE) & ~((0x3u << 4) | (0x3u << 6) | (0x3u << 10))) | (0x2u << 4) |
        (0x2u << 6) | (0x1u << 10);
    WM_GPIO_MODER(WM_GPIOC_BASE) &= ~(0x3u << 26);
    WM_GPIO_PUPDR(WM_GPIOC_BASE) &= ~(0x3u << 26); /* the board pulls B1 up */

    WM_USART2_BRR = (WM_HSI_HZ + WM_BAUD / 2u) / WM_BAUD; /* 139, oversampling by 16 */
    WM_USART2_CR1 = WM_USART_CR1_UE | WM_USART_CR1_RE | WM_USART_CR1_TE | WM_USART_CR1_RXNEIE;
    WM_NVIC_ISER(WM_USART2_IRQ / 32u) = 1u << (WM_USART2_IRQ % 32u);

    WM_SYST_RVR = WM_CLOCK_HZ / 1000u - 1u;
    WM_SYST_CVR = 0;
    WM_SYST_CSR = 0x7u;     /* processor clock, interrupt, enable */
    wm_stm32_periph_init(); /* what modules may be granted (stm32_periph.c) */
}

void wm_stm32_systick_handler(void) { wm_ticks_ms = wm_ticks_ms + 1u; }

/* The receive register holds one byte (87 us at 115200 baud): the interrupt moves each
 * byte into the ring at once, so flash programming or a busy module cannot lose input. A
 * byte lost anyway (overrun, full ring) is caught by the protocol's CRC and resent. */
void wm_stm32_usart2_handler(void)
{
    uint32_t isr = WM_USART2_ISR;
    if (isr & WM_USART_ISR_ERRORS) {
        WM_USART2_ICR = isr & WM_USART_ISR_ERRORS;
    }
    if (isr & WM_USART_ISR_RXNE) {
        uint8_t b = (uint8_t)WM_USART2_RDR;
        uint32_t head = wm_rx_head;
        uint32_t next = (head + 1u) & (WM_RX_RING - 1u);
        if (next != wm_rx_tail) {
            wm_rx_buf[head] = b;
            wm_rx_head = next;
        }
    }
}

int wm_port_uart_read(void)
{
    uint32_t tail = wm_rx_tail;
    if (tail == wm_rx_head) {
        return -1;
    }
    int b = wm_rx_buf[tail];
    wm_rx_tail = (tail + 1u) & (WM_RX_RING - 1u);
    return b;
}

size_t wm_port_uart_write(const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && (WM_USART2_ISR & WM_USART_ISR_TXE)) {
        WM_USART2_TDR = buf[n++];
    }
    return n;
}

uint32_t wm_port_millis(void) { return wm_ticks_ms; }

/* The STM32L4's true RNG. It needs a 48 MHz CLK48: the MSI, which start-up leaves running
 * but no longer uses once SYSCLK is the PLL, is switched to its 48 MHz range for it. A
 * seed or clock error (SECS/CECS) fails the call rather than deliver suspect bytes. */
int wm_port_entropy(uint8_t *buf, size_t len)
{
    if (!(WM_RCC_AHB2ENR & WM_RCC_AHB2ENR_RNGEN)) {
        WM_RCC_CR |= WM_RCC_CR_MSION; /* on since reset, unless something turned it off */
        while (!(WM_RCC_CR & WM_RCC_CR_MSIRDY)) {
        }
        /* the range may change while the MSI is ready (RM0351 6.2.3) */
        WM_RCC_CR = (WM_RCC_CR & ~(0xFu << 4)) | WM_RCC_CR_MSIRANGE_48M | WM_RCC_CR_MSIRGSEL;
        while (!(WM_RCC_CR & WM_RCC_CR_MSIRDY)) {
        }
        WM_RCC_CCIPR = (WM_RCC_CCIPR & ~(3u << 26)) | WM_RCC_CCIPR_CLK48SEL_MSI;
        WM_RCC_AHB2ENR |= WM_RCC_AHB2ENR_RNGEN;
        (void)WM_RCC_AHB2ENR; /* the clock is on once this read returns */
        WM_RNG_CR |= WM_RNG_CR_RNGEN;
    }
    for (size_t i = 0; i < len; i += 4u) {
        uint32_t spins = 0;
        while (!(WM_RNG_SR & WM_RNG_SR_DRDY)) {
            if ((WM_RNG_SR & (WM_RNG_SR_SECS | WM_RNG_SR_CECS)) || ++spins > 100000u) {
                WM_RNG_SR = ~WM_RNG_SR_SEIS; /* clear, so that the next call tries again */
                return -1;
            }
        }
        uint32_t w = WM_RNG_DR;
        for (size_t b = 0; b < 4u && i + b < len; b++) {
            buf[i + b] = (uint8_t)(w >> (8u * b));
        }
    }
    return WM_RANDOM_HARDWARE;
}

void wm_port_idle(void)
{
    /* With interrupts masked a pending one still ends WFI, so a byte arriving between the
     * check and the WFI cannot be slept through; SysTick wakes us within 1 ms anyway. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (wm_rx_tail == wm_rx_head) {
        __asm__ volatile("dsb\n\twfi" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

void wm_port_reset(void) { wm_reset_with(WM_STM32_RESET_SOFTWARE); }

uint32_t wm_port_reset_cause(void) { return wm_boot_cause; }

void *wm_port_retained(size_t *size) { return wm_keep_app(&wm_kept, size); }

/* IWDG: counter clock LSI / (4 << PR) with the LSI at ~32 kHz, i.e. 8 >> PR ticks per
 * millisecond; the 12-bit reload picks the smallest prescaler that reaches the timeout
 * (2 s: PR 2, reload 3999). Up to ~32 s. */
void wm_port_watchdog_start(uint32_t timeout_ms)
{
    uint32_t ms = timeout_ms == 0u ? 1u : (timeout_ms > 32000u ? 32000u : timeout_ms);
    uint32_t pr = 0;
    while (pr < 6u && ((ms * 8u) >> pr) > 4096u) {
        pr++;
    }
    uint32_t ticks = (ms * 8u) >> pr;
    WM_IWDG_KR = 0xCCCCu; /* start (also starts the LSI) */
    WM_IWDG_KR = 0x5555u; /* unlock PR and RLR */
    WM_IWDG_PR = pr;
    WM_IWDG_RLR = (ticks > 0u ? ticks : 1u) - 1u;
    while (WM_IWDG_SR & 0x7u) {
    }
    WM_IWDG_KR = 0xAAAAu;
}

void wm_port_watchdog_kick(void) { WM_IWDG_KR = 0xAAAAu; }

/* ---- GPIO: LD2 (PA5, green LED, active high) and B1 (PC13, user button, active low; read
 * as 1 while pressed) ---- */

static const char *const wm_pin_names[2] = {"led0", "button0"};

static const char *pin_name(void *ctx, uint32_t pin)
{
    (void)ctx;
    return pin < 2u ? wm_pin_names[pin] : "";
}

static uint32_t pin_flags(void *ctx, uint32_t pin)
{
    (void)ctx;
    return pin == 0u ? WM_GPIO_OUT : WM_GPIO_IN;
}

static int pin_write(void *ctx, uint32_t pin, int level)
{
    (void)ctx;
    if (pin != 0u) {
        return -1;
    }
    WM_GPIO_BSRR(WM_GPIOA_BASE) = level ? (1u << 5) : (1u << (5 + 16));
    return 0;
}

static int pin_read(void *ctx, uint32_t pin)
{
    (void)ctx;
    if (pin == 0u) {
        return (int)((WM_GPIO_ODR(WM_GPIOA_BASE) >> 5) & 1u);
    }
    return pin == 1u ? (int)(((WM_GPIO_IDR(WM_GPIOC_BASE) >> 13) & 1u) ^ 1u) : -1;
}

static const wm_gpio_ops wm_gpio = {0, 2u, pin_name, pin_flags, pin_write, pin_read};

const struct wm_gpio_ops *wm_port_gpio(void) { return &wm_gpio; }

bool wm_stm32_in_store(uint32_t addr)
{
    return addr >= (uint32_t)(uintptr_t)&__store_start && addr < (uint32_t)(uintptr_t)&__store_end;
}

const wm_port_info *wm_port_board_info(void)
{
    static wm_port_info info;
    info.board = "nucleo_l476rg";
    info.cpu = "cortex-m4f";
    info.clock_hz = WM_CLOCK_HZ;
    info.ram_free = &__heap_start;
    info.ram_free_size = (size_t)(&__heap_end - &__heap_start);
    info.store = &__store_start;
    info.store_size = (size_t)(&__store_end - &__store_start);
    info.store_sector = (uint32_t)(uintptr_t)&__store_sector;
    return &info;
}
