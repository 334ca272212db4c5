/* FAKE flash controller for host tests: stands in for the STM32L476's registers so the
 * port's real flash driver (firmware/src/port/stm32/stm32_flash.c, compiled unchanged) runs
 * on the build machine. The register bits are the port's own (stm32l4_regs_real.h is a copy
 * of the real header); only the four flash registers the driver touches and the barriers are
 * redirected to fake_flash.c, which models the controller and its rules. */
#ifndef WM_FAKE_STM32L4_REGS_H
#define WM_FAKE_STM32L4_REGS_H

#include "stm32l4_regs_real.h"

#include <stdint.h>

volatile uint32_t *wm_fake_flash_sr(void);
extern volatile uint32_t wm_fake_flash_acr, wm_fake_flash_keyr, wm_fake_flash_cr;

#undef WM_FLASH_ACR
#undef WM_FLASH_KEYR
#undef WM_FLASH_SR
#undef WM_FLASH_CR
#undef WM_DSB
#undef WM_ISB
#define WM_FLASH_ACR wm_fake_flash_acr
#define WM_FLASH_KEYR wm_fake_flash_keyr
#define WM_FLASH_CR wm_fake_flash_cr
#define WM_FLASH_SR (*wm_fake_flash_sr())
#define WM_DSB() __asm__ volatile("" ::: "memory")
#define WM_ISB() __asm__ volatile("" ::: "memory")

#endif
