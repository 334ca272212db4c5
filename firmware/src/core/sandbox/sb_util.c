#include "sb_util.h"

void wm_sb_msg_append_n(wm_sb_error *err, const uint8_t *s, size_t n)
{
    if (!err) return;
    size_t len = wm_sb_str_len(err->msg);
    for (size_t i = 0; i < n && len + 1 < WM_SB_MSG_MAX; i++) {
        uint8_t ch = s[i];
        err->msg[len++] = (char)((ch >= 0x20 && ch < 0x7F) ? ch : '?');
    }
    err->msg[len] = '\0';
}

void wm_sb_msg_append(wm_sb_error *err, const char *s)
{
    if (s) wm_sb_msg_append_n(err, (const uint8_t *)s, wm_sb_str_len(s));
}

void wm_sb_msg_append_u(wm_sb_error *err, uint32_t v)
{
    char out[11];
    wm_sb_text t;
    wm_sb_text_init(&t, out, sizeof out);
    wm_sb_text_put_u(&t, v);
    wm_sb_msg_append(err, out);
}

void wm_sb_text_init(wm_sb_text *t, char *buf, uint32_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    if (cap) buf[0] = '\0';
}

void wm_sb_text_put_c(wm_sb_text *t, char c)
{
    if (t->len + 1u >= t->cap) return;
    t->buf[t->len++] = c;
    t->buf[t->len] = '\0';
}

void wm_sb_text_put(wm_sb_text *t, const char *s)
{
    while (s && *s) wm_sb_text_put_c(t, *s++);
}

void wm_sb_text_put_u(wm_sb_text *t, uint64_t v)
{
    char d[20];
    uint32_t n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) wm_sb_text_put_c(t, d[--n]);
}

void wm_sb_text_put_hex(wm_sb_text *t, uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    int shift = 28;
    while (shift > 0 && !((v >> shift) & 15u)) shift -= 4;
    for (; shift >= 0; shift -= 4) wm_sb_text_put_c(t, hex[(v >> shift) & 15u]);
}

int wm_sb_fail(wm_sb_error *err, int code, uint32_t offset, const char *a, const char *b,
               const char *c)
{
    if (err) {
        err->code = code;
        err->offset = offset;
        err->msg[0] = '\0';
        wm_sb_msg_append(err, a);
        wm_sb_msg_append(err, b);
        wm_sb_msg_append(err, c);
    }
    return code;
}

bool wm_sb_mem_eq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (uint8_t)(x[i] ^ y[i]);
    return diff == 0;
}

void wm_sb_mem_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++) d[i] = s[i];
}

void wm_sb_mem_set(void *dst, uint8_t v, size_t n)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++) d[i] = v;
}

size_t wm_sb_str_len(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

bool wm_sb_str_eq_n(const char *s, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || (uint8_t)s[i] != b[i]) return false;
    return s[n] == '\0';
}

uint16_t wm_sb_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

uint32_t wm_sb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

void wm_sb_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
