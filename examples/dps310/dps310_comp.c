/* DPS310 compensation (dps310_comp.h), in double precision as the datasheet gives it. */
#include "dps310_comp.h"

int32_t dps310_signed(uint32_t v, int bits)
{
    uint32_t sign = 1u << (bits - 1);
    v &= (sign << 1) - 1u;
    return (int32_t)(v ^ sign) - (int32_t)sign;
}

void dps310_unpack(const uint8_t r[DPS310_COEF_BYTES], dps310_coef *c)
{
    c->c0 = dps310_signed(((uint32_t)r[0] << 4) | (r[1] >> 4), 12);
    c->c1 = dps310_signed(((uint32_t)(r[1] & 0x0F) << 8) | r[2], 12);
    c->c00 = dps310_signed(((uint32_t)r[3] << 12) | ((uint32_t)r[4] << 4) | (r[5] >> 4), 20);
    c->c10 = dps310_signed(((uint32_t)(r[5] & 0x0F) << 16) | ((uint32_t)r[6] << 8) | r[7], 20);
    c->c01 = dps310_signed(((uint32_t)r[8] << 8) | r[9], 16);
    c->c11 = dps310_signed(((uint32_t)r[10] << 8) | r[11], 16);
    c->c20 = dps310_signed(((uint32_t)r[12] << 8) | r[13], 16);
    c->c21 = dps310_signed(((uint32_t)r[14] << 8) | r[15], 16);
    c->c30 = dps310_signed(((uint32_t)r[16] << 8) | r[17], 16);
}

static int32_t round_to_int(double v) { return (int32_t)(v < 0 ? v - 0.5 : v + 0.5); }

int32_t dps310_millic(const dps310_coef *c, int32_t t_raw)
{
    double t = t_raw / DPS310_SCALE_1X;
    return round_to_int((c->c0 * 0.5 + c->c1 * t) * 1000.0);
}

int32_t dps310_pascal(const dps310_coef *c, int32_t p_raw, int32_t t_raw)
{
    double p = p_raw / DPS310_SCALE_1X, t = t_raw / DPS310_SCALE_1X;
    double v = c->c00 + p * (c->c10 + p * (c->c20 + p * c->c30)) + t * c->c01 +
               t * p * (c->c11 + p * c->c21);
    return round_to_int(v);
}

/* Pure export for the host tests. */
__attribute__((export_name("signed24"))) int32_t signed24(int32_t v)
{
    return dps310_signed((uint32_t)v, 24);
}
