/* The one status vocabulary of the core, from the validator up to the wire: every layer
 * (sandbox, supervisor, protocol) reports a refusal or failure as one of these, and the
 * protocol sends it as the response status unchanged. The numbers are the wire's
 * (docs/protocol.md; the host's wasmote.device.protocol.Status, compared by
 * tests/protocol/test_protocol_constants.py): never renumber, only append.
 * The runtime keeps its finer public wm_err (wasmote.h: malformed vs invalid vs unlinkable,
 * as the spec suite needs them); the sandbox turns it into one of these where it loads. */
#ifndef WM_STATUS_H
#define WM_STATUS_H

typedef enum wm_status {
    WM_ST_OK = 0,
    WM_ST_MALFORMED = 1,
    WM_ST_UNKNOWN_MSG = 2,
    WM_ST_BAD_VERSION = 3,
    WM_ST_NOT_FOUND = 4,
    WM_ST_NO_SPACE = 5,
    WM_ST_HASH_MISMATCH = 6,
    WM_ST_BAD_STATE = 7,
    WM_ST_INVALID_MODULE = 8, /* the package or module does not parse, verify or validate */
    WM_ST_FLASH_ERROR = 9,
    WM_ST_NOT_SUPPORTED = 10,
    WM_ST_TOO_LARGE = 11,
    WM_ST_TRAP = 12,
    WM_ST_BUSY = 13,
    WM_ST_BAD_NAME = 14,
    WM_ST_BAD_ARGS = 15,
    WM_ST_DENIED = 16, /* the sandbox policy refused: signature, replay, capabilities */
    WM_ST_NO_RAM = 17, /* not enough free RAM for the module (stop another one) */
    WM_ST_AUTH = 18,   /* provisioned device: the request needs a valid token (NONCE) */
    WM_ST_EXITED = 19, /* RUN: the module ended itself (WASI proc_exit); body "exit status N" */
} wm_status;

#endif
