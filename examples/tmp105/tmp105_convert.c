/* TMP105 register arithmetic and the text the driver publishes. */
#include "tmp105_convert.h"

#include "decimal.h"

int32_t tmp105_millic(uint8_t msb, uint8_t lsb) {
    int16_t raw = (int16_t)(uint16_t)((msb << 8) | lsb);
    return (int32_t)(raw / 16) * 625 / 10; /* 1/16 C = 62.5 millidegrees */
}

int32_t format_milli(int32_t milli, char *out) {
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

/* Pure exports for `wasmote exec` (the host tests call them). */
__attribute__((export_name("millic"))) int32_t millic_export(int32_t msb, int32_t lsb) {
    return tmp105_millic((uint8_t)msb, (uint8_t)lsb);
}
