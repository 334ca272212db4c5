/* SIMULATED peripherals for the posix builds (sim_periph.h). The I2C devices see only the
 * two wires, edge by edge, as real parts do: START/STOP from SDA moving while SCL is high,
 * data sampled on SCL rising, their own bits (ACK, read data) put on SDA while SCL is low. */
#define _POSIX_C_SOURCE 200809L
#include "sim_periph.h"

#include <stdio.h>
#include <stdlib.h>

#include "sb_api.h"

enum { ST_IDLE, ST_RX, ST_ACK_OUT, ST_TX, ST_ACK_IN, ST_IGNORE };
enum { DEV_NONE = -1, DEV_TMP105, DEV_EEPROM, DEV_BAD };

static int wire_scl(const wm_sim_periph *s) { return s->m_scl && s->d_scl; }
static int wire_sda(const wm_sim_periph *s) { return s->m_sda && s->d_sda && !s->jam_left; }

static int device_at(uint32_t addr)
{
    return addr == WM_SIM_TMP105_ADDR   ? DEV_TMP105
           : addr == WM_SIM_EEPROM_ADDR ? DEV_EEPROM
           : addr == WM_SIM_BAD_ADDR    ? DEV_BAD
                                        : DEV_NONE;
}

/* ---- TMP105: pointer register, then 1-2 data bytes (TI SBOS358) ---- */

static void tmp_load(wm_sim_periph *s)
{
    if (s->temp_file) {
        FILE *f = fopen(s->temp_file, "r");
        long v = 0;
        if (f && fscanf(f, "%ld", &v) == 1 && v > -128000 && v < 128000) s->temp_mc = (int32_t)v;
        if (f) fclose(f);
    }
    /* 8.8 fixed point as the part's register, cut to the configured resolution (R1:R0) */
    int16_t raw = (int16_t)(s->temp_mc * 256 / 1000);
    uint16_t mask = (uint16_t)(0xFF80u | (0xFF80u >> ((s->tmp_cfg >> 5) & 3u)));
    uint16_t v = (uint16_t)raw & mask;
    switch (s->tmp_ptr & 3u) {
    case 0: s->tmp_out[0] = (uint8_t)(v >> 8), s->tmp_out[1] = (uint8_t)v; break;
    case 1: s->tmp_out[0] = s->tmp_cfg, s->tmp_out[1] = 0xFF; break;
    default: {
        uint16_t l = (uint16_t)s->tmp_limit[s->tmp_ptr & 1u];
        s->tmp_out[0] = (uint8_t)(l >> 8), s->tmp_out[1] = (uint8_t)l;
    }
    }
    s->tmp_nout = 0;
}

static void tmp_send(wm_sim_periph *s, uint8_t b)
{
    if (s->tmp_in == 0) {
        s->tmp_ptr = b;
    } else if ((s->tmp_ptr & 3u) == 1u && s->tmp_in == 1) {
        s->tmp_cfg = b;
    } else if ((s->tmp_ptr & 3u) >= 2u && s->tmp_in <= 2) {
        int16_t *l = &s->tmp_limit[s->tmp_ptr & 1u];
        *l = (int16_t)(s->tmp_in == 1 ? (uint16_t)(b << 8) : (uint16_t)(*l) | b);
    }
    s->tmp_in++;
}

/* ---- AT24C32: two address bytes, 32-byte pages, a write cycle after STOP ---- */

static bool ee_start(wm_sim_periph *s, bool read)
{
    if (s->now_ms && s->now_ms() < s->ee_busy_until_ms) return false; /* ACK polling */
    if (!read) {
        s->ee_have_addr = 0;
        s->ee_wrote = false;
    }
    return true;
}

static void ee_send(wm_sim_periph *s, uint8_t b)
{
    if (s->ee_have_addr < 2) {
        s->ee_ptr = (uint16_t)(((s->ee_ptr << 8) | b) & (WM_SIM_EEPROM_SIZE - 1u));
        s->ee_have_addr++;
        return;
    }
    s->ee[s->ee_ptr] = b;
    s->ee_wrote = true;
    /* the address counter wraps inside the page, as the part's does */
    uint16_t page = (uint16_t)(s->ee_ptr & ~(WM_SIM_EEPROM_PAGE - 1u));
    s->ee_ptr = (uint16_t)(page | ((s->ee_ptr + 1u) & (WM_SIM_EEPROM_PAGE - 1u)));
}

static uint8_t ee_recv(wm_sim_periph *s)
{
    uint8_t b = s->ee[s->ee_ptr];
    s->ee_ptr = (uint16_t)((s->ee_ptr + 1u) & (WM_SIM_EEPROM_SIZE - 1u));
    return b;
}

/* ---- the devices' side of the bus ---- */

static bool dev_start(wm_sim_periph *s, int dev, bool read)
{
    switch (dev) {
    case DEV_TMP105:
        s->tmp_in = 0;
        if (read) tmp_load(s);
        return true;
    case DEV_EEPROM: return ee_start(s, read);
    case DEV_BAD: return true;
    default: return false;
    }
}

static bool dev_send(wm_sim_periph *s, int dev, uint8_t b)
{
    if (dev == DEV_TMP105) tmp_send(s, b);
    if (dev == DEV_EEPROM) ee_send(s, b);
    return dev != DEV_NONE;
}

static uint8_t dev_recv(wm_sim_periph *s, int dev)
{
    if (dev == DEV_TMP105) return s->tmp_nout < 2 ? s->tmp_out[s->tmp_nout++] : 0xFF;
    if (dev == DEV_EEPROM) return ee_recv(s);
    return 0xA5;
}

static void dev_stop(wm_sim_periph *s, int dev)
{
    if (dev == DEV_EEPROM && s->ee_wrote) {
        s->ee_busy_until_ms = (s->now_ms ? s->now_ms() : 0) + 5u; /* tWR = 5 ms */
        s->ee_wrote = false;
    }
}

static void on_start(wm_sim_periph *s)
{
    s->state = ST_RX;
    s->bits = 0;
    s->shift = 0;
    s->reading = false;
    s->addressing = true;
    s->d_sda = 1;
    /* a repeated START keeps the device selected until the address byte says otherwise */
}

static void on_stop(wm_sim_periph *s)
{
    if (s->active != DEV_NONE) dev_stop(s, s->active);
    s->active = DEV_NONE;
    s->state = ST_IDLE;
    s->d_sda = 1;
}

static void tx_next(wm_sim_periph *s)
{
    s->shift = dev_recv(s, s->active);
    s->bits = 7;
    s->d_sda = (s->shift >> 7) & 1;
    s->state = ST_TX;
}

static void scl_rise(wm_sim_periph *s)
{
    if (s->state == ST_RX) {
        s->shift = (uint8_t)((s->shift << 1) | (uint8_t)wire_sda(s));
        s->bits++;
    } else if (s->state == ST_ACK_IN) {
        s->bits = wire_sda(s) ? 0 : 1; /* 1: the master acknowledged, send another */
    }
}

static void scl_fall(wm_sim_periph *s)
{
    if (s->jam_left > 0) s->jam_left--;
    switch (s->state) {
    case ST_RX:
        if (s->bits == 8) {
            bool ack;
            if (s->addressing) {
                uint32_t addr = s->shift >> 1;
                s->reading = (s->shift & 1u) != 0;
                s->addressed[addr]++;
                int dev = device_at(addr);
                ack = dev_start(s, dev, s->reading);
                s->active = ack ? dev : DEV_NONE;
                s->addressing = false;
            } else {
                ack = !s->reading && dev_send(s, s->active, s->shift);
            }
            s->d_sda = ack ? 0 : 1;
            s->state = ack ? ST_ACK_OUT : ST_IGNORE;
        }
        break;
    case ST_ACK_OUT:
        s->d_sda = 1;
        if (s->active == DEV_BAD && s->stretch) {
            s->d_scl = 0; /* holds the clock low after its ACK */
            s->stretch_left = s->stretch;
        }
        if (s->active == DEV_BAD && s->jam) s->jam_left = s->jam;
        if (s->reading) {
            tx_next(s);
        } else {
            s->state = ST_RX;
            s->bits = 0;
            s->shift = 0;
        }
        break;
    case ST_TX:
        if (s->bits > 0) {
            s->bits--;
            s->d_sda = (s->shift >> s->bits) & 1;
        } else {
            s->d_sda = 1;
            s->state = ST_ACK_IN;
        }
        break;
    case ST_ACK_IN:
        if (s->bits)
            tx_next(s);
        else
            s->state = ST_IGNORE;
        break;
    default: break;
    }
}

static void line_scl(void *ctx, int v)
{
    wm_sim_periph *s = ctx;
    int before = wire_scl(s);
    s->m_scl = v ? 1 : 0;
    int after = wire_scl(s);
    if (before != after) {
        if (after)
            scl_rise(s);
        else
            scl_fall(s);
    }
}

static void line_sda(void *ctx, int v)
{
    wm_sim_periph *s = ctx;
    int before = wire_sda(s);
    s->m_sda = v ? 1 : 0;
    int after = wire_sda(s);
    if (before != after && wire_scl(s)) {
        if (after) {
            on_stop(s);
        } else {
            on_start(s);
        }
    }
}

static int line_get_scl(void *ctx)
{
    wm_sim_periph *s = ctx;
    if (!s->d_scl && s->stretch_left > 0 && --s->stretch_left == 0) {
        s->d_scl = 1; /* the device lets go: the clock rises now if the master released it */
        if (wire_scl(s)) scl_rise(s);
    }
    return wire_scl(s);
}

static int line_get_sda(void *ctx) { return wire_sda(ctx); }

/* ---- the port interface ---- */

static int sim_i2c(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *w, uint32_t wn,
                   uint8_t *r, uint32_t rn)
{
    wm_sim_periph *s = ctx;
    if (bus != 0) return WM_E_INVAL;
    return wm_i2c_bb_xfer(&s->lines, addr, w, wn, r, rn);
}

static int sim_spi(void *ctx, uint32_t bus, uint32_t cs, const uint8_t *tx, uint8_t *rx, uint32_t n)
{
    wm_sim_periph *s = ctx;
    if (bus != 0 || cs > 1) return WM_E_INVAL;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b = tx[i], out = 0;
        if (cs == 1) {
            out = b;
        } else if (b & 0x80u) { /* control byte: START, channel, single-ended unipolar */
            s->adc_ctrl = b;
            s->adc_cycle = 1;
        } else if (s->adc_cycle == 1 || s->adc_cycle == 2) {
            uint32_t ch = ((s->adc_ctrl >> 5) & 1u) * 2u + ((s->adc_ctrl >> 6) & 1u);
            uint8_t v = s->adc_in[ch & 3u];
            out = s->adc_cycle == 1 ? (uint8_t)(v >> 2) : (uint8_t)(v << 6);
            s->adc_cycle++;
        }
        rx[i] = out;
    }
    return 0;
}

static int sim_uart_write(void *ctx, uint32_t uart, const uint8_t *buf, uint32_t n)
{
    wm_sim_periph *s = ctx;
    uint32_t done = 0;
    if (uart != 0) return WM_E_INVAL;
    while (done < n && s->uart_head - s->uart_tail < WM_SIM_UART_RING)
        s->uart[s->uart_head++ % WM_SIM_UART_RING] = buf[done++];
    return (int)done;
}

static int sim_uart_read(void *ctx, uint32_t uart, uint8_t *buf, uint32_t cap)
{
    wm_sim_periph *s = ctx;
    uint32_t n = 0;
    if (uart != 0) return WM_E_INVAL;
    while (n < cap && s->uart_tail != s->uart_head)
        buf[n++] = s->uart[s->uart_tail++ % WM_SIM_UART_RING];
    return (int)n;
}

static int sim_uart_ready(void *ctx, uint32_t uart)
{
    wm_sim_periph *s = ctx;
    return uart == 0 && s->uart_tail != s->uart_head;
}

static int sim_adc(void *ctx, uint32_t ch)
{
    wm_sim_periph *s = ctx;
    return ch < 2 ? s->adc_in[ch] : WM_E_INVAL;
}

static int sim_pwm(void *ctx, uint32_t ch, uint32_t hz, uint32_t duty)
{
    wm_sim_periph *s = ctx;
    if (ch > 1) return WM_E_INVAL;
    if (hz > 100000u) return WM_E_UNSUPPORTED; /* the simulated timer's limit */
    s->pwm_hz[ch] = hz;
    s->pwm_duty[ch] = duty;
    return 0;
}

void wm_sim_periph_init(wm_sim_periph *s, uint64_t (*now_ms)(void))
{
    *s = (wm_sim_periph){0};
    s->m_scl = s->m_sda = s->d_scl = s->d_sda = 1;
    s->active = DEV_NONE;
    s->now_ms = now_ms;
    s->temp_mc = 25000;
    s->tmp_limit[0] = 0x4B00; /* T_LOW 75 C, T_HIGH 80 C: the part's reset values */
    s->tmp_limit[1] = 0x5000;
    for (uint32_t i = 0; i < WM_SIM_EEPROM_SIZE; i++) s->ee[i] = 0xFF; /* erased */
    s->adc_in[0] = 0xF0;
    s->adc_in[1] = 0x80;
    s->lines = (wm_i2c_lines){s,
                              line_scl,
                              line_sda,
                              line_get_scl,
                              line_get_sda,
                              NULL,
                              WM_SIM_STRETCH_BUDGET,
                              WM_SIM_POLL_NS};
    s->ops.ctx = s;
    s->ops.names = WM_SIM_PERIPH_NAMES;
    s->ops.i2c_buses = 1;
    s->ops.spi_buses = 1;
    s->ops.spi_cs = 2;
    s->ops.uarts = 1;
    s->ops.adcs = 2;
    s->ops.pwms = 2;
    s->ops.i2c_hz = 100000u;
    s->ops.spi_hz = 1000000u;
    s->ops.i2c_wait_max_us = (uint32_t)((uint64_t)WM_SIM_STRETCH_BUDGET * WM_SIM_POLL_NS / 1000u);
    s->ops.i2c_xfer = sim_i2c;
    s->ops.spi_xfer = sim_spi;
    s->ops.uart_write = sim_uart_write;
    s->ops.uart_read = sim_uart_read;
    s->ops.uart_ready = sim_uart_ready;
    s->ops.adc_read = sim_adc;
    s->ops.pwm_set = sim_pwm;
}
