/* Register addresses used by the STM32L476 port (RM0351). Only what the port touches. */
#ifndef WM_STM32L4_REGS_H
#define WM_STM32L4_REGS_H

#include <stdint.h>

#define WM_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define WM_DSB() __asm__ volatile("dsb" ::: "memory")
#define WM_ISB() __asm__ volatile("isb" ::: "memory")

/* Cortex-M4 system control space. */
#define WM_SYST_CSR WM_REG32(0xE000E010u)
#define WM_SYST_RVR WM_REG32(0xE000E014u)
#define WM_SYST_CVR WM_REG32(0xE000E018u)
#define WM_NVIC_ISER(n) WM_REG32(0xE000E100u + 4u * (n))
#define WM_SCB_VTOR WM_REG32(0xE000ED08u)
#define WM_SCB_AIRCR WM_REG32(0xE000ED0Cu)
#define WM_SCB_CPACR WM_REG32(0xE000ED88u)

/* RCC */
#define WM_RCC_CR WM_REG32(0x40021000u)
#define WM_RCC_CFGR WM_REG32(0x40021008u)
#define WM_RCC_PLLCFGR WM_REG32(0x4002100Cu)
#define WM_RCC_AHB2ENR WM_REG32(0x4002104Cu)
#define WM_RCC_APB1ENR1 WM_REG32(0x40021058u)
#define WM_RCC_CCIPR WM_REG32(0x40021088u)
#define WM_RCC_CSR WM_REG32(0x40021094u)
#define WM_RCC_CR_HSION (1u << 8)
#define WM_RCC_CR_HSIRDY (1u << 10)
#define WM_RCC_CR_PLLON (1u << 24)
#define WM_RCC_CR_PLLRDY (1u << 25)
#define WM_RCC_CSR_RMVF (1u << 23)
#define WM_RCC_CSR_SFTRSTF (1u << 28)
#define WM_RCC_CSR_IWDGRSTF (1u << 29)
#define WM_RCC_CSR_WWDGRSTF (1u << 30)

/* GPIO (port A: LD2 on PA5, USART2 on PA2/PA3; port C: B1 on PC13) */
#define WM_GPIOA_BASE 0x48000000u
#define WM_GPIOC_BASE 0x48000800u
#define WM_GPIO_MODER(b) WM_REG32((b) + 0x00u)
#define WM_GPIO_PUPDR(b) WM_REG32((b) + 0x0Cu)
#define WM_GPIO_IDR(b) WM_REG32((b) + 0x10u)
#define WM_GPIO_ODR(b) WM_REG32((b) + 0x14u)
#define WM_GPIO_BSRR(b) WM_REG32((b) + 0x18u)
#define WM_GPIO_AFRL(b) WM_REG32((b) + 0x20u)

/* USART2 (the ST-LINK virtual COM port on Nucleo-64 boards); NVIC interrupt 38. */
#define WM_USART2_CR1 WM_REG32(0x40004400u)
#define WM_USART2_BRR WM_REG32(0x4000440Cu)
#define WM_USART2_ISR WM_REG32(0x4000441Cu)
#define WM_USART2_ICR WM_REG32(0x40004420u)
#define WM_USART2_RDR WM_REG32(0x40004424u)
#define WM_USART2_TDR WM_REG32(0x40004428u)
#define WM_USART2_IRQ 38u
#define WM_USART_CR1_UE (1u << 0)
#define WM_USART_CR1_RE (1u << 2)
#define WM_USART_CR1_TE (1u << 3)
#define WM_USART_CR1_RXNEIE (1u << 5)
#define WM_USART_ISR_ERRORS 0xFu /* PE, FE, NF, ORE; cleared through ICR, same bits */
#define WM_USART_ISR_RXNE (1u << 5)
#define WM_USART_ISR_TXE (1u << 7)

/* RNG (AHB2), clocked by CLK48; RM0351 section 24 */
#define WM_RNG_CR WM_REG32(0x50060800u)
#define WM_RNG_SR WM_REG32(0x50060804u)
#define WM_RNG_DR WM_REG32(0x50060808u)
#define WM_RNG_CR_RNGEN (1u << 2)
#define WM_RNG_SR_DRDY (1u << 0)
#define WM_RNG_SR_CECS (1u << 1)
#define WM_RNG_SR_SECS (1u << 2)
#define WM_RNG_SR_SEIS (1u << 6)
#define WM_RCC_AHB2ENR_RNGEN (1u << 18)
#define WM_RCC_CR_MSION (1u << 0)
#define WM_RCC_CR_MSIRDY (1u << 1)
#define WM_RCC_CR_MSIRGSEL (1u << 3)
#define WM_RCC_CR_MSIRANGE_48M (11u << 4)
#define WM_RCC_CCIPR_CLK48SEL_MSI (3u << 26)

/* IWDG, clocked by the ~32 kHz LSI */
#define WM_IWDG_KR WM_REG32(0x40003000u)
#define WM_IWDG_PR WM_REG32(0x40003004u)
#define WM_IWDG_RLR WM_REG32(0x40003008u)
#define WM_IWDG_SR WM_REG32(0x4000300Cu)

/* Flash interface */
#define WM_FLASH_ACR WM_REG32(0x40022000u)
#define WM_FLASH_KEYR WM_REG32(0x40022008u)
#define WM_FLASH_SR WM_REG32(0x40022010u)
#define WM_FLASH_CR WM_REG32(0x40022014u)
#define WM_FLASH_ECCR WM_REG32(0x40022018u)
#define WM_FLASH_ACR_LATENCY_MASK 0x7u
#define WM_FLASH_ACR_ICEN (1u << 9)
#define WM_FLASH_ACR_DCEN (1u << 10)
#define WM_FLASH_ACR_ICRST (1u << 11)
#define WM_FLASH_ACR_DCRST (1u << 12)
#define WM_FLASH_SR_BSY (1u << 16)
#define WM_FLASH_SR_ERRORS \
    0xC3FAu /* OPERR PROGERR WRPERR PGAERR SIZERR PGSERR MISERR
                                      FASTERR RDERR OPTVERR */
#define WM_FLASH_SR_EOP (1u << 0)
#define WM_FLASH_CR_PG (1u << 0)
#define WM_FLASH_CR_PER (1u << 1)
#define WM_FLASH_CR_PNB_SHIFT 3u
#define WM_FLASH_CR_PNB_MASK (0xFFu << 3)
#define WM_FLASH_CR_BKER (1u << 11)
#define WM_FLASH_CR_STRT (1u << 16)
#define WM_FLASH_CR_LOCK (1u << 31)
#define WM_FLASH_ECCR_ADDR_MASK 0x7FFFFu
#define WM_FLASH_ECCR_BK (1u << 19)
#define WM_FLASH_ECCR_ECCD (1u << 31)

/* Main flash: two banks of 256 pages of 2 KiB (1 MiB parts). */
#define WM_FLASH_BASE 0x08000000u
#define WM_FLASH_BANK_SIZE 0x80000u
#define WM_FLASH_PAGE 2048u

/* ---- what modules may be granted (stm32_periph.c) ---- */
#define WM_RCC_APB2ENR WM_REG32(0x40021060u)
#define WM_GPIOB_BASE 0x48000400u
#define WM_GPIO_OTYPER(b) WM_REG32((b) + 0x04u)
#define WM_GPIO_OSPEEDR(b) WM_REG32((b) + 0x08u)
#define WM_GPIO_AFRH(b) WM_REG32((b) + 0x24u)
#define WM_GPIO_ASCR(b) WM_REG32((b) + 0x2Cu) /* L47x/L48x: analog switch to the ADC */

/* I2C1 (I2C v2: hardware START/STOP, byte counts, clock stretching) */
#define WM_I2C1_BASE 0x40005400u
#define WM_I2C_CR1(b) WM_REG32((b) + 0x00u)
#define WM_I2C_CR2(b) WM_REG32((b) + 0x04u)
#define WM_I2C_TIMINGR(b) WM_REG32((b) + 0x10u)
#define WM_I2C_ISR(b) WM_REG32((b) + 0x18u)
#define WM_I2C_ICR(b) WM_REG32((b) + 0x1Cu)
#define WM_I2C_RXDR(b) WM_REG32((b) + 0x24u)
#define WM_I2C_TXDR(b) WM_REG32((b) + 0x28u)
#define WM_I2C_CR1_PE (1u << 0)
#define WM_I2C_CR2_RD_WRN (1u << 10)
#define WM_I2C_CR2_START (1u << 13)
#define WM_I2C_CR2_STOP (1u << 14)
#define WM_I2C_CR2_AUTOEND (1u << 25)
#define WM_I2C_ISR_TXIS (1u << 1)
#define WM_I2C_ISR_RXNE (1u << 2)
#define WM_I2C_ISR_NACKF (1u << 4)
#define WM_I2C_ISR_STOPF (1u << 5)
#define WM_I2C_ISR_TC (1u << 6)
#define WM_I2C_ISR_BERR (1u << 8)
#define WM_I2C_ISR_ARLO (1u << 9)
#define WM_I2C_ISR_BUSY (1u << 15)
#define WM_I2C_TIMING_100K_80MHZ 0x10909CECu /* RM0351 timing for I2CCLK = PCLK1 80 MHz */

/* SPI2 */
#define WM_SPI2_BASE 0x40003800u
#define WM_SPI_CR1(b) WM_REG32((b) + 0x00u)
#define WM_SPI_CR2(b) WM_REG32((b) + 0x04u)
#define WM_SPI_SR(b) WM_REG32((b) + 0x08u)
#define WM_SPI_DR8(b) (*(volatile uint8_t *)(uintptr_t)((b) + 0x0Cu)) /* 8-bit access */
#define WM_SPI_CR1_MSTR (1u << 2)
#define WM_SPI_CR1_SPE (1u << 6)
#define WM_SPI_CR1_SSI (1u << 8)
#define WM_SPI_CR1_SSM (1u << 9)
#define WM_SPI_CR2_FRXTH (1u << 12)
#define WM_SPI_SR_RXNE (1u << 0)
#define WM_SPI_SR_TXE (1u << 1)

/* USART1 (the modules' UART on D8/D2); NVIC interrupt 37. Same layout as USART2. */
#define WM_USART1_BASE 0x40013800u
#define WM_USART1_IRQ 37u
#define WM_USART_CR1(b) WM_REG32((b) + 0x00u)
#define WM_USART_BRR(b) WM_REG32((b) + 0x0Cu)
#define WM_USART_ISR(b) WM_REG32((b) + 0x1Cu)
#define WM_USART_ICR(b) WM_REG32((b) + 0x20u)
#define WM_USART_RDR(b) WM_REG32((b) + 0x24u)
#define WM_USART_TDR(b) WM_REG32((b) + 0x28u)

/* ADC1 and the ADC common registers */
#define WM_ADC1_BASE 0x50040000u
#define WM_ADC_ISR WM_REG32(WM_ADC1_BASE + 0x00u)
#define WM_ADC_CR WM_REG32(WM_ADC1_BASE + 0x08u)
#define WM_ADC_SMPR1 WM_REG32(WM_ADC1_BASE + 0x14u)
#define WM_ADC_SQR1 WM_REG32(WM_ADC1_BASE + 0x30u)
#define WM_ADC_DR WM_REG32(WM_ADC1_BASE + 0x40u)
#define WM_ADC_CCR WM_REG32(0x50040308u)
#define WM_ADC_ISR_ADRDY (1u << 0)
#define WM_ADC_ISR_EOC (1u << 2)
#define WM_ADC_CR_ADEN (1u << 0)
#define WM_ADC_CR_ADSTART (1u << 2)
#define WM_ADC_CR_ADVREGEN (1u << 28)
#define WM_ADC_CR_DEEPPWD (1u << 29)
#define WM_ADC_CR_ADCAL (1u << 31)

/* TIM3 (PWM on channel 1) */
#define WM_TIM3_BASE 0x40000400u
#define WM_TIM_CR1 WM_REG32(WM_TIM3_BASE + 0x00u)
#define WM_TIM_EGR WM_REG32(WM_TIM3_BASE + 0x14u)
#define WM_TIM_CCMR1 WM_REG32(WM_TIM3_BASE + 0x18u)
#define WM_TIM_CCER WM_REG32(WM_TIM3_BASE + 0x20u)
#define WM_TIM_PSC WM_REG32(WM_TIM3_BASE + 0x28u)
#define WM_TIM_ARR WM_REG32(WM_TIM3_BASE + 0x2Cu)
#define WM_TIM_CCR1 WM_REG32(WM_TIM3_BASE + 0x34u)

#endif /* WM_STM32L4_REGS_H */
