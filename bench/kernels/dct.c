/* A JPEG-like forward DCT: 8x8 integer DCT (the slow-but-accurate LL&M factorisation with
 * 13-bit fixed-point constants, as in JPEG encoders) and quantisation over a 64x64 image of
 * 8-bit samples, n passes. 32-bit multiplies, adds, shifts and rounding. */
#include "kernel.h"

#define W 64
#define H 64
#define CONST_BITS 13
#define PASS1_BITS 2
#define DESCALE(x, n) (((x) + ((int32_t)1 << ((n) - 1))) >> (n))

/* round(c * 2^13) of the LL&M constants */
#define FIX_0_298631336 2446
#define FIX_0_390180644 3196
#define FIX_0_541196100 4433
#define FIX_0_765366865 6270
#define FIX_0_899976223 7373
#define FIX_1_175875602 9633
#define FIX_1_501321110 12299
#define FIX_1_847759065 15137
#define FIX_1_961570560 16069
#define FIX_2_053119869 16819
#define FIX_2_562915447 20995
#define FIX_3_072711026 25172

static uint8_t image[H][W];
static int16_t coef[H * W];

/* One 1-D pass over 8 values with stride `step` (rows, then columns). */
static void dct_1d(int32_t *d, int step, int shift_even, int shift_odd, int out_shift)
{
    int32_t t0 = d[0] + d[7 * step], t7 = d[0] - d[7 * step];
    int32_t t1 = d[1 * step] + d[6 * step], t6 = d[1 * step] - d[6 * step];
    int32_t t2 = d[2 * step] + d[5 * step], t5 = d[2 * step] - d[5 * step];
    int32_t t3 = d[3 * step] + d[4 * step], t4 = d[3 * step] - d[4 * step];
    int32_t t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
    d[0] = out_shift ? DESCALE(t10 + t11, out_shift) : (t10 + t11) << shift_even;
    d[4 * step] = out_shift ? DESCALE(t10 - t11, out_shift) : (t10 - t11) << shift_even;
    int32_t z1 = (t12 + t13) * FIX_0_541196100;
    d[2 * step] = DESCALE(z1 + t13 * FIX_0_765366865, shift_odd);
    d[6 * step] = DESCALE(z1 - t12 * FIX_1_847759065, shift_odd);
    int32_t a = t4 + t7, b = t5 + t6, c = t4 + t6, e = t5 + t7;
    int32_t z5 = (c + e) * FIX_1_175875602;
    t4 *= FIX_0_298631336;
    t5 *= FIX_2_053119869;
    t6 *= FIX_3_072711026;
    t7 *= FIX_1_501321110;
    a *= -FIX_0_899976223;
    b *= -FIX_2_562915447;
    c = c * -FIX_1_961570560 + z5;
    e = e * -FIX_0_390180644 + z5;
    d[7 * step] = DESCALE(t4 + a + c, shift_odd);
    d[5 * step] = DESCALE(t5 + b + e, shift_odd);
    d[3 * step] = DESCALE(t6 + b + c, shift_odd);
    d[1 * step] = DESCALE(t7 + a + e, shift_odd);
}

static void fdct_block(int bx, int by, uint32_t quality)
{
    int32_t blk[64];
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) blk[y * 8 + x] = (int32_t)image[by + y][bx + x] - 128;
    for (int r = 0; r < 8; r++) dct_1d(&blk[r * 8], 1, PASS1_BITS, CONST_BITS - PASS1_BITS, 0);
    for (int c = 0; c < 8; c++)
        dct_1d(&blk[c], 8, 0, CONST_BITS + PASS1_BITS, PASS1_BITS);
    for (int i = 0; i < 64; i++) { /* quantise: larger steps for higher frequencies */
        int32_t q = (int32_t)(8 + ((i >> 3) + (i & 7)) * (int32_t)quality);
        int32_t v = blk[i];
        coef[((by / 8) * (W / 8) + bx / 8) * 64 + i] =
            (int16_t)(v >= 0 ? (v + q / 2) / q : -((-v + q / 2) / q));
    }
}

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    uint32_t seed = 11;
    for (int y = 0; y < H; y++) /* a smooth gradient with noise, like a photo */
        for (int x = 0; x < W; x++)
            image[y][x] = (uint8_t)((x * 2 + y * 3 + (int)(lcg_next(&seed) >> 28)) & 0xff);
    uint32_t acc = 0;
    for (uint32_t pass = 0; pass < n; pass++) {
        for (int by = 0; by < H; by += 8)
            for (int bx = 0; bx < W; bx += 8) fdct_block(bx, by, 1u + (pass & 3u));
        for (int i = 0; i < H * W; i += 7) acc = acc * 33u + (uint32_t)(uint16_t)coef[i];
    }
    return acc;
}
