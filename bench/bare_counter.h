/* bare_counter.h - the cycle counter of a bare-metal bench image (bench/bare_image.py):
 * SysTick on the Cortex-M (mps2: CPU clock; under QEMU -icount shift=0 one tick is 40
 * instructions at 25 MHz), minstret on RV32 (instructions retired). Header-only. */
#ifndef WM_BARE_COUNTER_H
#define WM_BARE_COUNTER_H

#include <stdint.h>

#if defined(__arm__)
#include "mps2_regs.h"

#define COUNTER_NAME "systick"

/* SysTick as a free-running 24-bit down-counter, no interrupt: a case must stay under
 * 2^24 cycles (0.67 s at 25 MHz, 671 M instructions under icount), far above a verify.
 * Returns the start value once the counter has loaded its reload value and runs. */
static inline uint32_t counter_start(void)
{
    uint32_t v;
    WM_SYST_CSR = 0;
    WM_SYST_RVR = 0xFFFFFFu;
    WM_SYST_CVR = 0;
    WM_SYST_CSR = 0x5u; /* processor clock, enabled, no interrupt */
    do {
        v = WM_SYST_CVR & 0xFFFFFFu;
    } while (v == 0u);
    return v;
}

static inline uint32_t counter_elapsed(uint32_t start)
{
    return (start - (WM_SYST_CVR & 0xFFFFFFu)) & 0xFFFFFFu;
}

/* counter_start with SysTick's COUNTFLAG cleared (reading CSR clears it; starting may set
 * it), so counter_since can tell a measure that wrapped. */
static inline uint32_t counter_start_checked(void)
{
    uint32_t t0 = counter_start();
    (void)WM_SYST_CSR;
    return t0;
}

/* Ticks since counter_start_checked, or UINT32_MAX when the counter wrapped in between. */
static inline uint32_t counter_since(uint32_t t0)
{
    uint32_t t = counter_elapsed(t0);
    return (WM_SYST_CSR & (1u << 16)) ? UINT32_MAX : t;
}
#elif defined(__riscv)
#define COUNTER_NAME "minstret"

static inline uint32_t instret(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

static inline uint32_t counter_start(void) { return instret(); }

static inline uint32_t counter_elapsed(uint32_t start) { return instret() - start; }
#else
#error "bare_counter.h: no counter for this CPU"
#endif

#endif
