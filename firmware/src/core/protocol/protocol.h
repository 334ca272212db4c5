/* The device side of the wasmote wire protocol (version 1, docs/protocol.md).
 *
 * How a port uses it (posix device_main.c, the QEMU firmware app):
 *   1. Fill a wm_protocol_config: byte I/O callbacks (non-blocking read, blocking write,
 *      optional reset), the mounted wm_store, firmware version and board strings, free RAM,
 *      and optionally a runner (RUN/START/STOP) and the loader's validate callback.
 *   2. wm_protocol_init(&proto, &config) on a wm_protocol the port owns (about 6 KiB: every
 *      buffer lives inside it; nothing is allocated, nothing is global).
 *   3. Call wm_protocol_poll(&proto) from the main loop; it reads what bytes are available,
 *      answers complete frames and returns. Ports that receive bytes in an ISR or via DMA
 *      can call wm_protocol_feed() with them instead.
 *   4. wm_protocol_event() sends an unsolicited event (module log line, trap, exit) and
 *      keeps log lines for LOGS; wm_protocol_link_lost() after a disconnect.
 * The port's receive path must buffer at least one whole frame (WM_PROTO_MAX_PAYLOAD plus
 * COBS overhead) while a frame is being handled: the host keeps a window of chunks in flight.
 */
#ifndef WM_PROTOCOL_H
#define WM_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/wm_msg.h"
#include "../store/store.h"
#include "auth.h"
#include "cobs.h"
#include "log_ring.h"
#include "wire.h"

#define WM_PROTO_MAX_ENCODED (WM_COBS_MAX_ENCODED(WM_PROTO_MAX_PAYLOAD) + 1u)
#define WM_PROTO_EVENT_MAX 256u
#define WM_PROTO_MAX_VALUES 8u

typedef struct {
    void *ctx;
    /* Up to `cap` bytes, without waiting: >0 bytes read, 0 none pending, <0 link down. */
    int (*read)(void *ctx, uint8_t *buf, size_t cap);
    /* All `len` bytes (may block); 0 on success. */
    int (*write)(void *ctx, const uint8_t *buf, size_t len);
    /* Restart the device after the RESET response went out; NULL = not supported. */
    void (*reset)(void *ctx);
} wm_protocol_io;

typedef struct {
    uint8_t type; /* WM_VT_* */
    uint64_t bits;
} wm_wire_value;

struct wm_protocol;

/* What LIST shows of a module's runtime state (docs/protocol.md). */
typedef struct {
    uint32_t flags; /* module flags in effect (prefilled with the stored ones) */
    uint8_t state;  /* WM_MS_* of the supervisor */
    uint8_t kind;   /* 0 bare wasm, 1 package, 2 package running native code */
    uint16_t version[3];
    uint32_t mem_bytes;    /* RAM held while loaded */
    uint32_t fuel_per_s;   /* over the last second */
    uint16_t cpu_permille; /* share of wall time over the last second */
    uint32_t traps, restarts;
    const char *last_trap; /* "" if none */
    /* LIST's detail (docs/protocol.md): the manifest's limits, linear memory now */
    uint32_t mem_limit, stack_limit, mem_now;
    uint8_t code;        /* WM_CODE_*: in place or pre-decoded */
    uint32_t form_bytes; /* flash its stored pre-decoded form takes, 0: none */
} wm_proto_module_state;

/* What INFO adds about the device beyond the store. */
typedef struct {
    uint32_t free_ram;
    uint8_t nkeys;        /* provisioned public keys; 0 = unprovisioned */
    uint32_t key_counter; /* provisioning counter: a signed PROVISION must exceed it */
    uint8_t aot_arch;     /* native code this firmware runs (WM_AOT_*), 0 = none */
    uint16_t aot_abi;
    uint8_t aot_isolated; /* native code runs unprivileged under the MPU */
    uint16_t slots, running;
    uint32_t boots;
    uint8_t reset_cause;      /* WM_RESET_* */
    const char *notes;        /* e.g. "unprovisioned: unsigned packages accepted" */
    const uint8_t *device_id; /* WM_DEVICE_ID_BYTES, or NULL (INFO sends zeros) */
    uint8_t random_kind;      /* WM_RANDOM_* of core/random */
} wm_proto_device_state;

/* The application behind the protocol (the supervisor). Each hook returning int gives a
 * wm_status and, on failure, the refusal in msg (an empty WM_MSG_MAX message the protocol
 * hands in; a trap reason for WM_ST_TRAP), which becomes the response unchanged. Any hook
 * may be NULL (the request then answers NOT_SUPPORTED). */
typedef struct {
    void *ctx;
    int (*run)(void *ctx, struct wm_protocol *p, const char *name, const uint8_t *image,
               uint32_t size, const char *export_name, const wm_wire_value *args, uint32_t nargs,
               wm_wire_value *results, uint32_t *nresults, wm_msg *msg);
    int (*start)(void *ctx, struct wm_protocol *p, const char *name, wm_msg *msg);
    int (*stop)(void *ctx, struct wm_protocol *p, const char *name, wm_msg *msg);
    /* After PUSH_COMMIT installed `name` (new or replaced); before REMOVE erases it (any
     * status but WM_ST_OK refuses the REMOVE, with msg, and the module stays). */
    void (*installed)(void *ctx, struct wm_protocol *p, const char *name);
    int (*removing)(void *ctx, struct wm_protocol *p, const char *name, wm_msg *msg);
    void (*module_state)(void *ctx, const char *name, wm_proto_module_state *out);
    void (*device_state)(void *ctx, wm_proto_device_state *out);
    /* PROVISION body as received (docs/protocol.md). */
    int (*provision)(void *ctx, const uint8_t *body, size_t len, wm_msg *msg);
    /* The device id and provisioned keys (NULL: unprovisioned, no authentication). */
    void (*identity)(void *ctx, wm_auth_identity *out);
    /* Random bytes for nonces: 0, or <0 (NULL or failing: NONCE is not supported). */
    int (*random)(void *ctx, uint8_t *buf, size_t len);
    /* BRIDGE_IN: a message for the modules whose bridge:in grants cover the topic. The
     * number of modules that took it, or <0 for a bad topic or length. NULL: no bridge. */
    int (*bridge_in)(void *ctx, const uint8_t *topic, uint32_t topic_len, const uint8_t *data,
                     uint32_t data_len);
} wm_protocol_runner;

typedef struct {
    wm_protocol_io io;
    wm_store *store;
    const char *firmware_version;
    const char *board;
    uint32_t free_ram;
    const wm_protocol_runner *runner; /* NULL: RUN/START/STOP answer "not supported" */
    /* NULL: hash check only. Its refusal (status, place, text) is PUSH_COMMIT's answer;
     * an accepted module's note (text with WM_ST_OK) is the body of its OK. */
    wm_store_validate_fn validate;
    void *validate_ctx;
    uint32_t (*millis)(void); /* nonce lifetime and subscriptions; NULL: time stands still */
    /* Fed after every request: a burst of requests that each cost a signature check
     * (~70 ms on a 25 MHz M4) must not look like a firmware hang. NULL: none. */
    void (*kick)(void);
} wm_protocol_config;

typedef struct wm_protocol {
    wm_protocol_config cfg;
    uint8_t rx_enc[WM_PROTO_MAX_ENCODED];
    size_t rx_len;
    bool rx_overflow;
    uint8_t rx_dec[WM_PROTO_MAX_PAYLOAD];
    uint8_t tx_raw[WM_PROTO_MAX_PAYLOAD];
    uint8_t tx_enc[WM_PROTO_MAX_ENCODED];
    size_t tx_len;
    /* last answered request, re-sent verbatim when the host retransmits it */
    bool have_last;
    uint16_t last_seq;
    uint8_t last_msg;
    uint8_t ev_raw[WM_PROTO_EVENT_MAX + WM_FRAME_HEADER + WM_FRAME_CRC];
    uint8_t ev_enc[WM_COBS_MAX_ENCODED(WM_PROTO_EVENT_MAX + WM_FRAME_HEADER + WM_FRAME_CRC) + 1u];
    uint16_t ev_seq;
    wm_log_ring log; /* recent log lines for LOGS */
    wm_auth_pool auth;
    /* events on a provisioned device: while a subscription lasts, or a RUN's own */
    bool subscribed;
    uint32_t sub_start_ms, sub_ms;
    const char *run_name; /* the module a RUN in progress calls, or NULL */
    bool reset_requested;
    /* store erases of pushes that install nothing new (WM_PUSH_WASTE_*): the bucket in
     * erase-milliseconds (an erase is 3600000; WM_PUSH_WASTE_PER_HOUR come back per ms), when
     * it was last refilled, and the store's erase count when the open push began */
    int64_t waste_level;
    uint32_t waste_ms;
    uint32_t push_erases;
    /* counters for diagnostics and tests */
    uint32_t frames_ok;
    uint32_t frames_bad;
} wm_protocol;

void wm_protocol_init(wm_protocol *p, const wm_protocol_config *cfg);
/* Read and handle what is available. Returns 0, or <0 when the link reported an error.
 * Returns right after a RESET was handled. */
int wm_protocol_poll(wm_protocol *p);
/* Handle received bytes (any split, garbage tolerated). Returns 0, <0 on a write error, or
 * 1 when a RESET was handled (io.reset was called; the remaining bytes were dropped). */
int wm_protocol_feed(wm_protocol *p, const uint8_t *data, size_t len);
/* The link dropped: forget the partial frame and the retransmit cache; a push in progress
 * stays open so the host can resume it. */
void wm_protocol_link_lost(wm_protocol *p);
/* Send an event (WM_EV_*) about module `name`; WM_EV_LOG text is also kept for LOGS. On a
 * provisioned device an event that carries module output goes out only while an
 * authenticated SUBSCRIBE lasts, or during the authenticated RUN of that module. */
int wm_protocol_event(wm_protocol *p, uint8_t ev, const char *name, const char *text, size_t len);

#endif
