/* Version pins for replay protection (docs/security.md), persisted in the key-value store
 * under a namespace no module can have ("#pins": module names start with a letter or
 * digit), so they survive reset and module removal. */
#ifndef WM_SB_PINS_H
#define WM_SB_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "kv.h"

/* Matches wm_sb_device.pinned: ctx is the wm_kv. */
bool wm_sb_pin_lookup(void *ctx, const char *name, uint16_t version[3]);
/* Raises the pin of `name` to `version` (never lowers it); 0 or WM_E_IO. Call after a
 * package was installed on a provisioned device. */
int wm_sb_pin_record(wm_kv *kv, const char *name, const uint16_t version[3]);
/* Forgets every pin of a name; 0, WM_E_NOTFOUND or WM_E_IO. (PROVISION with CLEAR_PINS
 * clears the whole namespace; a change of keys keeps the pins.) */
int wm_sb_pin_clear(wm_kv *kv, const char *name);

#endif
