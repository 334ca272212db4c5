/* Table-driven CRC-32 (IEEE) over a 16 KiB buffer, n passes. Byte loads, table lookups,
 * shifts and xors: the typical integer inner loop of firmware code. */
#include "kernel.h"

#define BUF_LEN 16384

static uint32_t table[256];
static uint8_t buf[BUF_LEN];

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t seed = 1;
    for (uint32_t i = 0; i < BUF_LEN; i++)
        buf[i] = (uint8_t)(lcg_next(&seed) >> 24);
    uint32_t acc = 0;
    for (uint32_t pass = 0; pass < n; pass++) {
        uint32_t c = 0xFFFFFFFFu ^ acc;
        for (uint32_t i = 0; i < BUF_LEN; i++)
            c = table[(c ^ buf[i]) & 0xFFu] ^ (c >> 8);
        acc = c ^ 0xFFFFFFFFu;
    }
    return acc;
}
