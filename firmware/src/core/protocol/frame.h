/* Building and checking protocol frames (see wire.h for the layout). */
#ifndef WM_FRAME_H
#define WM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct {
    uint8_t version;
    uint8_t type;
    uint8_t msg;
    uint8_t flags;
    uint16_t seq;
    uint16_t status;
} wm_frame_header;

enum {
    WM_FRAME_OK = 0,
    WM_FRAME_ESHORT = -1, /* shorter than header + crc */
    WM_FRAME_ECRC = -2,   /* crc mismatch: drop silently, the sender retransmits */
    WM_FRAME_ESPACE = -3, /* output buffer too small */
};

/* Check a decoded payload; on success *body points inside `payload`. The version is not
 * checked here so that the dispatcher can answer a wrong version with an error. */
int wm_frame_parse(const uint8_t *payload, size_t len, wm_frame_header *hdr, const uint8_t **body,
                   size_t *body_len);

/* Build header + body + crc into `scratch`, then COBS-encode it into `out` followed by the
 * 0x00 delimiter. */
int wm_frame_build(const wm_frame_header *hdr, const uint8_t *body, size_t body_len,
                   uint8_t *scratch, size_t scratch_cap, uint8_t *out, size_t out_cap,
                   size_t *out_len);

#endif
