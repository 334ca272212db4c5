/* Text helpers of the supervisor and events to the host; messages are built with
 * base/wm_msg.h. */
#include "sup_internal.h"

void wm_sup_put_exports(wm_msg *t, const wm_instance *inst)
{
    uint32_t n = wm_export_count(inst), shown = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *name = NULL;
        uint32_t len = 0;
        wm_extern ext;
        if (wm_export_at(inst, i, &name, &len, &ext) != WM_OK || ext.kind != WM_EXTERN_FUNC) {
            continue;
        }
        wm_msg_put(t, shown == 0 ? "; exports: " : ", ");
        wm_msg_put_n(t, name, len);
        shown++;
    }
    if (shown == 0) {
        wm_msg_put(t, "; it exports no function");
    }
}

void wm_sup_strcpy(char *dst, const char *src, size_t cap)
{
    wm_msg t; /* a message too long for dst is cut at a word, like any other */
    wm_msg_init(&t, dst, cap);
    wm_msg_put(&t, src);
}

void wm_sup_emit_n(wm_supervisor *s, uint8_t ev, const char *name, const char *text, size_t len)
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
