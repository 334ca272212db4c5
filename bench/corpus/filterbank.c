/* Medium: a fixed-point (Q15) biquad filter bank with per-band energy meters. */
#include "wm_export.h"

#define BANDS 6
#define Q15_ONE 32768

struct biquad {
    int32_t b0, b1, b2, a1, a2; /* Q14 coefficients so 2.0 fits */
    int32_t x1, x2, y1, y2;
};

struct bank {
    struct biquad bq[BANDS];
    int64_t energy[BANDS];
    uint32_t samples;
};

/* Band-pass coefficients precomputed for fs = 8 kHz, Q = 1.4, centres 125 Hz .. 4 kHz. */
static const int32_t coeffs[BANDS][5] = {
    {   433,  0,   -433, -32357, 15518 },
    {   851,  0,   -851, -31403, 14682 },
    {  1648,  0,  -1648, -29267, 13088 },
    {  3103,  0,  -3103, -24386, 10177 },
    {  5533,  0,  -5533, -13569,  5319 },
    {  8847,  0,  -8847,   3960,  -1311 },
};

static struct bank g_bank;

static int32_t sat16(int32_t v) {
    if (v > 32767) return 32767;
    if (v < -32768) return -32768;
    return v;
}

static int32_t biquad_step(struct biquad *f, int32_t x) {
    int64_t acc = (int64_t)f->b0 * x + (int64_t)f->b1 * f->x1 + (int64_t)f->b2 * f->x2
                  - (int64_t)f->a1 * f->y1 - (int64_t)f->a2 * f->y2;
    int32_t y = sat16((int32_t)(acc >> 14));
    f->x2 = f->x1;
    f->x1 = x;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

WM_EXPORT("bank_reset") void bank_reset(void) {
    for (int i = 0; i < BANDS; i++) {
        struct biquad *f = &g_bank.bq[i];
        f->b0 = coeffs[i][0]; f->b1 = coeffs[i][1]; f->b2 = coeffs[i][2];
        f->a1 = coeffs[i][3]; f->a2 = coeffs[i][4];
        f->x1 = f->x2 = f->y1 = f->y2 = 0;
        g_bank.energy[i] = 0;
    }
    g_bank.samples = 0;
}

WM_EXPORT("bank_push") void bank_push(int32_t sample) {
    int32_t x = sat16(sample);
    for (int i = 0; i < BANDS; i++) {
        int32_t y = biquad_step(&g_bank.bq[i], x);
        g_bank.energy[i] += (int64_t)y * y;
    }
    g_bank.samples++;
}

/* Mean energy of a band in Q15-squared units, 0 for an unknown band. */
WM_EXPORT("bank_energy") int64_t bank_energy(int32_t band) {
    if (band < 0 || band >= BANDS || g_bank.samples == 0) return 0;
    return g_bank.energy[band] / g_bank.samples;
}

/* A cheap sine: quarter-wave table with linear interpolation, phase in 1/65536 turns. */
static const int16_t quarter_sine[17] = {
    0, 3212, 6393, 9512, 12539, 15446, 18204, 20787, 23170,
    25329, 27245, 28898, 30273, 31356, 32137, 32609, 32767,
};

static int32_t sine_q15(uint32_t phase) {
    uint32_t p = phase & 0xFFFF;
    int neg = p >= 0x8000;
    p &= 0x7FFF;
    if (p > 0x4000) p = 0x8000 - p;
    uint32_t idx = p >> 10, frac = p & 0x3FF;
    int32_t a = quarter_sine[idx], b = quarter_sine[idx < 16 ? idx + 1 : 16];
    int32_t v = a + (int32_t)(((b - a) * (int32_t)frac) >> 10);
    return neg ? -v : v;
}

WM_EXPORT("selftest") int64_t selftest(void) {
    bank_reset();
    uint32_t ph1 = 0, ph2 = 0, lfsr = 0xACE1u;
    for (int n = 0; n < 2048; n++) {
        lfsr = (lfsr >> 1) ^ (-(lfsr & 1u) & 0xB400u);
        int32_t noise = (int32_t)(lfsr & 0x3FF) - 512;
        bank_push((sine_q15(ph1) >> 2) + (sine_q15(ph2) >> 3) + noise);
        ph1 += 65536u * 250u / 8000u;
        ph2 += 65536u * 2000u / 8000u;
    }
    int64_t digest = 0;
    for (int i = 0; i < BANDS; i++) digest = digest * 1000003 + bank_energy(i);
    return digest;
}
