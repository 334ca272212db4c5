/* reader.c - bounds-checked decoding of the binary format (LEB128, names, bytes). */
#include "wm_internal.h"

static wm_err eof(wm_reader *r)
{
    return wm_fail(r->err, WM_ERR_MALFORMED, r->base, r->p, "unexpected end");
}

wm_err wm_rd_u8(wm_reader *r, uint8_t *v)
{
    if (r->p >= r->end) return eof(r);
    *v = *r->p++;
    return WM_OK;
}

/* Unsigned LEB128 of at most `bits` bits; unused bits of the last byte must be zero. */
static wm_err rd_uleb(wm_reader *r, uint32_t bits, uint64_t *v)
{
    uint64_t x = 0;
    uint32_t shift = 0;
    const uint8_t *start = r->p;
    for (;;) {
        if (r->p >= r->end) return eof(r);
        uint8_t b = *r->p++;
        if (shift + 7 >= bits + 7) /* beyond the last allowed byte */
            return wm_fail(r->err, WM_ERR_MALFORMED, r->base, start,
                           "integer representation too long");
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (shift + 7 > bits && (b >> (bits - shift)) != 0)
                return wm_fail(r->err, WM_ERR_MALFORMED, r->base, start, "integer too large");
            break;
        }
        shift += 7;
    }
    *v = x;
    return WM_OK;
}

static wm_err rd_sleb(wm_reader *r, uint32_t bits, int64_t *v)
{
    uint64_t x = 0;
    uint32_t shift = 0;
    const uint8_t *start = r->p;
    for (;;) {
        if (r->p >= r->end) return eof(r);
        uint8_t b = *r->p++;
        if (shift >= bits)
            return wm_fail(r->err, WM_ERR_MALFORMED, r->base, start,
                           "integer representation too long");
        uint32_t pay = b & 0x7f;
        if (!(b & 0x80) && shift + 7 > bits) {
            /* last byte: its unused high bits must repeat the sign bit */
            uint32_t used = bits - shift;
            uint32_t top = pay >> (used - 1);
            if (top != 0 && top != (0x7fu >> (used - 1)))
                return wm_fail(r->err, WM_ERR_MALFORMED, r->base, start, "integer too large");
        }
        if (shift < 64) x |= (uint64_t)pay << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (pay & 0x40)) x |= ~(uint64_t)0 << shift;
            break;
        }
    }
    *v = (int64_t)x;
    return WM_OK;
}

wm_err wm_rd_u32(wm_reader *r, uint32_t *v)
{
    uint64_t x = 0;
    wm_err e = rd_uleb(r, 32, &x);
    if (e) return e;
    *v = (uint32_t)x;
    return WM_OK;
}

wm_err wm_rd_s32(wm_reader *r, int32_t *v)
{
    int64_t x = 0;
    wm_err e = rd_sleb(r, 32, &x);
    if (e) return e;
    *v = (int32_t)x;
    return WM_OK;
}

wm_err wm_rd_s33(wm_reader *r, int64_t *v) { return rd_sleb(r, 33, v); }
wm_err wm_rd_s64(wm_reader *r, int64_t *v) { return rd_sleb(r, 64, v); }

wm_err wm_rd_bytes(wm_reader *r, uint32_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n) return eof(r);
    *out = r->p;
    r->p += n;
    return WM_OK;
}

static bool utf8_ok(const uint8_t *s, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t len, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else
            return false;
        if (n - i < len) return false;
        for (uint32_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += len;
    }
    return true;
}

wm_err wm_rd_name(wm_reader *r, const uint8_t **name, uint32_t *len, wm_work *work)
{
    wm_err e = wm_rd_u32(r, len);
    if (e) return e;
    if ((e = wm_rd_bytes(r, *len, name))) return e;
    /* A name may be as long as the module: checked a quantum of work at a time, each piece
     * ending before a byte that starts a character (so a sequence is never cut, and a
     * string is valid exactly when its pieces are). */
    const uint8_t *s = *name;
    uint32_t n = *len, i = 0;
    while (i < n) {
        uint32_t k = n - i < WM_WORK_KICK_UNITS ? n - i : WM_WORK_KICK_UNITS;
        while (i + k < n && (s[i + k] & 0xC0u) == 0x80u && k < WM_WORK_KICK_UNITS + 3u) k++;
        if (!utf8_ok(s + i, k))
            return wm_fail(r->err, WM_ERR_MALFORMED, r->base, *name, "malformed UTF-8 encoding");
        wm_work_charge(work, k);
        i += k;
    }
    return WM_OK;
}

void wm_skip_memarg(const uint8_t **pp)
{
    (void)wm_fast_u32(pp);
    (void)wm_fast_u32(pp);
}
