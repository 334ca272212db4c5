/* Install-time work against the watchdog: the long loops of an install (the store's
 * read-back hash, the package hash, the loader and validator, the link, the pre-decoded
 * translator) charge the work they do to a meter, which feeds the watchdog each time
 * WM_WORK_KICK_UNITS have been charged. The bound is in work done, not time: a unit is
 * about one byte of input hashed or decoded (a loop that does more for each byte charges
 * more), so the longest stretch between two kicks is a fixed number of instructions
 * (docs/reliability.md, "The worst install against the watchdog").
 *
 * Only install-time passes over a module's bytes charge: running a module never does, so
 * a module cannot keep the watchdog fed while it runs (its slices are bounded by fuel).
 * The meter belongs to its owner (the supervisor); NULL everywhere means "no meter". */
#ifndef WM_WORK_H
#define WM_WORK_H

#include <stddef.h>
#include <stdint.h>

/* Units of work between two kicks: ~16 KiB hashed (34 instructions a byte on the
 * Cortex-M4: 0.56 M) or decoded (the validator's densest code: ~110 a byte, 1.8 M). */
#define WM_WORK_KICK_UNITS 16384u

typedef struct wm_work {
    void (*kick)(void); /* feed the watchdog; NULL: count only */
    uint32_t left;      /* units until the next kick */
    uint32_t kicks;     /* kicks so far (tests count them) */
} wm_work;

static inline void wm_work_init(wm_work *w, void (*kick)(void))
{
    w->kick = kick;
    w->left = WM_WORK_KICK_UNITS;
    w->kicks = 0u;
}

/* Charges `units` of work done since the last charge; kicks once they add up to a
 * quantum. A charge is at most a quantum's worth of work (callers charge as they go).
 * Header-only, so that every layer that charges (crypto, store, runtime) links alone. */
static inline void wm_work_charge(wm_work *w, uint32_t units)
{
    if (w == NULL) {
        return;
    }
    if (units < w->left) {
        w->left -= units;
        return;
    }
    w->left = WM_WORK_KICK_UNITS;
    w->kicks++;
    if (w->kick != NULL) {
        w->kick();
    }
}

/* Kicks now and starts a new quantum: before a step that cannot charge as it goes (the
 * pre-decoded form's CRC and write). */
static inline void wm_work_kick(wm_work *w)
{
    if (w != NULL) {
        wm_work_charge(w, w->left);
    }
}

#endif
