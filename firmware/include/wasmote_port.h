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
    const char *board;   /* board manifest name, e.g. "mps2-an386" */
    const char *cpu;     /* e.g. "cortex-m4f", "rv32imac" */
    uint32_t clock_hz;   /* CPU clock */
    uint8_t *ram_free;   /* RAM not used by the image or the stack: arenas live here */
    size_t ram_free_size;
    uint8_t *store;      /* module-store flash region (memory-mapped; RAM on QEMU) */
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

/* The portable firmware main (src/app), called by the port after start-up; never returns. */
void wm_app_main(void);

#endif /* WASMOTE_PORT_H */
