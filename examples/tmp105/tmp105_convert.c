/* TMP105 register arithmetic (no host calls: `wasmote exec` runs it on the host). */
#include "tmp105_convert.h"

int32_t tmp105_millic(uint8_t msb, uint8_t lsb)
{
    int16_t raw = (int16_t)(uint16_t)((msb << 8) | lsb);
    return (int32_t)(raw / 16) * 625 / 10; /* 1/16 C = 62.5 millidegrees */
}

/* Pure exports for `wasmote exec` (the host tests call them). */
__attribute__((export_name("millic"))) int32_t millic_export(int32_t msb, int32_t lsb)
{
    return tmp105_millic((uint8_t)msb, (uint8_t)lsb);
}
