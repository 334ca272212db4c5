/* SHA-256 per FIPS 180-4 section 6.2, written for 32-bit cores without SHA instructions
 * (Cortex-M: 34 instructions per byte, bench/crypto_verify.py; the rolled loop was 64). */
#include "sha256.h"

#include "../base/wm_work.h"

/* First 32 bits of the fractional parts of the square roots of the first 8 primes. */
static const uint32_t wm_sha256_iv[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t wm_sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

/* Only 2^61 - 1 bytes fit in the 64-bit bit-length field of the padding. */
#define WM_SHA256_MAX_BYTES ((uint64_t)0x1fffffffffffffffull)

static uint32_t rotr32(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

/* Written as four byte loads: GCC and clang turn this into one word load and a byte
 * reverse (ldr + rev on a Cortex-M3/M4/M33) where unaligned loads are allowed. */
static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The big sigmas nested so that every rotation is the shifted operand of an eor or of the
 * add that consumes the result (two instructions on a Cortex-M instead of five):
 * S0 = ror(ror(ror(x,9)^x, 11)^x, 2) = ror(x,22)^ror(x,13)^ror(x,2), likewise S1. */
#define WM_SHA_S0(x) rotr32(rotr32(rotr32((x), 9) ^ (x), 11) ^ (x), 2)
#define WM_SHA_S1(x) rotr32(rotr32(rotr32((x), 14) ^ (x), 5) ^ (x), 6)
#define WM_SHA_G0(x) (rotr32((x), 7) ^ rotr32((x), 18) ^ ((x) >> 3))
#define WM_SHA_G1(x) (rotr32((x), 17) ^ rotr32((x), 19) ^ ((x) >> 10))
/* Ch with one operation fewer than the FIPS form. */
#define WM_SHA_CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))

/* One round; the caller rotates the names instead of moving eight words per round.
 * Maj(a,b,c) = ((a^b) & (b^c)) ^ b, and this round's a^b is the next round's b^c: it is
 * passed on in ab/bc (three operations instead of four). */
#define WM_SHA_ROUND(a, b, c, d, e, f, g, h, i)                               \
    do {                                                                      \
        uint32_t t1_ = (h) + WM_SHA_S1(e) + WM_SHA_CH(e, f, g) + k[i] + w[i]; \
        (d) += t1_;                                                           \
        ab = (a) ^ (b);                                                       \
        (h) = t1_ + WM_SHA_S0(a) + ((ab & bc) ^ (b));                         \
        bc = ab;                                                              \
    } while (0)

static void sha256_compress(uint32_t state[8], const uint8_t block[WM_SHA256_BLOCK_SIZE])
{
    /* The whole 64-word schedule first (256 bytes of stack): the rounds then read it at
     * fixed offsets from one pointer, eight rounds per loop pass with no register moves. */
    uint32_t sched[64];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    uint32_t ab, bc = b ^ c;
    uint32_t *p;
    unsigned t;

    for (t = 0; t < 16u; t++) {
        sched[t] = load_be32(block + 4u * t);
    }
    /* Two words per pass: word t-15 of the first is word t-16 of the second. */
    for (p = sched + 16; p != sched + 64; p += 2) {
        uint32_t w15 = p[-15], w14 = p[-14];
        p[0] = WM_SHA_G1(p[-2]) + p[-7] + WM_SHA_G0(w15) + p[-16];
        p[1] = WM_SHA_G1(p[-1]) + p[-6] + WM_SHA_G0(w14) + w15;
    }
    for (t = 0; t < 64u; t += 8u) {
        const uint32_t *k = wm_sha256_k + t;
        const uint32_t *w = sched + t;
        WM_SHA_ROUND(a, b, c, d, e, f, g, h, 0);
        WM_SHA_ROUND(h, a, b, c, d, e, f, g, 1);
        WM_SHA_ROUND(g, h, a, b, c, d, e, f, 2);
        WM_SHA_ROUND(f, g, h, a, b, c, d, e, 3);
        WM_SHA_ROUND(e, f, g, h, a, b, c, d, 4);
        WM_SHA_ROUND(d, e, f, g, h, a, b, c, 5);
        WM_SHA_ROUND(c, d, e, f, g, h, a, b, 6);
        WM_SHA_ROUND(b, c, d, e, f, g, h, a, 7);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

wm_crypto_status wm_sha256_init(wm_sha256_ctx *ctx)
{
    unsigned i;
    if (ctx == NULL) {
        return WM_CRYPTO_ERR_ARG;
    }
    for (i = 0; i < 8u; i++) {
        ctx->state[i] = wm_sha256_iv[i];
    }
    for (i = 0; i < WM_SHA256_BLOCK_SIZE; i++) {
        ctx->block[i] = 0;
    }
    ctx->total = 0;
    ctx->fill = 0;
    ctx->finished = 0;
    return WM_CRYPTO_OK;
}

wm_crypto_status wm_sha256_update(wm_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len != 0u)) {
        return WM_CRYPTO_ERR_ARG;
    }
    if (ctx->finished) {
        return WM_CRYPTO_ERR_FINISHED;
    }
    if ((uint64_t)len > WM_SHA256_MAX_BYTES - ctx->total) {
        return WM_CRYPTO_ERR_TOO_LONG;
    }
    ctx->total += (uint64_t)len;
    while (len > 0u) {
        if (ctx->fill == 0u && len >= WM_SHA256_BLOCK_SIZE) {
            /* Whole blocks straight from the caller's buffer, no copy. */
            sha256_compress(ctx->state, data);
            data += WM_SHA256_BLOCK_SIZE;
            len -= WM_SHA256_BLOCK_SIZE;
        } else {
            size_t room = WM_SHA256_BLOCK_SIZE - ctx->fill;
            size_t n = len < room ? len : room;
            size_t i;
            for (i = 0; i < n; i++) {
                ctx->block[ctx->fill + i] = data[i];
            }
            ctx->fill += (uint32_t)n;
            data += n;
            len -= n;
            if (ctx->fill == WM_SHA256_BLOCK_SIZE) {
                sha256_compress(ctx->state, ctx->block);
                ctx->fill = 0;
            }
        }
    }
    return WM_CRYPTO_OK;
}

wm_crypto_status wm_sha256_final(wm_sha256_ctx *ctx, uint8_t digest[WM_SHA256_DIGEST_SIZE])
{
    uint64_t bits;
    unsigned i;
    if (ctx == NULL || digest == NULL) {
        return WM_CRYPTO_ERR_ARG;
    }
    if (ctx->finished) {
        return WM_CRYPTO_ERR_FINISHED;
    }
    bits = ctx->total * 8u;
    ctx->block[ctx->fill++] = 0x80u;
    if (ctx->fill > WM_SHA256_BLOCK_SIZE - 8u) {
        /* No room for the length: pad out this block and use one more. */
        while (ctx->fill < WM_SHA256_BLOCK_SIZE) {
            ctx->block[ctx->fill++] = 0;
        }
        sha256_compress(ctx->state, ctx->block);
        ctx->fill = 0;
    }
    while (ctx->fill < WM_SHA256_BLOCK_SIZE - 8u) {
        ctx->block[ctx->fill++] = 0;
    }
    store_be32(ctx->block + 56, (uint32_t)(bits >> 32));
    store_be32(ctx->block + 60, (uint32_t)bits);
    sha256_compress(ctx->state, ctx->block);
    for (i = 0; i < 8u; i++) {
        store_be32(digest + 4u * i, ctx->state[i]);
    }
    ctx->finished = 1;
    return WM_CRYPTO_OK;
}

wm_crypto_status wm_sha256(const uint8_t *data, size_t len, uint8_t digest[WM_SHA256_DIGEST_SIZE])
{
    return wm_sha256_metered(data, len, digest, NULL);
}

wm_crypto_status wm_sha256_metered(const uint8_t *data, size_t len,
                                   uint8_t digest[WM_SHA256_DIGEST_SIZE], struct wm_work *work)
{
    wm_sha256_ctx ctx;
    wm_crypto_status st = wm_sha256_init(&ctx);
    for (size_t off = 0; st == WM_CRYPTO_OK && off < len; off += WM_WORK_KICK_UNITS) {
        size_t n = len - off < WM_WORK_KICK_UNITS ? len - off : WM_WORK_KICK_UNITS;
        st = wm_sha256_update(&ctx, data + off, n);
        wm_work_charge(work, (uint32_t)n);
    }
    if (st == WM_CRYPTO_OK) {
        st = wm_sha256_final(&ctx, digest);
    }
    return st;
}
