/* Small: table-driven CRC-32, Adler-32 and Fletcher-16 over linear memory. */
#include "wm_export.h"

static uint32_t crc_table[256];
static int crc_table_ready;

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    crc_table_ready = 1;
}

WM_EXPORT("crc32") uint32_t crc32(const uint8_t *buf, uint32_t len) {
    if (!crc_table_ready) crc_init();
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < len; i++) c = crc_table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

WM_EXPORT("adler32") uint32_t adler32(const uint8_t *buf, uint32_t len) {
    uint32_t a = 1, b = 0;
    for (uint32_t i = 0; i < len; i++) {
        a = (a + buf[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

WM_EXPORT("fletcher16") uint32_t fletcher16(const uint8_t *buf, uint32_t len) {
    uint32_t s1 = 0, s2 = 0;
    for (uint32_t i = 0; i < len; i++) {
        s1 = (s1 + buf[i]) % 255u;
        s2 = (s2 + s1) % 255u;
    }
    return (s2 << 8) | s1;
}

static const char sample[] = "The quick brown fox jumps over the lazy dog";

/* crc32 of the sample is the well-known 0x414FA339. */
WM_EXPORT("selftest") uint32_t selftest(void) {
    uint32_t n = sizeof sample - 1;
    return crc32((const uint8_t *)sample, n) ^ adler32((const uint8_t *)sample, n)
           ^ fletcher16((const uint8_t *)sample, n);
}
