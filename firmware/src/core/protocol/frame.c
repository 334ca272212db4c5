#include "frame.h"

#include "cobs.h"
#include "wm_bytes.h"
#include "wm_crc32.h"
#include "wm_mem.h"

int wm_frame_parse(const uint8_t *payload, size_t len, wm_frame_header *hdr, const uint8_t **body,
                   size_t *body_len)
{
    if (len < WM_FRAME_HEADER + WM_FRAME_CRC) {
        return WM_FRAME_ESHORT;
    }
    size_t n = len - WM_FRAME_CRC;
    if (wm_crc32(0, payload, n) != wm_ld32(payload + n)) {
        return WM_FRAME_ECRC;
    }
    hdr->version = payload[0];
    hdr->type = payload[1];
    hdr->msg = payload[2];
    hdr->flags = payload[3];
    hdr->seq = wm_ld16(payload + 4);
    hdr->status = wm_ld16(payload + 6);
    *body = payload + WM_FRAME_HEADER;
    *body_len = n - WM_FRAME_HEADER;
    return WM_FRAME_OK;
}

int wm_frame_build(const wm_frame_header *hdr, const uint8_t *body, size_t body_len,
                   uint8_t *scratch, size_t scratch_cap, uint8_t *out, size_t out_cap,
                   size_t *out_len)
{
    size_t n = WM_FRAME_HEADER + body_len;
    if (scratch_cap < WM_FRAME_HEADER + WM_FRAME_CRC ||
        body_len > scratch_cap - WM_FRAME_HEADER - WM_FRAME_CRC) {
        return WM_FRAME_ESPACE;
    }
    scratch[0] = hdr->version;
    scratch[1] = hdr->type;
    scratch[2] = hdr->msg;
    scratch[3] = hdr->flags;
    wm_st16(scratch + 4, hdr->seq);
    wm_st16(scratch + 6, hdr->status);
    /* body may already live in scratch (responses are built in place): move, not copy. */
    if (body != scratch + WM_FRAME_HEADER) {
        wm_memmove(scratch + WM_FRAME_HEADER, body, body_len);
    }
    wm_st32(scratch + n, wm_crc32(0, scratch, n));
    size_t enc = 0;
    if (out_cap < 1 || wm_cobs_encode(scratch, n + WM_FRAME_CRC, out, out_cap - 1, &enc) != 0) {
        return WM_FRAME_ESPACE;
    }
    out[enc] = 0;
    *out_len = enc + 1;
    return WM_FRAME_OK;
}
