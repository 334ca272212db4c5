/* The crypto core on the real target instruction sets: a bare-metal image for a QEMU board
 * (Cortex-M4 mps2-an386, RV32 virt; built by bench/crypto_m4/image.py with the firmware's
 * own start-up and port) that answers one line on the UART per request line:
 *
 *   v PUB SIG MSG    -> wm_ed25519_verify status (MSG "-" = empty)
 *   s PUB SIG MSG N  -> the same through the streaming API, fed in N-byte chunks
 *   h2 HEX / h5 HEX  -> SHA-256 / SHA-512 digest ("-" = empty)
 *   u2 OFF HEX       -> SHA-256 digest of HEX placed at an address that is OFF (0-7) past
 *                       a multiple of 8: whole blocks hashed from unaligned input
 */
#include <stddef.h>
#include <stdint.h>

#include "bare_console.h"
#include "ed25519.h"
#include "sha256.h"
#include "sha512.h"
#include "wasmote_port.h"

void wm_app_main(void);

#define LINE_MAX 20000u
#define DATA_MAX 8192u

/* Test image only: the firmware core itself keeps no global state. */
static char line[LINE_MAX];
static uint8_t data[DATA_MAX];
static uint8_t odd[DATA_MAX + 8u];

static void put_hex(const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        char pair[2];
        pair[0] = digits[b[i] >> 4];
        pair[1] = digits[b[i] & 15u];
        bare_write(pair, 2);
    }
}

static size_t read_line(void)
{
    size_t n = 0;
    for (;;) {
        int c = wm_port_uart_read();
        if (c < 0) {
            wm_port_idle();
            continue;
        }
        if (c == '\n') {
            line[n] = '\0';
            return n;
        }
        if (c != '\r' && n + 1u < LINE_MAX) {
            line[n++] = (char)c;
        }
    }
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Parses the space-separated hex field starting at *pos into out; returns its length or
 * -1. "-" is an empty field. */
static long hex_field(size_t *pos, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (line[*pos] == ' ') {
        (*pos)++;
    }
    if (line[*pos] == '-') {
        (*pos)++;
        return 0;
    }
    while (line[*pos] != ' ' && line[*pos] != '\0') {
        int h = nibble(line[*pos]), l = nibble(line[*pos + 1u]);
        if (h < 0 || l < 0 || n >= cap) {
            return -1;
        }
        out[n++] = (uint8_t)(h * 16 + l);
        *pos += 2u;
    }
    return (long)n;
}

static long number_field(size_t *pos)
{
    long v = 0;
    while (line[*pos] == ' ') {
        (*pos)++;
    }
    while (line[*pos] >= '0' && line[*pos] <= '9') {
        v = v * 10 + (line[*pos] - '0');
        (*pos)++;
    }
    return v;
}

static void command(void)
{
    size_t pos = 0;
    uint8_t pub[32], sig[64], digest[64];
    long len;
    if (line[0] == 'v' || line[0] == 's') {
        pos = 1;
        if (hex_field(&pos, pub, 32) != 32 || hex_field(&pos, sig, 64) != 64 ||
            (len = hex_field(&pos, data, DATA_MAX)) < 0) {
            bare_put("parse-error");
            return;
        }
        if (line[0] == 'v') {
            bare_put_u32((uint32_t)wm_ed25519_verify(pub, len ? data : NULL, (size_t)len, sig));
        } else {
            wm_ed25519_verify_ctx ctx;
            long chunk = number_field(&pos), off = 0;
            wm_crypto_status st = wm_ed25519_verify_init(&ctx, pub, sig);
            if (chunk <= 0) {
                chunk = 1;
            }
            while (st == WM_CRYPTO_OK && off < len) {
                long n = len - off < chunk ? len - off : chunk;
                st = wm_ed25519_verify_update(&ctx, data + off, (size_t)n);
                off += n;
            }
            if (st == WM_CRYPTO_OK) {
                st = wm_ed25519_verify_final(&ctx);
            }
            bare_put_u32((uint32_t)st);
        }
    } else if (line[0] == 'h' && (line[1] == '2' || line[1] == '5')) {
        pos = 2;
        len = hex_field(&pos, data, DATA_MAX);
        if (len < 0) {
            bare_put("parse-error");
        } else if (line[1] == '2') {
            bare_put_u32((uint32_t)wm_sha256(len ? data : NULL, (size_t)len, digest));
            bare_put(" ");
            put_hex(digest, 32);
        } else {
            bare_put_u32((uint32_t)wm_sha512(len ? data : NULL, (size_t)len, digest));
            bare_put(" ");
            put_hex(digest, 64);
        }
    } else if (line[0] == 'u' && line[1] == '2') {
        pos = 2;
        long off = number_field(&pos);
        uint8_t *at = odd + (((uintptr_t)off - (uintptr_t)odd) & 7u);
        len = hex_field(&pos, at, DATA_MAX);
        if (len < 0) {
            bare_put("parse-error");
        } else {
            bare_put_u32((uint32_t)wm_sha256(len ? at : NULL, (size_t)len, digest));
            bare_put(" ");
            put_hex(digest, 32);
        }
    } else {
        bare_put("unknown");
    }
}

void wm_app_main(void)
{
    bare_put("crypto-target ready\r\n");
    for (;;) {
        read_line();
        command();
        bare_put("\r\n");
    }
}
