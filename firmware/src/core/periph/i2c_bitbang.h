/* A portable bit-banged I2C master over two open-drain lines, for ports whose I2C block is
 * a pin pair (ARM's SBCon on the MPS2 boards, any GPIO pair) and for the posix port's
 * simulated bus. The port supplies the line accessors; this file has the protocol:
 * START, repeated START, bytes with ACK/NACK, STOP, clock stretching with a bound, and bus
 * recovery (nine clocks) when a device holds SDA low.
 *
 * Worst case of one transaction: (bits on the wire) x (4 line writes + 2 reads + 2 delays)
 * plus `stretch_budget` polls of SCL in total, so a device that stretches forever costs a
 * bounded, known time and the call returns WM_E_TIMEOUT. */
#ifndef WM_I2C_BITBANG_H
#define WM_I2C_BITBANG_H

#include <stdint.h>

typedef struct wm_i2c_lines {
    void *ctx;
    /* Drive a line low (0) or release it to the pull-up (1). */
    void (*set_scl)(void *ctx, int level);
    void (*set_sda)(void *ctx, int level);
    /* The level on the wire (a device may hold either line low). */
    int (*get_scl)(void *ctx);
    int (*get_sda)(void *ctx);
    /* A quarter of a bit time at the bus clock; NULL = as fast as the lines go. */
    void (*delay)(void *ctx);
    /* Polls of SCL a whole transaction may spend waiting for a stretching device. */
    uint32_t stretch_budget;
    /* How long one such poll lasts, in nanoseconds (the delay between polls): turns the
     * polls a transaction waited into the microseconds the sandbox charges. */
    uint32_t poll_ns;
} wm_i2c_lines;

/* One transaction (see wm_periph_ops.i2c_xfer): on success the microseconds it waited on a
 * stretching device (>= 0), else WM_E_NACK, WM_E_TIMEOUT or WM_E_IO. Always leaves the bus
 * idle (STOP sent) unless SDA is stuck. */
int wm_i2c_bb_xfer(const wm_i2c_lines *l, uint32_t addr, const uint8_t *w, uint32_t wn, uint8_t *r,
                   uint32_t rn);

/* Nine clocks with SDA released, then STOP: frees a device caught mid-byte. 0, or WM_E_IO
 * if SDA is still low. */
int wm_i2c_bb_recover(const wm_i2c_lines *l);

#endif
