/* Small text helpers for messages and events to the host. */
#include "sup_internal.h"

void wm_sup_text_init(wm_sup_text *t, char *buf, size_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->cut = false;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

/* A message that does not fit ends at the last whole word with "...", never mid-word
 * ("arena too sm"): the reader sees it was cut and no half word misleads. */
static void cut_at_word(wm_sup_text *t)
{
    size_t keep = t->len;
    while (keep > 0 && t->cap - 1u - keep < 3u) {
        keep--;
    }
    size_t word = keep;
    while (word > 0 && t->buf[word - 1u] != ' ') {
        word--;
    }
    if (word > 0) {
        keep = word - 1u; /* drop the space too */
    }
    t->len = keep;
    for (int i = 0; i < 3 && t->len + 1u < t->cap; i++) {
        t->buf[t->len++] = '.';
    }
    t->buf[t->len] = '\0';
    t->cut = true;
}

void wm_sup_put_n(wm_sup_text *t, const char *s, size_t n)
{
    if (t->cap == 0 || t->cut || s == NULL) {
        return;
    }
    size_t i = 0;
    while (i < n && s[i] != '\0' && t->len + 1u < t->cap) {
        t->buf[t->len++] = s[i++];
    }
    t->buf[t->len] = '\0';
    if (i < n && s[i] != '\0') {
        cut_at_word(t);
    }
}

void wm_sup_put(wm_sup_text *t, const char *s)
{
    wm_sup_put_n(t, s, (size_t)-1);
}

void wm_sup_put_exports(wm_sup_text *t, const wm_instance *inst)
{
    uint32_t n = wm_export_count(inst), shown = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *name = NULL;
        uint32_t len = 0;
        wm_extern ext;
        if (wm_export_at(inst, i, &name, &len, &ext) != WM_OK || ext.kind != WM_EXTERN_FUNC) {
            continue;
        }
        wm_sup_put(t, shown == 0 ? "; exports: " : ", ");
        wm_sup_put_n(t, name, len);
        shown++;
    }
    if (shown == 0) {
        wm_sup_put(t, "; it exports no function");
    }
}

void wm_sup_put_u(wm_sup_text *t, uint64_t v)
{
    char d[21];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < 20);
    char out[21];
    for (int i = 0; i < n; i++) {
        out[i] = d[n - 1 - i];
    }
    out[n] = '\0';
    wm_sup_put(t, out);
}

void wm_sup_put_hex(wm_sup_text *t, uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    char d[11];
    int n = 0;
    d[n++] = '0';
    d[n++] = 'x';
    bool started = false;
    for (int shift = 28; shift >= 0; shift -= 4) {
        uint32_t nib = (v >> shift) & 0xFu;
        if (nib != 0 || started || shift == 0) {
            d[n++] = hex[nib];
            started = true;
        }
    }
    d[n] = '\0';
    wm_sup_put(t, d);
}

void wm_sup_strcpy(char *dst, const char *src, size_t cap)
{
    wm_sup_text t; /* a message too long for dst is cut at a word, like any other */
    wm_sup_text_init(&t, dst, cap);
    wm_sup_put(&t, src);
}

void wm_sup_emit_n(wm_supervisor *s, uint8_t ev, const char *name, const char *text,
                   size_t len)
{
    if (s->cfg.event != NULL) {
        s->cfg.event(s->cfg.event_ctx, ev, name, text, len);
    }
}

void wm_sup_emit(wm_supervisor *s, uint8_t ev, const char *name, const char *text)
{
    wm_sup_emit_n(s, ev, name, text, wm_strlen(text));
}

/* An event and the same line in the log ring (LOGS), as the old runner did. */
void wm_sup_announce(wm_supervisor *s, uint8_t ev, const char *name, const char *text)
{
    wm_sup_emit(s, ev, name, text);
    if (ev != WM_EV_LOG) {
        wm_sup_emit(s, WM_EV_LOG, name, text);
    }
}
