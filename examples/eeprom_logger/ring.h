/* The ring of readings in the EEPROM: 64 records of 8 bytes from address 0x0020 (page
 * aligned: a record never straddles a 32-byte page). A record is a sequence number (24
 * bits), the value (32 bits) and a CRC-8 of both; the newest is the valid record with the
 * highest sequence number, so no header is rewritten on every append (each byte's
 * endurance is spent once per 64 appends) and a write cut short by power loss fails its
 * CRC and is skipped. No host calls here: testable on the host. */
#ifndef RING_H
#define RING_H
#include <stdint.h>

#define RING_BASE 0x0020
#define RING_RECORDS 64
#define RING_RECORD 8
#define RING_SEQ_MAX 0xFFFFFF

uint8_t ring_crc8(const uint8_t *p, int32_t n);
/* Encodes a record; decodes one: its sequence number, or 0 if empty or corrupt. */
void ring_encode(uint32_t seq, int32_t value, uint8_t out[RING_RECORD]);
uint32_t ring_decode(const uint8_t in[RING_RECORD], int32_t *value);
/* The slot of the newest valid record in a whole ring image (-1 if none). */
int32_t ring_newest(const uint8_t *image, uint32_t *seq);
#endif
