/* Bit-banged I2C master (i2c_bitbang.h). SDA changes only while SCL is low, except for
 * START and STOP; every wait on the wire is counted against one budget per transaction. */
#include "i2c_bitbang.h"

#include <stdbool.h>

#include "sb_api.h"

typedef struct {
    const wm_i2c_lines *l;
    uint32_t budget; /* SCL polls left for clock stretching */
    bool timeout;
} bb;

static void dly(const bb *b)
{
    if (b->l->delay) b->l->delay(b->l->ctx);
}

static void scl(const bb *b, int v) { b->l->set_scl(b->l->ctx, v); }
static void sda(const bb *b, int v) { b->l->set_sda(b->l->ctx, v); }

/* Releases SCL and waits, within the budget, for the wire to go high: a device may hold
 * it low (clock stretching). False once the budget is spent. */
static bool scl_release(bb *b)
{
    scl(b, 1);
    while (!b->l->get_scl(b->l->ctx)) {
        if (b->budget == 0) {
            b->timeout = true;
            return false;
        }
        b->budget--;
        dly(b);
    }
    return true;
}

/* One clock pulse with SDA at `bit` (1 = released); returns the level sampled while SCL
 * was high, or -1 on a stretch timeout. */
static int clock_bit(bb *b, int bit)
{
    sda(b, bit);
    dly(b);
    if (!scl_release(b)) return -1;
    dly(b);
    int v = b->l->get_sda(b->l->ctx) ? 1 : 0;
    dly(b);
    scl(b, 0);
    dly(b);
    return v;
}

/* Eight bits MSB first, then the device's ACK: 0 ACK, 1 NACK, -1 timeout. */
static int write_byte(bb *b, uint8_t byte)
{
    for (int i = 7; i >= 0; i--)
        if (clock_bit(b, (byte >> i) & 1) < 0) return -1;
    return clock_bit(b, 1);
}

/* Eight bits with SDA released, then our ACK (more to come) or NACK (the last byte). */
static int read_byte(bb *b, bool ack, uint8_t *out)
{
    uint8_t v = 0;
    for (int i = 0; i < 8; i++) {
        int bit = clock_bit(b, 1);
        if (bit < 0) return -1;
        v = (uint8_t)((v << 1) | (uint8_t)bit);
    }
    *out = v;
    return clock_bit(b, ack ? 0 : 1) < 0 ? -1 : 0;
}

static int recover(bb *b)
{
    sda(b, 1);
    for (int i = 0; i < 9 && !b->l->get_sda(b->l->ctx); i++) {
        scl(b, 0);
        dly(b);
        dly(b);
        if (!scl_release(b)) return WM_E_TIMEOUT;
        dly(b);
        dly(b);
    }
    /* STOP: SDA rises while SCL is high */
    scl(b, 0);
    dly(b);
    sda(b, 0);
    dly(b);
    if (!scl_release(b)) return WM_E_TIMEOUT;
    dly(b);
    sda(b, 1);
    dly(b);
    return b->l->get_sda(b->l->ctx) ? 0 : WM_E_IO;
}

/* START from an idle bus (a repeated START when SCL is low: SDA is released first). */
static int start(bb *b)
{
    sda(b, 1);
    dly(b);
    if (!scl_release(b)) return WM_E_TIMEOUT;
    if (!b->l->get_sda(b->l->ctx)) {
        int rc = recover(b); /* a device left mid-byte by a reset or a glitch */
        if (rc) return rc;
        if (!scl_release(b)) return WM_E_TIMEOUT;
    }
    dly(b);
    sda(b, 0);
    dly(b);
    dly(b);
    scl(b, 0);
    dly(b);
    return 0;
}

static void stop(bb *b)
{
    scl(b, 0);
    sda(b, 0);
    dly(b);
    if (b->budget == 0) b->budget = 1; /* one last look at SCL even after a timeout */
    (void)scl_release(b);
    dly(b);
    sda(b, 1);
    dly(b);
}

int wm_i2c_bb_xfer(const wm_i2c_lines *l, uint32_t addr, const uint8_t *w, uint32_t wn, uint8_t *r,
                   uint32_t rn)
{
    bb b = {l, l->stretch_budget, false};
    int rc = start(&b);
    if (rc) return rc;
    int ack = 0;
    if (wn > 0 || rn == 0) {
        ack = write_byte(&b, (uint8_t)(addr << 1));
        for (uint32_t i = 0; i < wn && ack == 0; i++) ack = write_byte(&b, w[i]);
        if (ack == 0 && rn > 0) ack = start(&b) == 0 ? 0 : -1; /* repeated START */
    }
    if (ack == 0 && rn > 0) {
        ack = write_byte(&b, (uint8_t)((addr << 1) | 1u));
        for (uint32_t i = 0; i < rn && ack == 0; i++) ack = read_byte(&b, i + 1u < rn, &r[i]);
    }
    stop(&b);
    if (b.timeout) return WM_E_TIMEOUT;
    if (ack != 0) return ack > 0 ? WM_E_NACK : WM_E_IO;
    /* the stretching it waited through: the caller pays for it (periph_api.c) */
    uint64_t us = ((uint64_t)(l->stretch_budget - b.budget) * l->poll_ns + 999u) / 1000u;
    return us > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)us;
}

int wm_i2c_bb_recover(const wm_i2c_lines *l)
{
    bb b = {l, l->stretch_budget, false};
    return recover(&b);
}
