/* DPS310 calibration and compensation (Infineon DPS310 datasheet, sections 4.9 and 8.11):
 * no host calls, testable on the host. */
#ifndef DPS310_COMP_H
#define DPS310_COMP_H
#include <stdint.h>

#define DPS310_COEF_BYTES 18     /* registers 0x10..0x21 */
#define DPS310_SCALE_1X 524288.0 /* kP = kT for single oversampling */

typedef struct {
    int32_t c0, c1, c00, c10, c01, c11, c20, c21, c30;
} dps310_coef;

/* Sign-extends the `bits`-bit two's-complement value v. */
int32_t dps310_signed(uint32_t v, int bits);
void dps310_unpack(const uint8_t raw[DPS310_COEF_BYTES], dps310_coef *c);
/* Raw 24-bit results (already sign-extended) to millidegrees C and pascals. */
int32_t dps310_millic(const dps310_coef *c, int32_t t_raw);
int32_t dps310_pascal(const dps310_coef *c, int32_t p_raw, int32_t t_raw);
#endif
