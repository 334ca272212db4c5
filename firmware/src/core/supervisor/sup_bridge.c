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

/* A module that may publish out: loaded, with a bridge:out grant. */
static bool bridging(const wm_slot *sl)
{
    return sl->loaded && wm_sb_granted(&sl->sb.manifest, WM_CAP_BRIDGE_OUT);
}

/* Whether `sl` may send one more in this window. Each bridging module is promised a share
 * of the rate (WM_BRIDGE_OUT_PER_S / bridging modules), kept for it the whole window; beyond
 * its share a module gets only what is not promised (the division's remainder), so a flood
 * cannot silence another module's publications (before, the flooder took the whole rate at
 * the start of every window). */
static bool may_send(const wm_supervisor *s, const wm_slot *sl)
{
    if (s->bridge_sent >= WM_BRIDGE_OUT_PER_S) {
        return false;
    }
    const wm_slot *others[WM_SUP_SLOTS + 1u];
    uint32_t n = 0;
    for (uint32_t i = 0; i <= WM_SUP_SLOTS; i++) {
        const wm_slot *o = i < WM_SUP_SLOTS ? &s->slots[i] : &s->tmp;
        if (o != sl && bridging(o)) {
            others[n++] = o;
        }
    }
    uint32_t share = WM_BRIDGE_OUT_PER_S / (n + 1u); /* at least 1: 9 slots, rate 10 */
    if (sl->bridge_sent < share) {
        return true;
    }
    uint32_t reserved = 0; /* what the others may still take of their shares */
    for (uint32_t k = 0; k < n; k++) {
        reserved += others[k]->bridge_sent < share ? share - others[k]->bridge_sent : 0u;
    }
    return s->bridge_sent + reserved < WM_BRIDGE_OUT_PER_S;
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
        for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
            s->slots[i].bridge_sent = 0;
        }
        s->tmp.bridge_sent = 0;
    }
    if (!may_send(s, sl)) {
        if (sl->bridge_dropped < 0xFFFFu) {
            sl->bridge_dropped++;
        }
        return;
    }
    sl->bridge_sent++;
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
    /* The event goes down the line like a log line and costs its publisher as much: before,
     * a publish (~100 units) sent ~146 bytes, so a module could put the device's whole
     * second of bridged messages (~1.5 KB, ~127 ms of a 115200-baud line) in one slice. */
    wm_sb_charge(&sl->sb, wm_sb_line_fuel(&sl->sb, (uint32_t)(n + 1u + wm_strlen(sl->name))));
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
