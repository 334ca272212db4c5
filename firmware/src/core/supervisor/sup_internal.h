/* Shared by the supervisor's files (supervisor.c, sup_run.c, keys.c, crash.c); not API. */
#ifndef WM_SUP_INTERNAL_H
#define WM_SUP_INTERNAL_H

#include <stddef.h>

#include "supervisor.h"
#include "wm_bytes.h"
#include "wm_mem.h"

/* "; exports: a, b" or "; it exports no function": after a missing export or entry. */
void wm_sup_put_exports(wm_msg *t, const wm_instance *inst);
void wm_sup_strcpy(char *dst, const char *src, size_t cap);

void wm_sup_emit(wm_supervisor *s, uint8_t ev, const char *name, const char *text);
/* An event and the same line in the log ring (LOGS). */
void wm_sup_announce(wm_supervisor *s, uint8_t ev, const char *name, const char *text);
void wm_sup_emit_n(wm_supervisor *s, uint8_t ev, const char *name, const char *text, size_t len);

/* Loads store module `name` (image at `image`) into `sl`: largest free RAM gap, install
 * (package or bare), trim the extent. WM_ST_* with the reason in msg. */
int wm_sup_load(wm_supervisor *s, wm_slot *sl, const char *name, const uint8_t *image,
                uint32_t size, wm_msg *msg);
/* The device as the sandbox sees it for an image already in the store (a load, the re-check
 * after PROVISION): the pin that applies is wm_sb_pin_lookup_installed's, so the image a
 * power cut left behind a raised pin still runs. */
void wm_sup_installed_dev(const wm_supervisor *s, wm_sb_device *dev);
/* The sandbox platform hooks of this supervisor (clock, log, blocking sleep/receive). */
void wm_sup_platform(wm_supervisor *s, wm_sb_platform *plat);
bool wm_sup_is_package(const uint8_t *image, uint32_t size);
/* The manifest of a committed store image that is a package (false for a bare module or
 * one that does not parse), read in place without hashing the package again. */
bool wm_sup_manifest_of(const uint8_t *image, uint32_t size, wm_manifest *m);
/* Releases the slot's instance and RAM (aborting a suspended call). */
void wm_sup_unload(wm_supervisor *s, wm_slot *sl);
/* True once a blocked slot may continue (deadline passed, message arrived). */
bool wm_sup_woken(wm_supervisor *s, const wm_slot *sl);

/* The function a WASI reactor wants called before any other export: its `_initialize`,
 * unless it is a command (exports `_start`) or `export_name` is _initialize itself. */
const wm_func *wm_sup_reactor_init(wm_instance *inst, const char *export_name);
/* "exit status N" of a module that called proc_exit. */
void wm_sup_exit_text(wm_msg *t, uint32_t code);
/* Appends the text of the last trap of the slot's module (its call stack included). */
void wm_sup_trap_text(const wm_slot *sl, const wm_error *err, wm_msg *out);

/* supervisor.c: slots and lifecycle */
/* The store image of module `name` (in place) and its record, or NULL if there is none. */
const uint8_t *wm_sup_store_image(wm_supervisor *s, const char *name, wm_store_info *info);
bool wm_sup_running_state(uint8_t st);
wm_slot *wm_sup_find(wm_supervisor *s, const char *name);
/* A free slot, else the record of a module that is not running (its statistics go). */
wm_slot *wm_sup_claim(wm_supervisor *s);
void wm_sup_reset_record(wm_slot *sl, const char *name);
/* Loads the slot's module from the store and prepares its entry; READY on success. */
int wm_sup_start_slot(wm_supervisor *s, wm_slot *sl, wm_msg *msg);
/* Start with a failure turned into an event and state FAILED. */
void wm_sup_start_or_report(wm_supervisor *s, wm_slot *sl);
void wm_sup_stop_slot(wm_supervisor *s, wm_slot *sl, const char *why);

/* keys.c: provisioning */
/* Loads the keys; an unreadable keys record (or damage in the config area) locks the
 * device instead of leaving it unprovisioned. */
void wm_sup_keys_load(wm_supervisor *s);
int wm_sup_provision(void *ctx, const uint8_t *body, size_t len, wm_msg *msg);
/* Stops every loaded module the current keys no longer allow, saying why (after PROVISION). */
void wm_sup_recheck(wm_supervisor *s);

/* identity.c: the random source, the device id (config area), the protocol's hooks */
void wm_sup_identity_init(wm_supervisor *s);
void wm_sup_identity(void *ctx, wm_auth_identity *out);
int wm_sup_random(void *ctx, uint8_t *buf, size_t len);

/* Whether store module `info` starts at boot: on a provisioned device a package's own
 * (signed) manifest decides, never the flag of the push; elsewhere the push flag. */
bool wm_sup_autostart(wm_supervisor *s, const wm_store_info *info, const uint8_t *image);
/* keys.c: WM_ST_OK, or WM_ST_DENIED with why when the device is locked. */
int wm_sup_check_unlocked(const wm_supervisor *s, wm_msg *msg);

/* sup_kv.c: the config area's shares. WM_ST_OK if the config area can keep what manifest
 * `m` of module `name` promises next to the installed modules (a replaced version of `name`
 * does not count), else WM_ST_NO_SPACE / WM_ST_FLASH_ERROR with why. */
int wm_sup_kv_admit(wm_supervisor *s, const char *name, const wm_manifest *m, wm_msg *msg);
/* Bytes of kv records per hour this device's config area sustains (its cfg's lifetime). */
uint64_t wm_sup_kv_writes_sustained(const wm_supervisor *s);
/* Whether module `name` (limits.kv_write `rate`) may append `bytes` of kv records now. */
bool wm_sup_kv_budget(wm_supervisor *s, const char *name, uint32_t rate, uint32_t bytes);
/* It appended `bytes`: taken from its budget. */
void wm_sup_kv_spent(wm_supervisor *s, const char *name, uint32_t rate, uint32_t bytes);

/* crash.c: resets attributed to modules */
/* The count, or WM_SUP_CRASH_LIMIT when it cannot be read (fail closed: not autostarted). */
uint32_t wm_sup_crash_count(wm_supervisor *s, const char *name);
void wm_sup_crash_clear(wm_supervisor *s, const char *name);
/* At boot: blame the module that was inside a slice when the device reset. */
void wm_sup_crash_attribute(wm_supervisor *s);
void wm_sup_slice_begin(wm_supervisor *s, const char *name);
void wm_sup_slice_end(wm_supervisor *s);

/* sup_load.c: a module runs only under its own name: WM_ST_OK if manifest `m` names the
 * store record `name`, else WM_ST_BAD_NAME with why (its kv data, pins and crash counts
 * are all keyed by that one name). */
int wm_sup_check_name(const char *name, const wm_manifest *m, wm_msg *msg);

/* sup_form.c: the pre-decoded form (docs/predecoded.md). After the commit's validation
 * accepted the module in s->tmp: translate it and write the form as the pending record's
 * tail (if it cannot, the module is installed all the same and `why` says it runs in place). */
void wm_sup_form_install(wm_supervisor *s, const uint8_t sha256[32], wm_msg *why);
/* After loading store module `name` into sl: bind its stored form if it passes the checks
 * (sl->code says which way it runs; a refused form is said in the log). */
void wm_sup_form_attach(wm_supervisor *s, wm_slot *sl, const char *name);
/* LIST: how module `name` runs (sl: its slot or NULL) and the flash its form takes. */
void wm_sup_form_state(wm_supervisor *s, const char *name, const wm_slot *sl,
                       wm_proto_module_state *out);

/* sup_bridge.c: bridged publications out (rate-limited events), BRIDGE_IN in */
void wm_sup_bridge_attach(wm_supervisor *s);
int wm_sup_bridge_in(void *ctx, const uint8_t *topic, uint32_t topic_len, const uint8_t *data,
                     uint32_t data_len);

/* sup_run.c */
int wm_sup_run(void *ctx, wm_protocol *p, const char *name, const uint8_t *image, uint32_t size,
               const char *export_name, const wm_wire_value *args, uint32_t nargs,
               wm_wire_value *results, uint32_t *nresults, wm_msg *msg);

#endif
