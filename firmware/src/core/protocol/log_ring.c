#include "log_ring.h"

#include "wm_mem.h"

static size_t entry_len(const uint8_t *e) { return 2u + e[0] + e[1u + e[0]]; }

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

void wm_log_ring_init(wm_log_ring *r) { r->len = 0; }

static size_t next_own(const wm_log_ring *r, size_t at, const char *name, size_t name_len)
{
    while (at < r->len && !same_name(r->buf + at, name, name_len)) {
        at += entry_len(r->buf + at);
    }
    return at;
}

/* Makes room for `need` bytes by dropping whole entries, one at a time by the fair share: a
 * module that holds half the ring or more drops its own oldest line, anyone else the oldest
 * line of all. The entries dropped are therefore all those before `cut_all` and `name`'s
 * before `cut_own`; they are chosen first and the ring is compacted once, so the work is one
 * pass over the ring however many small entries a long line displaces (the sandbox's log
 * call charges that bound: WM_SB_FUEL_LOG). */
static void make_room(wm_log_ring *r, const char *name, size_t name_len, size_t need)
{
    size_t own = 0;
    for (size_t at = 0; at < r->len; at += entry_len(r->buf + at)) {
        if (same_name(r->buf + at, name, name_len)) {
            own += entry_len(r->buf + at);
        }
    }
    size_t room = WM_LOG_RING_SIZE - r->len, cut_all = 0, cut_own = 0;
    size_t first_own = next_own(r, 0, name, name_len); /* the oldest own entry still kept */
    while (room < need) { /* need <= 512: emptying the ring always makes room */
        size_t at;
        if (own * 2u >= WM_LOG_RING_SIZE && first_own < r->len) {
            at = first_own;
            cut_own = at + entry_len(r->buf + at);
        } else {
            at = cut_all; /* the oldest entry still kept: skip own ones already dropped */
            while (at < cut_own && same_name(r->buf + at, name, name_len)) {
                at += entry_len(r->buf + at);
            }
            cut_all = at + entry_len(r->buf + at);
        }
        size_t n = entry_len(r->buf + at);
        if (same_name(r->buf + at, name, name_len)) {
            own -= n;
        }
        room += n;
        size_t from = cut_all > cut_own ? cut_all : cut_own;
        if (first_own < from) {
            first_own = next_own(r, from, name, name_len);
        }
    }
    size_t w = 0;
    for (size_t at = 0; at < r->len;) {
        size_t n = entry_len(r->buf + at);
        if (at >= cut_all && !(at < cut_own && same_name(r->buf + at, name, name_len))) {
            wm_memmove(r->buf + w, r->buf + at, n);
            w += n;
        }
        at += n;
    }
    r->len = w;
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
    if (WM_LOG_RING_SIZE - r->len < need) {
        make_room(r, name, name_len, need);
    }
    uint8_t *e = r->buf + r->len;
    e[0] = (uint8_t)name_len;
    wm_memcpy(e + 1, name, name_len);
    e[1u + name_len] = (uint8_t)text_len;
    wm_memcpy(e + 2u + name_len, text, text_len);
    r->len += need;
}

size_t wm_log_ring_copy(const wm_log_ring *r, uint8_t *out, size_t cap)
{
    size_t from = 0;
    while (r->len - from > cap) {
        from += entry_len(r->buf + from);
    }
    wm_memcpy(out, r->buf + from, r->len - from);
    return r->len - from;
}
