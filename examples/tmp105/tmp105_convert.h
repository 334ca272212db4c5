/* TMP105 register arithmetic (TI SBOS358): no host calls, testable on the host. */
#ifndef TMP105_CONVERT_H
#define TMP105_CONVERT_H
#include <stdint.h>

#define TMP105_REG_TEMP 0x00
#define TMP105_REG_CONFIG 0x01
#define TMP105_CONFIG_12BIT 0x60 /* R1 R0 = 11: 0.0625 C steps, conversions up to 320 ms */
#define TMP105_CONVERSION_MS 320

/* The temperature register (12 bits left-justified, two's complement) in millidegrees C. */
int32_t tmp105_millic(uint8_t msb, uint8_t lsb);

#endif
