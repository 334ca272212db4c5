/* Reset-cause retention shared by the ports: a few words in RAM that start-up neither
 * loads nor zeroes (the port places them: .noinit, RTC_NOINIT_ATTR), holding the cause of
 * the *next* reset (announced just before it happens) and the application's retained
 * words (wm_port_retained). Header-only and static inline, so each port's image is the same
 * as with its own copy. */
#ifndef WM_PORT_SHARED_RESET_KEEP_H
#define WM_PORT_SHARED_RESET_KEEP_H

#include <stddef.h>
#include <stdint.h>

#define WM_KEEP_MAGIC 0x4B505057u /* "WPPK" */
#define WM_KEEP_APP_WORDS 16u

typedef struct wm_keep {
    uint32_t magic;
    uint32_t cause; /* cause of the *next* reset, set just before it happens */
    uint32_t app[WM_KEEP_APP_WORDS];
} wm_keep;

/* The words survived the reset (RAM kept its contents). */
static inline int wm_keep_valid(const wm_keep *k) { return k->magic == WM_KEEP_MAGIC; }

/* The cause the previous run announced before resetting, 0 (power-on) if RAM was not kept. */
static inline uint32_t wm_keep_announced(const wm_keep *k)
{
    return wm_keep_valid(k) ? k->cause : 0u;
}

/* At start-up, before anything can reset the board again: forget the application's words
 * when `fresh`, then arm for the next reset; one nobody announces (a debugger, QEMU's
 * monitor) reads as cause 0. */
static inline void wm_keep_start(wm_keep *k, int fresh)
{
    if (fresh) {
        for (size_t i = 0; i < WM_KEEP_APP_WORDS; i++) {
            k->app[i] = 0;
        }
    }
    k->magic = WM_KEEP_MAGIC;
    k->cause = 0;
}

/* For boards without a reset-cause register: the boot cause is the announced one, and the
 * application's words are forgotten only when RAM was not kept. */
static inline uint32_t wm_keep_boot(wm_keep *k)
{
    uint32_t cause = wm_keep_announced(k);
    wm_keep_start(k, !wm_keep_valid(k));
    return cause;
}

static inline void *wm_keep_app(wm_keep *k, size_t *size)
{
    *size = sizeof k->app;
    return k->app;
}

#endif
