/* wasmote_port.h - what a board port provides to the portable firmware (src/app, src/core).
 *
 * A port is thin: startup code, linker script, UART, a millisecond clock, board facts and
 * reset. It calls wm_app_main() once the C environment is ready (stack, .data, .bss, FPU) and
 * never contains runtime logic. All functions are callable from thread mode only.
 */
#ifndef WASMOTE_PORT_H
#define WASMOTE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Facts about the board, constant for the life of the firmware. */
typedef struct wm_port_info {
    const char *board; /* board manifest name, e.g. "mps2-an386" */
    const char *cpu;   /* e.g. "cortex-m4f", "rv32imac" */
    uint32_t clock_hz; /* CPU clock */
    uint8_t *ram_free; /* RAM not used by the image or the stack: arenas live here */
    size_t ram_free_size;
    uint8_t *store; /* module-store flash region (memory-mapped; RAM on QEMU) */
    size_t store_size;
    uint32_t store_sector; /* erase unit of the store region, bytes */
} wm_port_info;

const wm_port_info *wm_port_board_info(void);

/* UART, non-blocking. read: next received byte (0..255) or -1 when none is waiting.
 * write: queues as many bytes as the transmitter accepts now, returns how many. */
int wm_port_uart_read(void);
size_t wm_port_uart_write(const uint8_t *buf, size_t len);

/* Monotonic milliseconds since boot (wraps after ~49 days). */
uint32_t wm_port_millis(void);

/* Lets the CPU sleep until something may have happened (interrupt or a short while). */
void wm_port_idle(void);

/* Resets the board; does not return. */
void wm_port_reset(void);

/* Why the board reset last: 0 power-on, 1 software (wm_port_reset), 2 watchdog, 3 CPU
 * fault (the values of WM_RESET_* in core/supervisor/supervisor.h). */
uint32_t wm_port_reset_cause(void);

/* RAM that keeps its contents across a reset (not across power-off) for the firmware's own
 * use, at least 64 bytes, 4-byte aligned; *size receives its size. */
void *wm_port_retained(size_t *size);

/* The watchdog: unless kicked at least every timeout_ms, the board resets with cause 2.
 * A hardware watchdog where the board has one the port drives, else the port's tick
 * interrupt (QEMU). Once started it stays on. */
void wm_port_watchdog_start(uint32_t timeout_ms);
void wm_port_watchdog_kick(void);

/* Entropy for the device's random numbers (core/random/random.h: device id, protocol
 * nonces, WASI random_get): fills buf and returns WM_RANDOM_HARDWARE (1) when the bytes
 * come from a true entropy source (an RNG peripheral), WM_RANDOM_SEEDED (2) when they are
 * only timing jitter (QEMU boards have no RNG), or -1. The core conditions whatever it gets
 * through a DRBG and keeps a seed across boots; the port only delivers raw bytes. */
int wm_port_entropy(uint8_t *buf, size_t len);

/* Pins modules may use (gpio_pin / gpio_write / gpio_read), or NULL when there are none. */
struct wm_gpio_ops;
const struct wm_gpio_ops *wm_port_gpio(void);

/* The buses, UARTs, ADC channels and PWM outputs modules may be granted (periph_ops.h),
 * or NULL when the board offers none. */
struct wm_periph_ops;
const struct wm_periph_ops *wm_port_periph(void);

/* The driver of the store region (wm_port_info.store: module store, then the config area),
 * or NULL when the region is RAM (QEMU) and the firmware emulates NOR flash over it. */
struct wm_flash_ops;
const struct wm_flash_ops *wm_port_flash(void);

/* The portable firmware main (src/app), called by the port after start-up; never returns. */
void wm_app_main(void);

#endif /* WASMOTE_PORT_H */
