/* The device side of the sandbox: install a .wmp package as a running module whose imports
 * are linked only to the host functions its manifest grants (link.c), with every host call
 * checked against the module's own memory and quotas (hostapi.c).
 *
 * No globals: a port owns one wm_sb_host (platform hooks, GPIO, KV store, pubsub bus) and a
 * wm_sb_module per installed module; the module's wasm objects live in an arena the port
 * hands in. Releasing a module = wm_sb_uninstall, then releasing the arena to a mark. */
#ifndef WM_SB_SANDBOX_H
#define WM_SB_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "../periph/periph_ops.h"
#include "gpio.h"
#include "kv.h"
#include "package.h"
#include "periph_target.h"
#include "policy.h"
#include "pubsub.h"
#include "sb_api.h"
#include "sb_util.h"
#include "wasi/wasi_state.h"
#include "wasmote.h"

#ifdef WM_FAULT_INJECTION /* test images only: fault_hang, fault_crash (fault_inject.c) */
#define WM_SB_HOST_FUNCS 29u
wm_err wm_sb_fault_hang(wm_instance *inst, void *user, const wm_val *args, wm_val *results);
wm_err wm_sb_fault_crash(wm_instance *inst, void *user, const wm_val *args, wm_val *results);
#else
#define WM_SB_HOST_FUNCS 27u
#endif

/* The manifest defaults (docs/module-format.md), also used for bare modules. */
#define WM_SB_DEFAULT_MEMORY 65536u
#define WM_SB_DEFAULT_STACK 8192u
#define WM_SB_DEFAULT_FUEL 100000u
/* Most fuel a start function gets at install (the supervisor's default slice). */
#define WM_SB_START_FUEL_MAX 10000u

/* Fuel host functions charge for their own work (wm_charge), on top of the runtime's
 * WM_FUEL_HOST per call: a log line per line (the device keeps it in its 1 KiB log ring,
 * which an entry may have to compact: up to ~15 000 instructions on the Cortex-M4) and per
 * byte (its event frame built and sent), a kv call per bytes of the config area it may
 * scan, a publish for matching every endpoint and copying. docs/supervisor.md, "Fuel", has
 * the measurements behind them. */
#define WM_SB_FUEL_LOG_LINE 500u
#define WM_SB_FUEL_LOG_BYTE 2u
/* A bridged publication leaves as an event like a log line and is charged like one (the
 * supervisor's bridge hook): WM_SB_FUEL_LOG_LINE + its bytes x the log's byte fuel, at most
 * these bytes (u16 dropped, str8 topic, data, str8 module name). */
#define WM_SB_BRIDGE_EVENT_MAX (2u + 1u + WM_TOPIC_MAX + WM_MESSAGE_MAX + 1u + 32u)
#define WM_SB_FUEL_KV_BYTES 64u
#define WM_SB_FUEL_PUBLISH 10u

typedef struct wm_sb_module wm_sb_module;

/* Flags of a piece of a module's stdout/stderr (wm_sb_platform.output). */
enum {
    WM_SB_OUT_STDERR = 1u, /* fd 2; else fd 1 */
    WM_SB_OUT_PARTIAL = 2u /* the line goes on: no newline after this piece */
};

/* What the port provides; any hook may be NULL (the function then does the minimum).
 * Blocking hooks (sleep, wait) return true to block the calling module: the host function
 * then returns WM_ERR_BLOCKED, the module is suspended before the call, and the call is made
 * again when a scheduler resumes it; the hook then returns false (the wait is over). */
typedef struct wm_sb_platform {
    void *ctx;
    uint64_t (*now_ms)(void *ctx);
    /* One log line of a module (not NUL-terminated, at most WM_LOG_MAX bytes). */
    void (*log)(void *ctx, wm_sb_module *mod, const uint8_t *msg, uint32_t len);
    /* sleep_ms(ms) and yield() (ms = 0). NULL = return at once. */
    bool (*sleep)(void *ctx, wm_sb_module *mod, uint32_t ms);
    /* receive with timeout != 0 (-1 = forever), also when a message is already queued
     * (mod->ps.count > 0: return false, nothing to wait for): block until a message may
     * have arrived or the timeout passed. NULL = time out at once. */
    bool (*wait)(void *ctx, wm_sb_module *mod, int32_t timeout_ms);
    const wm_gpio_ops *gpio; /* NULL: no pins */
    wm_kv *kv;               /* NULL: kv_* return WM_E_IO */
    /* A piece of the module's stdout or stderr (WASI fd_write to fd 1 or 2), in order: at
     * most WM_LOG_MAX bytes, any byte values, the newline that ended it removed (flags
     * WM_SB_OUT_*). NULL: each piece goes to log() as a line. */
    void (*output)(void *ctx, wm_sb_module *mod, const uint8_t *data, uint32_t len, uint32_t flags);
    /* Fills buf with len unpredictable bytes (random_get, env.seed): 0, or -1 when there is
     * no source (random_get then answers EIO). NULL: no source. */
    int (*random)(void *ctx, uint8_t *buf, uint32_t len);
    /* Wall-clock time, nanoseconds since 1970-01-01 UTC; false when the board does not know
     * it. NULL or false: WASI's realtime clock counts from boot (starts at 1970). */
    bool (*realtime_ns)(void *ctx, uint64_t *ns);
    /* kv_set / kv_delete about to append `bytes` of records (wm_kv_record_bytes): false
     * refuses the write (WM_E_BUDGET, nothing written). NULL: no write budget. */
    bool (*kv_budget)(void *ctx, wm_sb_module *mod, uint32_t bytes);
    /* After a kv call: `bytes` of records written (0 for a get, or if refused or failed)
     * and the work it did (wm_kv.work: bytes programmed and erased, compaction included,
     * and the records it looked at), to be charged to the module. NULL: not charged. */
    void (*kv_spent)(void *ctx, wm_sb_module *mod, uint32_t bytes, uint32_t work);
    /* Fuel a log line costs per byte (0: WM_SB_FUEL_LOG_BYTE): what sending a byte of it
     * takes on this device, so that a log flood is bounded in time on a slow line too. */
    uint32_t log_byte_fuel;
    const wm_periph_ops *periph; /* NULL: no buses or channels (periph_ops.h) */
} wm_sb_platform;

typedef struct wm_sb_host {
    wm_sb_platform plat;
    wm_ps_bus bus;
    /* A bit per I2C / SPI bus inside a transaction: held only within one host call, so
     * transactions of different modules never interleave (periph_api.c). */
    uint16_t i2c_busy, spi_busy;
} wm_sb_host;

struct wm_sb_module {
    wm_sb_host *host;
    wm_package pkg;
    wm_manifest manifest;
    wm_sb_decision decision;
    wm_module *module;
    wm_instance *inst;
    wm_linker linker;
    wm_host_func *funcs; /* the linked ones (in the arena); must outlive the instance */
    uint32_t nfuncs;
    wm_ps_endpoint ps;
    bool attached;
    wm_wasi_state wasi; /* WASI and AssemblyScript: fds, exit status, trap text */
    /* Open peripheral handles (kind 0 = free); a handle is the index. */
    wm_periph_target periph[WM_PERIPH_HANDLES];
    uint8_t wait_uart; /* 1 + the UART a blocked uart_read waits on, 0 = none */
    wm_work *work;     /* the install's work meter (wm_sb_device.work), for the link */
};

void wm_sb_host_init(wm_sb_host *host, const wm_sb_platform *plat);

/* Checks the package (policy.h), loads and validates the module, applies the link rule and
 * instantiates it with the manifest's limits. Everything is allocated from `arena`, the
 * whole memory budget (limits.memory, or less when the module declares a smaller maximum)
 * included, so memory.grow never fails for lack of RAM and the arena can be trimmed to
 * what it used. On failure the caller releases the arena to its mark. `bytes` must outlive
 * the module. */
int wm_sb_install(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, const uint8_t *bytes,
                  uint32_t size, const wm_sb_device *dev, wm_msg *err);
/* A bare wasm module (no package): what an unprovisioned device runs for `wasmote push
 * app.wasm`. Refused on a provisioned device (nothing to verify). The manifest is the
 * default one: named `name`, version 0.0.0, granted log, time, sleep and random (what a
 * WASI program expects), default limits,
 * except that the memory budget covers the module's declared initial memory. */
int wm_sb_install_bare(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, const uint8_t *bytes,
                       uint32_t size, const wm_sb_device *dev, const char *name, wm_msg *err);
/* Everything an install checks except instantiation (no memory budget allocated): for
 * validating a push before it is committed. bare_name = NULL for a package. The arena is
 * scratch (release it afterwards); `mod` is not usable for calls. */
int wm_sb_check(wm_sb_host *host, wm_sb_module *mod, wm_arena *arena, const uint8_t *bytes,
                uint32_t size, const wm_sb_device *dev, const char *bare_name, wm_msg *err);
/* Releases what the module holds outside its arena: its message-bus endpoint, and its PWM
 * outputs (set to 0 %: a stopped module drives nothing). */
void wm_sb_uninstall(wm_sb_module *mod);

/* Charges `units` of fuel to the module's running call for work a host function does for
 * it (wm_charge): the hook for host functions and what they call (kv, flash). */
void wm_sb_charge(wm_sb_module *mod, uint64_t units);
/* What a line of `bytes` bytes that goes down the line costs the module: a log line, or a
 * bridged publication's event (WM_SB_FUEL_LOG_LINE + the platform's fuel per byte). */
uint64_t wm_sb_line_fuel(const wm_sb_module *mod, uint32_t bytes);
/* The most one call of this module can run past its fuel before it suspends: its code's
 * largest charge (wm_module_fuel_stretch) or a host function's. A slice of G - stretch fuel
 * does at most G units of work. */
uint32_t wm_sb_fuel_stretch(const wm_sb_module *mod);
/* Fuel of one slice whose work must stay within `cap` units: the manifest's limits.fuel
 * capped by `cap`, minus the module's stretch (at least 1). */
uint64_t wm_sb_slice_fuel(const wm_sb_module *mod, uint32_t cap);
/* True once a module blocked in receive or uart_read has something to take (the
 * scheduler's wake-up test; the deadline is the platform's). */
bool wm_sb_wait_ready(const wm_sb_module *mod);

/* Calls an export with the manifest's fuel per slice (WM_ERR_OUT_OF_FUEL suspends; the
 * caller resumes or aborts). A WASI module that calls proc_exit ends the call with a trap
 * that wm_sb_exited recognises. */
wm_err wm_sb_call(wm_sb_module *mod, const char *name, const wm_val *args, uint32_t nargs,
                  wm_val *results, uint32_t nresults, wm_error *err);

/* True when a call's trap (`msg`: its wm_error message) is the module ending itself with
 * WASI proc_exit (status in *code), not a fault. */
bool wm_sb_exited(const wm_sb_module *mod, const char *msg, uint32_t *code);

/* Appends to `out` the text of the last trap of `mod`'s instance: `msg` (the call's wm_error
 * message, the module's own for an AssemblyScript abort), then its wasm call stack as
 * " [wasm F@0xOFF <- F@0xOFF ...]" (function index, code-section offset; docs/api.md), for
 * the host to symbolize. */
void wm_sb_trap_text(const wm_sb_module *mod, const char *msg, wm_msg *out);

/* ---- used by link.c / hostapi.c / wasi ---- */

typedef struct wm_sb_api_entry {
    const char *name;
    const char *sig; /* wasmote.h signature string */
    uint8_t cap;     /* WM_CAP_*, 0 = always linked */
    wm_host_fn fn;
} wm_sb_api_entry;

/* An import module the sandbox provides: its functions, and what links when the manifest
 * does not grant one (`denied`: a stub returning an error; NULL: the import is refused). */
typedef struct wm_sb_import_set {
    const char *module;
    const wm_sb_api_entry *(*table)(uint32_t *count);
    wm_host_fn denied;
} wm_sb_import_set;

/* Host API version 1 (docs/api.md), in a fixed order. */
const wm_sb_api_entry *wm_sb_api(uint32_t *count);
/* Every import module: "wasmote", "wasi_snapshot_preview1", "env" (AssemblyScript). */
const wm_sb_import_set *wm_sb_import_sets(uint32_t *count);
bool wm_sb_granted(const wm_manifest *m, uint8_t cap);
/* [ptr, ptr+len) inside the instance's memory 0, or NULL with *fault set when not (a
 * zero-length range inside or at the end is valid and gives NULL without a fault). */
uint8_t *wm_sb_range(wm_instance *inst, uint32_t ptr, uint32_t len, bool *fault);

/* Link rule: every import provided (module "wasmote", name, exact signature) and granted;
 * also the module's own memory must fit limits.memory. Fills mod->linker with the granted
 * host functions the module imports, nothing else. */
int wm_sb_link(wm_sb_module *mod, wm_arena *arena, wm_msg *err);
/* Initial size of the module's own memory in bytes (min pages x 64 KiB; 0 without one).
 * Safe on any bytes: every read is bounds-checked. Its walk of the section headers is
 * charged to `work` (NULL: none). */
uint64_t wm_sb_initial_memory(const uint8_t *module, uint32_t len, wm_work *work);

#endif
