/* Larger: SHA-256, base64 and a printf-like formatter, as a telemetry signer would need. */
#include <stdarg.h>

#include "wm_export.h"

struct sha256 {
    uint32_t h[8];
    uint8_t buf[64];
    uint32_t used;
    uint64_t total;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(struct sha256 *s, const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16
               | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
    s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_init(struct sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; i++) s->h[i] = iv[i];
    s->used = 0;
    s->total = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, uint32_t n) {
    s->total += n;
    while (n--) {
        s->buf[s->used++] = *p++;
        if (s->used == 64) { sha256_block(s, s->buf); s->used = 0; }
    }
}

static void sha256_final(struct sha256 *s, uint8_t out[32]) {
    uint64_t bits = s->total * 8;
    uint8_t pad = 0x80;
    sha256_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56) sha256_update(s, &pad, 1);
    for (int i = 7; i >= 0; i--) { uint8_t b = (uint8_t)(bits >> (8 * i)); sha256_update(s, &b, 1); }
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

WM_EXPORT("sha256") void sha256(const uint8_t *p, uint32_t n, uint8_t *out) {
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, p, n);
    sha256_final(&s, out);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Returns the encoded length, or 0 if `cap` is too small. */
WM_EXPORT("base64_encode") uint32_t base64_encode(const uint8_t *p, uint32_t n, char *out,
                                                  uint32_t cap) {
    uint32_t need = (n + 2) / 3 * 4, o = 0;
    if (need > cap) return 0;
    for (uint32_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0)
                     | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    return o;
}

struct sink { char *buf; uint32_t cap, len; };

static void put(struct sink *k, char c) {
    if (k->len + 1 < k->cap) k->buf[k->len] = c;
    k->len++;
}

static void put_str(struct sink *k, const char *s, int width, int left) {
    int n = 0;
    while (s[n]) n++;
    if (!left) while (width-- > n) put(k, ' ');
    for (int i = 0; i < n; i++) put(k, s[i]);
    if (left) while (width-- > n) put(k, ' ');
}

static void put_uint(struct sink *k, uint64_t v, unsigned base, int width, char padc, int neg,
                     int upper) {
    char tmp[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do { tmp[n++] = digits[v % base]; v /= base; } while (v);
    if (neg) {
        if (padc == '0') { put(k, '-'); width--; } else tmp[n++] = '-';
    }
    while (width-- > n) put(k, padc);
    while (n) put(k, tmp[--n]);
}

/* Supports %d %i %u %x %X %s %c %% with flags '-', '0', a width and the 'l' length. */
static uint32_t vformat(char *buf, uint32_t cap, const char *fmt, va_list ap) {
    struct sink k = {buf, cap, 0};
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') { put(&k, *f); continue; }
        int left = 0, width = 0, is_long = 0;
        char padc = ' ';
        f++;
        for (;; f++) {
            if (*f == '-') left = 1;
            else if (*f == '0') padc = '0';
            else break;
        }
        while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
        if (*f == 'l') { is_long = 1; f++; }
        switch (*f) {
        case 'd': case 'i': {
            int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
            put_uint(&k, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, width, padc, v < 0, 0);
            break;
        }
        case 'u': case 'x': case 'X': {
            uint64_t v = is_long ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
            put_uint(&k, v, *f == 'u' ? 10 : 16, width, padc, 0, *f == 'X');
            break;
        }
        case 's': put_str(&k, va_arg(ap, const char *), width, left); break;
        case 'c': put(&k, (char)va_arg(ap, int)); break;
        case '%': put(&k, '%'); break;
        case '\0': f--; break;
        default: put(&k, '%'); put(&k, *f); break;
        }
    }
    if (cap) buf[k.len < cap ? k.len : cap - 1] = '\0';
    return k.len;
}

static uint32_t format(char *buf, uint32_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    uint32_t n = vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

static char line[192];
static char sig[48];

/* Formats a telemetry line, signs it with a truncated SHA-256 and base64-encodes the tag. */
WM_EXPORT("sign_reading") uint32_t sign_reading(int32_t sensor, int32_t milli_c, uint32_t seq) {
    uint8_t digest[32];
    uint32_t n = format(line, sizeof line, "id=%04x seq=%-6u t=%d.%03d src=%s %c%%",
                        (unsigned)sensor, seq, milli_c / 1000,
                        (int)(milli_c < 0 ? -(milli_c % 1000) : milli_c % 1000), "probe", 'K');
    sha256((const uint8_t *)line, n, digest);
    uint32_t m = base64_encode(digest, 12, sig, sizeof sig);
    uint32_t h = 5381;
    for (uint32_t i = 0; i < m; i++) h = h * 33 + (uint8_t)sig[i];
    return h ^ n;
}

WM_EXPORT("selftest") int64_t selftest(void) {
    uint8_t d[32];
    sha256((const uint8_t *)"abc", 3, d); /* ba7816bf... */
    int64_t v = (int64_t)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]);
    v = v * 1000003 + sign_reading(0x2a, -12345, 7);
    v = v * 1000003 + sign_reading(7, 98765, 123456);
    v = v * 1000003 + format(line, sizeof line, "%lx|%ld|%5s|%-3d|", 0x123456789abcULL,
                             -9000000000LL, "ab", 7);
    return v;
}
