/* CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320): the same value as zlib's crc32(). */
#ifndef WM_CRC32_H
#define WM_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Start with crc = 0; feed the previous result to continue over more data. */
uint32_t wm_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
