/* Version pins for replay protection (docs/security.md), persisted in the key-value store
 * under a namespace no module can have ("#pins": module names start with a letter or
 * digit), so they survive reset and module removal. */
#ifndef WM_SB_PINS_H
#define WM_SB_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "kv.h"

/* Flash bytes of one pin record (wm_kv_record_bytes("#pins", name, 12 bytes)) for any name
 * of up to 31 bytes, and the most the "#pins" namespace may take: pins for at least
 * WM_SB_PINS_MAX names (a pin is never dropped, so a name beyond that is refused). */
#define WM_SB_PIN_RECORD_MAX 64u
#define WM_SB_PINS_MAX 32u
#define WM_SB_PINS_BYTES (WM_SB_PINS_MAX * WM_SB_PIN_RECORD_MAX)

/* Matches wm_sb_device.pinned: ctx is the wm_kv. 1 with the version, 0 if `name` has no pin,
 * WM_E_IO if it cannot be read (or the newest pin record is torn): the caller refuses. What
 * an install must reach. */
int wm_sb_pin_lookup(void *ctx, const char *name, uint16_t version[3]);
/* The same for an image already in the store (a load, the re-check after PROVISION): the
 * pin, or the version the name's installed image had when the pin was raised if that is
 * lower. The pin is raised before the store commits a replace, so a power cut between the
 * two leaves the old image installed below it; it must still run. No push can install an
 * image below the pin, so only that image (or one installed while unprovisioned) is let
 * through. */
int wm_sb_pin_lookup_installed(void *ctx, const char *name, uint16_t version[3]);
/* Raises the pin of `name` to `version` (never lowers it), noting `installed`, the version
 * of the image the name holds now (NULL: none); 0, WM_E_QUOTA (no room for another name's
 * pin), WM_E_IO. On a provisioned device, before the package is committed: a package whose
 * pin cannot be written is not installed. */
int wm_sb_pin_record(wm_kv *kv, const char *name, const uint16_t version[3],
                     const uint16_t installed[3]);
/* Forgets every pin of a name; 0, WM_E_NOTFOUND or WM_E_IO. (PROVISION with CLEAR_PINS
 * clears the whole namespace; a change of keys keeps the pins.) */
int wm_sb_pin_clear(wm_kv *kv, const char *name);

#endif
