/* Record format of the EEPROM ring (ring.h). */
#include "ring.h"

/* CRC-8, polynomial 0x07, initial value 0xFF: neither an erased (0xFF) nor a zeroed
 * record passes. */
uint8_t ring_crc8(const uint8_t *p, int32_t n)
{
    uint8_t crc = 0xFF;
    for (int32_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
        }
    }
    return crc;
}

void ring_encode(uint32_t seq, int32_t value, uint8_t out[RING_RECORD])
{
    uint32_t v = (uint32_t)value;
    for (int i = 0; i < 3; i++) {
        out[i] = (uint8_t)(seq >> (8 * i));
    }
    for (int i = 0; i < 4; i++) {
        out[3 + i] = (uint8_t)(v >> (8 * i));
    }
    out[7] = ring_crc8(out, 7);
}

uint32_t ring_decode(const uint8_t in[RING_RECORD], int32_t *value)
{
    if (ring_crc8(in, 7) != in[7]) {
        return 0;
    }
    uint32_t seq = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16;
    *value = (int32_t)((uint32_t)in[3] | (uint32_t)in[4] << 8 | (uint32_t)in[5] << 16 |
                       (uint32_t)in[6] << 24);
    return seq;
}

int32_t ring_newest(const uint8_t *image, uint32_t *seq)
{
    int32_t best = -1, value;
    *seq = 0;
    for (int32_t i = 0; i < RING_RECORDS; i++) {
        uint32_t s = ring_decode(image + i * RING_RECORD, &value);
        if (s > *seq) {
            *seq = s;
            best = i;
        }
    }
    return best;
}

/* Pure export for the host tests: a record encoded then decoded gives the value back. */
__attribute__((export_name("ring_roundtrip"))) int32_t ring_roundtrip(int32_t seq, int32_t value)
{
    uint8_t rec[RING_RECORD];
    int32_t out = 0;
    ring_encode((uint32_t)seq, value, rec);
    return ring_decode(rec, &out) == (uint32_t)seq ? out : -1;
}
