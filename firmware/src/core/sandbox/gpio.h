/* The GPIO port interface the sandbox drives (gpio_pin / gpio_write / gpio_read). A port
 * (QEMU mps2 FPGA LEDs/buttons, a real board) fills a wm_gpio_ops; the posix build uses the
 * simulated pins below. Pin numbers are indices 0..count-1; the handle a module gets is the
 * index. */
#ifndef WM_SB_GPIO_H
#define WM_SB_GPIO_H

#include <stdint.h>

enum { WM_GPIO_IN = 1u, WM_GPIO_OUT = 2u };

typedef struct wm_gpio_ops {
    void *ctx;
    uint32_t count;
    const char *(*name)(void *ctx, uint32_t pin);     /* NUL-terminated board name */
    uint32_t (*flags)(void *ctx, uint32_t pin);       /* WM_GPIO_IN / WM_GPIO_OUT */
    int (*write)(void *ctx, uint32_t pin, int level); /* 0, or negative on failure */
    int (*read)(void *ctx, uint32_t pin);             /* 0/1, or negative on failure */
} wm_gpio_ops;

/* Simulated pins (posix, tests): the caller owns the tables; levels are plain bytes a test
 * can set (inputs) and inspect (outputs). */
typedef struct wm_gpio_sim {
    const char *const *names;
    const uint8_t *flags;
    uint8_t *levels;
    uint32_t count;
    wm_gpio_ops ops;
} wm_gpio_sim;

void wm_gpio_sim_init(wm_gpio_sim *sim, const char *const *names, const uint8_t *flags,
                      uint8_t *levels, uint32_t count);

#endif
