/* The pub/sub queues' fair shares (core/sandbox/pubsub.c), against a model: random
 * attaches, detaches, publications, injections and receives on nine endpoints, checking
 * after each that every queue's per-sender counts match its messages, that no slot is
 * queued twice and no message names a detached publisher's index; then that publishers
 * flooding one queue in a random order end up with fair shares of it. Prints "ok". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/pubsub.h"

static wm_ps_bus bus;
static wm_ps_endpoint eps[WM_PS_ENDPOINTS_MAX];
static wm_manifest man[WM_PS_ENDPOINTS_MAX];
static bool live[WM_PS_ENDPOINTS_MAX];
static const uint8_t star[] = "*";

static void fail(const char *what, int ep)
{
    printf("FAIL %s (endpoint %d)\n", what, ep);
    exit(1);
}

static void check(void)
{
    for (int i = 0; i < (int)WM_PS_ENDPOINTS_MAX; i++) {
        const wm_ps_endpoint *e = &eps[i];
        unsigned cnt[WM_PS_SENDERS] = {0}, used = 0;
        if (!live[i]) continue;
        if (e->count > e->depth) fail("more queued than the depth", i);
        for (unsigned k = 0; k < e->count; k++) {
            unsigned f = e->queue[e->order[k]].from;
            if (used & (1u << e->order[k])) fail("a slot queued twice", i);
            used |= 1u << e->order[k];
            if (f >= WM_PS_SENDERS) fail("a sender out of range", i);
            if (f < WM_PS_ENDPOINTS_MAX && bus.eps[f] == NULL) fail("a detached sender", i);
            cnt[f]++;
        }
        for (unsigned f = 0; f < WM_PS_SENDERS; f++)
            if (cnt[f] != e->held[f]) fail("held[] does not match the queue", i);
    }
}

static void setup(void)
{
    wm_ps_bus_init(&bus);
    memset(live, 0, sizeof live);
    for (int i = 0; i < (int)WM_PS_ENDPOINTS_MAX; i++) {
        memset(&man[i], 0, sizeof man[i]);
        man[i].caps[0].kind = WM_CAP_PUBSUB;
        man[i].caps[0].arg_len = 1;
        man[i].caps[0].arg = star;
        man[i].caps[1].kind = WM_CAP_BRIDGE_IN;
        man[i].caps[1].arg_len = 1;
        man[i].caps[1].arg = star;
        man[i].ncaps = 1u + (i % 2 == 0 ? 1u : 0u);
        man[i].queue = (uint8_t)(1 + i % WM_QUEUE_DEPTH);
    }
}

int main(void)
{
    uint8_t buf[128] = {0};
    srand(12);
    setup();
    for (long step = 0; step < 300000; step++) {
        int i = rand() % (int)WM_PS_ENDPOINTS_MAX, op = rand() % 10;
        if (!live[i]) {
            if (wm_ps_attach(&bus, &eps[i], &man[i]) != 0) fail("attach", i);
            live[i] = true;
            if (rand() % 2 && wm_ps_subscribe(&eps[i], star, 1) != 0) fail("subscribe", i);
        } else if (op < 6) {
            if (wm_ps_publish(&bus, &eps[i], (const uint8_t *)"t", 1, buf, (uint32_t)(rand() % 3)) <
                0)
                fail("publish", i);
        } else if (op < 8) {
            (void)wm_ps_receive(&eps[i], buf, (uint32_t)(rand() % 8));
        } else if (op == 8) {
            (void)wm_ps_inject(&bus, (const uint8_t *)"t", 1, buf, 0);
        } else if (rand() % 20 == 0) {
            wm_ps_detach(&bus, &eps[i]);
            live[i] = false;
        }
        check();
    }
    /* Shares: endpoint 0 subscribes (depth 8, never reads); 1..k publish in a random order,
     * the bridge too when k is odd. Every sender ends with depth / senders or one more. */
    for (unsigned k = 1; k < WM_PS_ENDPOINTS_MAX; k++) {
        setup();
        for (unsigned i = 0; i <= k; i++) {
            man[i].queue = WM_QUEUE_DEPTH;
            man[i].ncaps = 2;
            (void)wm_ps_attach(&bus, &eps[i], &man[i]);
            live[i] = true;
        }
        (void)wm_ps_subscribe(&eps[0], star, 1);
        unsigned senders = k + (k % 2);
        for (int n = 0; n < 5000; n++) {
            unsigned p = 1u + (unsigned)rand() % senders;
            if (p <= k)
                (void)wm_ps_publish(&bus, &eps[p], (const uint8_t *)"t", 1, buf, 0);
            else
                (void)wm_ps_inject(&bus, (const uint8_t *)"t", 1, buf, 0);
        }
        check();
        unsigned low = WM_QUEUE_DEPTH / senders;
        for (unsigned p = 1; p <= senders; p++) {
            unsigned h = eps[0].held[p <= k ? p : WM_PS_FROM_BRIDGE];
            if (h < low || h > low + 1u) {
                printf("FAIL %u senders: sender %u holds %u\n", senders, p, h);
                return 1;
            }
        }
    }
    printf("ok\n");
    return 0;
}
