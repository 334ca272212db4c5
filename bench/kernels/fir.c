/* Float DSP: a 32-tap f32 FIR low-pass followed by a biquad, over 2048 samples, n passes.
 * f32 multiply-adds and loads; the checksum is the bits of a running sum (IEEE f32 is
 * exact and the same on every engine, as long as nothing fuses a*b+c). */
#include "kernel.h"

#define TAPS 32
#define LEN 2048

static float x[LEN], y[LEN], coef[TAPS];

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    uint32_t seed = 5;
    for (int i = 0; i < LEN; i++)
        x[i] = (float)(int32_t)(lcg_next(&seed) >> 16) * (1.0f / 32768.0f) - 1.0f;
    for (int k = 0; k < TAPS; k++)
        coef[k] = (float)(k < TAPS / 2 ? k + 1 : TAPS - k) / 272.0f;
    const float b0 = 0.2f, b1 = 0.4f, b2 = 0.2f, a1 = -0.3f, a2 = 0.1f;
    float acc = 0.0f;
    for (uint32_t pass = 0; pass < n; pass++) {
        for (int i = TAPS - 1; i < LEN; i++) {
            float s = 0.0f;
            for (int k = 0; k < TAPS; k++)
                s += coef[k] * x[i - k];
            y[i] = s;
        }
        float x1 = 0, x2 = 0, y1 = 0, y2 = 0;
        for (int i = 0; i < LEN; i++) {
            float out = b0 * y[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
            x2 = x1;
            x1 = y[i];
            y2 = y1;
            y1 = out;
            acc += out;
            x[i] = out * 0.5f + x[i] * 0.5f;
        }
    }
    union {
        float f;
        uint32_t u;
    } bits;
    bits.f = acc;
    return bits.u;
}
