/* Wire protocol version 1: constants shared by the device and docs/protocol.md.
 *
 * Frame on the wire: COBS(payload) 0x00
 * payload: u8 version | u8 type | u8 msg | u8 flags | u16 seq | u16 status | body | u32 crc
 * All integers little-endian; crc = CRC-32 (IEEE) over everything before it.
 */
#ifndef WM_WIRE_H
#define WM_WIRE_H

#include "../base/wm_status.h"

#define WM_PROTO_VERSION 1u

#define WM_FRAME_HEADER 8u
#define WM_FRAME_CRC 4u
/* Largest chunk of module data in one PUSH_CHUNK request. */
#define WM_PROTO_MAX_CHUNK 1024u
/* Largest body in any frame: a chunk plus its offset, rounded up for other messages. */
#define WM_PROTO_MAX_BODY (WM_PROTO_MAX_CHUNK + 32u)
#define WM_PROTO_MAX_PAYLOAD (WM_FRAME_HEADER + WM_PROTO_MAX_BODY + WM_FRAME_CRC)
/* Suggested number of unacknowledged chunks a host may have in flight. */
#define WM_PROTO_WINDOW 8u
/* Most modules LIST reports (a store holds at most 23): a host needs at most this many
 * LIST round trips and refuses a device that claims more. */
#define WM_PROTO_LIST_MAX 64u

/* Frame flags (requests). */
#define WM_FRAME_FLAG_AUTH 0x01u /* the body ends with an authentication trailer (auth.h) */

/* Device identity and management authentication (docs/protocol.md, docs/security.md). */
#define WM_DEVICE_ID_BYTES 16u
#define WM_AUTH_NONCE_BYTES 16u
#define WM_AUTH_TRAILER (32u + WM_AUTH_NONCE_BYTES + 64u) /* pub | nonce | sig */
#define WM_AUTH_NONCES 8u       /* outstanding nonces; the oldest goes when a 9th is asked */
#define WM_AUTH_NONCE_MS 60000u /* a nonce not used within this is refused */
/* Key roles (PROVISION): what a provisioned key may do. */
#define WM_ROLE_PACKAGE 0x1u /* sign packages */
/* management: LIST, RUN, START, STOP, REMOVE, LOGS, RESET, SUBSCRIBE */
#define WM_ROLE_OPERATE 0x2u
#define WM_ROLE_ADMIN 0x4u /* PROVISION: change the keys, clear version pins */
#define WM_ROLES_ALL 0x7u
/* PROVISION flags */
#define WM_PROV_CLEAR_PINS 0x1u /* forget every version pin (only this clears them) */
#define WM_PROV_KEEP_KEYS 0x2u  /* leave the keys as they are (n must be 0) */
/* NONCE response flags */
#define WM_NONCE_AUTH_REQUIRED 0x1u /* provisioned: management requests need a token */
/* Longest event subscription (SUBSCRIBE), seconds. */
#define WM_SUBSCRIBE_MAX_S 3600u
/* Bridged publications (BRIDGE_OUT events) a device sends per second, all modules together;
 * more are dropped and counted (docs/fleet.md: the line's worst case). */
#define WM_BRIDGE_OUT_PER_S 10u
/* Sector erases of the module store spent on pushes that install nothing new (abandoned by
 * another PUSH_BEGIN, refused at the commit, or the image already installed): a bucket of
 * WM_PUSH_WASTE_ERASES, full at boot, refilled by WM_PUSH_WASTE_PER_HOUR; while it is
 * empty PUSH_BEGIN answers BUSY. The push is open to anyone on the line, and each abandoned
 * PUSH_BEGIN erased the same first free sector again (docs/security.md, "Store wear"). */
#define WM_PUSH_WASTE_ERASES 256u
#define WM_PUSH_WASTE_PER_HOUR 64u

enum wm_frame_type {
    WM_FT_REQUEST = 1,
    WM_FT_RESPONSE = 2,
    WM_FT_EVENT = 3,
};

enum wm_msg_type {
    WM_MSG_INFO = 0x01,
    WM_MSG_PUSH_BEGIN = 0x02,
    WM_MSG_PUSH_CHUNK = 0x03,
    WM_MSG_PUSH_COMMIT = 0x04,
    WM_MSG_LIST = 0x05,
    WM_MSG_RUN = 0x06,
    WM_MSG_START = 0x07,
    WM_MSG_STOP = 0x08,
    WM_MSG_REMOVE = 0x09,
    WM_MSG_LOGS = 0x0A,
    WM_MSG_RESET = 0x0B,
    WM_MSG_PROVISION = 0x0C,
    WM_MSG_NONCE = 0x0D,
    WM_MSG_SUBSCRIBE = 0x0E,
    WM_MSG_BRIDGE_IN = 0x0F, /* a message from the network into the device's pub/sub */
    /* events (type WM_FT_EVENT) */
    WM_EV_BOOT = 0x80,
    WM_EV_LOG = 0x81,
    WM_EV_TRAP = 0x82,
    WM_EV_EXIT = 0x83,
    WM_EV_OUTPUT = 0x84,     /* a piece of a module's stdout/stderr: u8 flags (WM_OUT_*), bytes */
    WM_EV_BRIDGE_OUT = 0x85, /* a module's publication under its bridge:out grant */
};

/* Flags of an OUTPUT event's piece. */
#define WM_OUT_STDERR 0x1u  /* fd 2, else fd 1 */
#define WM_OUT_PARTIAL 0x2u /* no newline after this piece: the line goes on */

/* Response status codes (wm_status.h, the core's one vocabulary); a non-zero status
 * carries a UTF-8 message as its body. */

/* INFO feature bits */
#define WM_FEAT_STORE 0x1u
#define WM_FEAT_RUN 0x2u
#define WM_FEAT_RESUME 0x4u
#define WM_FEAT_EVENTS 0x8u
#define WM_FEAT_SANDBOX 0x10u   /* packages, manifests, host API 1, PROVISION */
#define WM_FEAT_SCHEDULER 0x20u /* START runs modules side by side */
#define WM_FEAT_AOT 0x40u       /* runs native code from signed packages */
#define WM_FEAT_AOT_MPU 0x80u   /* ... unprivileged, isolated by the MPU */
#define WM_FEAT_BRIDGE 0x100u   /* BRIDGE_IN and BRIDGE_OUT (bridge: grants) */

/* Module flags (PUSH_BEGIN, LIST) */
#define WM_MODFLAG_AUTOSTART 0x1u

/* LIST detail: how a module's wasm code runs (docs/predecoded.md). */
#define WM_CODE_IN_PLACE 0u   /* from the module's bytes: no pre-decoded form is stored */
#define WM_CODE_PREDECODED 1u /* from its pre-decoded form (stored beside it) */
#define WM_CODE_REFUSED 2u    /* its stored form failed the load checks: in place */

/* Value types in RUN arguments and results: the wasm type bytes. */
#define WM_VT_I32 0x7Fu
#define WM_VT_I64 0x7Eu
#define WM_VT_F32 0x7Du
#define WM_VT_F64 0x7Cu

#endif
