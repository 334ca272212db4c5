#include "cobs.h"

int wm_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t code_at = 0, o = 1;
    uint8_t code = 1;
    if (cap < 1) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            if (o >= cap) {
                return -1;
            }
            out[o++] = in[i];
            code++;
        }
        if (code == 0xFF) {
            /* A full 254-byte block needs its own code byte. */
            out[code_at] = code;
            code_at = o++;
            code = 1;
        }
        if (code_at >= cap) {
            return -1;
        }
    }
    out[code_at] = code;
    *out_len = o;
    return 0;
}

int wm_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        if (code == 0) {
            return -1;
        }
        for (uint8_t k = 1; k < code; k++) {
            if (i >= len || in[i] == 0 || o >= cap) {
                return -1;
            }
            out[o++] = in[i++];
        }
        /* A zero follows every block except a full one and the last one. */
        if (code != 0xFF && i < len) {
            if (o >= cap) {
                return -1;
            }
            out[o++] = 0;
        }
    }
    *out_len = o;
    return 0;
}
