/* The hostile module of the bus-sharing test: floods the I2C bus as fast as it can with
 * transactions to the one device it is granted (the DPS310 at baro0), and checks that the
 * 18 calibration bytes come back identical every time; it also keeps trying the other
 * devices on the bus, which must stay denied. Logs "flood: ok N bad M denied D". */
#include "wasmote.h"
#include "../../examples/pubsub/decimal.h"

static uint8_t first[18], again[18];

static int32_t put(char *out, const char *s, int32_t v)
{
    int32_t n = 0;
    while (*s) {
        out[n++] = *s++;
    }
    return n + format_decimal(v, out + n);
}

__attribute__((export_name("run"))) int32_t run(void)
{
    int32_t h = wm_i2c_open_str("baro0"), ok = 0, bad = 0, denied = 0;
    uint8_t reg = 0x10;
    if (h < 0 || wm_i2c_write_read(h, &reg, 1, first, 18) != 18) {
        return -1;
    }
    for (uint32_t i = 1;; i++) {
        int32_t same = wm_i2c_write_read(h, &reg, 1, again, 18) == 18;
        for (int32_t k = 0; k < 18 && same; k++) {
            same = again[k] == first[k];
        }
        ok += same;
        bad += !same;
        if (i % 16 == 0) { /* the neighbours' devices: by address and by name */
            denied += wm_i2c_open_str("0/0x48") == WM_E_DENIED;
            denied += wm_i2c_open_str("eeprom0") == WM_E_DENIED;
        }
        if (i % 256 == 0) {
            char line[96];
            int32_t n = put(line, "flood: ok ", ok);
            n += put(line + n, " bad ", bad);
            n += put(line + n, " denied ", denied);
            wm_log(line, n);
        }
    }
}
