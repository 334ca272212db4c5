/* The device's ring of recent module log lines (LOGS), kept as whole entries:
 *   u8 name_len | name | u8 text_len | text
 * so a line can never run into the next one or claim another module's name (the host gets
 * them as separate fields, never as raw text to split), and an entry is only ever dropped
 * whole. Fair share: when the ring is full, a module that holds half of it or more drops its
 * own oldest line; anyone else drops the oldest line of all. A module flooding the log
 * therefore evicts others' lines only until it holds half the ring: the others keep their
 * most recent lines, up to half the ring less one line. No allocation: the buffer is
 * inside the struct. Adding a line is at most one pass over the ring (the entries it
 * displaces are chosen first, then the ring is compacted once): a module's log call is
 * charged that bound (sandbox.h, WM_SB_FUEL_LOG_LINE). */
#ifndef WM_LOG_RING_H
#define WM_LOG_RING_H

#include <stddef.h>
#include <stdint.h>

#define WM_LOG_RING_SIZE 1024u
#define WM_LOG_RING_TEXT_MAX 255u /* longer lines are cut */

typedef struct {
    uint8_t buf[WM_LOG_RING_SIZE];
    size_t len; /* bytes of whole entries, oldest first */
} wm_log_ring;

void wm_log_ring_init(wm_log_ring *r);
/* Appends one line of module `name` (name_len <= 255). */
void wm_log_ring_add(wm_log_ring *r, const char *name, size_t name_len, const char *text,
                     size_t text_len);
/* Bytes of the entries that fit in `cap`, newest kept: copies whole entries, oldest first,
 * starting with the oldest one that still lets every newer entry fit. */
size_t wm_log_ring_copy(const wm_log_ring *r, uint8_t *out, size_t cap);

#endif
