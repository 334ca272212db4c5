/* Error reports with a text message and a bounded text builder, shared by the sandbox (the
 * byte, string and little-endian helpers are base's wm_mem.h and wm_bytes.h). */
#ifndef WM_SB_UTIL_H
#define WM_SB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_bytes.h"
#include "wm_mem.h"

#define WM_SB_MSG_MAX 128u

/* Why a package was refused (wm_sb_error.code); 0 is success. */
enum {
    WM_SB_OK = 0,
    WM_SB_EFORMAT = 1,   /* container or manifest violates docs/module-format.md */
    WM_SB_EHASH = 2,     /* content hash mismatch: corrupted or tampered */
    WM_SB_EUNSIGNED = 3, /* provisioned device, package not signed */
    WM_SB_ESIG = 4,      /* signature by an unknown key, or does not verify */
    WM_SB_EREPLAY = 5,   /* version older than the pinned one */
    WM_SB_EAPI = 6,      /* host API / manifest encoding version not implemented */
    WM_SB_EMODULE = 7,   /* the wasm module does not load or validate */
    WM_SB_ELINK = 8,     /* an import is not provided, has the wrong type, or not granted */
    WM_SB_ELIMIT = 9,    /* the module does not fit its manifest limits */
    WM_SB_ENOMEM = 10,   /* arena or slot table exhausted */
    WM_SB_EARG = 11,     /* bad call from the firmware (NULL, state) */
    WM_SB_ETRAP = 12     /* instantiation trapped: a data/element segment or the start
                            function (trap, out of its fuel, a blocking call) */
};

/* An install/link refusal: code (WM_SB_E*), byte offset (in the package or module, when it
 * applies) and a message saying what is wrong, e.g. "import wasmote.kv_set: not granted". */
typedef struct wm_sb_error {
    int code;
    uint32_t offset;
    char msg[WM_SB_MSG_MAX];
} wm_sb_error;

/* Fills `err` (may be NULL) with code, offset and the concatenation of up to three strings
 * (NULL parts are skipped; the message is truncated to fit); returns `code`. */
int wm_sb_fail(wm_sb_error *err, int code, uint32_t offset, const char *a, const char *b,
               const char *c);
/* Appends `n` raw bytes (non-printable ones as '?') to the message; for names from input. */
void wm_sb_msg_append_n(wm_sb_error *err, const uint8_t *s, size_t n);
void wm_sb_msg_append(wm_sb_error *err, const char *s);
/* Appends an unsigned decimal number. */
void wm_sb_msg_append_u(wm_sb_error *err, uint32_t v);

/* A bounded text builder (always NUL-terminated; what does not fit is dropped). */
typedef struct wm_sb_text {
    char *buf;
    uint32_t cap, len;
} wm_sb_text;

void wm_sb_text_init(wm_sb_text *t, char *buf, uint32_t cap);
void wm_sb_text_put(wm_sb_text *t, const char *s);
void wm_sb_text_put_c(wm_sb_text *t, char c);
void wm_sb_text_put_u(wm_sb_text *t, uint64_t v);
void wm_sb_text_put_hex(wm_sb_text *t, uint32_t v); /* lower case, no prefix */

#endif
