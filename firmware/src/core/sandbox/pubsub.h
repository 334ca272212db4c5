/* Publish/subscribe between modules: named topics, patterns granted by the manifest
 * (pubsub:PATTERN), bounded per-module queues (docs/api.md). The bus holds pointers to the
 * endpoints of the installed modules; every endpoint owns its queue, so nothing is
 * allocated and a full queue only drops messages for that module.
 *
 * The bridge (docs/fleet.md): a publication whose topic a `bridge:out:PATTERN` grant of the
 * publisher covers also goes to the bus's `out` hook (the supervisor sends it to the host);
 * a message from the host (wm_ps_inject) reaches only modules subscribed to its topic whose
 * `bridge:in:PATTERN` grant covers it. Without a grant there is no path either way. */
#ifndef WM_SB_PUBSUB_H
#define WM_SB_PUBSUB_H

#include <stdbool.h>
#include <stdint.h>

#include "package.h"
#include "sb_api.h"

#ifndef WM_PS_ENDPOINTS_MAX /* the supervisor's slots plus the RUN instance */
#define WM_PS_ENDPOINTS_MAX 9u
#endif

/* Who queued a message: the publisher's index on the bus, or one of these. */
#define WM_PS_FROM_BRIDGE WM_PS_ENDPOINTS_MAX      /* wm_ps_inject: the network */
#define WM_PS_FROM_GONE (WM_PS_ENDPOINTS_MAX + 1u) /* a publisher detached since */
#define WM_PS_SENDERS (WM_PS_ENDPOINTS_MAX + 2u)

/* A publication's work, counted in bytes compared or copied (plus a fixed amount per
 * endpoint, grant and subscription looked at) in wm_ps_bus.work; the sandbox charges one
 * unit of fuel per WM_PS_WORK_PER_FUEL of it: a publication fans out to every subscriber
 * and is not one fixed cost. */
#define WM_PS_WORK_PER_FUEL 4u

typedef struct wm_ps_msg {
    uint8_t topic_len;
    uint8_t data_len;
    uint8_t from; /* WM_PS_FROM_* or the publisher's index in wm_ps_bus.eps */
    uint8_t bytes[WM_TOPIC_MAX + WM_MESSAGE_MAX]; /* topic then data */
} wm_ps_msg;

typedef struct wm_ps_endpoint {
    const wm_manifest *grants; /* the module's pubsub: capabilities */
    uint8_t nsubs;
    uint8_t sub_len[WM_SUBSCRIPTIONS_MAX];
    uint8_t subs[WM_SUBSCRIPTIONS_MAX][WM_TOPIC_MAX];
    /* order[0..count) are the queued messages' slots in queue[], oldest first: a full
     * queue can drop a message from its middle (fair shares, pubsub.c) without moving any */
    uint8_t count, depth;
    uint8_t order[WM_QUEUE_DEPTH];
    uint8_t held[WM_PS_SENDERS]; /* queued messages per sender */
    wm_ps_msg queue[WM_QUEUE_DEPTH];
} wm_ps_endpoint;

/* A bridged publication (already checked against the publisher's bridge:out grants). */
typedef void (*wm_ps_out_fn)(void *ctx, const wm_ps_endpoint *from, const uint8_t *topic,
                             uint32_t topic_len, const uint8_t *data, uint32_t data_len);

typedef struct wm_ps_bus {
    wm_ps_endpoint *eps[WM_PS_ENDPOINTS_MAX];
    wm_ps_out_fn out; /* NULL: nothing leaves the device */
    void *out_ctx;
    uint32_t work; /* of the last wm_ps_publish (WM_PS_WORK_PER_FUEL) */
} wm_ps_bus;

void wm_ps_bus_init(wm_ps_bus *bus);
/* 0, or WM_E_FULL when the bus has no free slot. */
int wm_ps_attach(wm_ps_bus *bus, wm_ps_endpoint *ep, const wm_manifest *grants);
void wm_ps_detach(wm_ps_bus *bus, wm_ps_endpoint *ep);

/* Arguments are already inside the caller's memory; these check grammar and grants.
 * A subscriber's full queue makes room for a publisher that holds fewer of its messages than
 * another publisher (the bridge counts as one) by dropping that one's newest: a flood fills
 * a queue only as far as the other publishers leave it room. */
int wm_ps_publish(wm_ps_bus *bus, const wm_ps_endpoint *from, const uint8_t *topic,
                  uint32_t topic_len, const uint8_t *data, uint32_t data_len);
/* The most work (bus->work) one wm_ps_publish by a module with these grants can count. */
uint32_t wm_ps_publish_work_max(const wm_manifest *grants);
int wm_ps_subscribe(wm_ps_endpoint *ep, const uint8_t *pattern, uint32_t len);
/* Bytes written (u8 topic_len, topic, data), WM_E_TIMEOUT when empty, WM_E_NOSPACE. */
int wm_ps_receive(wm_ps_endpoint *ep, uint8_t *buf, uint32_t cap);

/* A message from outside (the host's BRIDGE_IN): checks the topic and length, then queues
 * it for every subscriber whose bridge:in grants cover the topic. Returns how many took it,
 * or WM_E_INVAL. */
int wm_ps_inject(wm_ps_bus *bus, const uint8_t *topic, uint32_t topic_len, const uint8_t *data,
                 uint32_t data_len);

/* Pattern semantics: "*" all, "P/x" (slash-star) every topic under P, else equality. */
bool wm_ps_matches(const uint8_t *pat, uint32_t plen, const uint8_t *topic, uint32_t tlen);

#endif
