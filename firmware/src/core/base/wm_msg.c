/* wm_msg.c - the core's one bounded message builder (wm_msg.h). */
#include "wm_msg.h"

void wm_msg_init(wm_msg *m, char *buf, size_t cap)
{
    if (m == NULL) {
        return;
    }
    m->status = WM_ST_OK;
    m->offset = 0;
    m->where = NULL;
    m->buf = buf;
    m->cap = cap;
    m->len = 0;
    m->cut = false;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

wm_status wm_msg_fail_at(wm_msg *m, wm_status st, const char *where, uint32_t offset,
                         const char *text)
{
    if (m != NULL) {
        wm_msg_init(m, m->buf, m->cap);
        m->status = st;
        m->where = where;
        m->offset = offset;
        wm_msg_put(m, text);
    }
    return st;
}

wm_status wm_msg_fail(wm_msg *m, wm_status st, const char *text)
{
    return wm_msg_fail_at(m, st, NULL, 0, text);
}

wm_status wm_msg_status(wm_msg *m, wm_status st)
{
    if (m != NULL) {
        m->status = st;
    }
    return st;
}

/* A text that does not fit ends at the last whole word with "...", never mid-word
 * ("arena too sm"): the reader sees it was cut and no half word misleads. */
static void cut_at_word(wm_msg *m)
{
    size_t keep = m->len;
    while (keep > 0 && m->cap - 1u - keep < 3u) {
        keep--;
    }
    size_t word = keep;
    while (word > 0 && m->buf[word - 1u] != ' ') {
        word--;
    }
    if (word > 0) {
        keep = word - 1u; /* drop the space too */
    }
    m->len = keep;
    for (int i = 0; i < 3 && m->len + 1u < m->cap; i++) {
        m->buf[m->len++] = '.';
    }
    m->buf[m->len] = '\0';
    m->cut = true;
}

/* One byte; false (and the text cut) when it does not fit. */
static bool put_byte(wm_msg *m, char c)
{
    if (m->len + 1u >= m->cap) {
        cut_at_word(m);
        return false;
    }
    m->buf[m->len++] = c;
    m->buf[m->len] = '\0';
    return true;
}

void wm_msg_put_n(wm_msg *m, const char *s, size_t n)
{
    if (m == NULL || m->cap == 0 || m->cut || s == NULL) {
        return;
    }
    for (size_t i = 0; i < n && s[i] != '\0'; i++) {
        if (!put_byte(m, s[i])) {
            return;
        }
    }
}

void wm_msg_put(wm_msg *m, const char *s) { wm_msg_put_n(m, s, (size_t)-1); }

void wm_msg_put_c(wm_msg *m, char c) { wm_msg_put_n(m, &c, 1); }

void wm_msg_put_input(wm_msg *m, const uint8_t *s, size_t n)
{
    if (m == NULL || m->cap == 0 || m->cut || s == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = (s[i] >= 0x20u && s[i] < 0x7Fu) ? (char)s[i] : '?';
        if (!put_byte(m, c)) {
            return;
        }
    }
}

void wm_msg_put_u(wm_msg *m, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    char out[21];
    for (size_t i = 0; i < n; i++) {
        out[i] = d[n - 1u - i];
    }
    out[n] = '\0';
    wm_msg_put(m, out); /* whole or cut at a word: never a wrong number */
}

void wm_msg_put_hex(wm_msg *m, uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    char d[11];
    size_t n = 0;
    d[n++] = '0';
    d[n++] = 'x';
    int shift = 28;
    while (shift > 0 && ((v >> shift) & 0xFu) == 0) {
        shift -= 4;
    }
    for (; shift >= 0; shift -= 4) {
        d[n++] = hex[(v >> shift) & 0xFu];
    }
    d[n] = '\0';
    wm_msg_put(m, d);
}
