/* The bridge's device end (docs/fleet.md): publications under a module's bridge:out grant
 * leave as BRIDGE_OUT events, at most WM_BRIDGE_OUT_PER_S a second for the whole device (the
 * serial line is shared with the push and the management link); BRIDGE_IN messages enter
 * the pub/sub bus for the modules whose bridge:in grants cover their topic. */
#include "sup_internal.h"

static wm_slot *slot_of_endpoint(const wm_ps_endpoint *ep)
{
    const uint8_t *mod = (const uint8_t *)ep - offsetof(wm_sb_module, ps);
    return (wm_slot *)(void *)(uintptr_t)(mod - offsetof(wm_slot, sb));
}

static void bridge_out(void *ctx, const wm_ps_endpoint *from, const uint8_t *topic,
                       uint32_t topic_len, const uint8_t *data, uint32_t data_len)
{
    wm_supervisor *s = ctx;
    wm_slot *sl = slot_of_endpoint(from);
    uint64_t now = wm_sup_now(s);
    if (now - s->bridge_window_ms >= 1000u) {
        s->bridge_window_ms = now;
        s->bridge_sent = 0;
    }
    if (s->bridge_sent >= WM_BRIDGE_OUT_PER_S) {
        if (sl->bridge_dropped < 0xFFFFu) {
            sl->bridge_dropped++;
        }
        return;
    }
    s->bridge_sent++;
    /* u16 dropped before this one | str8 topic | data (the event adds str8 module first) */
    uint8_t body[2u + 1u + WM_TOPIC_MAX + WM_MESSAGE_MAX];
    uint32_t n = 0;
    body[n++] = (uint8_t)(sl->bridge_dropped & 0xFFu);
    body[n++] = (uint8_t)(sl->bridge_dropped >> 8);
    body[n++] = (uint8_t)topic_len;
    wm_memcpy(body + n, topic, topic_len);
    n += topic_len;
    if (data_len > 0u) {
        wm_memcpy(body + n, data, data_len);
        n += data_len;
    }
    sl->bridge_dropped = 0;
    wm_sup_emit_n(s, WM_EV_BRIDGE_OUT, sl->name, (const char *)body, n);
}

int wm_sup_bridge_in(void *ctx, const uint8_t *topic, uint32_t topic_len, const uint8_t *data,
                     uint32_t data_len)
{
    wm_supervisor *s = ctx;
    int n = wm_ps_inject(&s->host.bus, topic, topic_len, data, data_len);
    return n < 0 ? -1 : n;
}

void wm_sup_bridge_attach(wm_supervisor *s)
{
    s->host.bus.out = bridge_out;
    s->host.bus.out_ctx = s;
}
