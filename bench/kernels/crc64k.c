/* CRC-32C over 64 KiB, bit by bit (no table: the small-footprint loop of firmware that
 * cannot spare 1 KiB of flash), n passes: shifts, masks and xors. */
#include "kernel.h"

#define LEN 65536

static uint8_t buf[LEN];

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    uint32_t seed = 3;
    for (uint32_t i = 0; i < LEN; i += 4) {
        uint32_t v = lcg_next(&seed);
        buf[i] = (uint8_t)v;
        buf[i + 1] = (uint8_t)(v >> 8);
        buf[i + 2] = (uint8_t)(v >> 16);
        buf[i + 3] = (uint8_t)(v >> 24);
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t pass = 0; pass < n; pass++) {
        for (uint32_t i = 0; i < LEN; i++) {
            crc ^= buf[i];
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        }
    }
    return crc ^ 0xFFFFFFFFu;
}
