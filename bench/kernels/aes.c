/* AES-128 encryption (FIPS-197, byte-oriented: S-box lookups, xtime, no T-tables) of a 4 KiB
 * buffer in CBC mode, n passes: the table lookups, shifts and xors of firmware crypto. */
#include "kernel.h"

#define LEN 4096

static uint8_t sbox[256];
static uint8_t round_keys[176];
static uint8_t buf[LEN];

static uint8_t xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x >> 7) * 0x1b)); }

/* The S-box from its definition (multiplicative inverse in GF(2^8), then the affine map),
 * so the kernel carries no large constant table. */
static void make_sbox(void)
{
    uint8_t p = 1, q = 1;
    do {
        p = (uint8_t)(p ^ (p << 1) ^ (p & 0x80 ? 0x1b : 0)); /* p * 3 */
        q ^= (uint8_t)(q << 1);                               /* q / 3 */
        q ^= (uint8_t)(q << 2);
        q ^= (uint8_t)(q << 4);
        if (q & 0x80) q ^= 0x09;
        uint8_t r = (uint8_t)(q ^ (q << 1 | q >> 7) ^ (q << 2 | q >> 6) ^ (q << 3 | q >> 5) ^
                              (q << 4 | q >> 4));
        sbox[p] = (uint8_t)(r ^ 0x63);
    } while (p != 1);
    sbox[0] = 0x63;
}

static void expand_key(const uint8_t key[16])
{
    uint8_t rcon = 1;
    for (int i = 0; i < 16; i++) round_keys[i] = key[i];
    for (int i = 16; i < 176; i += 4) {
        uint8_t t[4] = {round_keys[i - 4], round_keys[i - 3], round_keys[i - 2],
                        round_keys[i - 1]};
        if (i % 16 == 0) {
            uint8_t u = t[0];
            t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[u];
            rcon = xtime(rcon);
        }
        for (int k = 0; k < 4; k++) round_keys[i + k] = (uint8_t)(round_keys[i - 16 + k] ^ t[k]);
    }
}

static void encrypt_block(uint8_t s[16])
{
    for (int i = 0; i < 16; i++) s[i] ^= round_keys[i];
    for (int round = 1; round <= 10; round++) {
        uint8_t t[16];
        for (int i = 0; i < 16; i++) /* SubBytes + ShiftRows */
            t[i] = sbox[s[(i + 4 * (i % 4)) % 16]];
        if (round < 10) { /* MixColumns */
            for (int c = 0; c < 16; c += 4) {
                uint8_t a0 = t[c], a1 = t[c + 1], a2 = t[c + 2], a3 = t[c + 3];
                uint8_t all = (uint8_t)(a0 ^ a1 ^ a2 ^ a3);
                t[c] = (uint8_t)(a0 ^ all ^ xtime((uint8_t)(a0 ^ a1)));
                t[c + 1] = (uint8_t)(a1 ^ all ^ xtime((uint8_t)(a1 ^ a2)));
                t[c + 2] = (uint8_t)(a2 ^ all ^ xtime((uint8_t)(a2 ^ a3)));
                t[c + 3] = (uint8_t)(a3 ^ all ^ xtime((uint8_t)(a3 ^ a0)));
            }
        }
        for (int i = 0; i < 16; i++) s[i] = (uint8_t)(t[i] ^ round_keys[16 * round + i]);
    }
}

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    static const uint8_t key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
    make_sbox();
    expand_key(key);
    uint32_t seed = 7;
    for (int i = 0; i < LEN; i++) buf[i] = (uint8_t)(lcg_next(&seed) >> 24);
    uint8_t iv[16] = {0};
    for (uint32_t pass = 0; pass < n; pass++) {
        for (int b = 0; b < LEN; b += 16) {
            for (int i = 0; i < 16; i++) buf[b + i] ^= iv[i];
            encrypt_block(&buf[b]);
            for (int i = 0; i < 16; i++) iv[i] = buf[b + i];
        }
    }
    uint32_t acc = 0;
    for (int i = 0; i < LEN; i += 4)
        acc = (acc * 31u) ^ ((uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 |
                             (uint32_t)buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24);
    return acc;
}
