/* The pre-decoded form of a stored module (issue 20, docs/predecoded.md): translated at
 * install from the module the commit has just validated, kept as its store record's tail
 * (committed, moved and deleted with it), checked against the record and bound at load.
 * Whatever goes wrong with a form, the module runs in place and LIST says so. */
#include "sup_internal.h"

#include "wm_crc32.h"

/* The tail: a prefix binding the form to the image, then the form (8-byte aligned). */
#define FORM_MAGIC 0x46504D57u /* "WMPF" */
#define FORM_PREFIX 48u        /* magic, form length, crc32 of the form, 0; sha256 of image */

/* Why a module runs in place when the store cannot keep its form: before translating,
 * when the translation stops at the store's room, and when the write finds none. */
static const char k_no_store_room[] = "no room in the store for its pre-decoded form";

/* The form's CRC-32, charged to the install's meter as it goes: a form can be nearly the
 * store's size (~11 Cortex-M4 instructions a byte, ~10 M for 900 KiB: one step of that
 * would be ten times the meter's longest stretch), at install and at every load. */
static uint32_t form_crc(wm_supervisor *s, const uint8_t *form, uint32_t len)
{
    uint32_t crc = 0;
    for (uint32_t off = 0; off < len; off += WM_WORK_KICK_UNITS) {
        uint32_t n = len - off < WM_WORK_KICK_UNITS ? len - off : WM_WORK_KICK_UNITS;
        crc = wm_crc32(crc, form + off, n);
        wm_work_charge(&s->work, n);
    }
    return crc;
}

static bool native_now(const wm_slot *sl)
{
    return sl->sb.decision.aot != NULL && sl->sb.decision.aot_attach != NULL;
}

void wm_sup_form_install(wm_supervisor *s, const uint8_t sha256[32], wm_msg *why)
{
    wm_slot *t = &s->tmp;
    if (s->cfg.pd == NULL || native_now(t)) {
        return; /* no pre-decoder, or native code runs instead */
    }
    /* RAM: what validation left of the largest free extent (bounded like validation; a
     * module whose form and scratch do not fit there runs in place). */
    size_t cap = t->arena.size - t->arena.used;
    cap = cap > 16u ? cap - 16u : 0u;
    uint8_t *mem = cap > FORM_PREFIX ? wm_arena_alloc(&t->arena, cap, 8) : NULL;
    size_t len = 0;
    wm_error e = {WM_OK, 0, NULL, NULL};
    const char *why_not = NULL;
    /* The form stops where the store's room after the image does (translating further
     * would only hold the install for a form then dropped). */
    uint32_t room = wm_store_tail_room(s->cfg.store);
    if (mem == NULL) {
        why_not = "no RAM left to pre-decode it";
    } else if (room <= FORM_PREFIX) {
        why_not = k_no_store_room;
    } else if (s->cfg.pd->translate(t->sb.module, mem + FORM_PREFIX, cap - FORM_PREFIX,
                                    room - FORM_PREFIX, &len, &e) != WM_OK) {
        why_not = e.msg == NULL ? "the pre-decoder refused it"
                  : wm_streq(e.msg, "no room to keep its pre-decoded form") ? k_no_store_room
                                                                            : e.msg;
    } else {
        wm_st32(mem, FORM_MAGIC);
        wm_st32(mem + 4, (uint32_t)len);
        wm_st32(mem + 8, form_crc(s, mem + FORM_PREFIX, (uint32_t)len));
        wm_work_kick(&s->work); /* the form's write starts a fresh quantum */
        wm_st32(mem + 12, 0);
        wm_memcpy(mem + 16, sha256, 32);
        int rc = wm_store_put_tail(s->cfg.store, mem, (uint32_t)(FORM_PREFIX + len));
        why_not = rc == WM_STORE_OK       ? NULL
                  : rc == WM_STORE_ENOSPC ? k_no_store_room
                                          : "its pre-decoded form could not be written";
    }
    if (why_not != NULL && why->len == 0) {
        /* installed all the same: the commit's OK says why it runs in place */
        wm_msg_fail(why, WM_ST_OK, "runs in place: ");
        wm_msg_put(why, why_not);
    }
}

/* The stored form of `name` when its prefix binds it to the image (and with `crc`, its
 * bytes are the ones written), else NULL; *tail gets the tail's size (0: none stored). */
static const uint8_t *stored_form(wm_supervisor *s, const char *name, bool crc, uint32_t *tail,
                                  uint32_t *len)
{
    uint32_t i;
    wm_store_info info;
    *tail = 0;
    if (wm_store_find(s->cfg.store, name, &i) != WM_STORE_OK ||
        wm_store_get(s->cfg.store, i, &info) != WM_STORE_OK) {
        return NULL;
    }
    const uint8_t *t = wm_store_tail(s->cfg.store, i, tail);
    if (t == NULL || *tail < FORM_PREFIX) {
        return NULL;
    }
    *len = wm_ld32(t + 4);
    if (wm_ld32(t) != FORM_MAGIC || *len != *tail - FORM_PREFIX ||
        !wm_memeq(t + 16, info.sha256, 32) ||
        (crc && wm_ld32(t + 8) != form_crc(s, t + FORM_PREFIX, *len))) {
        return NULL;
    }
    return t + FORM_PREFIX;
}

void wm_sup_form_attach(wm_supervisor *s, wm_slot *sl, const char *name)
{
    sl->code = WM_CODE_IN_PLACE;
    uint32_t tail = 0, len = 0;
    if (s->cfg.pd == NULL || native_now(sl) || sl->sb.module == NULL) {
        return;
    }
    const uint8_t *form = stored_form(s, name, true, &tail, &len);
    if (tail == 0) {
        return; /* none stored (the store had no room, or an older firmware installed it) */
    }
    wm_error e = {WM_OK, 0, NULL, NULL};
    if (form != NULL && s->cfg.pd->attach(sl->sb.module, form, len, &e) == WM_OK) {
        sl->code = WM_CODE_PREDECODED;
        return;
    }
    /* The translator never wrote this: damage, or another translator's version. */
    char text[96];
    wm_msg t;
    wm_msg_init(&t, text, sizeof text);
    wm_msg_put(&t, "pre-decoded form refused (");
    wm_msg_put(&t, form == NULL ? "it does not match the module" : e.msg);
    wm_msg_put(&t, "): runs in place");
    wm_sup_announce(s, WM_EV_LOG, name, text);
    sl->code = WM_CODE_REFUSED;
}

void wm_sup_form_state(wm_supervisor *s, const char *name, const wm_slot *sl,
                       wm_proto_module_state *out)
{
    uint32_t tail = 0, len = 0;
    /* (no CRC here: LIST stays cheap; the load checks it) */
    bool bound = stored_form(s, name, false, &tail, &len) != NULL;
    out->form_bytes = tail;
    if (sl != NULL && sl->loaded) {
        out->code = sl->code;
    } else if (s->cfg.pd == NULL || tail == 0) {
        out->code = WM_CODE_IN_PLACE;
    } else {
        out->code = bound ? WM_CODE_PREDECODED : WM_CODE_REFUSED; /* what its load will do */
    }
}
