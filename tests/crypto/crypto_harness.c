/* Posix test driver for firmware/src/core/crypto: reads one command per line
 * on stdin, answers one line on stdout. Hex strings use "-" for empty.
 *
 *   sha256 HEX CHUNKS      -> digest hex   (CHUNKS: comma list of sizes fed to
 *   sha512 HEX CHUNKS      -> digest hex    update in turn, "-" = one update)
 *   verify PUB SIG MSG     -> status number (one-shot API)
 *   verifys PUB SIG MSG CHUNKS -> status number (streaming API)
 *   fe OP A B              -> canonical hex of A op B (OP: add sub mul sq inv neg)
 *   fechain A B OPS        -> canonical hex of x after x = A and, per OPS letter:
 *                             m x*=B, s x=x^2, a x+=B, b x-=B, r x=B-x, n x=-x, i x=1/x
 *   fecanon A              -> "1 hex" if A < p else "0 hex" (hex = A mod p)
 *   decode P               -> "result hex-of-reencoding small_order"
 *   dsm A P B Q            -> encoding of [A]P + [B]Q (P, Q point encodings, A, B
 *                             256-bit little-endian scalars), or "bad" if P/Q do not decode
 *   screduce HEX64         -> HEX64 mod L;  sccanon HEX32 -> 1 if < L
 *   misuse                 -> "ok" if NULL/finished misuse is reported
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "hmac_sha256.h"
#include "random.h"
#include "fe25519.h"
#include "ge25519.h"
#include "sc25519.h"
#include "sha256.h"
#include "sha512.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes into a fresh malloc'd buffer of exactly the decoded size, so ASan
 * sees any read past the end. */
static uint8_t *unhex(const char *s, size_t *len)
{
    size_t n, i;
    uint8_t *out;
    if (strcmp(s, "-") == 0) {
        *len = 0;
        return malloc(1);
    }
    n = strlen(s);
    if (n % 2) {
        fprintf(stderr, "odd hex\n");
        exit(2);
    }
    out = malloc(n / 2 ? n / 2 : 1);
    for (i = 0; i < n / 2; i++) {
        int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
        if (h < 0 || l < 0) {
            fprintf(stderr, "bad hex\n");
            exit(2);
        }
        out[i] = (uint8_t)(h * 16 + l);
    }
    *len = n / 2;
    return out;
}

static uint8_t *unhex_exact(const char *s, size_t want)
{
    size_t len;
    uint8_t *b = unhex(s, &len);
    if (len != want) {
        fprintf(stderr, "want %zu bytes, got %zu\n", want, len);
        exit(2);
    }
    return b;
}

static void puthex(const uint8_t *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) printf("%02x", b[i]);
}

/* Feeds data through update() in the given chunk sizes, the rest at the end. */
typedef wm_crypto_status (*update_fn)(void *ctx, const uint8_t *d, size_t n);

static int feed(void *ctx, update_fn up, const uint8_t *data, size_t len, const char *chunks)
{
    size_t off = 0;
    char *copy = strdup(chunks), *save = NULL, *tok;
    if (strcmp(chunks, "-") != 0) {
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            size_t n = (size_t)strtoul(tok, NULL, 10);
            if (n > len - off) n = len - off;
            /* A zero-length update passes NULL: allowed by the API. */
            if (up(ctx, n ? data + off : NULL, n) != WM_CRYPTO_OK) {
                free(copy);
                return -1;
            }
            off += n;
        }
    }
    free(copy);
    if (off < len && up(ctx, data + off, len - off) != WM_CRYPTO_OK) return -1;
    return 0;
}

static wm_crypto_status up256(void *c, const uint8_t *d, size_t n)
{
    return wm_sha256_update(c, d, n);
}
static wm_crypto_status up512(void *c, const uint8_t *d, size_t n)
{
    return wm_sha512_update(c, d, n);
}
static wm_crypto_status upver(void *c, const uint8_t *d, size_t n)
{
    return wm_ed25519_verify_update(c, d, n);
}

static void cmd_fe(char **arg)
{
    wm_fe25519 a, b, r;
    uint8_t out[32];
    uint8_t *ab = unhex_exact(arg[1], 32), *bb = unhex_exact(arg[2], 32);
    (void)wm_fe25519_frombytes(&a, ab);
    (void)wm_fe25519_frombytes(&b, bb);
    if (strcmp(arg[0], "add") == 0)
        wm_fe25519_add(&r, &a, &b);
    else if (strcmp(arg[0], "sub") == 0)
        wm_fe25519_sub(&r, &a, &b);
    else if (strcmp(arg[0], "mul") == 0)
        wm_fe25519_mul(&r, &a, &b);
    else if (strcmp(arg[0], "sq") == 0)
        wm_fe25519_sq(&r, &a);
    else if (strcmp(arg[0], "inv") == 0)
        wm_fe25519_invert(&r, &a);
    else if (strcmp(arg[0], "pow22523") == 0)
        wm_fe25519_pow22523(&r, &a);
    else if (strcmp(arg[0], "neg") == 0)
        wm_fe25519_neg(&r, &a);
    else {
        fprintf(stderr, "bad fe op\n");
        exit(2);
    }
    wm_fe25519_tobytes(out, &r);
    puthex(out, 32);
    free(ab);
    free(bb);
}

/* Chains operations so that every function also sees the loosest carried
 * limbs other functions produce, not only freshly decoded ones. */
static void cmd_fechain(char **arg)
{
    wm_fe25519 x, b;
    uint8_t out[32];
    uint8_t *ab = unhex_exact(arg[0], 32), *bb = unhex_exact(arg[1], 32);
    const char *op;
    (void)wm_fe25519_frombytes(&x, ab);
    (void)wm_fe25519_frombytes(&b, bb);
    for (op = arg[2]; *op; op++) {
        switch (*op) {
        case 'm': wm_fe25519_mul(&x, &x, &b); break;
        case 's': wm_fe25519_sq(&x, &x); break;
        case 'a': wm_fe25519_add(&x, &x, &b); break;
        case 'b': wm_fe25519_sub(&x, &x, &b); break;
        case 'r': wm_fe25519_sub(&x, &b, &x); break;
        case 'n': wm_fe25519_neg(&x, &x); break;
        case 'i': wm_fe25519_invert(&x, &x); break;
        default: fprintf(stderr, "bad chain op\n"); exit(2);
        }
        /* The operand takes part too: b = b * x keeps it loose as well. */
        if (*op == 'm') wm_fe25519_mul(&b, &b, &x);
    }
    wm_fe25519_tobytes(out, &x);
    puthex(out, 32);
    free(ab);
    free(bb);
}

static int misuse(void)
{
    wm_sha256_ctx c2;
    wm_sha512_ctx c5;
    uint8_t d[64] = {0};
    wm_ed25519_verify_ctx v;
    int ok = 1;
    ok &= wm_sha256_init(NULL) == WM_CRYPTO_ERR_ARG;
    ok &= wm_sha256_init(&c2) == WM_CRYPTO_OK;
    ok &= wm_sha256_update(&c2, NULL, 1) == WM_CRYPTO_ERR_ARG;
    ok &= wm_sha256_final(&c2, NULL) == WM_CRYPTO_ERR_ARG;
    ok &= wm_sha256_final(&c2, d) == WM_CRYPTO_OK;
    ok &= wm_sha256_update(&c2, d, 1) == WM_CRYPTO_ERR_FINISHED;
    ok &= wm_sha256_final(&c2, d) == WM_CRYPTO_ERR_FINISHED;
    ok &= wm_sha512_init(&c5) == WM_CRYPTO_OK;
    ok &= wm_sha512_update(&c5, NULL, 3) == WM_CRYPTO_ERR_ARG;
    ok &= wm_sha512_final(&c5, d) == WM_CRYPTO_OK;
    ok &= wm_sha512_update(&c5, d, 1) == WM_CRYPTO_ERR_FINISHED;
    /* The 2^61-byte limit of SHA-256, without hashing that much. */
    ok &= wm_sha256_init(&c2) == WM_CRYPTO_OK;
    c2.total = 0x1fffffffffffffc0ull;
    ok &= wm_sha256_update(&c2, d, 64) == WM_CRYPTO_ERR_TOO_LONG;
    ok &= wm_sha256_update(&c2, d, 63) == WM_CRYPTO_OK;
    ok &= wm_sha512_init(&c5) == WM_CRYPTO_OK;
    c5.total = UINT64_MAX - 10u;
    ok &= wm_sha512_update(&c5, d, 11) == WM_CRYPTO_ERR_TOO_LONG;
    ok &= wm_ed25519_verify(NULL, d, 1, d) == WM_CRYPTO_ERR_ARG;
    ok &= wm_ed25519_verify(d, NULL, 1, d) == WM_CRYPTO_ERR_ARG;
    ok &= wm_ed25519_verify(d, d, 1, NULL) == WM_CRYPTO_ERR_ARG;
    ok &= wm_ed25519_verify_init(NULL, d, d) == WM_CRYPTO_ERR_ARG;
    ok &= wm_ed25519_verify_update(NULL, d, 1) == WM_CRYPTO_ERR_ARG;
    ok &= wm_ed25519_verify_final(NULL) == WM_CRYPTO_ERR_ARG;
    ok &= wm_ed25519_verify_init(&v, d, d) == WM_CRYPTO_OK;
    ok &= wm_ed25519_verify_update(&v, NULL, 5) == WM_CRYPTO_ERR_ARG;
    ok &= wm_ed25519_verify_final(&v) == WM_CRYPTO_ERR_ARG;
    /* A finished verification cannot be finished again. */
    ok &= wm_ed25519_verify_init(&v, d, d) == WM_CRYPTO_OK;
    ok &= wm_ed25519_verify_final(&v) != WM_CRYPTO_OK;
    ok &= wm_ed25519_verify_final(&v) == WM_CRYPTO_ERR_FINISHED;
    return ok;
}

/* An entropy source that hands out a fixed string (the DRBG test's "entropy input"). */
static const uint8_t *drbg_entropy_bytes;
static size_t drbg_entropy_len;

static int drbg_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        buf[i] = i < drbg_entropy_len ? drbg_entropy_bytes[i] : 0u;
    }
    return WM_RANDOM_SEEDED;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        char *arg[8] = {0};
        int n = 0;
        char *save = NULL, *tok;
        for (tok = strtok_r(line, " \n", &save); tok && n < 8; tok = strtok_r(NULL, " \n", &save))
            arg[n++] = tok;
        if (n == 0) continue;
        if ((strcmp(arg[0], "sha256") == 0 || strcmp(arg[0], "sha512") == 0) && n == 3) {
            size_t len;
            uint8_t *data = unhex(arg[1], &len);
            uint8_t dig[64];
            int r;
            if (arg[0][3] == '2') {
                wm_sha256_ctx c;
                wm_sha256_init(&c);
                r = feed(&c, up256, data, len, arg[2]);
                if (r == 0) r = wm_sha256_final(&c, dig) == WM_CRYPTO_OK ? 0 : -1;
                if (r == 0) puthex(dig, 32);
            } else {
                wm_sha512_ctx c;
                wm_sha512_init(&c);
                r = feed(&c, up512, data, len, arg[2]);
                if (r == 0) r = wm_sha512_final(&c, dig) == WM_CRYPTO_OK ? 0 : -1;
                if (r == 0) puthex(dig, 64);
            }
            if (r != 0) printf("error");
            free(data);
        } else if (strcmp(arg[0], "hmac") == 0 && n == 3) {
            size_t klen, mlen;
            uint8_t *key = unhex(arg[1], &klen), *msg = unhex(arg[2], &mlen);
            uint8_t mac[32];
            wm_hmac_sha256_ctx c;
            wm_hmac_sha256_init(&c, key, klen);
            wm_hmac_sha256_update(&c, msg, mlen);
            wm_hmac_sha256_final(&c, mac);
            puthex(mac, 32);
            free(key);
            free(msg);
        } else if (strcmp(arg[0], "drbg") == 0 && n == 5) {
            /* drbg ENTROPY EXTRA BYTES COUNT: COUNT outputs of BYTES each, concatenated */
            size_t elen, xlen;
            uint8_t *ent = unhex(arg[1], &elen), *extra = unhex(arg[2], &xlen);
            size_t bytes = (size_t)strtoul(arg[3], NULL, 10);
            unsigned long count = strtoul(arg[4], NULL, 10);
            uint8_t *out = malloc(bytes + 1u);
            wm_random r;
            drbg_entropy_bytes = ent;
            drbg_entropy_len = elen;
            wm_random_init(&r, drbg_entropy, NULL, xlen ? extra : NULL, xlen);
            for (unsigned long i = 0; i < count; i++) {
                if (wm_random_bytes(&r, out, bytes) != 0) {
                    printf("error");
                    break;
                }
                puthex(out, bytes);
            }
            free(out);
            free(ent);
            free(extra);
        } else if (strcmp(arg[0], "verify") == 0 && n == 4) {
            size_t len;
            uint8_t *pub = unhex_exact(arg[1], 32), *sig = unhex_exact(arg[2], 64);
            uint8_t *msg = unhex(arg[3], &len);
            printf("%d", (int)wm_ed25519_verify(pub, len ? msg : NULL, len, sig));
            free(pub);
            free(sig);
            free(msg);
        } else if (strcmp(arg[0], "verifys") == 0 && n == 5) {
            size_t len;
            uint8_t *pub = unhex_exact(arg[1], 32), *sig = unhex_exact(arg[2], 64);
            uint8_t *msg = unhex(arg[3], &len);
            wm_ed25519_verify_ctx v;
            wm_crypto_status st = wm_ed25519_verify_init(&v, pub, sig);
            if (st == WM_CRYPTO_OK && feed(&v, upver, msg, len, arg[4]) != 0) st = v.status;
            if (st == WM_CRYPTO_OK) st = wm_ed25519_verify_final(&v);
            printf("%d", (int)st);
            free(pub);
            free(sig);
            free(msg);
        } else if (strcmp(arg[0], "fe") == 0 && n == 4) {
            cmd_fe(arg + 1);
        } else if (strcmp(arg[0], "fechain") == 0 && n == 4) {
            cmd_fechain(arg + 1);
        } else if (strcmp(arg[0], "fecanon") == 0 && n == 2) {
            wm_fe25519 a;
            uint8_t out[32];
            uint8_t *ab = unhex_exact(arg[1], 32);
            int canon = wm_fe25519_frombytes(&a, ab);
            wm_fe25519_tobytes(out, &a);
            printf("%d ", canon);
            puthex(out, 32);
            free(ab);
        } else if (strcmp(arg[0], "decode") == 0 && n == 2) {
            wm_ge25519 p;
            uint8_t out[32];
            uint8_t *pb = unhex_exact(arg[1], 32);
            wm_ge25519_decode_result r = wm_ge25519_frombytes(&p, pb);
            printf("%d ", (int)r);
            if (r == WM_GE25519_DECODED) {
                wm_ge25519_tobytes(out, &p);
                puthex(out, 32);
                printf(" %d", (int)wm_ge25519_has_small_order(&p));
            } else {
                printf("- -");
            }
            free(pb);
        } else if (strcmp(arg[0], "dsm") == 0 && n == 5) {
            wm_ge25519 p, q, r;
            uint8_t out[32];
            uint8_t *a = unhex_exact(arg[1], 32), *pb = unhex_exact(arg[2], 32);
            uint8_t *b = unhex_exact(arg[3], 32), *qb = unhex_exact(arg[4], 32);
            if (wm_ge25519_frombytes(&p, pb) != WM_GE25519_DECODED ||
                wm_ge25519_frombytes(&q, qb) != WM_GE25519_DECODED) {
                printf("bad");
            } else {
                wm_ge25519_double_scalarmult(&r, a, &p, b, &q);
                wm_ge25519_tobytes(out, &r);
                puthex(out, 32);
            }
            free(a);
            free(pb);
            free(b);
            free(qb);
        } else if (strcmp(arg[0], "screduce") == 0 && n == 2) {
            uint8_t out[32];
            uint8_t *in = unhex_exact(arg[1], 64);
            wm_sc25519_reduce64(out, in);
            puthex(out, 32);
            free(in);
        } else if (strcmp(arg[0], "sccanon") == 0 && n == 2) {
            uint8_t *in = unhex_exact(arg[1], 32);
            printf("%d", (int)wm_sc25519_is_canonical(in));
            free(in);
        } else if (strcmp(arg[0], "misuse") == 0) {
            printf("%s", misuse() ? "ok" : "FAILED");
        } else {
            printf("unknown command");
        }
        printf("\n");
        fflush(stdout);
    }
    free(line);
    return 0;
}
