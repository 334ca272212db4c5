/* The one message of the core: a status (wm_status.h), where in the input it applies and
 * a text saying what is wrong, built in place by one bounded builder. A refusal found by
 * the validator, the package parser or the policy is written once into the wm_msg its
 * caller handed down and travels up through sandbox, supervisor and protocol to the wire
 * unchanged (the protocol renders "invalid <where> at 0x<offset>: " in front of the text).
 *
 * The text lives in the caller's buffer (any size; WM_MSG_MAX for a refusal), is always
 * NUL-terminated, and never overflows: a put that does not fit ends the text at the last
 * whole word with "...", and later puts are dropped, so no half word misleads the reader.
 * Every function accepts m == NULL (a caller that does not want the reason). */
#ifndef WM_MSG_H
#define WM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_status.h"

/* Room for a refusal's text (the wire body of an error response), NUL included. */
#define WM_MSG_MAX 128u

typedef struct wm_msg {
    wm_status status;
    uint32_t offset;   /* byte offset of the fault in the pushed image (package or module) */
    const char *where; /* what is invalid there, "package" or "module"; NULL: the protocol
                          does not show the place (a refusal by policy, not a bad input) */
    char *buf;         /* the text, NUL-terminated */
    size_t cap, len;
    bool cut; /* ran out of room: ended with "..." at a word boundary, later puts dropped */
} wm_msg;

/* An empty message (WM_ST_OK, no place) writing into buf[cap]. */
void wm_msg_init(wm_msg *m, char *buf, size_t cap);
/* Starts the message over: status `st`, no place, text `text` (may be NULL); returns st. */
wm_status wm_msg_fail(wm_msg *m, wm_status st, const char *text);
/* The same, for a fault at byte `offset` of the image, in `where` (may be NULL). */
wm_status wm_msg_fail_at(wm_msg *m, wm_status st, const char *where, uint32_t offset,
                         const char *text);

/* The status of a message whose text was put piece by piece; returns st. */
wm_status wm_msg_status(wm_msg *m, wm_status st);

void wm_msg_put(wm_msg *m, const char *s);
/* At most n bytes of s (stops at a NUL). */
void wm_msg_put_n(wm_msg *m, const char *s, size_t n);
void wm_msg_put_c(wm_msg *m, char c);
/* n bytes from untrusted input (a name in a module or package): a byte that is not
 * printable ASCII is written as '?', so nothing from the input reaches a terminal raw. */
void wm_msg_put_input(wm_msg *m, const uint8_t *s, size_t n);
void wm_msg_put_u(wm_msg *m, uint64_t v);
/* "0x" and lower-case hex digits, no leading zeros. */
void wm_msg_put_hex(wm_msg *m, uint32_t v);

#endif
