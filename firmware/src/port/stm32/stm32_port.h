/* Between the STM32 port's files (start-up, board, flash driver); not for the core. */
#ifndef WM_STM32_PORT_H
#define WM_STM32_PORT_H

#include <stdbool.h>
#include <stdint.h>

/* Reset causes as wm_port_reset_cause() reports them (WM_RESET_* in the supervisor). */
enum { WM_STM32_RESET_SOFTWARE = 1u, WM_STM32_RESET_WATCHDOG = 2u, WM_STM32_RESET_FAULT = 3u };

/* Clock, reset cause, UART, SysTick and pins; once, before wm_app_main. */
void wm_stm32_board_init(void);
void wm_stm32_systick_handler(void);
void wm_stm32_usart2_handler(void);
/* The buses and channels modules may be granted (stm32_periph.c); from board init. */
void wm_stm32_periph_init(void);
void wm_stm32_usart1_handler(void);
/* Writes msg by polling the UART (fine from any handler), then resets with that cause. */
void wm_stm32_panic(const char *msg, uint32_t cause);
/* Whether a flash address lies in the store region. */
bool wm_stm32_in_store(uint32_t addr);

#endif /* WM_STM32_PORT_H */
