#include "pubsub.h"

#include "sb_util.h"

#if WM_QUEUE_DEPTH > 32u
#error "free_slot keeps a queue's used slots in a 32-bit mask"
#endif

void wm_ps_bus_init(wm_ps_bus *bus) { wm_memset(bus, 0, sizeof *bus); }

int wm_ps_attach(wm_ps_bus *bus, wm_ps_endpoint *ep, const wm_manifest *grants)
{
    wm_memset(ep, 0, sizeof *ep);
    ep->grants = grants;
    /* limits.queue: how many messages may wait for this module (1..WM_QUEUE_DEPTH) */
    ep->depth =
        grants->queue >= 1u && grants->queue <= WM_QUEUE_DEPTH ? grants->queue : WM_QUEUE_DEPTH;
    for (uint32_t i = 0; i < WM_PS_ENDPOINTS_MAX; i++) {
        if (!bus->eps[i]) {
            bus->eps[i] = ep;
            return 0;
        }
    }
    return WM_E_FULL;
}

void wm_ps_detach(wm_ps_bus *bus, wm_ps_endpoint *ep)
{
    for (uint32_t i = 0; i < WM_PS_ENDPOINTS_MAX; i++) {
        if (bus->eps[i] != ep) continue;
        bus->eps[i] = 0;
        /* its messages still queued elsewhere are no longer the index's next owner's */
        for (uint32_t j = 0; j < WM_PS_ENDPOINTS_MAX; j++) {
            wm_ps_endpoint *o = bus->eps[j];
            if (!o || o->held[i] == 0) continue;
            for (uint32_t k = 0; k < o->count; k++)
                if (o->queue[o->order[k]].from == i) o->queue[o->order[k]].from = WM_PS_FROM_GONE;
            o->held[WM_PS_FROM_GONE] = (uint8_t)(o->held[WM_PS_FROM_GONE] + o->held[i]);
            o->held[i] = 0;
        }
    }
}

bool wm_ps_matches(const uint8_t *pat, uint32_t plen, const uint8_t *topic, uint32_t tlen)
{
    if (plen == 1 && pat[0] == '*') return true;
    if (plen >= 2 && pat[plen - 1] == '*' && pat[plen - 2] == '/')
        return tlen > plen - 1 && wm_memeq(pat, topic, plen - 1);
    return plen == tlen && wm_memeq(pat, topic, plen);
}

/* A grant covers a whole subscription pattern: grant "*", equal, or "P/x" with the pattern
 * starting with "P/" (slash-star grants). */
static bool grant_covers(const wm_pkg_cap *g, const uint8_t *pat, uint32_t plen)
{
    uint32_t gl = g->arg_len;
    if (gl == 1 && g->arg[0] == '*') return true;
    if (gl == plen && wm_memeq(g->arg, pat, plen)) return true;
    if (gl >= 2 && g->arg[gl - 1] == '*' && g->arg[gl - 2] == '/')
        return plen > gl - 1 && wm_memeq(g->arg, pat, gl - 1);
    return false;
}

/* Fixed work per grant, subscription and endpoint looked at (bus->work), and for making
 * room in a full queue (free_slot). */
#define WORK_STEP 8u
#define WORK_ROOM (2u * WM_PS_SENDERS + 2u * WM_QUEUE_DEPTH)

static bool granted_kind(const wm_manifest *m, uint8_t kind, const uint8_t *s, uint32_t n,
                         bool pattern, uint32_t *work)
{
    for (uint32_t i = 0; i < m->ncaps; i++) {
        const wm_pkg_cap *c = &m->caps[i];
        if (work) *work += WORK_STEP + c->arg_len;
        if (c->kind != kind) continue;
        if (pattern ? grant_covers(c, s, n) : wm_ps_matches(c->arg, c->arg_len, s, n)) return true;
    }
    return false;
}

static bool granted(const wm_manifest *m, const uint8_t *s, uint32_t n, bool pattern,
                    uint32_t *work)
{
    return granted_kind(m, WM_CAP_PUBSUB, s, n, pattern, work);
}

/* The slot for a message from `from` in ep's queue: a free one, else (full) the slot of the
 * newest message of the sender holding the most, taken out of the order, when that sender
 * holds more than `from` does; else none (-1). So a publisher cannot keep a subscriber's
 * queue full against the others: each keeps at least a fair share (depth / publishers).
 * O(senders + depth): a publication's cost must stay what it is charged. */
static int free_slot(wm_ps_endpoint *ep, uint8_t from)
{
    if (ep->count < ep->depth) {
        uint32_t used = 0;
        for (uint32_t k = 0; k < ep->count; k++) used |= 1u << ep->order[k];
        for (uint32_t i = 0; i < WM_QUEUE_DEPTH; i++)
            if (!(used & (1u << i))) return (int)i;
        return -1; /* (not reached: count < depth <= WM_QUEUE_DEPTH) */
    }
    uint32_t vf = 0;
    for (uint32_t f = 1; f < WM_PS_SENDERS; f++)
        if (ep->held[f] > ep->held[vf]) vf = f;
    if (ep->held[vf] <= ep->held[from]) return -1;
    for (uint32_t k = ep->count; k-- > 0;) { /* the victim sender's newest message */
        if (ep->queue[ep->order[k]].from != vf) continue;
        int slot = ep->order[k];
        for (; k + 1u < ep->count; k++) ep->order[k] = ep->order[k + 1u];
        ep->count--;
        ep->held[vf]--;
        return slot;
    }
    return -1; /* (not reached: held[vf] > 0) */
}

/* Queues the message for `ep` if one of its subscriptions matches and its queue has room
 * (or makes room: free_slot); counts the work in *work. */
static bool deliver(wm_ps_endpoint *ep, uint8_t from, const uint8_t *topic, uint32_t topic_len,
                    const uint8_t *data, uint32_t data_len, uint32_t *work)
{
    bool hit = false;
    *work += WORK_STEP;
    for (uint32_t s = 0; s < ep->nsubs && !hit; s++) {
        *work += WORK_STEP + ep->sub_len[s];
        hit = wm_ps_matches(ep->subs[s], ep->sub_len[s], topic, topic_len);
    }
    if (!hit) return false;
    *work += WORK_ROOM;
    int slot = free_slot(ep, from);
    if (slot < 0) return false;
    wm_ps_msg *m = &ep->queue[slot];
    m->topic_len = (uint8_t)topic_len;
    m->data_len = (uint8_t)data_len;
    m->from = from;
    wm_memcpy(m->bytes, topic, topic_len);
    if (data_len) wm_memcpy(m->bytes + topic_len, data, data_len);
    *work += topic_len + data_len;
    ep->order[ep->count++] = (uint8_t)slot;
    ep->held[from]++;
    return true;
}

uint32_t wm_ps_publish_work_max(const wm_manifest *grants)
{
    /* the grants, twice (pub/sub, then bridge:out), then every endpoint: its subscriptions,
     * room and the copy */
    uint32_t caps = grants->ncaps * (WORK_STEP + WM_PKG_CAP_ARG_MAX);
    uint32_t ep = WORK_STEP + WM_SUBSCRIPTIONS_MAX * (WORK_STEP + WM_TOPIC_MAX) + WORK_ROOM +
                  WM_TOPIC_MAX + WM_MESSAGE_MAX;
    return 2u * caps + WM_PS_ENDPOINTS_MAX * ep;
}

int wm_ps_publish(wm_ps_bus *bus, const wm_ps_endpoint *from, const uint8_t *topic,
                  uint32_t topic_len, const uint8_t *data, uint32_t data_len)
{
    bus->work = 0;
    if (!wm_pkg_topic_ok(topic, topic_len) || data_len > WM_MESSAGE_MAX) return WM_E_INVAL;
    if (!granted(from->grants, topic, topic_len, false, &bus->work)) return WM_E_DENIED;
    uint8_t who = WM_PS_FROM_GONE; /* (a publisher is always attached) */
    for (uint32_t i = 0; i < WM_PS_ENDPOINTS_MAX; i++)
        if (bus->eps[i] == from) who = (uint8_t)i;
    int delivered = 0;
    for (uint32_t i = 0; i < WM_PS_ENDPOINTS_MAX; i++) {
        wm_ps_endpoint *ep = bus->eps[i];
        if (ep && deliver(ep, who, topic, topic_len, data, data_len, &bus->work)) delivered++;
    }
    /* Leaves the device only under a bridge:out grant; not counted as a delivery. */
    if (bus->out &&
        granted_kind(from->grants, WM_CAP_BRIDGE_OUT, topic, topic_len, false, &bus->work))
        bus->out(bus->out_ctx, from, topic, topic_len, data, data_len);
    return delivered;
}

int wm_ps_inject(wm_ps_bus *bus, const uint8_t *topic, uint32_t topic_len, const uint8_t *data,
                 uint32_t data_len)
{
    if (!wm_pkg_topic_ok(topic, topic_len) || data_len > WM_MESSAGE_MAX) return WM_E_INVAL;
    int delivered = 0;
    uint32_t work = 0; /* (the host's request: nobody's fuel) */
    for (uint32_t i = 0; i < WM_PS_ENDPOINTS_MAX; i++) {
        wm_ps_endpoint *ep = bus->eps[i];
        if (ep && granted_kind(ep->grants, WM_CAP_BRIDGE_IN, topic, topic_len, false, NULL) &&
            deliver(ep, WM_PS_FROM_BRIDGE, topic, topic_len, data, data_len, &work))
            delivered++;
    }
    return delivered;
}

int wm_ps_subscribe(wm_ps_endpoint *ep, const uint8_t *pattern, uint32_t len)
{
    if (!wm_pkg_pattern_ok(pattern, len)) return WM_E_INVAL;
    if (!granted(ep->grants, pattern, len, true, NULL)) return WM_E_DENIED;
    for (uint32_t s = 0; s < ep->nsubs; s++)
        if (ep->sub_len[s] == len && wm_memeq(ep->subs[s], pattern, len)) return 0;
    if (ep->nsubs == WM_SUBSCRIPTIONS_MAX) return WM_E_FULL;
    wm_memcpy(ep->subs[ep->nsubs], pattern, len);
    ep->sub_len[ep->nsubs++] = (uint8_t)len;
    return 0;
}

int wm_ps_receive(wm_ps_endpoint *ep, uint8_t *buf, uint32_t cap)
{
    if (ep->count == 0) return WM_E_TIMEOUT;
    const wm_ps_msg *m = &ep->queue[ep->order[0]];
    uint32_t n = 1u + m->topic_len + m->data_len;
    if (n > cap) return WM_E_NOSPACE;
    buf[0] = m->topic_len;
    wm_memcpy(buf + 1, m->bytes, (uint32_t)m->topic_len + m->data_len);
    ep->held[m->from]--;
    for (uint32_t k = 0; k + 1u < ep->count; k++) ep->order[k] = ep->order[k + 1u];
    ep->count--;
    return (int)n;
}
