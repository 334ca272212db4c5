#include "sb_util.h"

void wm_sb_msg_append_n(wm_sb_error *err, const uint8_t *s, size_t n)
{
    if (!err) return;
    size_t len = wm_strlen(err->msg);
    for (size_t i = 0; i < n && len + 1 < WM_SB_MSG_MAX; i++) {
        uint8_t ch = s[i];
        err->msg[len++] = (char)((ch >= 0x20 && ch < 0x7F) ? ch : '?');
    }
    err->msg[len] = '\0';
}

void wm_sb_msg_append(wm_sb_error *err, const char *s)
{
    if (s) wm_sb_msg_append_n(err, (const uint8_t *)s, wm_strlen(s));
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
