/* dps310: a driver for Infineon's DPS310 barometric pressure sensor on I2C. At start it
 * waits for the sensor and its calibration, reads the 18 coefficient bytes and which
 * temperature sensor they belong to, sets single oversampling and continuous pressure
 * and temperature measurement; then once a second it reads both 24-bit results in one
 * transaction, compensates them (dps310_comp.c) and publishes the pressure on
 * sensors/pressure in pascals. The manifest grants only the sensor (i2c:baro0). */
#include "wasmote.h"
#include "../pubsub/decimal.h"
#include "dps310_comp.h"

#ifndef PERIOD_MS
#define PERIOD_MS 1000
#endif
#define TOPIC "sensors/pressure"
#define REG_PSR_B2 0x00
#define REG_PRS_CFG 0x06
#define REG_TMP_CFG 0x07
#define REG_MEAS_CFG 0x08
#define REG_CFG_REG 0x09
#define REG_COEF 0x10
#define REG_COEF_SRCE 0x28
#define MEAS_READY 0xC0 /* COEF_RDY | SENSOR_RDY */
/* Background pressure and temperature. The top four bits are read-only status on the
 * part; writing them as ones changes nothing there, and keeps QEMU's model (which stores
 * the whole byte) reporting its sensor and coefficients ready. */
#define MEAS_CONTINUOUS 0xF7

static int32_t dev = -1;
static dps310_coef coef;

static int32_t reg_read(uint8_t reg, uint8_t *buf, int32_t n)
{
    return wm_i2c_write_read(dev, &reg, 1, buf, n);
}

static int32_t reg_write(uint8_t reg, uint8_t value)
{
    uint8_t w[2] = {reg, value};
    return wm_i2c_write(dev, w, 2);
}

static int32_t start(void)
{
    uint8_t b, raw[DPS310_COEF_BYTES];
    int32_t rc;
    if (dev >= 0) {
        return 0;
    }
    dev = wm_i2c_open_str("baro0");
    if (dev < 0) {
        return dev;
    }
    for (int32_t tries = 0;; tries++) { /* about 40 ms after power-up */
        if ((rc = reg_read(REG_MEAS_CFG, &b, 1)) < 0) {
            return rc;
        }
        if ((b & MEAS_READY) == MEAS_READY) {
            break;
        }
        if (tries == 20) {
            return WM_E_TIMEOUT;
        }
        wm_sleep_ms(10);
    }
    if ((rc = reg_read(REG_COEF, raw, DPS310_COEF_BYTES)) < 0 ||
        (rc = reg_read(REG_COEF_SRCE, &b, 1)) < 0) {
        return rc;
    }
    dps310_unpack(raw, &coef);
    if ((rc = reg_write(REG_PRS_CFG, 0x00)) < 0 ||     /* 1 Hz, single oversampling */
        (rc = reg_write(REG_TMP_CFG, b & 0x80)) < 0 || /* the coefficients' sensor */
        (rc = reg_write(REG_CFG_REG, 0x00)) < 0 ||     /* no result shift below 8x */
        (rc = reg_write(REG_MEAS_CFG, MEAS_CONTINUOUS)) < 0) {
        return rc;
    }
    return 0;
}

/* Both results in one six-byte read: pressure then temperature, 24 bits each. */
static int32_t measure(int32_t *pascal, int32_t *millic)
{
    uint8_t r[6];
    int32_t rc = reg_read(REG_PSR_B2, r, 6);
    if (rc < 0) {
        return rc;
    }
    int32_t p = dps310_signed(((uint32_t)r[0] << 16) | ((uint32_t)r[1] << 8) | r[2], 24);
    int32_t t = dps310_signed(((uint32_t)r[3] << 16) | ((uint32_t)r[4] << 8) | r[5], 24);
    *pascal = dps310_pascal(&coef, p, t);
    *millic = dps310_millic(&coef, t);
    return 0;
}

__attribute__((export_name("run"))) int32_t run(void)
{
    int32_t rc = start();
    if (rc < 0) {
        wm_log_str("dps310: no sensor");
        return rc;
    }
    for (;;) {
        int32_t pa, mc;
        if (measure(&pa, &mc) == 0) {
            char msg[DECIMAL_MAX];
            wm_publish(TOPIC, wm_strlen(TOPIC), msg, format_decimal(pa, msg));
            log_decimal("dps310: Pa ", pa);
        }
        wm_sleep_ms(PERIOD_MS);
    }
}

/* On demand (`wasmote run dps310 --invoke pressure`): compensated pressure in Pa ... */
__attribute__((export_name("pressure"))) int32_t pressure(void)
{
    int32_t rc = start(), pa = 0, mc = 0;
    if (rc == 0) {
        wm_sleep_ms(100); /* the first continuous measurement */
        rc = measure(&pa, &mc);
    }
    return rc < 0 ? rc : pa;
}

/* ... the compensated temperature in millidegrees C, ... */
__attribute__((export_name("temperature"))) int32_t temperature(void)
{
    int32_t rc = start(), pa = 0, mc = 0;
    if (rc == 0) {
        wm_sleep_ms(100);
        rc = measure(&pa, &mc);
    }
    return rc < 0 ? rc : mc;
}

/* ... and four registers from r, big-endian in one i32 (one transaction), for checking
 * the arithmetic against the raw values. */
__attribute__((export_name("reg4"))) int32_t reg4(int32_t r)
{
    uint8_t b[4];
    int32_t rc = start();
    if (rc == 0) {
        rc = reg_read((uint8_t)r, b, 4);
    }
    return rc < 0 ? rc
                  : (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
                              b[3]);
}
