/* tmp105: a driver for TI's TMP105 temperature sensor on I2C. Sets 12-bit resolution,
 * then once a second (PERIOD_MS) reads the temperature register with one write-read
 * transaction, publishes it on sensors/temperature as decimal millidegrees ("21500") and
 * logs it ("21.500 C"). The manifest grants the sensor by its board name (i2c:temp0), the
 * topic, and nothing else: any other address on the bus answers WM_E_DENIED. */
#include "wasmote.h"
#include "../pubsub/decimal.h"
#include "tmp105_convert.h"

#ifndef PERIOD_MS
#define PERIOD_MS 1000
#endif
#define TOPIC "sensors/temperature"
#define MILLI_TEXT_MAX 13 /* "-2147483.648" */

/* Millidegrees as "21.500" (no terminator); returns the length. */
static int32_t format_milli(int32_t milli, char *out)
{
    int32_t n = 0;
    int32_t whole = milli / 1000, frac = milli % 1000;
    if (milli < 0) {
        out[n++] = '-';
        whole = -whole;
        frac = -frac;
    }
    n += format_decimal(whole, out + n);
    out[n++] = '.';
    out[n++] = (char)('0' + frac / 100);
    out[n++] = (char)('0' + frac / 10 % 10);
    out[n++] = (char)('0' + frac % 10);
    return n;
}

static int32_t open_sensor(void)
{
    int32_t dev = wm_i2c_open_str("temp0");
    if (dev < 0) {
        return dev;
    }
    uint8_t cfg[2] = {TMP105_REG_CONFIG, TMP105_CONFIG_12BIT};
    int32_t rc = wm_i2c_write(dev, cfg, 2);
    if (rc < 0) {
        return rc;
    }
    wm_sleep_ms(TMP105_CONVERSION_MS); /* the first 12-bit conversion */
    return dev;
}

/* One reading in millidegrees into *out; 0 or the host API's error code. */
static int32_t read_millic(int32_t dev, int32_t *out)
{
    uint8_t reg = TMP105_REG_TEMP, raw[2];
    int32_t rc = wm_i2c_write_read(dev, &reg, 1, raw, 2);
    if (rc < 0) {
        return rc;
    }
    *out = tmp105_millic(raw[0], raw[1]);
    return 0;
}

/* The entry (manifest: entry = "run"). */
__attribute__((export_name("run"))) int32_t run(void)
{
    int32_t dev = open_sensor();
    if (dev < 0) {
        log_decimal("tmp105: no sensor: ", dev);
        return dev;
    }
    for (;;) {
        int32_t milli, rc = read_millic(dev, &milli);
        if (rc < 0) {
            log_decimal("tmp105: read failed: ", rc); /* e.g. WM_E_NACK: try again later */
        } else {
            char msg[DECIMAL_MAX], line[MILLI_TEXT_MAX + 2];
            int32_t n = format_decimal(milli, msg);
            wm_publish(TOPIC, wm_strlen(TOPIC), msg, n);
            n = format_milli(milli, line);
            line[n++] = ' ';
            line[n++] = 'C';
            wm_log(line, n);
        }
        wm_sleep_ms(PERIOD_MS);
    }
}

/* One reading on demand (`wasmote run tmp105 --invoke read`): millidegrees C. */
__attribute__((export_name("read"))) int32_t read(void)
{
    int32_t milli, dev = open_sensor();
    if (dev < 0) {
        return dev;
    }
    int32_t rc = read_millic(dev, &milli);
    return rc < 0 ? rc : milli;
}
