/* pd_trace.c - the pre-decoded form's trace map (docs/predecoded.md, "Trace map"): for every
 * form instruction that can trap or call, the code offset the in-place interpreter records
 * for it, so a trap's trace names the same wasm instruction on both paths.
 *
 * The map is the form's tail: pairs (form delta in units, code delta in bytes) as ULEB128,
 * read from the form's last byte downwards (the translator writes it downwards from the top
 * of its buffer while the bodies grow upwards, then moves it down: no scratch per entry). */
#include "wm_pd.h"

#if WM_PREDECODE

static bool put_down(wm_pd_out *out, size_t floor, uint32_t v)
{
    do {
        if (out->cap <= floor + out->len) return false;
        uint8_t b = (uint8_t)(v & 0x7Fu);
        v >>= 7;
        out->buf[--out->cap] = (uint8_t)(b | (v ? 0x80u : 0u));
    } while (v);
    return true;
}

bool wm_pd_map_add(wm_pd_out *out, wm_pd_map *w, uint32_t form_pos, uint32_t code_off)
{
    /* both only grow: bodies are written in order, each from its code in order */
    bool ok = put_down(out, 0, (form_pos - w->form) / 2u) && put_down(out, 0, code_off - w->code);
    w->form = form_pos;
    w->code = code_off;
    return ok;
}

void wm_pd_map_finish(wm_pd_out *out, wm_pd_map *w)
{
    size_t n = w->top - out->cap;
    wm_st32(out->buf + WM_PD_AT_MAP, (uint32_t)out->len);
    for (size_t i = 0; i < n; i++) out->buf[out->len + i] = out->buf[out->cap + i]; /* down */
    out->len += n;
    out->cap = w->top;
}

/* Reads one ULEB128 downwards from *at (exclusive) to lo; false past lo or over 32 bits. */
static bool get_down(const uint8_t *lo, const uint8_t **at, uint32_t *v)
{
    uint64_t r = 0;
    for (unsigned s = 0; s < 35; s += 7) {
        if (*at <= lo) return false;
        uint8_t b = *--*at;
        r |= (uint64_t)(b & 0x7Fu) << s;
        if (!(b & 0x80u)) {
            *v = (uint32_t)r;
            return r <= 0xFFFFFFFFu;
        }
    }
    return false;
}

wm_err wm_pd_map_check(const uint8_t *form, size_t len, size_t bodies, wm_work *work, wm_error *err)
{
    uint32_t map = wm_ld32(form + WM_PD_AT_MAP);
    if (map < bodies || map > len)
        return wm_fail(err, WM_ERR_MALFORMED, NULL, NULL, "pre-decoded form: bad trace map");
    const uint8_t *at = form + len;
    uint64_t f = 0, c = 0;
    while (at > form + map) {
        uint32_t df, dc;
        if (!get_down(form + map, &at, &df) || !get_down(form + map, &at, &dc))
            return wm_fail(err, WM_ERR_MALFORMED, NULL, NULL, "pre-decoded form: bad trace map");
        f += 2u * (uint64_t)df;
        c += dc;
        if (f >= map || c > 0xFFFFFFFFu)
            return wm_fail(err, WM_ERR_MALFORMED, NULL, NULL, "pre-decoded form: bad trace map");
        wm_work_charge(work, 4u); /* an entry: ~84 Cortex-M4 instructions */
    }
    return WM_OK;
}

uint32_t wm_pd_code_offset(const wm_module *m, const uint8_t *pc)
{
    /* cold (a trap): a linear walk to the last entry before pc, which lies inside it */
    const uint8_t *lo = m->pd + wm_ld32(m->pd + WM_PD_AT_MAP), *at = m->pd + m->pd_len;
    uint32_t pos = (uint32_t)(pc - m->pd), f = 0, c = 0, best = 0, df, dc;
    while (get_down(lo, &at, &df) && get_down(lo, &at, &dc)) {
        f += 2u * df;
        if (f >= pos) break;
        c += dc;
        best = c;
    }
    return best;
}

#endif
