/* COBS (Consistent Overhead Byte Stuffing): removes every 0x00 from a frame so 0x00 can
 * delimit frames on the wire; a receiver resynchronises at the next 0x00 after garbage.
 * Overhead: at most 1 byte per 254 plus 1. */
#ifndef WM_COBS_H
#define WM_COBS_H

#include <stddef.h>
#include <stdint.h>

#define WM_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 1u)

/* Both return 0 on success, -1 if `cap` is too small or the input is not valid COBS.
 * The delimiter is not part of either buffer. */
int wm_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);
int wm_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
