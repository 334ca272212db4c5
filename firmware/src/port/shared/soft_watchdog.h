/* The software watchdog of ports whose board has none usable (or none in QEMU): the port's
 * periodic tick interrupt checks it, so thread code that stops kicking (a hang anywhere in
 * the firmware) is interrupted and the board reset. Times are the tick's milliseconds;
 * comparisons are wrap-safe. Header-only and static inline, so each port's image is the
 * same as with its own copy. */
#ifndef WM_PORT_SHARED_SOFT_WATCHDOG_H
#define WM_PORT_SHARED_SOFT_WATCHDOG_H

#include <stdint.h>

typedef struct wm_soft_watchdog {
    volatile uint32_t timeout_ms; /* 0 = off */
    volatile uint32_t kicked_ms;
} wm_soft_watchdog;

static inline void wm_soft_watchdog_start(wm_soft_watchdog *w, uint32_t now_ms, uint32_t timeout_ms)
{
    w->kicked_ms = now_ms;
    w->timeout_ms = timeout_ms;
}

static inline void wm_soft_watchdog_kick(wm_soft_watchdog *w, uint32_t now_ms)
{
    w->kicked_ms = now_ms;
}

/* From the tick: nonzero once the watchdog is on and not kicked for longer than its
 * timeout. */
static inline int wm_soft_watchdog_expired(const wm_soft_watchdog *w, uint32_t now_ms)
{
    return w->timeout_ms != 0u && now_ms - w->kicked_ms > w->timeout_ms;
}

#endif
