#include "log_ring.h"

static size_t entry_len(const uint8_t *e)
{
    return 2u + e[0] + e[1u + e[0]];
}

static int same_name(const uint8_t *e, const char *name, size_t name_len)
{
    if (e[0] != name_len) {
        return 0;
    }
    for (size_t i = 0; i < name_len; i++) {
        if (e[1u + i] != (uint8_t)name[i]) {
            return 0;
        }
    }
    return 1;
}

void wm_log_ring_init(wm_log_ring *r)
{
    r->len = 0;
}

static void drop_at(wm_log_ring *r, size_t at)
{
    size_t n = entry_len(r->buf + at);
    for (size_t i = at; i + n < r->len; i++) {
        r->buf[i] = r->buf[i + n];
    }
    r->len -= n;
}

/* The entry to drop so that `name` can add a line: its own oldest when it holds half the
 * ring or more, else the oldest of all. */
static size_t victim(const wm_log_ring *r, const char *name, size_t name_len)
{
    size_t own = 0, first_own = r->len;
    for (size_t at = 0; at < r->len; at += entry_len(r->buf + at)) {
        if (same_name(r->buf + at, name, name_len)) {
            own += entry_len(r->buf + at);
            if (first_own == r->len) {
                first_own = at;
            }
        }
    }
    return own * 2u >= WM_LOG_RING_SIZE && first_own < r->len ? first_own : 0u;
}

void wm_log_ring_add(wm_log_ring *r, const char *name, size_t name_len, const char *text,
                     size_t text_len)
{
    if (name_len > 255u) {
        name_len = 255u;
    }
    if (text_len > WM_LOG_RING_TEXT_MAX) {
        text_len = WM_LOG_RING_TEXT_MAX;
    }
    size_t need = 2u + name_len + text_len; /* <= 512: always fits an emptied ring */
    while (WM_LOG_RING_SIZE - r->len < need) {
        drop_at(r, victim(r, name, name_len));
    }
    uint8_t *e = r->buf + r->len;
    e[0] = (uint8_t)name_len;
    for (size_t i = 0; i < name_len; i++) {
        e[1u + i] = (uint8_t)name[i];
    }
    e[1u + name_len] = (uint8_t)text_len;
    for (size_t i = 0; i < text_len; i++) {
        e[2u + name_len + i] = (uint8_t)text[i];
    }
    r->len += need;
}

size_t wm_log_ring_copy(const wm_log_ring *r, uint8_t *out, size_t cap)
{
    size_t from = 0;
    while (r->len - from > cap) {
        from += entry_len(r->buf + from);
    }
    for (size_t i = from; i < r->len; i++) {
        out[i - from] = r->buf[i];
    }
    return r->len - from;
}
