/* The supervisor: runs the store's modules side by side, each in its own sandbox.
 *
 * - Install: a store image is a package (.wmp: policy, signature, manifest, link rule) or,
 *   on an unprovisioned device, a bare wasm module (default manifest). It gets a slot and
 *   one contiguous RAM extent from the pool, sized to what it needs (its whole memory budget
 *   included, so it never runs out of RAM later).
 * - Scheduling: round robin over the slots that can run, one slice of the manifest's fuel at
 *   a time; sleep_ms / yield / receive block the module (the host call is retried when it
 *   wakes), so a blocked module costs nothing. A module past its CPU budget (fuel per
 *   second) is stopped with "cpu budget exceeded".
 * - Faults: a trap stops the module (event TRAP) or, with `on_trap = "restart"`, restarts it
 *   with exponential backoff. A device reset while a module ran (watchdog, CPU fault) is
 *   counted against that module; after WM_SUP_CRASH_LIMIT such resets it is disabled and not
 *   started again until re-pushed or started by hand (INFO reports it).
 * - RUN calls an export on a fresh, temporary instance while the other modules keep their
 *   time slices.
 *
 * No globals, no malloc: the device owns one wm_supervisor. */
#ifndef WM_SUPERVISOR_H
#define WM_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../protocol/protocol.h"
#include "../random/random.h"
#include "../sandbox/pins.h"
#include "../sandbox/sandbox.h"
#include "../store/store.h"
#include "ram_pool.h"

#ifndef WM_SUP_SLOTS /* modules started at once; each slot costs about 1.9 KiB of RAM */
#define WM_SUP_SLOTS 8u
#endif
#define WM_SUP_KEYS_MAX 4u
#define WM_SUP_CRASH_LIMIT 3u
#define WM_SUP_BACKOFF_MIN_MS 100u
#define WM_SUP_BACKOFF_MAX_MS 30000u
/* A restart reloads the module (hash, validation, the form's checks), which fuel does not
 * bound and nothing preempts: the back-off is at least this many times the last load, so
 * a module trapping at once spends at most 1 / (1 + this) of the device's time loading. */
#define WM_SUP_RELOAD_SHARE 9u
#define WM_SUP_TRAP_MAX 160u    /* a trap's message and its wasm call stack */
#define WM_SUP_SLICE_MAX 10000u /* default cap of one slice's work, in fuel */

/* The config area (kv) is shared by the modules' data and the firmware's own records, each
 * '#' namespace held to a share in flash bytes (wm_kv_record_bytes), so no module can crowd
 * them out. Their sum is the reserve; of the rest, half is the pool all modules' data may
 * fill (what their limits.kv may promise, checked at install) and half stays free after any
 * compaction, which bounds how often one is needed (docs/reliability.md has the arithmetic). */
#define WM_SUP_KV_KEYS_BYTES WM_KV_RECORD_MAX /* "#keys": the key list, one record */
#define WM_SUP_KV_CRASH_RECORD 64u            /* "#crash": one count, any store name */
#define WM_SUP_KV_CRASH_BYTES (WM_STORE_MAX_RECORDS * WM_SUP_KV_CRASH_RECORD)
#define WM_SUP_KV_OTHER_BYTES (2u * WM_KV_RECORD_MAX) /* "#dev": id and DRBG seed (96) */
#define WM_SUP_KV_RESERVE \
    (WM_SUP_KV_KEYS_BYTES + WM_SB_PINS_BYTES + WM_SUP_KV_CRASH_BYTES + WM_SUP_KV_OTHER_BYTES)
/* What the config area's flash must last: erase cycles per sector and the product lifetime
 * in hours (10 years). From them and the geometry follows how many bytes of kv records per
 * hour the modules' write budgets (limits.kv_write) may add up to (wm_sup_kv_write_capacity,
 * checked at install); wm_sup_config may set other values. */
#ifndef WM_SUP_KV_ENDURANCE
#define WM_SUP_KV_ENDURANCE 10000u
#endif
#ifndef WM_SUP_KV_LIFETIME_H
#define WM_SUP_KV_LIFETIME_H 87660u
#endif
#define WM_SUP_BUDGETS WM_STORE_MAX_RECORDS /* kv write budgets tracked, one per module */
#define WM_SUP_KV_WORK_PER_FUEL 8u          /* flash bytes programmed or erased per unit of fuel */

/* Module states (LIST, `wasmote ls`). */
enum {
    WM_MS_IDLE = 0,     /* installed, not started since boot */
    WM_MS_READY = 1,    /* runnable: waiting for its next slice */
    WM_MS_SLEEPING = 2, /* in sleep_ms / yield */
    WM_MS_WAITING = 3,  /* in receive, waiting for a message */
    WM_MS_BACKOFF = 4,  /* trapped, restarting after a delay */
    WM_MS_EXITED = 5,   /* its entry returned, or it called WASI proc_exit (last_trap then
                           says "exit status N") */
    WM_MS_STOPPED = 6,  /* stopped by STOP, a replace, or its CPU budget */
    WM_MS_TRAPPED = 7,  /* trapped and not restarted */
    WM_MS_DISABLED = 8, /* reset the device WM_SUP_CRASH_LIMIT times: not started */
    WM_MS_FAILED = 9    /* could not start: refused, no entry, no RAM (see last_trap) */
};

/* Why the last reset happened, as the port knows it. */
enum { WM_RESET_POWER = 0, WM_RESET_SOFTWARE = 1, WM_RESET_WATCHDOG = 2, WM_RESET_FAULT = 3 };

/* RAM the port keeps across a reset (not zeroed at start-up), for attributing a reset to
 * the module that was running. */
typedef struct wm_sup_retained {
    uint32_t magic;
    uint32_t boots;
    char running[WM_STORE_NAME_MAX + 1]; /* module inside a slice, "" between slices */
} wm_sup_retained;

/* The pre-decoded form (docs/predecoded.md; core/runtime's wm_pd.h in WM_PREDECODE
 * builds): translate a validated module at install into `mem` (the form at its start, the
 * translator's scratch after it, nothing beyond cap; a form of at most `keep` bytes, what
 * the store has room for), and bind a stored form at load. */
typedef struct wm_sup_pd_ops {
    wm_err (*translate)(const wm_module *m, uint8_t *mem, size_t cap, size_t keep, size_t *len,
                        wm_error *err);
    wm_err (*attach)(wm_module *m, const uint8_t *form, size_t len, wm_error *err);
} wm_sup_pd_ops;

typedef struct wm_sup_config {
    void *ram; /* module RAM pool */
    size_t ram_size;
    uint32_t (*millis)(void);    /* monotonic milliseconds (may wrap) */
    void (*idle)(void);          /* wait a little (nothing runnable); NULL = spin */
    void (*kick)(void);          /* feed the watchdog; NULL = none */
    const wm_gpio_ops *gpio;     /* NULL: no pins */
    const wm_periph_ops *periph; /* NULL: no buses or channels for modules */
    wm_kv *kv;                   /* config area: keys, pins, crash counts, module data */
    wm_store *store;
    uint64_t run_fuel;      /* budget of one RUN call */
    uint32_t slice_max;     /* most work of one slice of any module (fuel; 0 = the
                                  default): bounds how late a woken module can run */
    uint32_t log_byte_fuel; /* fuel per byte of a module's log line: what sending it
                                  takes here (a slow line: more); 0 = WM_SB_FUEL_LOG_BYTE */
    uint32_t run_block_ms;  /* how long a RUN call may stay blocked (sleep/receive) */
    uint8_t aot_arch;       /* WM_AOT_* this firmware runs, 0 = none */
    uint16_t aot_abi;
    /* binds native code to a loaded module (core/aot's wm_aot_attach); NULL = none, so a
     * build without core/aot links */
    wm_err (*aot_attach)(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                         uint16_t abi, wm_error *err);
    /* the same without the module's SHA-256 (core/aot's wm_aot_attach_committed), for
     * loading stored images: their commit checked it with aot_attach. NULL: aot_attach */
    wm_err (*aot_attach_committed)(wm_module *mod, const uint8_t *code, size_t len, uint8_t arch,
                                   uint16_t abi, wm_error *err);
    uint8_t aot_isolated;      /* 1: aot_attach runs native code isolated by the MPU */
    uint8_t aot_unsigned;      /* host only: run unsigned native code (wm_sb_device) */
    const wm_sup_pd_ops *pd;   /* NULL: interpreted modules run in place */
    uint32_t kv_endurance;     /* erase cycles of the config area's flash (0: default) */
    uint32_t kv_lifetime_h;    /* hours it must last (0: default) */
    wm_sup_retained *retained; /* NULL: resets are not attributed */
    uint32_t reset_cause;      /* WM_RESET_* */
    /* Unsolicited events (WM_EV_*) for the host. */
    void (*event)(void *ctx, uint8_t ev, const char *module, const char *text, size_t len);
    void *event_ctx;
    /* The port's entropy source (core/random/random.h); NULL: only the seed kept in the
     * config area makes one boot's randomness differ from the last. */
    wm_entropy_fn entropy;
    void *entropy_ctx;
    /* Wall-clock nanoseconds since 1970 (false: unknown); NULL = the board has no clock. */
    bool (*realtime_ns)(uint64_t *ns);
} wm_sup_config;

typedef struct wm_slot {
    uint8_t state;      /* WM_MS_* (WM_MS_IDLE = slot free when name is "") */
    bool loaded;        /* holds a RAM extent and a live instance */
    bool in_call;       /* its entry was called; later slices resume it */
    bool armed;         /* a blocking host call registered its wait */
    bool forever;       /* WAITING without a timeout */
    bool reload;        /* the store moved its image: reload at the next step
                                  (cleared by anything that unloads it meanwhile) */
    uint8_t blocked_on; /* WM_MS_SLEEPING or WM_MS_WAITING while armed */
    char name[WM_STORE_NAME_MAX + 1];
    wm_sb_module sb;
    wm_arena arena;
    const wm_func *entry;
    const wm_func *init; /* a WASI reactor's _initialize, called before the entry */
    uint32_t nresults;   /* of the entry function */
    uint64_t wake_ms;
    uint64_t started_ms;
    uint32_t backoff_ms;
    uint32_t load_ms; /* what its last load (START, restart) took */
    /* statistics */
    uint64_t fuel_total;
    uint64_t window_ms; /* start of the current one-second window */
    uint32_t window_fuel, window_busy_ms;
    uint32_t last_fuel_per_s; /* of the last complete window */
    uint16_t last_cpu_permille;
    uint32_t traps, restarts;
    uint16_t bridge_dropped; /* bridged publications dropped since its last one went out */
    uint8_t bridge_sent;     /* ... and how many went out in the current bridge window */
    uint8_t code;            /* WM_CODE_* of its last load (LIST) */
    char last_trap[WM_SUP_TRAP_MAX];
} wm_slot;

/* A module's kv write budget: a bucket of flash bytes that fills at limits.kv_write per hour
 * up to one hour's worth or the largest record if more (full when first used after a
 * boot). Level in bytes x 3600000 (byte-milliseconds per hour) so refills never round. */
typedef struct {
    char name[WM_STORE_NAME_MAX + 1]; /* "" = unused */
    uint64_t level;
    uint64_t at_ms;
} wm_sup_budget;

typedef struct wm_supervisor {
    wm_sup_config cfg;
    wm_ram_pool pool;
    wm_sb_host host;
    wm_sb_device dev;
    wm_auth_key keys[WM_SUP_KEYS_MAX];     /* provisioned keys and their roles (WM_ROLE_*) */
    uint32_t nkeys;                        /* 0: unprovisioned */
    uint8_t pkg_keys[WM_SUP_KEYS_MAX][32]; /* those with the package role: the sandbox's */
    uint32_t key_counter; /* key changes so far (INFO); the device counts, no one else */
    wm_random rng;        /* nonces, the device id (and WASI random_get) */
    uint8_t device_id[WM_DEVICE_ID_BYTES]; /* made once, kept in the config area */
    wm_slot slots[WM_SUP_SLOTS];
    wm_slot tmp;   /* RUN's instance, and push validation */
    uint32_t next; /* round-robin position */
    uint64_t now;  /* 64-bit milliseconds */
    uint32_t last_millis;
    bool in_run; /* RUN is executing: the step must not start another */
    /* The keys record cannot be read (or the config area is damaged before its end): the
     * device does not fall back to "unprovisioned"; it installs, starts and runs nothing
     * and refuses PROVISION until the config area is erased (docs/security.md). */
    bool locked;
    /* A reset was blamed on this module but its count could not be written: it is not
     * autostarted this boot (the boot-loop guard fails closed). */
    char unrecorded[WM_STORE_NAME_MAX + 1];
    wm_sup_budget budgets[WM_SUP_BUDGETS];
    uint64_t bridge_window_ms; /* the second BRIDGE_OUT events are counted in */
    uint32_t bridge_sent;      /* ... and how many went out in it (WM_BRIDGE_OUT_PER_S) */
    char notes[200];           /* INFO's notes: provisioning state, random source,
                                  disabled modules */
    /* Install-time work (hash, load, link, pre-decode) feeds cfg.kick through it, every
     * WM_WORK_KICK_UNITS (core/base/wm_work.h); a module's run never does. */
    wm_work work;
} wm_supervisor;

/* Loads keys, attributes the last reset (cfg.retained), starts autostart modules. */
void wm_sup_init(wm_supervisor *s, const wm_sup_config *cfg);
/* One scheduling step: wakes what is due, gives one module a slice. True if something ran
 * or is runnable (the caller should not idle). */
bool wm_sup_step(wm_supervisor *s);
/* Fills the protocol's runner hooks (RUN, START, STOP, INSTALLED, REMOVING, status, info,
 * provisioning, commit validation). */
void wm_sup_protocol_ops(wm_supervisor *s, wm_protocol_runner *ops);
/* The store's before_move hook (ctx = wm_supervisor*). */
void wm_sup_store_moving(void *ctx);
/* Store commit validation (ctx = wm_supervisor*): 0, or -1 with the refusal in `why`; an
 * accepted module's note (e.g. why its native code will not run) also goes into `why`. */
int wm_sup_validate(void *ctx, const uint8_t *image, uint32_t size, wm_msg *why);
/* Current milliseconds (64-bit, from cfg.millis). */
uint64_t wm_sup_now(wm_supervisor *s);
/* Fuel of one slice of `sl`: its manifest's limits.fuel capped by cfg.slice_max, minus the
 * most a call of it can run past its fuel (wm_sb_fuel_stretch; at least 1): no slice does
 * more work than the cap (docs/supervisor.md, "Fuel"). */
uint64_t wm_sup_slice(const wm_supervisor *s, const wm_slot *sl);
/* Slots that are started (READY, SLEEPING, WAITING, BACKOFF). */
uint32_t wm_sup_running(const wm_supervisor *s);
/* Bytes of the config area `kv` that all modules' data may take (the module pool). */
uint32_t wm_sup_kv_pool(const wm_kv *kv);
/* Bytes of kv records per hour the config area sustains for `lifetime_h` hours of
 * `endurance` erase cycles: what all modules' limits.kv_write may add up to. */
uint64_t wm_sup_kv_write_capacity(const wm_kv *kv, uint32_t endurance, uint32_t lifetime_h);

#endif
